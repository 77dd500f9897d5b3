"""Reporting agent-eval runs: the sections of evals/RESULTS.md (one per model and plant), the
figures kept machine-readable in evals/results.json, and a plant's difference to the demo."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.runner import SetResult
from evals.scorer import summary_row

EVALS = Path(__file__).parent
RESULTS_MD = EVALS / "RESULTS.md"
DEMO_SITE = "demo-plant"


def _without(result: SetResult, category: str) -> Any:
    return summary_row("", [s for s in result.scores if s.category != category])


def figures(result: SetResult) -> dict[str, Any]:
    """One set's headline figures (shares 0..1); latency also without the anomaly questions,
    whose detector is the one slow tool by design."""
    o = result.summary.overall
    return {
        "cases": o.cases,
        "skipped": len(result.skipped),
        "answer": o.answer,
        "passed": o.passed,
        "tool": o.tool,
        "args": o.args,
        "wrong_numbers": o.wrong_numbers,
        "wrong_cases": o.wrong_cases,
        "p95_ms": o.p95_ms,
        "p95_ms_without_anomaly": _without(result, "anomaly").p95_ms,
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _set_line(r: SetResult) -> str:
    o = r.summary.overall
    apart = _without(r, "knowledge")
    quick = _without(r, "anomaly")
    return (
        f"**{r.name}** ({o.cases} cases scored, knowledge questions included): answer "
        f"correctness {_pct(o.answer)}, tool choice {_pct(o.tool)}, arguments "
        f"{_pct(o.args)}, refusals and questions back {_pct(o.refuse_clarify)}, all checks "
        f"passed {_pct(o.passed)}, wrong numbers {o.wrong_numbers} (in {o.wrong_cases} cases); "
        f"latency p50 {o.p50_ms or 0:,.0f} ms, p95 {o.p95_ms or 0:,.0f} ms. Without the "
        f"{o.cases - apart.cases} knowledge questions: answer correctness {_pct(apart.answer)}, "
        f"all checks passed {_pct(apart.passed)}, p95 {apart.p95_ms or 0:,.0f} ms. Without the "
        f"{o.cases - quick.cases} anomaly questions: p95 {quick.p95_ms or 0:,.0f} ms."
    )


def _skipped_line(r: SetResult) -> str:
    if not r.skipped:
        return "No case skipped."
    listed = "; ".join(f"`{s.case_id}` ({s.reason})" for s in r.skipped)
    return f"{len(r.skipped)} skipped on this plant: {listed}."


@dataclass(frozen=True)
class Difference:
    """A set's figures on a plant beside the demo's."""

    name: str
    plant: dict[str, Any]
    demo: dict[str, Any] | None

    def points(self, key: str) -> float | None:
        """The plant's figure minus the demo's, in percentage points."""
        if self.demo is None or self.demo.get(key) is None or self.plant.get(key) is None:
            return None
        return 100 * (float(self.plant[key]) - float(self.demo[key]))

    def line(self, site: str) -> str:
        if self.demo is None:
            return f"{self.name}: answer {_pct(self.plant['answer'])} on {site}; no demo figures"
        diff = self.points("answer")
        return (
            f"{self.name}: answer {_pct(self.plant['answer'])} on {site} vs "
            f"{_pct(self.demo['answer'])} on the demo ({diff:+.1f} points); passed "
            f"{_pct(self.plant['passed'])} vs {_pct(self.demo['passed'])}; wrong numbers "
            f"{self.plant['wrong_numbers']} vs {self.demo['wrong_numbers']}; "
            f"{self.plant['skipped']} skipped"
        )


def differences(
    results: list[SetResult], demo: dict[str, dict[str, Any]] | None
) -> list[Difference]:
    return [Difference(r.name, figures(r), (demo or {}).get(r.name)) for r in results]


def _comparison(diffs: list[Difference]) -> list[str]:
    lines = [
        "| set | cases (skipped) | answer | demo answer | difference | passed | demo passed "
        "| wrong numbers | demo wrong numbers |",
        "|" + " --- |" * 9,
    ]
    for d in diffs:
        demo = d.demo or {}
        diff = d.points("answer")
        lines.append(
            f"| {d.name} | {d.plant['cases']} ({d.plant['skipped']}) | {_pct(d.plant['answer'])} "
            f"| {_pct(demo.get('answer'))} | {'-' if diff is None else f'{diff:+.1f}'} "
            f"| {_pct(d.plant['passed'])} | {_pct(demo.get('passed'))} "
            f"| {d.plant['wrong_numbers']} | {demo.get('wrong_numbers', '-')} |"
        )
    return lines


def results_markdown(
    model: str,
    results: list[SetResult],
    machine: str,
    command: str,
    demo: dict[str, dict[str, Any]] | None = None,
) -> str:
    """The section of RESULTS.md for one model on one plant (the demo, or another plant beside
    the demo's figures `demo`)."""
    site = results[0].plant if results else DEMO_SITE
    title = f"### Agent eval: `{model}`" + ("" if site == DEMO_SITE else f" on `{site}`")
    lines = [title, "", f"{datetime.now(UTC):%Y-%m-%d}, {machine}. Command: `{command}`.", ""]
    if site != DEMO_SITE:
        lines += [
            "Beside the demo plant's figures:",
            "",
            *_comparison(differences(results, demo)),
            "",
        ]
    for r in results:
        lines += [_set_line(r), ""]
        if site != DEMO_SITE:
            lines += [_skipped_line(r), ""]
        lines += [r.summary.to_markdown()]
    return "\n".join(lines)


def _markers(model: str, site: str) -> tuple[str, str]:
    key = model if site == DEMO_SITE else f"{model}:{site}"
    return f"<!-- agent-eval:{key}:start -->", f"<!-- agent-eval:{key}:end -->"


def write_results(path: Path, model: str, section: str, site: str = DEMO_SITE) -> None:
    """Replace this model's section for the plant in RESULTS.md (between markers), keeping the
    rest."""
    start, end = _markers(model, site)
    text = path.read_text() if path.exists() else ""
    block = f"{start}\n{section}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def figures_path(results_md: Path) -> Path:
    """Where the machine-readable figures live: results.json beside RESULTS.md."""
    return results_md.with_name("results.json")


def record(path: Path, model: str, results: list[SetResult]) -> None:
    """Keep each set's figures for the model and plant in the JSON file (other entries stay)."""
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    site = results[0].plant if results else DEMO_SITE
    entry = data.setdefault(model, {}).setdefault(site, {})
    for r in results:
        entry[r.name] = {**figures(r), "date": f"{datetime.now(UTC):%Y-%m-%d}"}
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def recorded(path: Path, model: str, site: str = DEMO_SITE) -> dict[str, dict[str, Any]] | None:
    """The figures last recorded for the model on a plant, per set (None: none kept)."""
    if not path.exists():
        return None
    found = json.loads(path.read_text()).get(model, {}).get(site)
    return dict(found) if found else None
