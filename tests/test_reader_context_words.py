"""Words that say why a question is asked do not choose what is asked: "for our report" (a
report asked for is still the report intent), a statement after the question ("we had that
leak"), and a misspelt word corrected while an ordinary near word is not."""

from __future__ import annotations

import pytest

from agent.reader import Intent, build_vocabulary, read
from tests.reader_plants import NOW

EMPTY = build_vocabulary("empty", [])


@pytest.mark.parametrize(
    "question",
    [
        "for our report in Brazil I need the cost in August in reais",
        "energy in September, it is for the monthly report to the board",
        "for my report: total kWh last month",
    ],
)
def test_a_report_the_figures_are_for_is_not_a_report_asked_for(question: str) -> None:
    r = read(question, EMPTY, NOW)
    assert r.intent is Intent.DATA, (r.intent, question)


@pytest.mark.parametrize(
    "question", ["the monthly report for October", "make the energy report of September"]
)
def test_a_report_asked_for_is_the_report_intent(question: str) -> None:
    assert read(question, EMPTY, NOW).intent is Intent.REPORT


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("weekend share in september? we had that leak", Intent.DATA),
        ("energy last week? there was an outage on Tuesday", Intent.DATA),
        # the same words asked as the question still choose it
        ("did we have a leak in september?", Intent.ANOMALY),
    ],
)
def test_a_statement_after_the_question_does_not_choose_the_intent(
    question: str, intent: Intent
) -> None:
    assert read(question, EMPTY, NOW).intent is intent


def test_a_misspelt_kpi_word_is_corrected_and_an_ordinary_near_word_is_not() -> None:
    r = read("laod factor in September", EMPTY, NOW)
    assert r.kpi is not None and r.kpi.value == "load_factor", r
    assert ("laod", "load") in r.corrections
    kept = read("ask the maintenance lead about energy in September", EMPTY, NOW)
    assert not any(written == "lead" for written, _ in kept.corrections)
