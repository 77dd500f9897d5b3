"""The eval report's set line and figures: latency without the anomaly questions, as the
reader's speed target is stated."""

from __future__ import annotations

import numpy as np

from evals import report
from evals.runner import SetResult
from evals.scorer import CaseScore, summarise


def _score(case_id: str, category: str, ms: float) -> CaseScore:
    return CaseScore(
        case_id=case_id,
        category=category,
        expected_outcome="answer",
        outcome="answer",
        tool_ok=True,
        args_ok=True,
        answer_ok=True,
        outcome_ok=True,
        latency_ms=ms,
    )


def _result() -> SetResult:
    scores = [_score(f"e{i}", "energy", 10.0 + i) for i in range(40)]
    scores += [_score(f"a{i}", "anomaly", 4000.0 + i) for i in range(5)]
    return SetResult(name="probe", scores=scores, summary=summarise(scores))


def _p95(values: list[float]) -> float:
    # nearest rank, as the report states its percentiles
    return float(np.percentile(values, 95, method="inverted_cdf"))


def test_figures_carry_p95_with_and_without_the_anomaly_questions() -> None:
    result = _result()
    quick = [10.0 + i for i in range(40)]
    got = report.figures(result)
    assert got["p95_ms_without_anomaly"] == _p95(quick)
    assert got["p95_ms"] > 3000  # the slow detector dominates the overall tail
    assert got["p95_ms_without_anomaly"] < 60


def test_the_set_line_names_the_anomaly_questions_left_out_and_their_p95() -> None:
    line = report._set_line(_result())
    assert "Without the 5 anomaly questions: p95 " in line
    assert f"p95 {_p95([10.0 + i for i in range(40)]):,.0f} ms." in line
