"""A follow-up asking for the whole after a part ("the whole-week cost in USD" after "what did
just the night hours cost at 0.12?"): the part (its hours, tariff period or days) and a price
stated only for it are left behind; the meter, the period, a price stated before the part and
the exchange rate the turn states are kept."""

from __future__ import annotations

import re

import pandas as pd

from agent.reader import Reading
from tests.reader_plants import thread, werk
from tests.test_offline_any_plant import TZ, brewery, total  # noqa: F401

VOCAB = werk()


def _thread(*questions: str) -> Reading:
    return thread(VOCAB, *questions)


def test_the_whole_after_a_priced_tariff_period_drops_the_period_and_its_price() -> None:
    r = _thread(
        "cost of Linie 3 last week with our tariff",
        "and what did just the HT kWh cost, at 0.30 EUR?",
        "the whole-week cost in USD, use 1 EUR = 1.10 USD",
    )
    assert r.meter_names == ("Linie 3",)
    assert [p.span.period for p in r.periods if p.span] == ["last week"]
    assert not any(s.part for s in r.splits) and not r.hour_windows
    assert not r.prices
    assert [x.rate for x in r.exchange_rates] == [1.10]


def test_a_price_stated_before_the_part_still_holds_for_the_whole() -> None:
    r = _thread(
        "cost of Linie 3 last week at 0.20 EUR/kWh",
        "and just the NT hours?",
        "and the whole week?",
    )
    assert not any(s.part for s in r.splits)
    assert [p.per_kwh for p in r.prices] == [0.20]


def test_a_follow_up_without_a_whole_word_keeps_the_part() -> None:
    r = _thread("cost of Linie 3 last week", "what did just the HT kWh cost at 0.30 EUR?",
                "in USD, use 1 EUR = 1.10 USD")  # fmt: skip
    assert [s.part.upper() for s in r.splits] == ["HT"]
    assert [p.per_kwh for p in r.prices] == [0.30]


def _night(data: dict[str, pd.Series], meter: str, first: str, last: str) -> float:
    """The meter's readings of local days [first, last] whose quarter-hour starts in 22-06."""
    values = data[meter]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    day = local.strftime("%Y-%m-%d")
    inside = (local.hour >= 22) | (local.hour < 6)
    return float(values[(day >= first) & (day <= last) & inside].sum())


def test_the_whole_week_cost_after_a_window_is_the_week_at_the_price_before(brewery) -> None:  # noqa: F811
    agent, data = brewery
    first = agent.ask("cost of Pump K1 last week at 0.20 EUR per kWh")
    week = total(data, "Pump K1", "2026-10-05", "2026-10-11")
    assert any(abs(n - week * 0.20) < 0.01 * week for n in _numbers(first.answer)), first.answer
    part = agent.ask(
        "and what did just the hours 22:00-06:00 cost, at 0.12 EUR/kWh?", thread=first.thread
    )
    night = _night(data, "Pump K1", "2026-10-05", "2026-10-11")
    assert any(abs(n - night * 0.12) < 0.002 * night for n in _numbers(part.answer)), part.answer
    whole = agent.ask("the whole-week cost in USD, use 1 USD = 0.92 EUR", thread=first.thread)
    eur = week * 0.20
    assert any(abs(n - eur / 0.92) < 0.001 * eur for n in _numbers(whole.answer)), whole.answer
    assert not any(abs(n - night * 0.12 / 0.92) < 0.01 * night for n in _numbers(whole.answer))


def _numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*\.?\d*", text)]
