"""Round H's reading rules on a plant unlike the demo: a period said to be the baseline however
short, kept by a follow-up about the same baseline; "that <month> period" is the days just
discussed; a meter named after a negation is left out when nothing asked holds it; a cost of a
quantity no series measures is that quantity's, not the meter's energy cost; a word for a
quantity is not claimed as the named meter's kind."""

from __future__ import annotations

from datetime import date

import pytest

from agent.reader import Frame, Intent, Kpi, PeriodRole, Reason, follow, read
from agent.reader.dates import bounds
from tests.reader_plants import NOW, werk

VOCAB = werk()


def _days(r, role: PeriodRole) -> list[tuple[date, date]]:  # type: ignore[no-untyped-def]
    return [bounds(p.span, NOW) for p in r.periods if p.role is role and p.span is not None]


def test_a_month_said_to_be_the_baseline_is_its_base_however_short() -> None:
    r = read(
        "Take July 2026 as the baseline for the Kältemaschine (outdoor temp as driver). How far "
        "above or below that baseline was it 01.08.-30.08., in kWh?",
        VOCAB,
        NOW,
    )
    assert r.intent is Intent.BASELINE
    assert _days(r, PeriodRole.BASE) == [(date(2026, 7, 1), date(2026, 7, 31))]
    assert _days(r, PeriodRole.SUBJECT) == [(date(2026, 8, 1), date(2026, 8, 30))]


def test_a_follow_up_about_the_same_baseline_keeps_its_base_and_that_period() -> None:
    first = read(
        "Take July 2026 as the baseline for the Kältemaschine. How far above it was it "
        "01.08.-30.08.?",
        VOCAB,
        NOW,
    )
    then = follow(
        read("what would the baseline have expected for that August period?", VOCAB, NOW),
        Frame(first),
        NOW,
        VOCAB,
    )
    assert _days(then, PeriodRole.BASE) == [(date(2026, 7, 1), date(2026, 7, 31))]
    assert _days(then, PeriodRole.SUBJECT) == [(date(2026, 8, 1), date(2026, 8, 30))]


def test_a_month_without_that_is_the_whole_month() -> None:
    first = read("Linie 3 energy 01.08.-15.08.2026?", VOCAB, NOW)
    then = follow(read("and in August?", VOCAB, NOW), Frame(first), NOW, VOCAB)
    assert _days(then, PeriodRole.SUBJECT) == [(date(2026, 8, 1), date(2026, 8, 31))]


def test_a_meter_left_out_of_nothing_asked_is_said_and_not_added() -> None:
    r = read("Linie 2 and Linie 3 together last week, no Druckluft", VOCAB, NOW)
    assert sorted(n for m in r.meters for n in m.meters) == ["Linie 2", "Linie 3"]
    assert not r.unused
    assert any("Kompressor Nord" in n and "left out" in n for n in r.notes)


@pytest.mark.parametrize(
    "text",
    [
        "Hauptzähler last week without the Kompressor Nord",
        "Hauptzähler last week, not Linie 2",
        "Linie 2 minus Linie 3 last week",
    ],
)
def test_a_meter_left_out_of_a_figure_that_holds_it_stays_for_the_planner(text: str) -> None:
    """The main meter holds its sub-meters, and "minus" asks a difference: neither is a meter
    left out of nothing, so the mention stays for the subtraction or the question back."""
    r = read(text, VOCAB, NOW)
    assert len([n for m in r.meters for n in m.meters]) == 2
    assert not any("left out" in n for n in r.notes)


@pytest.mark.parametrize(
    "text",
    [
        "power factor at the Hauptzähler yesterday - do we pay Blindstrom?",
        "what did the reactive energy cost at the Hauptzähler last month?",
    ],
)
def test_a_cost_of_a_quantity_no_series_measures_is_not_an_energy_cost(text: str) -> None:
    r = read(text, VOCAB, NOW)
    assert not [m for m in r.measures if m.kpi is Kpi.COST]
    assert r.unsupported and all(u.reason is Reason.NO_SERIES for u in r.unsupported)


def test_a_quantity_word_is_not_taken_for_the_named_meter_s_kind() -> None:
    """ "Gaskessel" holds no word "gas", but a meter named "Gas Boiler House" would: the word
    "gas" said alone asks for gas, which is read as the carrier, never dropped."""
    r = read("how much gas did the Gaskessel use last week", VOCAB, NOW)
    assert [n for m in r.meters for n in m.meters] == ["Gaskessel"]
    assert any(c.carrier == "gas" for c in r.carriers)
