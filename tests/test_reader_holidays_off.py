"""A stated window's price that does not hold on public holidays, said with the quote or as a
correction of a quote stated earlier ("the 17-20h price doesn't apply on public holidays (3
Oct was one). redo it"), on a plant unlike the demo; and values carried from an earlier turn
are said to be stated earlier in this conversation."""

from __future__ import annotations

from datetime import time

from agent.offline.model import STATED_BEFORE, _stated_earlier
from agent.reader import read
from tests.reader_plants import NOW, PLANTS, thread
from tools.kpi import KpiResult, Parameter

QUOTE = "What would Linie 2 cost in October at 0.15 €/kWh, and 0.30 €/kWh 17:00-20:00 weekdays?"


def test_a_correction_takes_public_holidays_off_the_window_stated_before() -> None:
    r = thread(PLANTS["werk"], QUOTE,
               "correction: the 17-20h price doesn't apply on public holidays (3 Oct was one). "
               "redo it")  # fmt: skip
    assert [(w.start, w.end, w.price, w.except_holidays) for w in r.tou_windows] == [
        (time(17), time(20), 0.30, True)
    ], r.tou_windows
    assert [p.span.period for p in r.periods if p.span] == ["2026-10"], r.periods
    assert not r.hour_windows, r.hour_windows
    assert not [u.text for u in r.unused if any(c.isdigit() for c in u.text)], r.unused
    assert not {u.text for u in r.unused} & {"correction", "redo", "apply", "public holidays"}


def test_holidays_off_said_with_the_quote_marks_its_window() -> None:
    r = read(QUOTE[:-1] + ", except public holidays?", PLANTS["werk"], NOW)
    assert [w.except_holidays for w in r.tou_windows] == [True], r.tou_windows


def test_holidays_off_of_hours_no_window_has_is_not_used() -> None:
    r = thread(PLANTS["werk"], QUOTE, "the 8-12h price doesn't apply on public holidays, redo it")
    assert not any(w.except_holidays for w in r.tou_windows), r.tou_windows
    assert any("8-12h" in u.text for u in r.unused), r.unused


def test_a_value_carried_from_an_earlier_turn_says_so() -> None:
    r = thread(PLANTS["werk"], "peak demand of Linie 2 in October with a 60-minute window",
               "and the load factor?")  # fmt: skip
    assert "demand_windows" in r.inherited
    result = KpiResult(kpi="load_factor", meter="Linie 2", period={}, value=0.5, unit="",
                       method="", details={}, points=[], source="",
                       parameters=[Parameter(name="demand window", value="60 minutes",
                                             source="stated in the question")])  # fmt: skip
    assert [p.source for p in _stated_earlier(result, r).parameters] == [STATED_BEFORE]
