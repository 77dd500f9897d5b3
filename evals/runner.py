"""The agent eval: the question sets asked of the agent on the demo plant, scored against ground
truth computed independently from the raw readings, per model, with the held-out set apart."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
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
from evals.dataset import Dataset, load_dataset
from evals.scorer import CaseScore, Summary, run_set, summarise, summary_row
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

TZ = ZoneInfo("Europe/Berlin")
_AUGUST = (
    "### chiller: consumption above expected since 2026-08-03 00:00\n\n"
    "**What happened.** chiller used more than its baseline from Mon 3 Aug 2026 00:00 to Sun "
    "30 Aug 2026 23:45 at the same outdoor temperatures; severity warning.\n\n"
    "**Likely causes and checks** (from the runbooks)\n- Fouled condenser coils [1]\n"
)
_SEPTEMBER = (
    "### compressor-2: consumption above expected since 2026-09-08 18:00\n\n"
    "**What happened.** compressor-2 drew about 18 kW more at nights and weekends from Tue 8 "
    "Sep 2026 18:00 to Sat 26 Sep 2026 18:00, the pattern of a compressed-air leak.\n\n"
    "**Likely causes and checks** (from the runbooks)\n- Compressed-air leaks [1]\n"
)
_BOILER = (
    "### boiler: consumption above expected since 2026-11-02 05:00\n\n"
    "**What happened.** boiler burns more gas than expected since Mon 2 Nov 2026 05:00, with "
    "short burner cycles through the night.\n"
)
# The watcher's incidents on the demo plant the eval asks about: fixed rows (not a watcher run,
# which would move with the anomaly detector), matching the simulator's injected faults.
# (id, meter, kind, severity, state, start, end, extra kWh, cost EUR, kg CO2e, title, summary,
#  acknowledged by, resolved by, resolution)
INCIDENTS: tuple[tuple[Any, ...], ...] = (
    (1, "chiller", "consumption_high", "warning", "resolved", "2026-08-03T00:00",
     "2026-08-31T00:00", 2140.0, 385.2, 813.2,
     "chiller: consumption above expected since 2026-08-03 00:00", _AUGUST, "maria", "maria",
     "Condenser coils cleaned on 31 August; daily energy back on the baseline."),
    (2, "compressor-2", "consumption_high", "warning", "resolved", "2026-09-08T18:00",
     "2026-09-26T18:00", 3265.5, 587.79, 1240.89,
     "compressor-2: consumption above expected since 2026-09-08 18:00", _SEPTEMBER, "jonas",
     "jonas", "Leak survey found 14 leaks, most at quick couplings on line B; couplings replaced."),
    (3, "offices", "meter_outage", "warning", "resolved", "2026-10-08T04:00",
     "2026-10-08T12:00", None, None, None,
     "offices: meter outage (no data) since 2026-10-08 04:00", None, None, "watcher",
     "Data resumed after the gateway was restarted."),
    (4, "compressor-1", "consumption_high", "warning", "acknowledged", "2026-10-27T22:00",
     "2026-11-04T23:45", 412.8, 74.3, 156.86,
     "compressor-1: consumption above expected since 2026-10-27 22:00", None, "maria", None,
     None),
    (5, "boiler", "consumption_high", "warning", "open", "2026-11-02T05:00",
     "2026-11-04T20:00", 980.0, 68.6, 196.0,
     "boiler: consumption above expected since 2026-11-02 05:00", _BOILER, None, None, None),
    (6, "line-a", "demand_spike", "critical", "open", "2026-11-04T08:30", "2026-11-04T08:45",
     35.5, 8.52, 13.49, "line-a: demand spike since 2026-11-04 08:30", None, None, None, None),
)  # fmt: skip


def _epoch(local: str | None) -> int | None:
    return (
        None if local is None else int(datetime.fromisoformat(local).replace(tzinfo=TZ).timestamp())
    )


def add_incidents(engine: Engine, site: str = "demo-plant") -> int:
    """Store the eval's fixed incidents (nothing when they are there already); returns how many
    were added."""
    stamp = datetime.combine(DEMO_END, time(0), UTC)
    with engine.begin() as conn:
        if conn.execute(select(Incident.id).limit(1)).first() is not None:
            return 0
        site_id = conn.execute(select(Site.id).where(Site.name == site)).scalar_one()
        found = conn.execute(select(Meter.name, Meter.id).where(Meter.site_id == site_id))
        meters = {str(name): int(mid) for name, mid in found}
        for row in INCIDENTS:
            iid, meter, kind, severity, state, start, end, kwh, cost, co2, title = row[:11]
            summary, acked, resolved_by, resolution = row[11:]
            conn.execute(
                insert(Incident).values(
                    id=iid, site_id=site_id, meter_id=meters[meter], kind=kind, severity=severity,
                    state=state, start_ts=_epoch(start), end_ts=_epoch(end), extra_kwh=kwh,
                    cost=cost, co2_kg=co2, currency="EUR", title=title, summary=summary,
                    resolution=resolution, acknowledged_by=acked,
                    acknowledged_at=stamp if acked else None, resolved_by=resolved_by,
                    resolved_at=stamp if resolved_by else None, details={},
                    dedup_key=f"{meter}:{kind}:{_epoch(start)}", created_at=stamp,
                    updated_at=stamp,
                )
            )  # fmt: skip
    return len(INCIDENTS)


def index_incidents(knowledge: KnowledgeBase | None) -> None:
    """Index (again) the fixed incidents, so every set searches the same incident history."""
    index = getattr(knowledge, "index_incident", None)
    if index is None:
        return
    for row in INCIDENTS:
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
    backend: Backend, engine: Engine, knowledge: KnowledgeBase | None = None
) -> Callable[..., dict[str, Any]]:
    """The `ask` the scorer calls: a fresh agent memory per set, the case's clock and role."""
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    now = datetime.combine(DEMO_END, time(0), UTC)
    contexts = TurnContexts(engine, site, knowledge=knowledge, clock=fixed_clock(now))
    agent = Agent(backend, all_tools(), InMemorySaver(), contexts)

    def ask(question: str, *, thread: str, now: datetime, role: str) -> dict[str, Any]:
        return agent.ask(question, thread=thread, now=now, role=role).to_json()

    return ask


