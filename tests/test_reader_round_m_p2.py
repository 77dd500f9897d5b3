"""Round M rules of the reader on a plant sharing no name with the demo: "from 1 to 27
September" is a range, not a period compared with; "27 de setembro" is a day; "the Monday
after it, the 14th" is one day; a "1-hour average demand" is a 60-minute window; "0,19 USD
por real" is an exchange rate."""

from __future__ import annotations

from agent.reader import PeriodRole, read
from tests.reader_plants import CHECKS, NOW, PLANTS, check, thread

WERK = PLANTS["werk"]


def test_a_range_opened_by_from_is_the_period_asked_not_one_compared_with() -> None:
    r = read(
        "Back-test: alert when Linie 3 is above 55 kW for more than 30 minutes. How many "
        "alerts would it have raised from 1 to 27 September?",
        WERK,
        NOW,
    )
    check(r, {"periods": [("2026-09-01", "2026-09-27", "subject")]})
    # "from" before a period of its own still names what is compared with
    changed = read("how much more did Linie 3 use in October than from 1 to 10 August", WERK, NOW)
    assert [p.role for p in changed.periods] == [PeriodRole.SUBJECT, PeriodRole.REFERENCE]


def test_a_day_and_its_month_joined_by_de_are_a_date() -> None:
    check(read("Custo da Linie 3 em 27 de setembro", WERK, NOW),
          {"periods": [("2026-09-27", "2026-09-27", "subject")], "unused": []})  # fmt: skip
    check(read("Custo da Linie 3 de 1 a 27 de setembro", WERK, NOW),
          {"periods": [("2026-09-01", "2026-09-27", "subject")], "unused": []})  # fmt: skip
    check(read("Linie 3 energy on the 5th of October", WERK, NOW),
          {"periods": [("2026-10-05", "2026-10-05", "subject")]})  # fmt: skip


def test_a_date_set_off_after_a_weekday_says_which_one_it_is() -> None:
    # NOW is Thursday 5 November 2026: "the 2nd" is this month's, a Monday
    r = read(
        "What did Linie 3 draw on 26 October, and what on the normal Monday after it, the 2nd?",
        WERK,
        NOW,
    )
    check(r, {"periods": [("2026-10-26", "2026-10-26", "subject"),
                          ("2026-11-02", "2026-11-02", "subject")]})  # fmt: skip
    assert "Monday" in r.periods[1].words.text
    # a date that is not that weekday is not folded into it: the latest Monday stays apart
    apart = read("Linie 3 on 26 October and the Monday after it, the 3rd?", WERK, NOW)
    assert len(apart.periods) == 3, apart.periods


def test_an_hour_long_average_demand_is_a_60_minute_window() -> None:
    r = read(
        "Highest 1-hour average demand of Linie 3 in Q2 (60-minute windows, not 15)?", WERK, NOW
    )
    assert {w.minutes for w in r.demand_windows} == {60}
    check(r, {"unused": []})
    two = read("Highest 2 hour average demand of Linie 3 in Q2?", WERK, NOW)
    assert [w.minutes for w in two.demand_windows] == [120]


def test_a_rate_written_with_por_is_an_exchange_rate() -> None:
    r = read("Custo da Linie 3 em setembro, em dólar a 0,19 USD por real?", WERK, NOW)
    assert [(x.rate, x.currency, x.per) for x in r.exchange_rates] == [(0.19, "USD", "BRL")]


def test_try_a_number_after_a_back_test_is_that_rule_at_the_new_level() -> None:
    r = thread(
        WERK,
        "Back-test: Linie 3 above 100 kW for more than 15 minutes, over August. How many alerts?",
        "too noisy. try 120 kW, same duration",
    )
    assert r.follows
    assert [t.value for t in r.thresholds] == [120]
    check(r, {"meters": ["Linie 3"], "periods": [("2026-08-01", "2026-08-31", "subject")]})


def test_a_kind_word_before_data_is_every_meter_of_the_kind() -> None:
    r = read("any gaps in the kompressor data last week?", WERK, NOW)
    check(r, {"ambiguous": []})
    assert [m.meters for m in r.meters] == [("Kompressor Nord", "Kompressor Süd")]
    # the kind's word alone still asks which one
    one = read("how much did the kompressor use last week?", WERK, NOW)
    check(one, {"ambiguous": [["Kompressor Nord", "Kompressor Süd"]]})


def test_same_days_written_apart_cut_each_month_asked_to_them() -> None:
    r = read("did Linie 3 use more in October than in September? same days 1-27, in %", WERK, NOW)
    check(r, {"periods": [("2026-10-01", "2026-10-27", "subject"),
                          ("2026-09-01", "2026-09-27", "reference")], "unused": []})  # fmt: skip
    # a period that is not a whole month is left as it is, the days unread
    week = read("Linie 3 last week vs the week before, days 1-3", WERK, NOW)
    assert "1-3" in [u.text for u in week.unused] or any("1" in u.text for u in week.unused)


def test_months_over_a_stretch_are_one_range_even_in_a_comparison() -> None:
    r = read(
        "Fit a baseline on outdoor temperature for Linie 3 over March to August 2026 and tell "
        "me how 1-27 September compares: actual, expected, deviation and its uncertainty.",
        WERK,
        NOW,
    )
    check(r, {"periods": [("2026-03-01", "2026-08-31", "base"),
                          ("2026-09-01", "2026-09-27", "subject")]})  # fmt: skip
    # "from March to August" in a question of change is still two months
    change = read("how did Linie 3 change from March to August?", WERK, NOW)
    assert len(change.periods) == 2


def test_the_day_a_change_was_made_is_context_beside_the_periods_asked() -> None:
    r = read(
        "We changed the Linie 3 schedule on 1 May. Did it make any difference? Use a baseline "
        "on outdoor temperature from Nov 2025 to April 2026 and report May to August.",
        WERK,
        NOW,
    )
    check(r, {"periods": [("2025-11-01", "2026-04-30", "base"),
                          ("2026-05-01", "2026-08-31", "subject")]})  # fmt: skip
    # the day alone, with nothing else asked, is the period asked
    alone = read("We changed the Linie 3 schedule on 1 May. What did it use that day?", WERK, NOW)
    assert [p.span.period for p in alone.periods if p.span] == ["2026-05-01"]


def test_a_part_of_the_week_said_of_a_weekend_restates_it() -> None:
    # NOW is Thursday 5 November 2026: last weekend is 31 October and 1 November
    r = read("How much did Linie 3 use this past weekend (Sat+Sun)?", WERK, NOW)
    check(r, {"periods": [("2026-10-31", "2026-11-01", "subject")], "splits": [], "unused": []})
    # said of a whole week it is the part of it asked
    week = read("How much did Linie 3 use last week on Sat+Sun?", WERK, NOW)
    check(week, {"splits": [("weekday_weekend", "weekend")]})


def test_the_same_week_in_a_year_written_is_that_week_of_that_year() -> None:
    r = read("Compare last week's Linie 3 with the same week in 2025.", WERK, NOW)
    check(r, {"periods": [("2026-10-26", "2026-11-01", "subject"),
                          ("2025-10-26", "2025-11-01", "reference")], "unused": []})  # fmt: skip
    # a year alone is the whole year
    year = read("Compare last week's Linie 3 with 2025.", WERK, NOW)
    assert ("2025-01-01", "2025-12-31") in [(a, b) for a, b, _ in CHECKS["periods"](year)]
