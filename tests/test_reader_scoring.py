"""Scoring of the question sets' further truths, alternative mentions and things left out, and the
reader sets themselves: they load, and their truths compute on the demo plant."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine

from evals.dataset import Case, Dataset, Expect, InvalidDataset, load_dataset, parse_period
from evals.scorer import answer_correct, run_set, said_unused, score_case
from evals.truth import FUNCTIONS, evaluate
from store import catalog
from store.writes import write_readings

READER_SETS = (
    "reader_demo",
    "reader_demo_b",
    "reader_demo_c",
    "reader_demo_d",
    "reader_demo_e",
    "reader_demo_f",
    "reader_demo_g",
    "reader_demo_h",
    "reader_demo_i",
    "reader_demo_j",
    "reader_demo_k",
    "reader_demo_l",
    "reader_demo_m",
    "reader_demo_n",
    "reader_demo_heldout",
)
DEMO_FIRST_DAY = date(2026, 8, 27)  # the shared demo fixture holds the 70 days before 2026-11-05


def _expect(**fields: Any) -> Expect:
    return Expect.model_validate(fields)


# ------------------------------------------------------------------ the schema


def test_new_fields_default_to_nothing() -> None:
    expect = _expect(tool="query_metric")
    assert (expect.also, expect.mentions_any, expect.unused) == ([], [], [])


def test_further_truths_need_an_answer() -> None:
    with pytest.raises(ValueError, match="outcome 'answer'"):
        _expect(outcome="refuse", also=[{"fn": "energy", "meter": "x", "period": "2026-01-01"}])


def test_unused_alternatives_may_not_be_empty() -> None:
    with pytest.raises(ValueError, match="empty alternative"):
        _expect(outcome="refuse", unused=["power factor||cos phi"])


def test_bad_truth_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="window_minutes"):
        _expect(truth={"fn": "window_peak", "meter": "x", "window_minutes": 20})
    with pytest.raises(ValueError, match="factor"):
        _expect(truth={"fn": "carbon", "meter": "x", "factor": -0.4})


# ------------------------------------------------------------------ scoring


@pytest.mark.parametrize(
    ("text", "item", "said"),
    [
        ("Energy was 1,234 kWh. I have no power factor data for this meter.", "power factor", True),
        ("Power factor is not metered here; energy was 1,234 kWh.", "cos phi|power factor", True),
        ("The meters can't measure reactive power.", "power factor|reactive", True),
        ("Der Leistungsfaktor wird nicht erfasst (power factor).", "power factor", True),
        ("Energy was 1,234 kWh and the power factor was 0.93.", "power factor", False),
        ("There is no data for October 2025. Power factor: 0.9.", "power factor", False),
        ("Energy was 1,234 kWh.", "power factor", False),
    ],
)
def test_said_unused(text: str, item: str, said: bool) -> None:
    assert said_unused(text, item) is said


def test_answer_checks_every_further_truth() -> None:
    expect = _expect(
        tool="compute_kpi",
        truth={"fn": "peak_demand", "meter": "x", "period": "2026-01-01"},
        also=[{"fn": "peak_time", "meter": "x", "period": "2026-01-01"}],
    )
    assert answer_correct(expect, "Peak 803.6 kW at 10:45.", 803.56, ["10:45"]) == (True, [])
    ok, notes = answer_correct(expect, "Peak 803.6 kW.", 803.56, ["10:45"])
    assert ok is False and notes == ["answer does not state the truth '10:45'"]


def test_mentions_any_needs_one_alternative() -> None:
    expect = _expect(tool="compute_kpi", mentions_any=["0.21", "21 ct"])
    assert answer_correct(expect, "At 21 ct/kWh that is 8,431 EUR.", None) == (True, [])
    ok, notes = answer_correct(expect, "That is 8,431 EUR.", None)
    assert ok is False and "0.21, 21 ct" in notes[0]


def test_unused_items_are_each_checked() -> None:
    expect = _expect(outcome="refuse", unused=["power factor", "water"])
    answer = "I cannot give a power factor: only active energy is metered."
    ok, notes = answer_correct(expect, answer, None)
    assert ok is False and notes == ["answer does not say it left out water"]


def test_answer_without_checks_is_not_scored() -> None:
    assert answer_correct(_expect(tool="list_incidents"), "Three incidents.", None) == (None, [])


def _case(**expect: Any) -> Case:
    return Case.model_validate(
        {"id": "c", "category": "peak", "question": "peak?", "expect": expect}
    )


def test_score_case_keeps_old_behaviour_and_the_further_truths() -> None:
    case = _case(tool="compute_kpi", truth={"fn": "peak_demand", "meter": "x", "period": "2026-01"})
    reply = {"answer": "Peak 42 kW.", "outcome": "answer", "tool_calls": [{"name": "compute_kpi"}]}
    plain = score_case(case, reply, 42.0)
    assert plain.passed and plain.also == ()
    timed = _case(
        tool="compute_kpi",
        truth={"fn": "peak_demand", "meter": "x", "period": "2026-01"},
        also=[{"fn": "peak_time", "meter": "x", "period": "2026-01"}],
    )
    score = score_case(timed, reply, 42.0, also=["09:15"])
    assert not score.passed and score.answer_ok is False and score.also == ("09:15",)
    assert score_case(timed, {**reply, "answer": "42 kW at 9:15"}, 42.0, also=["09:15"]).passed


@pytest.fixture
def one_meter(engine: Engine) -> Engine:
    """Site 's' with meter m: 1 kWh a quarter on 2026-03-02, 3 kWh at 09:00 (12 kW)."""
    start = datetime(2026, 3, 2, tzinfo=ZoneInfo("Europe/Berlin"))
    quarters = [start + timedelta(minutes=15 * i) for i in range(96)]
    values = [3.0 if (q.hour, q.minute) == (9, 0) else 1.0 for q in quarters]
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "s", "Europe/Berlin")
        series = catalog.ensure_series(conn, site.id, "m", "energy", "kWh", interval_s=900)
        ts = np.array([int(q.timestamp()) for q in quarters], dtype=np.int64)
        write_readings(conn, series.id, ts, np.array(values), "Europe/Berlin")
    return engine


def test_run_set_computes_further_truths(one_meter: Engine) -> None:
    spec = {"site": "s", "meter": "m", "period": "2026-03-02"}
    dataset = Dataset.model_validate(
        {
            "name": "t",
            "now": "2026-03-03T00:00:00+01:00",
            "site": "s",
            "cases": [
                {
                    "id": "peak",
                    "category": "peak",
                    "question": "peak of m on 2 March and when?",
                    "expect": {
                        "tool": "compute_kpi",
                        "truth": {"fn": "peak_demand", **spec},
                        "also": [{"fn": "peak_time", **spec}],
                    },
                }
            ],
        }
    )
    asked: list[str] = []

    def ask(question: str, **_: Any) -> dict[str, Any]:
        asked.append(question)
        calls = [{"name": "compute_kpi", "args": {}, "result": {}}]
        return {"answer": "m peaked at 12 kW at 09:00.", "outcome": "answer", "tool_calls": calls}

    [score] = run_set(dataset, ask, one_meter)
    assert asked == ["peak of m on 2 March and when?"]
    assert score.truth == pytest.approx(12.0) and score.also == ("09:00",)
    assert score.passed, score.notes


# ------------------------------------------------------------------ the reader sets


@pytest.mark.parametrize("name", READER_SETS)
def test_reader_sets_load(name: str) -> None:
    from tools.registry import all_tools

    dataset = load_dataset(name)
    assert dataset.name == name
    known = {*all_tools(), "none", "search_knowledge"}
    threads: dict[str, int] = {}
    for case in dataset.cases:
        assert set(case.expect.tools) <= known, f"{case.id}: unknown tool in {case.expect.tools}"
        for spec in [s for s in [case.expect.truth, *case.expect.also] if s is not None]:
            assert spec.fn in FUNCTIONS, f"{case.id}: unknown truth {spec.fn}"
        if case.thread:
            threads[case.thread] = threads.get(case.thread, 0) + 1
    assert threads and all(2 <= n <= 6 for n in threads.values()), threads


def test_reader_sets_do_not_repeat_questions() -> None:
    sets = [load_dataset(n) for n in READER_SETS]
    for i, first in enumerate(sets):
        for second in sets[i + 1 :]:
            assert not {c.id for c in first.cases} & {c.id for c in second.cases}
            assert not first.standalone_questions() & second.standalone_questions()


def _inside_fixture(spec: Any) -> bool:
    for text in (spec.period, spec.reference):
        if text is not None and parse_period(text, "Europe/Berlin")[0].date() < DEMO_FIRST_DAY:
            return False
    return spec.fn != "sql"  # the sets' SQL truths name epoch bounds outside the fixture


def test_reader_truths_compute_on_the_demo_plant(demo_engine: Engine) -> None:
    """Every truth whose periods lie in the demo fixture's 70 days computes to a plausible value
    (the whole year is checked against the eval store when the sets change)."""
    from evals.runner import add_incidents

    add_incidents(demo_engine)
    computed = 0
    for name in READER_SETS:
        for case in load_dataset(name).cases:
            for spec in [s for s in [case.expect.truth, *case.expect.also] if s is not None]:
                if not _inside_fixture(spec):
                    continue
                value = evaluate(demo_engine, spec)
                computed += 1
                if isinstance(value, float):
                    # "no reading missing" is a plausible count, and so is no use in a window
                    # of hours or as a base load (a machine off at night); no other figure of 0
                    zero_ok = spec.fn in ("missing_intervals", "base_load")
                    plausible_zero = zero_ok or spec.hours is not None
                    assert np.isfinite(value), f"{case.id}: {value}"
                    assert value != 0 or plausible_zero, f"{case.id}: {value}"
                else:
                    assert value, f"{case.id}: empty truth"
    assert computed >= 40


def test_bad_set_is_named(tmp_path: Any) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nnow: '2026-11-05T00:00:00+01:00'\ncases:\n"
        "  - {id: x, category: refusal, question: q, expect: {outcome: refuse, also: "
        "[{fn: energy}]}}\n"
    )
    with pytest.raises(InvalidDataset, match=r"bad\.yaml"):
        load_dataset(path)


def test_no_question_is_cut_by_a_yaml_comment() -> None:
    """ "where are we with incident #4?" written unquoted reads as "where are we with incident":
    a plain scalar's " #" starts a comment, so a question holding one must be quoted."""
    from pathlib import Path

    cut = re.compile(r"^\s*(?:- )?question: (?![\"'>|]).* #")
    for path in sorted(Path("evals/questions").glob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not cut.match(line), f"{path.name}:{number}: quote this question"
