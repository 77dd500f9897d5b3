"""The agent eval: the question sets asked of the agent on the demo plant, scored against ground
truth computed independently from the raw readings, per model, with the held-out set apart."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine, insert, select

from agent.loop import Agent
from agent.models import Backend
from connectors.demo import load_demo
from connectors.simulator import SIMULATOR_VERSION
from ems_agent.context import TurnContexts, fixed_clock
from evals.dataset import load_dataset
from evals.roles import (
    DEMO_ROLES,
    AbsentRole,
    ResolvedSet,
    Resolver,
    RoleError,
    RoleFile,
    Skipped,
    load_roles,
    resolve_set,
)
from evals.scorer import CaseScore, Summary, run_set, summarise
from evals.truth import evaluate
from store import catalog
from store.engine import make_engine
from store.migrate import upgrade
from store.schema import Incident, Meter, Site
from tools.base import KnowledgeBase
from tools.registry import all_tools

if TYPE_CHECKING:
    from knowledge.store import KnowledgeStore

QUESTIONS = Path(__file__).parent / "questions"
SETS = ("dev", "tuning", "heldout")
DEMO_SEED = 42
DEMO_END = date(2026, 11, 5)
DEMO_DAYS = 365


@dataclass(frozen=True)
class SetResult:
    name: str
    scores: list[CaseScore]
    summary: Summary
    skipped: list[Skipped] = field(default_factory=list)
    plant: str = "demo-plant"


def eval_store(cache: Path, progress: Callable[[str, int, int], None] | None = None) -> Path:
    """The demo plant's year up to 2026-11-05, simulated once and kept under `cache`."""
    path = cache / f"demo-v{SIMULATOR_VERSION}-{DEMO_SEED}-{DEMO_END.isoformat()}-{DEMO_DAYS}d.db"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(".partial")
        scratch.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{scratch}")
        upgrade(engine)
        load_demo(engine, seed=DEMO_SEED, days=DEMO_DAYS, end=DEMO_END, progress=progress)
        engine.dispose()
        shutil.move(scratch, path)
    return path


# ------------------------------------------------------------------ incidents

_AUGUST = (
    "### {cooling}: consumption above expected since 2026-08-03 00:00\n\n"
    "**What happened.** {cooling} used more than its baseline from Mon 3 Aug 2026 00:00 to Sun "
    "30 Aug 2026 23:45 at the same outdoor temperatures; severity warning.\n\n"
    "**Likely causes and checks** (from the runbooks)\n- Fouled condenser coils [1]\n"
)
_SEPTEMBER = (
    "### {compressor_b}: consumption above expected since 2026-09-08 18:00\n\n"
    "**What happened.** {compressor_b} drew about 18 kW more at nights and weekends from Tue 8 "
    "Sep 2026 18:00 to Sat 26 Sep 2026 18:00, the pattern of a compressed-air leak.\n\n"
    "**Likely causes and checks** (from the runbooks)\n- Compressed-air leaks [1]\n"
)
_BOILER = (
    "### {gas_boiler}: consumption above expected since 2026-11-02 05:00\n\n"
    "**What happened.** {gas_boiler} burns more gas than expected since Mon 2 Nov 2026 05:00, "
    "with short burner cycles through the night.\n"
)
# The watcher's incidents the eval asks about: fixed rows (not a watcher run, which would move
# with the anomaly detector), matching the demo simulator's injected faults, written against
# roles (evals/roles.py) so that every plant gets the same six incidents on its own meters.
# (id, meter role, kind, severity, state, start, end (local), extra kWh, cost, kg CO2e, title,
#  summary, acknowledged by, resolved by, resolution)
INCIDENT_TEMPLATES: tuple[tuple[Any, ...], ...] = (
    (1, "cooling", "consumption_high", "warning", "resolved", "2026-08-03T00:00",
     "2026-08-31T00:00", 2140.0, 385.2, 813.2,
     "{cooling}: consumption above expected since 2026-08-03 00:00", _AUGUST, "maria", "maria",
     "Condenser coils cleaned on 31 August; daily energy back on the baseline."),
    (2, "compressor_b", "consumption_high", "warning", "resolved", "2026-09-08T18:00",
     "2026-09-26T18:00", 3265.5, 587.79, 1240.89,
     "{compressor_b}: consumption above expected since 2026-09-08 18:00", _SEPTEMBER, "jonas",
     "jonas", "Leak survey found 14 leaks, most at quick couplings on {line_b:spaced}; "
     "couplings replaced."),
    (3, "office", "meter_outage", "warning", "resolved", "2026-10-08T04:00",
     "2026-10-08T12:00", None, None, None,
     "{office}: meter outage (no data) since 2026-10-08 04:00", None, None, "watcher",
     "Data resumed after the gateway was restarted."),
    (4, "compressor_a", "consumption_high", "warning", "acknowledged", "2026-10-27T22:00",
     "2026-11-04T23:45", 412.8, 74.3, 156.86,
     "{compressor_a}: consumption above expected since 2026-10-27 22:00", None, "maria", None,
     None),
    (5, "gas_boiler", "consumption_high", "warning", "open", "2026-11-02T05:00",
     "2026-11-04T20:00", 980.0, 68.6, 196.0,
     "{gas_boiler}: consumption above expected since 2026-11-02 05:00", _BOILER, None, None,
     None),
    (6, "line_a", "demand_spike", "critical", "open", "2026-11-04T08:30", "2026-11-04T08:45",
     35.5, 8.52, 13.49, "{line_a}: demand spike since 2026-11-04 08:30", None, None, None,
     None),
)  # fmt: skip


