"""Wordings that once made the reader state a number for something the question did not say:
an ordinal that numbers a thing ("the 3rd shift"), a day and month that is a pattern ("24/5"),
"not the energy" before another noun, and "how many kWh did it produce". Dates are worked out
by hand from a calendar (Thursday 5 November 2026) on the demo plant's catalogue."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agent.reader import MeterEntry, Vocabulary, build_vocabulary, read
from agent.reader.lexicon import default_lexicon
from tests.reader_plants import NOW, PLANTS, check

DEMO = PLANTS["demo"]
LAST_WEEK = ("2026-10-26", "2026-11-01", "subject")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("question", "ordinal"),
    [
        ("line B energy on the 3rd shift last week", "3rd"),
        ("lights on the 2nd floor last week", "2nd"),
    ],
)
def test_an_ordinal_before_a_noun_is_no_day(question: str, ordinal: str) -> None:
    r = read(question, DEMO, NOW)
    check(r, {"periods": [LAST_WEEK]})
    assert ordinal in " ".join(u.text for u in r.unused)  # said, not taken


@pytest.mark.parametrize(
    ("question", "day"),
    [
        ("line A on the 3rd of last month", "2026-10-03"),
        ("line A energy on the 31st of last month", "2026-10-31"),
        ("line A energy on the 3rd of this month", "2026-11-03"),
        ("line A energy on the 3rd", "2026-11-03"),  # the latest 3rd, as before
    ],
)
def test_the_nth_of_a_month_named_by_a_word_is_that_months_day(question: str, day: str) -> None:
    check(read(question, DEMO, NOW), {"periods": [(day, day, "subject")], "unused": []})


@pytest.mark.parametrize(
    ("question", "clock", "said"),
    [
        (
            "line A energy on the 31st of last month",
            datetime(2026, 10, 15, 10, tzinfo=BERLIN),
            "31 September",
        ),
        ("line A energy on the 31st", datetime(2026, 12, 5, 10, tzinfo=BERLIN), "31 November"),
    ],
)
def test_a_day_the_month_does_not_have_is_said_and_no_period_is_read(
    question: str, clock: datetime, said: str
) -> None:
    r = read(question, DEMO, clock)
    assert not r.periods, [p.words.text for p in r.periods]  # not the whole of "last month"
    assert any(f"There is no {said}" in n for n in r.notes), r.notes


@pytest.mark.parametrize(
    ("question", "pattern"),
    [
        ("line runs 24/5", "24/5"),
        ("16/8 shift pattern", "16/8"),
        ("line B runs on a 16/8 pattern last week", "16/8"),
    ],
)
def test_a_day_and_month_where_no_date_is_expected_is_no_day(question: str, pattern: str) -> None:
    r = read(question, DEMO, NOW)
    assert all(pattern not in p.words.text for p in r.periods), [p.words for p in r.periods]
    assert pattern in " ".join(u.text for u in r.unused)  # said, not taken


@pytest.mark.parametrize(
    ("question", "day"),
    [
        ("line A energy since 20/10", None),
        ("and 21/10?", "2026-10-21"),
        ("line A energy on 20/10", "2026-10-20"),
    ],
)
def test_a_day_and_month_where_a_date_is_expected_is_still_read(
    question: str, day: str | None
) -> None:
    r = read(question, DEMO, NOW)
    if day is None:
        assert [p.span.period for p in r.periods if p.span] == ["since 2026-10-20"]
    else:
        check(r, {"periods": [(day, day, "subject")]})


def test_not_the_energy_before_another_noun_prices_nothing_at_zero() -> None:
    r = read(
        "line A cost in October with a 12 EUR/kW demand charge, use the site's prices, not the "
        "energy offer",
        DEMO,
        NOW,
    )
    assert [c.per_kw for c in r.demand_charges] == [12.0]
    assert not r.prices  # the site's prices, not energy at nothing


@pytest.mark.parametrize(
    "question",
    [
        "line A cost in October with a 12 EUR/kW demand charge only",
        "line A cost in October at a 12 EUR/kW demand charge, not the energy",
    ],
)
def test_the_demand_charge_only_prices_the_energy_at_nothing(question: str) -> None:
    r = read(question, DEMO, NOW)
    assert [c.per_kw for c in r.demand_charges] == [12.0]
    assert [p.per_kwh for p in r.prices] == [0.0]


def test_how_many_kwh_did_it_produce_asks_for_energy_not_production() -> None:
    question = "how many kWh did line A produce yesterday"
    hits = default_lexicon().scan(question.lower())
    assert ("metric", "production") not in [(h.table, h.key) for h in hits[:1]]
    r = read(question, DEMO, NOW)
    assert r.metric is None and r.kpi == "energy"
    check(r, {"meters": ["line-a"], "periods": [("2026-11-04", "2026-11-04", "subject")]})


def test_how_many_goods_did_it_produce_is_still_production() -> None:
    r = read("how many parts did line A make yesterday", DEMO, NOW)
    assert r.metric == "production"


def _halls(*names: str) -> Vocabulary:
    return build_vocabulary("halls", [MeterEntry(n, "electricity") for n in names])


def test_the_last_words_of_one_meters_name_name_that_meter() -> None:
    vocab = _halls("Beleuchtung Halle 2", "Beleuchtung Halle 3", "Kompressor")
    r = read("what did the lighting of halle 2 use last week?", vocab, NOW)
    assert [m.meters for m in r.meters] == [("Beleuchtung Halle 2",)]
    assert not r.unknown_names


def test_the_last_words_of_two_meters_names_are_no_meter_chosen() -> None:
    vocab = _halls("Beleuchtung Halle 2", "Lüftung Halle 2", "Kompressor")
    r = read("what did halle 2 use last week?", vocab, NOW)
    assert not r.meters
    assert [u.words.text for u in r.unknown_names] == ["halle 2"]
