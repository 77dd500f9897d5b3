"""The agent eval: the question sets asked of the agent on the demo plant, scored against ground
truth computed independently from the raw readings, per model, with the held-out set apart."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine

from agent.loop import Agent
from agent.models import Backend
from connectors.demo import load_demo
from evals.dataset import Dataset, load_dataset
from evals.scorer import CaseScore, Summary, run_set, summarise
from store import catalog
from store.engine import make_engine
from store.migrate import upgrade
from tools.base import ToolContext
from tools.registry import all_tools

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
    path = cache / f"demo-{DEMO_SEED}-{DEMO_END.isoformat()}-{DEMO_DAYS}d.db"
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


def make_ask(backend: Backend, engine: Engine) -> Callable[..., dict[str, Any]]:
    """The `ask` the scorer calls: a fresh agent memory per set, the case's clock and role."""
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    base = ToolContext(engine=engine, site=site, now=datetime.combine(DEMO_END, time(0), UTC))
    agent = Agent(backend, all_tools(), InMemorySaver(), base)

    def ask(question: str, *, thread: str, now: datetime, role: str) -> dict[str, Any]:
        return agent.ask(question, thread=thread, now=now, role=role).to_json()

    return ask


def run(
    backend: Backend,
    store: Path,
    workdir: Path,
    sets: tuple[str, ...] = SETS,
    on_case: Callable[[CaseScore], None] | None = None,
) -> list[SetResult]:
    """Every set on its own copy of the store, so one set's writes (alert rules) do not reach
    the next."""
    results = []
    for name in sets:
        dataset: Dataset = load_dataset(QUESTIONS / f"{name}.yaml")
        copy = workdir / f"{name}.db"
        shutil.copyfile(store, copy)
        engine = make_engine(f"sqlite:///{copy}")
        try:
            scores = run_set(dataset, make_ask(backend, engine), engine, on_case=on_case)
        finally:
            engine.dispose()
        results.append(SetResult(name, scores, summarise(scores)))
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
        lines += [
            f"**{r.name}** ({o.cases} cases scored, knowledge questions apart): answer "
            f"correctness {_pct(o.answer)}, tool choice {_pct(o.tool)}, arguments "
            f"{_pct(o.args)}, refusals and questions back {_pct(o.refuse_clarify)}, all checks "
            f"passed {_pct(o.passed)}; latency p50 {o.p50_ms or 0:,.0f} ms, p95 "
            f"{o.p95_ms or 0:,.0f} ms.",
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
