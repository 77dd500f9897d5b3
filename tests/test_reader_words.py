"""Words the reader takes as people type them at sites it was not written for: Portuguese
dates and function words, a day and month without a year ("on 20/10"), a glued forecast
horizon ("next 24h") and a one-word document name ("runbooks"). Dates are worked out by hand
from a calendar (Thursday 5 November 2026)."""

from __future__ import annotations

from typing import Any

import pytest

from agent.reader import Intent, Kpi, Op, read
from agent.reader.lexicon import default_lexicon
from tests.reader_plants import NOW, PLANTS, check

WERK = PLANTS["werk"]
YESTERDAY = ("2026-11-04", "2026-11-04", "subject")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("quanto a Kompressor Nord consumiu ontem? kWh", {"periods": [YESTERDAY], "unused": []}),
        (
            "load factor da Kompressor Nord em outubro?",
            {"periods": [("2026-10-01", "2026-10-31", "subject")], "unused": []},
        ),
        (
            "Kompressor Nord energy semana passada",
            {"periods": [("2026-10-26", "2026-11-01", "subject")]},
        ),
        ("Kompressor Nord energy em março", {"periods": [("2026-03-01", "2026-03-31", "subject")]}),
        ("Kompressor Nord energy hoje", {"periods": [("2026-11-05", "2026-11-05", "subject")]}),
    ],
)
def test_portuguese_dates_and_small_words(question: str, expected: dict[str, Any]) -> None:
    check(read(question, WERK, NOW), expected)


@pytest.mark.parametrize(
    ("question", "day"),
    [
        ("Kompressor Nord max kW on 20/10 and at what time", "2026-10-20"),
        ("Kompressor Nord energy on 13/1", "2026-01-13"),
        # 24 December is later than today: the latest one is last year's
        ("Kompressor Nord energy on 24/12", "2025-12-24"),
    ],
)
def test_a_day_and_month_without_a_year(question: str, day: str) -> None:
    check(read(question, WERK, NOW), {"periods": [(day, day, "subject")]})


@pytest.mark.parametrize(
    "question", ["Kompressor Nord energy on 30/11", "Kompressor Nord am 30.11."]
)
def test_a_day_without_a_year_coming_within_a_month_is_asked(question: str) -> None:
    # 30 November, asked on 5 November: last year's or the coming one, 25 days away
    (period,) = read(question, WERK, NOW).periods
    assert period.span is None
    assert [c.period for c in period.choices] == ["2025-11-30", "2026-11-30"]


@pytest.mark.parametrize(
    "question",
    [
        # day and month both 12 or less: which is which is unknown, and it may be a fraction
        "1/2 of Kompressor Nord yesterday",
        "Kompressor Nord runs 24/7 yesterday",
    ],
)
def test_a_slash_that_may_not_be_a_date_is_no_day(question: str) -> None:
    r = read(question, WERK, NOW)
    assert [(p.span.period) for p in r.periods] == ["yesterday"]


@pytest.mark.parametrize(("text", "hours"), [("next 24h", 24), ("next 48 hrs", 48)])
def test_a_horizon_glued_to_its_unit(text: str, hours: int) -> None:
    r = read(f"will Kompressor Nord go over 120 kW in the {text}?", WERK, NOW)
    assert [h.hours for h in r.horizons] == [hours]
    assert r.intent is Intent.FORECAST
    assert not r.unknown_names


def test_a_phrase_with_an_optional_space_matches_its_glued_form() -> None:
    hits = default_lexicon().scan("what could it be, per our runbooks?")
    assert ("cue", "docs") in [(h.table, h.key) for h in hits]
    r = read(
        "Kompressor Nord using more every week - what could it be, per our runbooks?", WERK, NOW
    )
    assert r.intent is Intent.KNOWLEDGE


@pytest.mark.parametrize(
    ("question", "per_kw", "currency"),
    [
        (
            "Kompressor Nord in october at 0.18 EUR/kWh plus 12 EUR per kW of the monthly peak",
            12,
            "EUR",
        ),
        (
            "Kompressor Nord in october at 550 BRL/MWh + 42 BRL per kW of monthly peak demand",
            42,
            "BRL",
        ),
        ("Kompressor Nord cost last month, 0.2 €/kWh and 9.5 €/kW on the peak", 9.5, "EUR"),
        (
            "price October for Kompressor Nord with a quote we got: R$ 0.50/kWh and R$ 40 per "
            "kW of monthly demand",
            40,
            "BRL",
        ),
    ],
)
def test_a_demand_charge_named_by_what_it_is_levied_on(
    question: str, per_kw: float, currency: str
) -> None:
    r = read(question, WERK, NOW)
    assert [(c.per_kw, c.currency) for c in r.demand_charges] == [(per_kw, currency)]
    assert not r.unused


