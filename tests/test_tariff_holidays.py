"""A tariff period marked `except_holidays` does not hold on the site's public holidays (its
country and region): their hours are priced as if outside it, in the cost, the time-of-use split
and the eval truth alike; the answer's prices say so; a period without the mark, and a tariff
without it, price every weekday as before; a value other than true or false is refused naming
the tariff and the period. Figures against pandas and the holidays package directly."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from connectors.catalog_file import InvalidPlantFile, parse_plant
from connectors.catalog_sync import apply_plant
from ems_agent.app import analytics_config
from ems_agent.settings import load_settings
from evals.site_profile import pricing, site_facts
from evals.truth import evaluate
from store import catalog
from store.writes import write_readings
from tools.base import ToolContext
from tools.kpi import compute_kpi
from tools.split import split_consumption

TZ = "Europe/Lisbon"
ZONE = ZoneInfo(TZ)
START = datetime(2026, 5, 25, tzinfo=ZONE)  # a Monday
DAYS = 21  # to 14 June: 4 June (Corpus Christi) and 10 June (Portugal Day) are weekdays off
PERIOD = "2026-05-25..2026-06-14"


def plant(name: str, flag: str) -> str:
    return textwrap.dedent(
        f"""\
        version: 1
        site:
          name: {name}
          timezone: {TZ}
          country: PT
          currency: EUR
          tariffs:
            - carrier: electricity
              name: Ciclo semanal
              default_price: 0.11
              demand_charge_per_kw: 0
              periods:
                - {{name: ponta, days: [mon-fri], start: "18:00", end: "21:00", price: 0.31{flag}}}
                - {{name: cheias, days: [mon-fri], start: "08:00", end: "18:00", price: 0.17}}
        meters:
          - {{name: feed, carrier: electricity}}
        """
    )


@pytest.fixture
def sites(engine: Engine) -> tuple[Engine, pd.DataFrame]:
    apply_plant(engine, parse_plant(plant("quarry", ", except_holidays: true"), "a.yaml", "yaml"))
    apply_plant(engine, parse_plant(plant("kiln works", ""), "b.yaml", "yaml"))
    rng = np.random.default_rng(4)
    ts = int(START.timestamp()) + 900 * np.arange(96 * DAYS, dtype=np.int64)
    kwh = rng.gamma(2.0, 5.0, len(ts)).round(3)
    with engine.begin() as conn:
        for name in ("quarry", "kiln works"):
            site = catalog.get_site(conn, name)
            ids = {m.name: s.id for m, s in catalog.list_series(conn, site.id)}
            write_readings(conn, ids["feed"], ts, kwh, TZ)
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(TZ)
    return engine, pd.DataFrame({"local": local, "kwh": kwh})


def context(engine: Engine, site: str) -> ToolContext:
    with engine.connect() as conn:
        ref = catalog.get_site(conn, site)
    at = START + timedelta(days=DAYS + 1)
    return ToolContext(engine, ref, at, analytics_config(load_settings(), engine, ref, at.date()))


def hand_prices(rows: pd.DataFrame, skip_holidays: bool) -> pd.Series:
    """Each interval's price by hand: ponta 18-21 and cheias 08-18 on weekdays, 0.11 else;
    with `skip_holidays` ponta takes no hour of a Portuguese public holiday."""
    off = set(holidays.country_holidays("PT", years=[2026]))
    t = rows["local"]
    weekday = t.dt.day_of_week < 5
    holiday = t.dt.date.isin(off)
    ponta = weekday & (t.dt.hour >= 18) & (t.dt.hour < 21)
    if skip_holidays:
        ponta &= ~holiday
    cheias = weekday & (t.dt.hour >= 8) & (t.dt.hour < 18)
    return pd.Series(np.select([ponta, cheias], [0.31, 0.17], 0.11), index=rows.index)


def test_the_span_holds_weekday_holidays() -> None:
    off = holidays.country_holidays("PT", years=[2026])
    weekdays_off = [d for d in off if date(2026, 5, 25) <= d <= date(2026, 6, 14)]
    assert [d for d in weekdays_off if d.weekday() < 5] == [date(2026, 6, 4), date(2026, 6, 10)]


def test_a_holiday_weekdays_peak_hours_are_priced_off_peak(sites) -> None:
    engine, raw = sites
    result = compute_kpi(
        context(engine, "quarry"), {"kpi": "cost", "meter": "feed", "period": PERIOD}
    )
    expected = float((raw["kwh"] * hand_prices(raw, skip_holidays=True)).sum())
    assert result.details["energy_cost"] == pytest.approx(expected, rel=1e-12)
    every_weekday = float((raw["kwh"] * hand_prices(raw, skip_holidays=False)).sum())
    assert expected < every_weekday  # the holidays' ponta hours are cheaper
    prices = {p.name: p.value for p in result.parameters}["prices"]
    assert "0.31 EUR/kWh Mon-Fri 18:00-21:00 except public holidays" in prices
    assert "0.17 EUR/kWh Mon-Fri 08:00-18:00," in prices  # the unmarked period holds every day


def test_a_tariff_without_the_mark_prices_every_weekday_as_before(sites) -> None:
    engine, raw = sites
    result = compute_kpi(
        context(engine, "kiln works"), {"kpi": "cost", "meter": "feed", "period": PERIOD}
    )
    expected = float((raw["kwh"] * hand_prices(raw, skip_holidays=False)).sum())
    assert result.details["energy_cost"] == pytest.approx(expected, rel=1e-12)
    prices = {p.name: p.value for p in result.parameters}["prices"]
    assert "holiday" not in prices


def test_the_time_of_use_split_puts_holiday_peak_hours_off_peak(sites) -> None:
    engine, raw = sites
    result = split_consumption(
        context(engine, "quarry"), {"meter": "feed", "period": PERIOD, "by": "tou"}
    )
    parts = {p.name: p.value for p in result.parts}
    price = hand_prices(raw, skip_holidays=True)
    assert parts["ponta (0.31/kWh)"] == pytest.approx(raw["kwh"][price == 0.31].sum(), rel=1e-12)
    assert parts["off-peak"] == pytest.approx(raw["kwh"][price == 0.11].sum(), rel=1e-12)


def test_the_eval_truth_honours_the_mark_with_its_own_code(sites) -> None:
    engine, raw = sites
    local = pd.DatetimeIndex(raw["local"])
    with engine.connect() as conn:
        marked = pricing(site_facts(conn, "quarry"), "electricity", local)
        plain = pricing(site_facts(conn, "kiln works"), "electricity", local)
    assert np.allclose(marked.price, hand_prices(raw, skip_holidays=True).to_numpy())
    assert np.allclose(plain.price, hand_prices(raw, skip_holidays=False).to_numpy())


@pytest.mark.parametrize("value", ["sometimes", "yes", "1"])
def test_an_unknown_value_names_the_tariff_and_the_period(value: str) -> None:
    with pytest.raises(InvalidPlantFile) as caught:
        parse_plant(plant("quarry", f", except_holidays: {value}"), "a.yaml", "yaml")
    (problem,) = caught.value.problems
    assert "except_holidays" in problem
    assert "tariff 'Ciclo semanal' period 'ponta'" in problem
    assert "true" in problem and "false" in problem


def test_the_mark_needs_a_country_to_take_holidays_from(engine: Engine) -> None:
    text = plant("quarry", ", except_holidays: true").replace("  country: PT\n", "")
    with pytest.raises(InvalidPlantFile) as caught:
        apply_plant(engine, parse_plant(text, "a.yaml", "yaml"))
    assert any("site.country" in p for p in caught.value.problems)


def test_a_stated_period_may_skip_holidays_and_the_truth_too(sites) -> None:
    """ "what did just that ponta energy cost at 0.40": the site's period, holidays left out, at
    the price stated; the eval truth's user tariff with peak_except_holidays agrees."""
    engine, raw = sites
    stated = {"days": [0, 1, 2, 3, 4], "start": "18:00", "end": "21:00", "price": 0.40}
    args = {"kpi": "cost", "meter": "feed", "period": PERIOD, "price_per_kwh": 0.0}
    result = compute_kpi(
        context(engine, "quarry"), args | {"tou_periods": [stated | {"except_holidays": True}]}
    )
    ponta = hand_prices(raw, skip_holidays=True) == 0.31
    assert result.value == pytest.approx(float(raw["kwh"][ponta].sum()) * 0.40, rel=1e-12)
    with engine.connect() as conn:
        truth = evaluate(
            conn,
            {
                "fn": "tariff_cost",
                "site": "quarry",
                "meter": "feed",
                "period": PERIOD,
                "price": 0,
                "peak_price": 0.40,
                "peak_hours": "18:00-21:00",
                "peak_except_holidays": True,
            },
        )
        energy = evaluate(
            conn,
            {
                "fn": "tou_energy",
                "site": "quarry",
                "meter": "feed",
                "period": PERIOD,
                "part": "ponta",
            },
        )
    assert truth == pytest.approx(float(raw["kwh"][ponta].sum()) * 0.40, rel=1e-9)
    assert energy == pytest.approx(float(raw["kwh"][ponta].sum()), rel=1e-9)