def incident_rows(roles: RoleFile) -> tuple[tuple[Any, ...], ...]:
    """The fixed incidents on one plant: meter roles resolved to its meters and the texts to
    its words; an incident naming a role the plant lacks (or its role file does not know: a set
    naming that role fails there, loudly) is left out."""
    resolver = Resolver(roles)
    rows = []
    for row in INCIDENT_TEMPLATES:
        where = f"{roles.site} incident #{row[0]}"
        try:
            meter = resolver.value(f"{{{row[1]}}}", where)
            texts = [resolver.text(t, where) for t in (row[10], row[11], row[14])]
        except (AbsentRole, RoleError):
            continue
        rows.append((row[0], meter, *row[2:10], texts[0], texts[1], *row[12:14], texts[2]))
    return tuple(rows)


INCIDENTS = incident_rows(load_roles(DEMO_ROLES))


def _epoch(local: str | None, tz: ZoneInfo) -> int | None:
    return (
        None if local is None else int(datetime.fromisoformat(local).replace(tzinfo=tz).timestamp())
    )


def add_incidents(engine: Engine, roles: RoleFile | None = None) -> int:
    """Store the eval's fixed incidents on the roles' plant (default: the demo); nothing when
    there are incidents already. Returns how many were added."""
    rows = INCIDENTS if roles is None else incident_rows(roles)
    site = "demo-plant" if roles is None else roles.site
    stamp = datetime.combine(DEMO_END, time(0), UTC)
    with engine.begin() as conn:
        if conn.execute(select(Incident.id).limit(1)).first() is not None:
            return 0
        site_id, tz_name, currency = conn.execute(
            select(Site.id, Site.timezone, Site.currency).where(Site.name == site)
        ).one()
        tz = ZoneInfo(tz_name)
        found = conn.execute(select(Meter.name, Meter.id).where(Meter.site_id == site_id))
        meters = {str(name): int(mid) for name, mid in found}
        for row in rows:
            iid, meter, kind, severity, state, start, end, kwh, cost, co2, title = row[:11]
            summary, acked, resolved_by, resolution = row[11:]
            conn.execute(
                insert(Incident).values(
                    id=iid, site_id=site_id, meter_id=meters[meter], kind=kind, severity=severity,
                    state=state, start_ts=_epoch(start, tz), end_ts=_epoch(end, tz),
                    extra_kwh=kwh, cost=cost, co2_kg=co2, currency=currency or "EUR",
                    title=title, summary=summary, resolution=resolution, acknowledged_by=acked,
                    acknowledged_at=stamp if acked else None, resolved_by=resolved_by,
                    resolved_at=stamp if resolved_by else None, details={},
                    dedup_key=f"{meter}:{kind}:{_epoch(start, tz)}", created_at=stamp,
                    updated_at=stamp,
                )
            )  # fmt: skip
    return len(rows)


def index_incidents(knowledge: KnowledgeBase | None, roles: RoleFile | None = None) -> None:
    """Index (again) the fixed incidents, so every set searches the same incident history."""
    index = getattr(knowledge, "index_incident", None)
    if index is None:
        return
    for row in INCIDENTS if roles is None else incident_rows(roles):
        iid, meter, kind, _severity, state, start, _end = row[:7]
        title, summary, resolution = row[10], row[11], row[14]
        text = "\n\n".join(
            p for p in (summary or title, resolution and f"Resolution: {resolution}") if p
        )
        index(iid, title, text, {"meter": meter, "kind": kind, "state": state, "start": start})


