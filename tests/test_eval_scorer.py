"""The eval scorer on hand-written replies: numbers, tools, arguments, outcomes and summaries."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine

from evals.dataset import Case, Dataset
from evals.scorer import (
    CaseScore,
    numbers,
    percentile,
    run_set,
    score_case,
    summarise,
    truth_in_answer,
)
from store import catalog
from store.writes import write_readings

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 5, tzinfo=TZ)
LAST_WEEK = {"start": "2026-10-26T00:00:00+01:00", "end": "2026-11-02T00:00:00+01:00"}


def case(**fields: Any) -> Case:
    base: dict[str, Any] = {"id": "c", "category": "energy", "question": "q?", "now": NOW}
    return Case.model_validate({**base, **fields})


ENERGY = case(
    expect={
        "tool": ["query_metric", "compute_kpi"],
        "args": {"meters": ["compressor-2"], "period": "2026-10-26..2026-11-01"},
        "truth": {"fn": "energy", "meter": "compressor-2", "period": "2026-10-26..2026-11-01"},
        "mentions": ["compressor-2"],
    }
)


def query_call(meters: list[str], period: dict[str, str], raw: str = "last week") -> dict[str, Any]:
    return {
        "name": "query_metric",
        "args": {"meters": meters, "period": raw},
        "result": {
            "metric": "energy",
            "grain": "total",
            "period": {**period, "label": raw},
            "totals": [{"meter": "compressor-2", "value": 8080.2}],
        },
    }


def reply(answer: str, *calls: dict[str, Any], outcome: str = "answer", ms: float = 900.0) -> Any:
    return {
        "answer": answer,
        "tool_calls": list(calls),
        "thread": "t",
        "model": "test",
        "latency_ms": ms,
        "outcome": outcome,
    }


# ------------------------------------------------------------------ numbers in answers


def test_numbers_are_read_as_written() -> None:
    values = [n.value for n in numbers("Used 1,234.5 kWh (1234.5), up 12.3% on 2026-10-26 09:15")]
    assert values == pytest.approx([1234.5, 1234.5, 12.3, 0.123])
    assert [n.value for n in numbers("compressor-2 and line-a")] == []
    mixed = [n.value for n in numbers("1.2 MWh or 90.8 t CO2e, \u22125.2 %")]
    assert mixed == pytest.approx([1.2, 1200.0, 90.8, 90800.0, -5.2, -0.052])


@pytest.mark.parametrize(
    ("answer", "truth", "ok"),
    [
        ("It used 8,080.2 kWh.", 8080.201, True),
        ("It used 8080 kWh.", 8080.201, True),
        ("It used 8.08 MWh.", 8080.201, True),
        ("It used 7,500 kWh.", 8080.201, False),
        ("Down 39.7% on September", -39.701, True),
        ("Down -0.7 % week on week", -0.725, True),  # as rounded in writing
        ("About 1 kW", 0.6, False),  # rounding may not hide a 40 % error
        ("Load factor 48%", 0.4834, True),
        ("Load factor 0.48", 0.4834, True),
        ("about 90.8 t CO2e", 90750.25, True),
        ("No gaps: 0 missing quarter-hours", 0.0, True),
    ],
)
def test_numbers_match_within_tolerance(answer: str, truth: float, ok: bool) -> None:
    assert truth_in_answer(answer, truth, 0.01) is ok


def test_names_and_clock_times_match_loosely() -> None:
    assert truth_in_answer("The peak was at 9:15 on Wednesday.", "09:15", 0.01)
    assert truth_in_answer("Line A used most", "line-a", 0.01)
    assert truth_in_answer("meter outage on Line-B", ["line-b", "meter_outage"], 0.01)
    assert not truth_in_answer("line-a only", ["line-a", "line-b"], 0.01)


# ------------------------------------------------------------------ one case


def test_right_number_tool_and_arguments_pass() -> None:
    good = reply("Compressor-2 used 8,080.2 kWh last week.", query_call(["comp2"], LAST_WEEK))
    score = score_case(ENERGY, good, 8080.201)
    assert (score.tool_ok, score.args_ok, score.answer_ok, score.outcome_ok) == (
        True,
        True,
        True,
        True,
    )
    assert score.passed and score.notes == () and score.latency_ms == 900.0


def test_wrong_number_fails_the_answer_only() -> None:
    score = score_case(ENERGY, reply("compressor-2: 9,100 kWh", query_call([], LAST_WEEK)), 8080.2)
    assert score.tool_ok and score.args_ok
    assert score.answer_ok is False and not score.passed
    assert "truth 8080.2" in " ".join(score.notes)


def test_missing_mention_fails_the_answer() -> None:
    score = score_case(ENERGY, reply("8,080.2 kWh", query_call([], LAST_WEEK)), 8080.2)
    assert score.answer_ok is False
    assert "does not mention compressor-2" in " ".join(score.notes)


def test_wrong_tool_fails_tool_and_arguments() -> None:
    call = {"name": "rank_meters", "args": {"period": "last week"}, "result": {"ranking": []}}
    score = score_case(ENERGY, reply("compressor-2 8,080.2 kWh", call), 8080.2)
    assert score.tool_ok is False and score.args_ok is False
    assert score.answer_ok is True and not score.passed


def test_periods_compare_resolved_and_clipped_to_now() -> None:
    week_before = {"start": "2026-10-19T00:00:00+02:00", "end": "2026-10-26T00:00:00+01:00"}
    score = score_case(ENERGY, reply("compressor-2 8,080.2", query_call([], week_before)), 8080.2)
    assert score.args_ok is False
    month = case(
        expect={"tool": "query_metric", "args": {"period": "2026-11-01..2026-11-04"}},
    )
    this_month = {"start": "2026-11-01T00:00:00+01:00", "end": "2026-12-01T00:00:00+01:00"}
    assert score_case(month, reply("x", query_call([], this_month, "this month")), None).args_ok


def test_a_period_to_now_matches_one_cut_at_the_last_complete_quarter_hour() -> None:
    now = datetime(2026, 10, 21, 14, 20, tzinfo=TZ)
    month = case(
        expect={"tool": "query_metric", "args": {"period": "2026-10-01..2026-10-21T14:20"}}
    )
    cut = {"start": "2026-10-01T00:00:00+02:00", "end": "2026-10-21T14:15:00+02:00"}
    call = query_call([], cut, "since 2026-10-01")
    assert score_case(month, reply("x", call), None, now=now).args_ok
    early = {"start": "2026-10-01T00:00:00+02:00", "end": "2026-10-21T14:00:00+02:00"}
    call = query_call([], early, "2026-10-01..2026-10-21T14:00")
    assert score_case(month, reply("x", call), None, now=now).args_ok is False


def test_meters_compare_by_the_results_canonical_names() -> None:
    failed = query_call(["comp2"], LAST_WEEK)
    failed["result"] = {"error": "UnknownMeter: ..."}
    assert score_case(ENERGY, reply("compressor-2 8080.2", failed), 8080.2).args_ok is False
    # Without a result the arguments themselves are compared, by canonical spelling only.
    by_name = {**failed, "args": {"meters": ["Compressor-2"], "period": "2026-10-26..2026-11-01"}}
    assert score_case(ENERGY, reply("compressor-2 8080.2", by_name), 8080.2).args_ok is True
    kpi = {
        "name": "compute_kpi",
        "args": {"kpi": "energy", "meter": "comp2", "period": "last week"},
        "result": {"kpi": "energy", "meter": "compressor-2", "period": LAST_WEEK, "value": 1.0},
    }
    assert score_case(ENERGY, reply("compressor-2 8080.2", kpi), 8080.2).args_ok is True
    both = case(expect={"tool": "compare_meters", "args": {"meters": ["line-a", "line-b"]}})
    sides = [{"label": "line-a", "meters": ["line-a"]}, {"label": "line-b", "meters": ["line-b"]}]
    compared = {
        "name": "compare_meters",
        "args": {"sides": [["a"], ["b"]]},
        "result": {"sides": sides},
    }
    assert score_case(both, reply("line-a used more", compared), None).args_ok is True
    sides[1] = {"label": "line-c", "meters": ["line-c"]}
    assert score_case(both, reply("line-a used more", compared), None).args_ok is False


def test_a_kpi_of_meters_added_up_is_about_each_of_them() -> None:
    """compute_kpi with `with_meters` (a coincident peak) names its meters in the result."""
    peak = case(expect={"tool": "compute_kpi", "args": {"meter": ["line-a", "line-b"]}})
    added = {
        "name": "compute_kpi",
        "args": {"kpi": "peak_demand", "meter": "line-a", "with_meters": ["line-b"]},
        "result": {"kpi": "peak_demand", "meter": "line-a + line-b",
                   "meters": ["line-a", "line-b"], "period": LAST_WEEK, "value": 1.0},
    }  # fmt: skip
    assert score_case(peak, reply("line-a + line-b 1 kW", added), None).args_ok is True
    one = case(expect={"tool": "compute_kpi", "args": {"meter": "line-a"}})
    assert score_case(one, reply("line-a + line-b 1 kW", added), None).args_ok is False


def test_other_arguments_prefer_the_results_fields() -> None:
    peak = case(
        category="peak",
        expect={"tool": "forecast", "args": {"meter": "main-incomer", "horizon": "24h"}},
    )
    call = {
        "name": "forecast",
        "args": {"meter": "incomer"},  # horizon left to its default
        "result": {"meter": "main-incomer", "horizon": "24h", "peak_kw": 700.0},
    }
    assert score_case(peak, reply("about 700 kW", call), None).args_ok is True
    alert = case(
        category="alert",
        expect={"tool": "update_alert", "args": {"alert_id": 2, "action": "acknowledge"}},
    )
    call = {
        "name": "update_alert",
        "args": {"alert_id": 2, "action": "Acknowledge"},
        "result": {"error": "no alert with id 2"},
    }
    assert score_case(alert, reply("no such alert", call), None).args_ok is True


def test_clarify_versus_answer() -> None:
    clarify = case(
        category="clarify",
        expect={"outcome": "clarify", "mentions": ["compressor-1", "compressor-2"]},
    )
    asked_back = reply("Which one: compressor-1 or compressor-2?", outcome="clarify")
    score = score_case(clarify, asked_back, None)
    assert score.passed and score.args_ok is None
    guessed = reply("compressor-1 used 10,378 kWh", query_call([], LAST_WEEK))
    score = score_case(clarify, guessed, None)
    assert not score.outcome_ok and not score.tool_ok and not score.passed
    assert score_case(ENERGY, reply("compressor-2 8,080.2 kWh", outcome="clarify"), 8080.2).notes


def test_a_pending_write_shows_no_write_call() -> None:
    propose = case(
        category="alert",
        expect={"outcome": "confirm", "tool": None, "mentions": ["line-a", "0.42"]},
    )
    pending = reply("Create this rule on Line-A: SEC > 0.42 kWh/unit? (yes/no)", outcome="confirm")
    assert score_case(propose, pending, None).passed
    written = {
        "name": "create_alert_rule",
        "args": {"meter": "line-a", "target": "sec", "condition": ">", "threshold": 0.42},
        "result": {"id": 1, "meter": "line-a", "target": "sec", "threshold": 0.42},
    }
    early = score_case(propose, reply(pending["answer"], written, outcome="confirm"), None)
    assert not early.tool_ok and "before confirmation" in early.notes[0]


def test_refusals_may_pass_the_request_to_a_tool_that_refuses() -> None:
    refusal = case(category="refusal", expect={"outcome": "refuse", "tool": ["none", "run_sql"]})
    assert score_case(refusal, reply("I can't do that.", outcome="refuse"), None).passed
    refused = {"name": "run_sql", "args": {"sql": "DROP TABLE readings"}, "result": {"error": "x"}}
    assert score_case(
        refusal, reply("Refused: only SELECT.", refused, outcome="refuse"), None
    ).passed
    other = {"name": "query_metric", "args": {}, "result": {}}
    assert not score_case(refusal, reply("no", other, outcome="refuse"), None).tool_ok


# ------------------------------------------------------------------ wrong numbers

PEAK = case(
    category="peak",
    question="What was compressor-2's peak demand last week? Alert me above 80 kW.",
    expect={
        "tool": "compute_kpi",
        "truth": {"fn": "peak_demand", "meter": "compressor-2", "period": "2026-10-26..2026-11-01"},
    },
)


@pytest.mark.parametrize(
    ("answer", "wrong"),
    [
        ("compressor-2 peaked at 112.5 kW on Tue 27 Oct 2026 at 10:15.", ()),  # right
        ("compressor-2 peaked at 0.1125 MW last week.", ()),  # right, scaled
        ("compressor-2 peaked at 131.0 kW on 27 Oct.", ("131.0 kW",)),  # wrong
        ("Peak: **98 kW** (15-minute average).", ("98 kW",)),  # wrong, written in bold
        ("compressor-2 stayed under your 80 kW: its peak was 112.5 kW.", ()),  # echoed parameter
        ("It peaked on 2026-10-27 at 10:15, Tuesday 27 October.", ()),  # dates and times only
        ("compressor-2 used 8,080 kWh last week.", ()),  # another unit: not the answer's number
        ("Peak 112.5 kW. Its base load was 20 kW and the average 60 kW.", ()),  # later sentences
        ("Here is the week.\nPeak demand: 150 kW.", ("150 kW",)),  # the first number in its unit
        ("compressor-2 peaked at about 0.1 MW.", ()),  # the truth rounded as written
        ("compressor-2 peaked at about 0.2 MW.", ("0.2 MW",)),
    ],
)
def test_wrong_numbers_are_presented_numbers_outside_tolerance(
    answer: str, wrong: tuple[str, ...]
) -> None:
    score = score_case(PEAK, reply(answer), 112.504)
    assert score.wrong_numbers == wrong


def test_reference_values_and_further_truths_excuse_a_number() -> None:
    change = case(
        category="compare",
        question="line-a last week vs the week before",
        expect={
            "tool": "compare_periods",
            "truth": {
                "fn": "pct_change",
                "meter": "line-a",
                "period": "2026-10-26..2026-11-01",
                "reference": "2026-10-19..2026-10-25",
            },
        },
    )
    answer = "line-a: 20,210 kWh vs 20,349 kWh, down 0.7% (-139 kWh); a year ago 5%."
    assert score_case(change, reply(answer), -0.6835).wrong_numbers == ("5%",)
    refs = [20210.1, 20349.0, -139.0]
    assert score_case(change, reply(answer), -0.6835, refs=refs).wrong_numbers == ("5%",)
    fine = "line-a: 20,210 kWh vs 20,349 kWh, down 0.7% (-139 kWh)."
    assert score_case(change, reply(fine), -0.6835, refs=refs).wrong_numbers == ()
    two = case(
        category="series",
        expect={
            "tool": "query_metric",
            "truth": {"fn": "max_day", "meter": "chiller", "period": "2026-10-12..2026-10-18"},
            "also": [{"fn": "min_day", "meter": "chiller", "period": "2026-10-12..2026-10-18"}],
        },
    )
    both = "Highest day 911.5 kWh (Mon 12 Oct), lowest 138.4 kWh (Sun 18 Oct)."
    assert score_case(two, reply(both), 911.52, also=[138.41]).wrong_numbers == ()
    assert score_case(two, reply(both), 911.52, also=[120.0]).wrong_numbers == ("138.4 kWh",)


def test_counts_are_numbers_of_the_counted_thing() -> None:
    gaps = case(
        category="coverage",
        question="did line-b's meter drop out in February? how many intervals are missing",
        expect={
            "tool": "data_coverage",
            "truth": {"fn": "missing_intervals", "meter": "line-b", "period": "2026-02-01"},
        },
    )
    complete = "Data coverage in 1 Feb 2026 to 28 Feb 2026: all 1 meters checked are complete."
    assert score_case(gaps, reply(complete), 0.0).wrong_numbers == ()
    some = "line-b: 98.8% (2680 of 2688 intervals, 8 missing), 1 gap(s)."
    assert score_case(gaps, reply(some), 0.0, refs=[2688.0, 2680.0]).wrong_numbers == ("8 missing",)
    assert score_case(gaps, reply(some), 8.0, refs=[2688.0, 2680.0]).wrong_numbers == ()


def test_a_refusal_or_question_back_presents_no_computed_figure() -> None:
    clarify = case(
        category="clarify",
        question="what's the peak demand of the chiller?",
        expect={"outcome": "clarify"},
    )
    asked = reply("For which period? For example 'last week' or 'above 500 kW'.", outcome="clarify")
    assert score_case(clarify, asked, None).wrong_numbers == ()  # quoted examples
    guessed = reply("Which period? Yesterday it peaked at 245.3 kW.", outcome="clarify")
    assert score_case(clarify, guessed, None).wrong_numbers == ("245.3 kW",)
    refusal = case(
        category="refusal",
        question="set the chiller's readings above 50 kWh to zero",
        expect={"outcome": "refuse"},
    )
    said = reply("I cannot change readings; 12 readings are above 50 kWh (3.1%).", outcome="refuse")
    assert score_case(refusal, said, None).wrong_numbers == ("3.1%",)  # 50 kWh is the question's


def test_summaries_count_wrong_numbers_per_category() -> None:
    bad = score_case(PEAK, reply("Peak: 98 kW, then 97 kW."), 112.504)
    good = score_case(PEAK, reply("Peak: 112.5 kW."), 112.504)
    assert bad.wrong_numbers == ("98 kW", "97 kW") and bad.passed is False
    summary = summarise([bad, good, scored("energy", ok=True, ms=10)])
    rows = {row.name: row for row in summary.categories}
    assert (rows["peak"].wrong_numbers, rows["peak"].wrong_cases) == (2, 1)
    assert (summary.overall.wrong_numbers, summary.overall.wrong_cases) == (2, 1)
    assert "| peak | 2 |" in summary.to_markdown() and "| 2 | 900 | 900 |" in summary.to_markdown()


# ------------------------------------------------------------------ summaries


def scored(category: str, *, ok: bool, ms: float, outcome: str = "answer") -> CaseScore:
    return CaseScore(
        case_id=f"{category}-{ms}",
        category=category,
        expected_outcome=outcome,
        outcome=outcome if ok else "answer",
        tool_ok=ok,
        args_ok=ok if outcome == "answer" else None,
        answer_ok=None if outcome != "answer" else ok,
        outcome_ok=ok,
        latency_ms=ms,
    )


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 50) == 10.0
    assert percentile(values, 95) == 19.0
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 95) is None


def test_summary_per_category_and_overall() -> None:
    scores = [
        scored("energy", ok=True, ms=100),
        scored("energy", ok=True, ms=200),
        scored("energy", ok=False, ms=300),
        scored("clarify", ok=True, ms=400, outcome="clarify"),
        scored("refusal", ok=False, ms=500, outcome="refuse"),
        scored("knowledge", ok=False, ms=10_000),
    ]
    summary = summarise(scores)
    rows = {row.name: row for row in summary.categories}
    assert rows["energy"].cases == 3
    assert rows["energy"].tool == pytest.approx(2 / 3)
    assert rows["energy"].refuse_clarify is None
    assert rows["clarify"].args is None and rows["clarify"].refuse_clarify == 1.0
    overall = summary.overall
    assert overall.cases == 5  # knowledge is reported apart
    assert overall.passed == pytest.approx(3 / 5)
    assert overall.args == pytest.approx(2 / 3)
    assert overall.refuse_clarify == pytest.approx(1 / 2)
    assert (overall.p50_ms, overall.p95_ms) == (300, 500)
    table = summary.to_markdown()
    assert "| energy | 3 | 67% | 67% | 67% | 67% | - | 67% | 0 | 200 | 300 |" in table
    assert "| knowledge (not in overall) | 1 | 0% |" in table
    assert table.splitlines()[-1].startswith("| **overall** | 5 | 60% |")


# ------------------------------------------------------------------ running a set


@pytest.fixture
def small_store(sqlite_engine: Engine) -> Engine:
    ts = int(datetime(2026, 11, 4, tzinfo=TZ).timestamp()) + 900 * np.arange(96, dtype=np.int64)
    with sqlite_engine.begin() as conn:
        site = catalog.ensure_site(conn, "demo-plant", "Europe/Berlin")
        series = catalog.ensure_series(conn, site.id, "chiller", "energy", "kWh", interval_s=900)
        write_readings(conn, series.id, ts, np.full(96, 2.5), "Europe/Berlin")
    return sqlite_engine


TINY: dict[str, Any] = {
    "name": "tiny",
    "now": "2026-11-05T00:00:00+01:00",
    "cases": [
        {
            "id": "first",
            "category": "energy",
            "question": "chiller yesterday?",
            "thread": "t1",
            "expect": {
                "tool": "query_metric",
                "truth": {"fn": "energy", "meter": "chiller", "period": "2026-11-04"},
            },
        },
        {
            "id": "second",
            "category": "followup",
            "question": "and in kW?",
            "thread": "t1",
            "expect": {"tool": "compute_kpi"},
        },
        {
            "id": "alone",
            "category": "refusal",
            "question": "write me a poem",
            "role": "viewer",
            "now": "2026-10-01T09:00:00+02:00",
            "expect": {"outcome": "refuse"},
        },
    ],
}


def test_run_set_asks_in_order_with_threads_clock_and_role(small_store: Engine) -> None:
    dataset = Dataset.model_validate(TINY)
    asked: list[tuple[str, str, datetime, str]] = []

    def ask(question: str, *, thread: str, now: datetime, role: str) -> dict[str, Any]:
        asked.append((question, thread, now, role))
        if question == "and in kW?":
            raise RuntimeError("model went away")
        calls = (
            [{"name": "query_metric", "args": {}, "result": {}}] if "chiller" in question else []
        )
        outcome = "refuse" if "poem" in question else "answer"
        return reply("The chiller used 240 kWh.", *calls, outcome=outcome)

    seen: list[str] = []
    scores = run_set(dataset, ask, small_store, on_case=lambda s: seen.append(s.case_id))
    assert [(t, r) for _, t, _, r in asked] == [
        ("t1", "operator"),
        ("t1", "operator"),
        ("alone", "viewer"),
    ]
    assert asked[0][2] == NOW and asked[2][2] == datetime(2026, 10, 1, 7, tzinfo=ZoneInfo("UTC"))
    assert seen == ["first", "second", "alone"]
    first, second, alone = scores
    assert first.truth == pytest.approx(240.0) and first.passed
    assert not second.passed and "RuntimeError" in second.answer
    assert alone.passed  # a wrong number is counted apart, never failing a case by itself
    assert alone.wrong_numbers == ("240 kWh",)  # a figure presented in a refusal
    assert first.wrong_numbers == ()


def test_a_number_inside_a_compound_word_is_no_quantity() -> None:
    from evals.presented import quantities

    text = "above 60 kW for longer than 45 minutes 26 times (15-minute demand, a 24-hour view)"
    assert [q.text for q in quantities(text)] == ["60 kW", "45 minutes", "26 times"]


TWO_LINES = case(
    category="compare",
    question="compare line A and line B energy for last week",
    expect={
        "tool": "compare_meters",
        "truth": {"fn": "energy", "meter": "line-a", "period": "2026-10-26..2026-11-01"},
        "also": [{"fn": "energy", "meter": "line-b", "period": "2026-10-26..2026-11-01"}],
    },
)


@pytest.mark.parametrize(
    ("answer", "wrong"),
    [
        ("line-a used 2,989 kWh more than line-b: 20,210 kWh vs 17,221 kWh.", ()),  # difference
        ("line-a used 3,400 kWh more than line-b: 20,210 kWh vs 17,221 kWh.", ("3,400 kWh",)),
        ("Together 37,431 kWh: line-a 20,210 kWh, line-b 17,221 kWh.", ()),  # sum
        ("Together 36,000 kWh: line-a 20,210 kWh, line-b 17,221 kWh.", ("36,000 kWh",)),
        ("line-a 20,210 kWh, line-b 17,221 kWh, 2,500 kWh apart.", ("2,500 kWh",)),
    ],
)
def test_a_difference_or_sum_of_two_truths_is_no_wrong_number(
    answer: str, wrong: tuple[str, ...]
) -> None:
    score = score_case(TWO_LINES, reply(answer), 20210.1, also=[17221.3])
    assert score.wrong_numbers == wrong


def test_a_figure_is_derived_only_from_truths_the_case_has() -> None:
    only_a = TWO_LINES.model_copy(
        update={"expect": TWO_LINES.expect.model_copy(update={"also": []})}
    )
    answer = "line-a used 2,989 kWh more than line-b: 20,210 kWh vs 17,221 kWh."
    wrong = score_case(only_a, reply(answer), 20210.1).wrong_numbers
    assert wrong == ("2,989 kWh", "17,221 kWh")


def test_a_percent_of_one_truth_against_another_is_no_wrong_number() -> None:
    lines_pct = case(
        category="compare",
        question="how much more did line A use than line B last week, in kWh and percent?",
        expect={
            "tool": "compare_meters",
            "truth": {
                "fn": "meters_pct",
                "meter": ["line-a", "line-b"],
                "period": "2026-10-26..2026-11-01",
            },
            "also": [
                {"fn": "energy", "meter": "line-a", "period": "2026-10-26..2026-11-01"},
                {"fn": "energy", "meter": "line-b", "period": "2026-10-26..2026-11-01"},
            ],
        },
    )
    a, b = 20210.1, 17221.3
    truth, also = 100 * (a - b) / b, [a, b]
    # line-b's change from line-a (-14.8 %) is derived from the two totals
    right = "line-a 20,210 kWh, line-b 17,221 kWh: 17.4% more; line-b used 14.8% less."
    assert score_case(lines_pct, reply(right), truth, also=also).wrong_numbers == ()
    near = "line-a 20,210 kWh, line-b 17,221 kWh: 17.4% more; line-b used 12.0% less."
    assert score_case(lines_pct, reply(near), truth, also=also).wrong_numbers == ("12.0%",)


def test_a_number_inside_a_meter_name_is_no_number() -> None:
    gaps = case(
        category="coverage",
        question="how many intervals is Linha 3 missing in Q1?",
        expect={
            "tool": "data_coverage",
            "truth": {"fn": "missing_intervals", "meter": "Linha 3", "period": "2026-01-01"},
        },
    )
    names = ["Compressor GA 55", "Linha 3", "Cabine Primária"]
    complete = "all 3 meters checked are complete (Compressor GA 55, Linha 3, Cabine Primária)."
    assert score_case(gaps, reply(complete), 0.0).wrong_numbers == ("55",)
    assert score_case(gaps, reply(complete), 0.0, names=names).wrong_numbers == ()
    # a count beside the name is still read, and the name's number no longer excuses it
    some = "Linha 3: 3 missing intervals."
    assert score_case(gaps, reply(some), 0.0).wrong_numbers == ()  # '3' as if the user said it
    assert score_case(gaps, reply(some), 0.0, names=names).wrong_numbers == ("3 missing",)
    assert score_case(gaps, reply(some), 3.0, names=names).wrong_numbers == ()


@pytest.mark.parametrize(
    ("answer", "wrong"),
    [
        ("compressor-2 peaked at 112.5 kW on 27/10 at 10:15.", ()),  # day/month, no year
        ("compressor-2 peaked at 112.5 kW on 10/27.", ()),  # month/day
        ("compressor-2 (26.10.-01.11.2026): peak 112.5 kW.", ()),  # a German range
        ("compressor-2 peaked at 131 kW on 27/10.", ("131 kW",)),  # the date hides no figure
        ("compressor-2 (26.10.-01.11.2026): peak 98.0 kW.", ("98.0 kW",)),
    ],
)
def test_dates_in_other_forms_are_no_numbers(answer: str, wrong: tuple[str, ...]) -> None:
    from evals.presented import quantities

    assert [q.text for q in quantities(answer) if q.dimension == "count"] == []
    assert score_case(PEAK, reply(answer), 112.504).wrong_numbers == wrong


FLAT_PRICE = case(
    category="cost",
    question="with a flat 18 ct/kWh, what did line-a cost last month?",
    expect={
        "tool": "compute_kpi",
        "truth": {"fn": "tariff_cost", "meter": "line-a", "period": "2026-10-01", "price": 0.18},
    },
)


@pytest.mark.parametrize(
    ("question", "answer", "wrong"),
    [
        ("at 18 ct/kWh", "At €0.18/kWh line-a cost 1,234.00 EUR.", ()),
        ("at 0.18 €/kWh", "At 18 ct per kWh line-a cost 1,234.00 EUR.", ()),
        ("at 18 cents per kWh", "At EUR 0.18 per kWh line-a cost €1,234.", ()),
        ("at 0.18 €/kWh", "At 18 ct line-a cost 1,234.00 EUR.", ()),
        # a price is no cost: a wrong cost beside a rightly echoed price is still wrong
        ("at 18 ct/kWh", "At €0.18/kWh line-a cost 1,500.00 EUR.", ("1,500.00 EUR",)),
        # a cost per month stays money; money the user never stated is no echo
        ("at 18 ct/kWh", "line-a cost EUR 1,500 per month.", ("EUR 1,500 per month",)),
        ("at 0.18 €/kWh", "line-a cost 1,234.00 EUR, 0.25 EUR a day more.", ("0.25 EUR",)),
    ],
)
def test_a_stated_price_is_echoed_in_any_form(
    question: str, answer: str, wrong: tuple[str, ...]
) -> None:
    asked = FLAT_PRICE.model_copy(update={"question": f"with a flat {question}, line-a's cost?"})
    assert score_case(asked, reply(answer), 1234.0).wrong_numbers == wrong


def test_a_stated_threshold_is_echoed_with_its_unit() -> None:
    above = case(
        category="peak",
        question="what was compressor-2's peak last week, and was it above 40?",
        expect=PEAK.expect,
    )
    echoed = "compressor-2 peaked at 112.5 kW, above your 40.0 kW."
    assert score_case(above, reply(echoed), 112.504).wrong_numbers == ()
    missed = "compressor-2 peaked at 112.5 kW, above your 45.0 kW."
    assert score_case(above, reply(missed), 112.504).wrong_numbers == ("45.0 kW",)


# ------------------------------------------------------------------ directions of signed truths

CHANGE = case(
    category="compare",
    question="main-incomer October against September: up or down?",
    expect={
        "tool": "compare_periods",
        "truth": {
            "fn": "pct_change",
            "meter": "main-incomer",
            "period": "2026-10-01..2026-10-31",
            "reference": "2026-09-01..2026-09-30",
        },
    },
)
FALL = -13.78  # October against September, in %


@pytest.mark.parametrize(
    "answer",
    [
        "October used 13.8% less than September.",
        "A drop of 13.8% on September.",
        "Change: -13.8 %.",
        "Change: \u221213.8%.",
        "Consumption fell by 13.8 % from September.",
        "Down 13.8% month on month.",
        "October was 13.8% lower than September.",
        "October used 119,845 kWh and September 139,012 kWh: a decrease of 13.8%.",
        "Consumption decreased from 139,012 kWh to 119,845 kWh, which is 13.8%.",
        "We saved 13.8 % on September.",
    ],
)
def test_a_change_stated_with_its_direction_passes(answer: str) -> None:
    score = score_case(CHANGE, reply(answer), FALL)
    assert score.answer_ok is True, score.notes
    assert score.wrong_numbers == ()


@pytest.mark.parametrize(
    "answer",
    [
        "October used 13.8% more than September.",
        "Up 13.8% on September.",
        "Consumption rose by 13.8 %.",
        "+13.8 % against September.",
        "October used 119,845 kWh and September 139,012 kWh: an increase of 13.8%.",
    ],
)
def test_the_right_size_in_the_wrong_direction_is_a_wrong_number(answer: str) -> None:
    score = score_case(CHANGE, reply(answer), FALL)
    assert score.answer_ok is False and not score.passed
    assert "with its direction" in " ".join(score.notes)
    assert len(score.wrong_numbers) == 1 and "13.8" in score.wrong_numbers[0]
    # the same words pass a rise of that size
    assert score_case(CHANGE, reply(answer), -FALL).answer_ok is True


def test_a_change_without_a_direction_does_not_state_the_truth() -> None:
    score = score_case(CHANGE, reply("The change is 13.8% (119,845 kWh vs 139,012 kWh)."), FALL)
    assert score.answer_ok is False
    assert score.wrong_numbers == ()  # not said the wrong way: not a wrong number


def test_a_change_of_the_other_reading_keeps_its_own_direction() -> None:
    # the other direction of a nearby figure does not excuse the right size said the wrong way
    refs = [119845.0, 139012.0, -19167.0, FALL]
    wrong = score_case(CHANGE, reply("Up 13.8% (119,845 kWh vs 139,012 kWh)."), FALL, refs=refs)
    assert wrong.wrong_numbers == ("13.8%",)
    right = score_case(CHANGE, reply("Down 13.8% (-19,167 kWh)."), FALL, refs=refs)
    assert right.answer_ok is True and right.wrong_numbers == ()


LINES_DIFFERENCE = case(
    category="compare",
    question="how much more did line A use than line B last week?",
    expect={
        "tool": "compare_meters",
        "truth": {
            "fn": "meters_difference",
            "meter": ["line-a", "line-b"],
            "period": "2026-10-26..2026-11-01",
        },
    },
)


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("line-a used 2,989 kWh more than line-b.", True),
        ("Line B used 2,989 kWh less than Line A.", True),  # the comparison turned round
        ("Line B used 2,989 kWh less.", True),
        ("On line-b, 2,989 kWh less than on line-a.", True),
        ("line-a: 20,210 kWh, line-b: 17,221 kWh; line-a used 2,989 kWh more.", True),
        ("line-a used 2,989 kWh less than line-b.", False),
        ("Line B used 2,989 kWh more than Line A.", False),
    ],
)
def test_a_difference_of_two_meters_is_read_whichever_meter_comes_first(
    answer: str, ok: bool
) -> None:
    refs = [20210.1, 17221.3, 2988.8]  # evals.references: both totals and their difference
    score = score_case(LINES_DIFFERENCE, reply(answer), 2988.8, refs=refs)
    assert score.answer_ok is ok, score.notes
    assert score.wrong_numbers == (() if ok else ("2,989 kWh",))


# ------------------------------------------------------------------ the day of a peak

MOMENT = "2026-10-14 10:15"  # a peak over more than one day: its local date and time


@pytest.mark.parametrize(
    "answer",
    [
        "The peak, 812 kW, came on 2026-10-14 at 10:15.",
        "Peak 812 kW at 10:15 on 14 Oct.",
        "Peak 812 kW on Oct 14, 10:15.",
        "Peak 812 kW on 14/10 at 10:15.",
        "It peaked on Wednesday 14 October at 10:15 (812 kW).",
        "It peaked on Wednesday, 14th of October 2026, at 9 minutes past ten: 10:15.",
        "| peak | 812 kW | 2026-10-14T10:15:00+02:00 |",
        "Am 14.10. um 10:15 Uhr: 812 kW.",
        "Peak at 10:15 am on October 14th.",
    ],
)
def test_a_peak_over_days_is_stated_with_its_day(answer: str) -> None:
    assert truth_in_answer(answer, MOMENT, 0.01)


@pytest.mark.parametrize(
    "answer",
    [
        "Peak 812 kW at 10:15.",  # no day
        "Peak 812 kW at 10:15 on 15 Oct.",  # the right time on another day
        "Peak 812 kW on 2026-10-15 at 10:15.",
        "Peak 812 kW on 14 Oct at 10:30.",  # the right day at another time
        "Peak 812 kW: 14.10 kW above the average at 10:15.",  # a decimal is no date
        "The week began on 14 October with the usual start-up. Line A and line B ran all day "
        "and the compressors followed; the highest quarter-hour came at 10:15.",  # too far apart
    ],
)
def test_a_peak_time_on_another_or_no_day_fails(answer: str) -> None:
    assert not truth_in_answer(answer, MOMENT, 0.01)


def test_a_peak_over_days_fails_the_case_without_its_day() -> None:
    timed = case(
        category="peak",
        expect={
            "tool": "compute_kpi",
            "truth": {"fn": "peak_demand", "meter": "chiller", "period": "2026-10-12..2026-10-18"},
            "also": [{"fn": "peak_time", "meter": "chiller", "period": "2026-10-12..2026-10-18"}],
        },
    )
    call = {"name": "compute_kpi", "args": {}, "result": {}}
    wrong_day = score_case(timed, reply("812 kW at 10:15 on 13 Oct.", call), 812.0, also=[MOMENT])
    assert wrong_day.answer_ok is False and not wrong_day.passed
    assert "2026-10-14 10:15" in " ".join(wrong_day.notes)
    right = score_case(timed, reply("812 kW at 10:15 on 14 Oct.", call), 812.0, also=[MOMENT])
    assert right.passed, right.notes


def test_a_percent_between_two_meters_is_not_turned_round() -> None:
    lines_pct = case(
        category="compare",
        question="how much more did line A use than line B last week, in percent?",
        expect={
            "tool": "compare_meters",
            "truth": {
                "fn": "meters_pct",
                "meter": ["line-a", "line-b"],
                "period": "2026-10-26..2026-11-01",
            },
        },
    )
    truth = 17.36  # line-a against line-b, in %; line-b against line-a is -14.8 %
    assert score_case(lines_pct, reply("line-a used 17.4% more than line-b."), truth).answer_ok
    turned = score_case(lines_pct, reply("line-b used 17.4% less than line-a."), truth)
    assert turned.answer_ok is False and turned.wrong_numbers == ("17.4%",)


def months_case(fns: tuple[str, str, str]) -> Case:
    periods = ("2026-07-01..2026-07-31", "2026-08-01..2026-08-31", "2026-09-01..2026-09-30")
    specs = [
        {"fn": fn, "meter": "main-incomer", "period": period}
        for fn, period in zip(fns, periods, strict=True)
    ]
    return case(
        category="series",
        question="monthly kWh of the main incomer for Q3, one line per month",
        expect={"tool": "query_metric", "truth": specs[0], "also": specs[1:]},
    )


THREE_MONTHS = months_case(("energy", "energy", "energy"))
MONTHS = [281_402.7, 296_113.2, 270_891.4]  # July, August, September
LISTED = "July 281,403 kWh, August 296,113 kWh, September 270,891 kWh"


@pytest.mark.parametrize(
    ("total", "wrong"),
    [
        (sum(MONTHS), False),  # the quarter the three months make up
        (sum(MONTHS) * 1.05, True),  # a total off by 5 %
        (sum(MONTHS) - MONTHS[1] / 2, True),  # half of August left out
        (2 * sum(MONTHS), True),  # the quarter counted twice
    ],
)
def test_the_sum_of_all_of_a_cases_amounts_is_no_wrong_number(total: float, wrong: bool) -> None:
    answer = f"Q3 total {total:,.0f} kWh: {LISTED}."
    found = score_case(THREE_MONTHS, reply(answer), MONTHS[0], also=MONTHS[1:]).wrong_numbers
    assert found == ((f"{total:,.0f} kWh",) if wrong else ())


def test_a_sum_of_all_truths_needs_one_additive_function() -> None:
    """Three peaks, or amounts of different functions, add up to nothing the case asks."""
    kw = [812.4, 836.6, 790.1]
    peaks = months_case(("peak_demand", "peak_demand", "peak_demand"))
    answer = f"Peaks {kw[0]} kW, {kw[1]} kW and {kw[2]} kW; {sum(kw):.1f} kW in all."
    assert score_case(peaks, reply(answer), kw[0], also=kw[1:]).wrong_numbers == (
        f"{sum(kw):.1f} kW",
    )
    values = [MONTHS[0], MONTHS[1], 10_512.3]
    mixed = months_case(("energy", "energy", "max_day"))
    answer = f"In all {sum(values):,.0f} kWh: 281,403 kWh and 296,113 kWh, top day 10,512 kWh."
    assert score_case(mixed, reply(answer), values[0], also=values[1:]).wrong_numbers == (
        f"{sum(values):,.0f} kWh",
    )


# ------------------------------------------------------------------ sums over a meter tree

SUBS = {"press": 1.0, "oven": 2.0, "dryer": 0.5}  # kWh a quarter-hour, over one day
LOSSES = 0.1  # the incomer's kWh a quarter beyond its sub-meters


@pytest.fixture
def tree_store(sqlite_engine: Engine) -> Engine:
    """An incomer over three sub-meters, each read a quarter-hour at a steady kWh for a day."""
    ts = int(datetime(2026, 11, 4, tzinfo=TZ).timestamp()) + 900 * np.arange(96, dtype=np.int64)
    kwh = {**SUBS, "incomer": sum(SUBS.values()) + LOSSES}
    with sqlite_engine.begin() as conn:
        site = catalog.ensure_site(conn, "tree-plant", "Europe/Berlin")
        catalog.ensure_meter(conn, site.id, "incomer", kind="electricity")
        for meter in SUBS:
            catalog.ensure_meter(conn, site.id, meter, kind="electricity", parent="incomer")
        for meter, value in kwh.items():
            series = catalog.ensure_series(conn, site.id, meter, "energy", "kWh", interval_s=900)
            write_readings(conn, series.id, ts, np.full(96, value), "Europe/Berlin")
    return sqlite_engine


def listing(case_id: str, meters: list[str]) -> dict[str, Any]:
    specs = [
        {"fn": "energy", "site": "tree-plant", "meter": m, "period": "2026-11-04"} for m in meters
    ]
    return {
        "id": case_id,
        "category": "energy",
        "question": f"kWh of {', '.join(meters)} yesterday, one by one",
        "expect": {"tool": "query_metric", "truth": specs[0], "also": specs[1:]},
    }


def test_a_sum_of_a_meter_and_its_sub_meters_is_a_wrong_number(tree_store: Engine) -> None:
    """The total of truths is a figure of the case only when no meter in it lies under another:
    the sub-meters add up, an incomer and its sub-meters count the sub-meters twice."""
    day = {m: 96 * v for m, v in SUBS.items()}
    day["incomer"] = 96 * (sum(SUBS.values()) + LOSSES)
    subs, everything = sum(day[m] for m in SUBS), sum(day.values())
    listed = ", ".join(f"{m} {day[m]:,.1f} kWh" for m in SUBS)
    answers = {
        "subs": f"{listed}; the sub-meters {subs:,.1f} kWh in all.",
        "all": f"incomer {day['incomer']:,.1f} kWh, {listed}; {everything:,.1f} kWh in all.",
        "pair": f"incomer {day['incomer']:,.1f} kWh, press {day['press']:,.1f} kWh: "
        f"{day['incomer'] - day['press']:,.1f} kWh besides the press, "
        f"{day['incomer'] + day['press']:,.1f} kWh together.",
    }
    dataset = Dataset.model_validate(
        {
            "name": "tree",
            "now": "2026-11-05T00:00:00+01:00",
            "cases": [
                listing("subs", list(SUBS)),
                listing("all", ["incomer", *SUBS]),
                listing("pair", ["incomer", "press"]),
            ],
        }
    )
    questions = {c.question: c.id for c in dataset.cases}

    def ask(question: str, **_: Any) -> dict[str, Any]:
        return reply(answers[questions[question]], query_call([], LAST_WEEK))

    scores = {s.case_id: s for s in run_set(dataset, ask, tree_store)}
    assert scores["subs"].wrong_numbers == ()
    assert scores["all"].wrong_numbers == (f"{everything:,.1f} kWh",)
    assert scores["pair"].wrong_numbers == (f"{day['incomer'] + day['press']:,.1f} kWh",)


MONTHS_DIFFERENCE = case(
    category="compare",
    question="chiller - was September or August the heavier month?",
    expect={
        "tool": "compare_periods",
        "truth": {
            "fn": "difference",
            "meter": "chiller",
            "period": "2026-09-01..2026-09-30",
            "reference": "2026-08-01..2026-08-31",
        },
    },
)


@pytest.mark.parametrize(
    ("answer", "right"),
    [
        ("chiller used 7,914 kWh more in August 2026 than in September 2026.", True),
        ("chiller used 7,914 kWh less in September 2026 than in August 2026.", True),
        ("chiller used 7,914 kWh less in August 2026 than in September 2026.", False),
        ("chiller used 7,914 kWh more in September 2026 than in August 2026.", False),
    ],
)
def test_a_difference_of_two_months_said_either_way_round(answer: str, right: bool) -> None:
    """September's minus August's kWh is negative: 'more in August than in September' says
    it; 'more in September than in August' says it the wrong way."""
    score = score_case(MONTHS_DIFFERENCE, reply(answer), -7914.0)
    assert score.answer_ok is right, score.notes
    assert (score.wrong_numbers == ()) is right