def run(
    backend: Backend,
    store: Path,
    workdir: Path,
    sets: tuple[str, ...] = SETS,
    on_case: Callable[[CaseScore], None] | None = None,
    knowledge: KnowledgeBase | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[SetResult]:
    """Every set on its own copy of the store (with the fixed incidents), so one set's writes
    (alert rules, incident notes) do not reach the next. The knowledge store (built under
    `workdir` when none is given, `progress` showing the indexing) is shared; its incidents
    are re-indexed before each set."""
    if knowledge is None:
        knowledge = eval_knowledge(workdir / "knowledge", progress)
    results = []
    for name in sets:
        dataset: Dataset = load_dataset(QUESTIONS / f"{name}.yaml")
        copy = workdir / f"{name}.db"
        shutil.copyfile(store, copy)
        engine = make_engine(f"sqlite:///{copy}")
        try:
            upgrade(engine)  # a store simulated by an earlier schema gets its new columns
            add_incidents(engine)
            index_incidents(knowledge)
            ask = make_ask(backend, engine, knowledge)
            scores = run_set(dataset, ask, engine, on_case=on_case)
        finally:
            engine.dispose()
        # with a knowledge store connected, knowledge questions count like any other
        results.append(SetResult(name, scores, summarise(scores, separate=())))
    return results


def results_markdown(model: str, results: list[SetResult], machine: str, command: str) -> str:
    """The section of evals/RESULTS.md for one model."""
    lines = [
        f"### Agent eval: `{model}`",
        "",
        f"{datetime.now(UTC):%Y-%m-%d}, {machine}. Command: `{command}`.",
        "",
    ]
    for r in results:
        o = r.summary.overall
        apart = summary_row("", [s for s in r.scores if s.category != "knowledge"])
        lines += [
            f"**{r.name}** ({o.cases} cases scored, knowledge questions included): answer "
            f"correctness {_pct(o.answer)}, tool choice {_pct(o.tool)}, arguments "
            f"{_pct(o.args)}, refusals and questions back {_pct(o.refuse_clarify)}, all checks "
            f"passed {_pct(o.passed)}; latency p50 {o.p50_ms or 0:,.0f} ms, p95 "
            f"{o.p95_ms or 0:,.0f} ms. Without the {o.cases - apart.cases} knowledge questions: "
            f"answer correctness {_pct(apart.answer)}, all checks passed {_pct(apart.passed)}, "
            f"p95 {apart.p95_ms or 0:,.0f} ms.",
            "",
            r.summary.to_markdown(),
        ]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def write_results(path: Path, model: str, section: str) -> None:
    """Replace this model's section of RESULTS.md (between markers), keeping the rest."""
    start, end = f"<!-- agent-eval:{model}:start -->", f"<!-- agent-eval:{model}:end -->"
    text = path.read_text() if path.exists() else ""
    block = f"{start}\n{section}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