def test_a_tariff_period_s_hours_in_brackets_after_its_price() -> None:
    r = read(
        "If we were on R$ 0,60/kWh fora ponta and R$ 2,60/kWh na ponta (18h-21h, mon-fri), "
        "what would Kompressor Nord have cost from 26.10.2026 to 01.11.2026?",
        WERK,
        NOW,
    )
    (window,) = r.tou_windows
    assert (window.name, window.days, window.price, window.currency) == (
        "ponta",
        (0, 1, 2, 3, 4),
        2.6,
        "BRL",
    )
    assert (str(window.start), str(window.end)) == ("18:00:00", "21:00:00")
    assert [(p.per_kwh, p.name) for p in r.prices] == [(0.6, "off-peak")]
    assert [p.span.period for p in r.periods] == ["2026-10-26..2026-11-01"]
    assert not r.unused


@pytest.mark.parametrize(
    ("question", "minutes"),
    [
        ("highest hourly average kW of Kompressor Nord in September?", 60),
        (
            "The utility bills Kompressor Nord on hourly averages. What was its highest hourly "
            "demand last week (60-minute window)?",
            60,
        ),
        ("combined peak of Kompressor Nord + Kompressor Süd last week (added up, 15 min)", 15),
    ],
)
def test_the_top_of_windowed_averages_is_the_peak_demand(question: str, minutes: int) -> None:
    r = read(question, WERK, NOW)
    assert Kpi.PEAK_DEMAND in r.kpis and Kpi.AVERAGE_POWER not in r.kpis
    assert {w.minutes for w in r.demand_windows} == {minutes}
    assert not r.grains  # the window's length is no series by the hour


def test_hourly_figures_without_a_top_stay_a_series() -> None:
    r = read("hourly average kW of Kompressor Nord yesterday", WERK, NOW)
    assert [g.grain.value for g in r.grains] == ["hour"]
    assert not r.demand_windows


@pytest.mark.parametrize(
    ("words", "first", "last"),
    [
        # running periods end now (Thursday the 5th)
        ("the current month", "2026-11-01", "2026-11-05"),
        ("the current week", "2026-11-02", "2026-11-05"),
    ],
)
def test_the_current_period_is_this_period(words: str, first: str, last: str) -> None:
    check(
        read(f"Kompressor Nord energy in {words}", WERK, NOW),
        {"periods": [(first, last, "subject")]},
    )


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("the Kompressor Nord spike incident (#6) - how much CO2 did it add?", "incident"),
        ('acknowledge #6, note "tool change on line A, checked by Jonas"', "incident"),
        ("resolve #4", "incident"),
        ("delete #3", ""),  # rules are deleted, incidents are not: which it is stays open
        ("what is the threshold of alert #2?", "alert"),
        ("which rules fired on #2?", ""),
    ],
)
def test_a_bare_number_is_an_incident_when_only_incidents_fit(question: str, kind: str) -> None:
    (ref,) = read(question, WERK, NOW).references
    assert ref.kind == kind


def test_a_note_after_the_word_note_loses_its_quotes() -> None:
    r = read('acknowledge #6, note "tool change on line A, checked by Jonas"', WERK, NOW)
    note = r.free("note")
    assert note is not None and note.text == "tool change on line A, checked by Jonas"


@pytest.mark.parametrize(
    ("question", "split"),
    [
        ("Share of grid energy in the expensive tariff window (peak) last month?", ("tou", "peak")),
        ("Kompressor Nord energy in the high price period yesterday", ("tou", "peak")),
    ],
)
def test_the_expensive_tariff_window_is_the_peak_part(question: str, split: tuple) -> None:
    check(read(question, WERK, NOW), {"splits": [split]})


def test_what_no_sub_meter_sees_is_the_remainder() -> None:
    r = read(
        "How much of what Hauptzähler measured in October is not seen by any of the "
        "sub-meters? kWh and as a percentage please.",
        WERK,
        NOW,
    )
    assert "remainder" in {o.value for o in r.ops}
    assert not r.scopes


def test_what_named_sub_meters_do_not_see_is_the_remainder() -> None:
    """ "how much of X isn't seen by A or B, in %?": the remainder of X without A and B, not
    the share A and B have of it."""
    r = read(
        "how much of Hauptzähler last week isn't seen by Kompressor Nord or Linie 2, in %?",
        WERK,
        NOW,
    )
    assert Op.REMAINDER in r.ops, sorted(r.ops)
    assert set(r.meter_names) == {"Hauptzähler", "Kompressor Nord", "Linie 2"}
    assert not r.unused