# ------------------------------------------------------------------ knowledge


def eval_knowledge(
    home: Path, progress: Callable[[str, int, int], None] | None = None
) -> KnowledgeStore:
    """The starter library indexed in an embedded Chroma under `home` (built once; a kept
    `home` makes later runs re-index only changed files)."""
    from knowledge.store import KnowledgeSettings, open_knowledge

    store = open_knowledge(KnowledgeSettings(home / "knowledge"))
    store.ensure_starter_library(progress=progress)
    return store


def make_ask(
    backend: Backend,
    engine: Engine,
    knowledge: KnowledgeBase | None = None,
    site: str = "demo-plant",
    now: datetime | None = None,
) -> Callable[..., dict[str, Any]]:
    """The `ask` the scorer calls: a fresh agent memory per set, the case's clock and role."""
    with engine.connect() as conn:
        found = catalog.get_site(conn, site)
    clock = fixed_clock(now or datetime.combine(DEMO_END, time(0), UTC))
    contexts = TurnContexts(engine, found, knowledge=knowledge, clock=clock)
    agent = Agent(backend, all_tools(), InMemorySaver(), contexts)

    def ask(question: str, *, thread: str, now: datetime, role: str) -> dict[str, Any]:
        return agent.ask(question, thread=thread, now=now, role=role).to_json()

    return ask


def site_timezone(engine: Engine, site: str) -> str:
    """The site's time zone as the store holds it."""
    with engine.connect() as conn:
        return catalog.get_site(conn, site).timezone


def set_source(name: str) -> Path:
    """A set's file: a name in evals/questions, or a path to a YAML file."""
    return Path(name) if name.endswith((".yaml", ".yml")) else QUESTIONS / f"{name}.yaml"


def resolved_set(name: str, engine: Engine, roles: RoleFile | None = None) -> ResolvedSet:
    """A question set (a name in evals/questions or a path) resolved for the roles' plant
    (default: the demo) on its store, computed roles evaluated there."""
    roles = roles or load_roles(DEMO_ROLES)
    timezone = site_timezone(engine, roles.site)
    dataset = load_dataset(set_source(name))
    return resolve_set(dataset, roles, timezone, lambda spec: evaluate(engine, spec))


def needs_knowledge(sets: tuple[str, ...]) -> bool:
    """Whether any case of the sets asks the knowledge store (or may search it)."""
    return any(
        case.category == "knowledge" or "search_knowledge" in case.expect.tools
        for name in sets
        for case in load_dataset(set_source(name)).cases
    )


def run(
    backend: Backend,
    store: Path,
    workdir: Path,
    sets: tuple[str, ...] = SETS,
    on_case: Callable[[CaseScore], None] | None = None,
    knowledge: KnowledgeBase | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    roles: RoleFile | None = None,
) -> list[SetResult]:
    """Every set resolved for the roles' plant (default: the demo) and asked on its own copy
    of the plant's store (with the fixed incidents), so one set's writes (alert rules, incident
    notes) do not reach the next. The knowledge store (built under `workdir` when none is
    given, `progress` showing the indexing) is shared; its incidents are re-indexed before each
    set; it is built only when a set has knowledge questions. Cases the plant cannot ask are
    reported as skipped."""
    roles = roles or load_roles(DEMO_ROLES)
    if knowledge is None and needs_knowledge(sets):
        knowledge = eval_knowledge(workdir / "knowledge", progress)
    results = []
    for name in sets:
        copy = workdir / f"{Path(name).name}.db"  # a set given as a path: its file name
        shutil.copyfile(store, copy)
        engine = make_engine(f"sqlite:///{copy}")
        try:
            upgrade(engine)  # a store simulated by an earlier schema gets its new columns
            add_incidents(engine, roles)
            index_incidents(knowledge, roles)
            resolved = resolved_set(name, engine, roles)
            ask = make_ask(backend, engine, knowledge, roles.site, resolved.dataset.now)
            scores = run_set(resolved.dataset, ask, engine, on_case=on_case)
        finally:
            engine.dispose()
        # with a knowledge store connected, knowledge questions count like any other
        summary = summarise(scores, separate=())
        results.append(
            SetResult(resolved.dataset.name, scores, summary, resolved.skipped, roles.site)
        )
    return results
