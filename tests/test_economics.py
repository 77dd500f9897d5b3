"""Economics from the site catalogue: tariffs valid per day (a cost across a tariff change prices
each interval with the tariff of its day), emission factors with their source in answers, the
catalogue before the installation's settings before labelled defaults, and the site's calendar
(public holidays of its region, closures, shifts past midnight) in splits and anomaly days."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from agent.loop import Agent
from agent.memory import sqlite_memory
from agent.models import Backend
from agent.offline.model import MODEL_NAME, OfflinePlanner
from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from ems_agent.app import analytics_config
from ems_agent.context import TurnContexts, fixed_clock
from ems_agent.settings import load_settings
from store import catalog
from store.writes import write_readings
from tools.anomaly import OFF, day_kinds
from tools.base import Tariff, ToolContext
from tools.kpi import compute_kpi
from tools.registry import all_tools
from tools.split import split_consumption

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
START = datetime(2025, 12, 15, tzinfo=ZONE)
DAYS = 35

PLANT = textwrap.dedent(
    """\
    version: 1
    site:
      name: mill
      timezone: Europe/Berlin
      country: DE
      region: BY
      currency: EUR
      shifts:
        - {name: day, days: [mon-fri], start: "06:00", end: "22:00"}
        - {name: night, days: [mon-thu], start: "22:00", end: "06:00"}
      closures:
        - {name: stocktaking, from: 2026-01-09, to: 2026-01-09}
      tariffs:
        - carrier: electricity
          name: Grid 2025
          valid_to: 2025-12-31
          default_price: 0.15
          demand_charge_per_kw: 8
          periods: [{name: peak, days: [mon-fri], start: "07:00", end: "19:00", price: 0.25}]
        - carrier: electricity
          name: Grid 2026
          valid_from: 2026-01-01
          default_price: 0.16
          demand_charge_per_kw: 9.5
          periods: [{name: night, days: [mon-fri], start: "22:00", end: "06:00", price: 0.10}]
        - {carrier: gas, name: Gas 2026, default_price: 0.061}
      emission_factors:
        - {carrier: electricity, kg_co2e_per_kwh: 0.363, source: UBA grid mix, year: 2024}
    meters:
      - {name: grid, carrier: electricity}
      - {name: burner, carrier: gas}
    """
)


@pytest.fixture
def mill(engine: Engine) -> tuple[Engine, pd.DataFrame]:
    apply_plant(engine, parse_plant(PLANT, "plant.yaml", "yaml"))
    rng = np.random.default_rng(8)
    ts = int(START.timestamp()) + 900 * np.arange(96 * DAYS, dtype=np.int64)
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(TZ)
    kwh = rng.gamma(2.0, 5.0, len(ts)).round(3)
    kwh[700] = 180.0  # a December peak
    kwh[2500] = 150.0  # a January peak
    with engine.begin() as conn:
        site = catalog.get_site(conn, "mill")
        ids = {m.name: s.id for m, s in catalog.list_series(conn, site.id)}
        write_readings(conn, ids["grid"], ts, kwh, TZ)
        write_readings(conn, ids["burner"], ts, kwh * 2, TZ)
    return engine, pd.DataFrame({"local": local, "kwh": kwh})


def context(engine: Engine, site: str = "mill", now: datetime | None = None) -> ToolContext:
    """The tools' context as the composition root makes it."""
    with engine.connect() as conn:
        ref = catalog.get_site(conn, site)
    at = now or START + timedelta(days=DAYS)
    return ToolContext(engine, ref, at, analytics_config(load_settings(), engine, ref, at.date()))


def expected_cost(rows: pd.DataFrame) -> tuple[float, float]:
    """Energy and demand cost by hand: each interval at its day's tariff."""
    energy = 0.0
    for t, kwh in zip(rows["local"], rows["kwh"], strict=True):
        if t.date() <= date(2025, 12, 31):
            price = 0.25 if t.weekday() < 5 and 7 <= t.hour < 19 else 0.15
        else:  # the 2026 night rate runs from 22:00 on weekdays into the next morning
            night = (t.weekday() < 5 and t.hour >= 22) or (1 <= t.weekday() <= 5 and t.hour < 6)
            price = 0.10 if night else 0.16
        energy += kwh * price
    demand = 0.0
    for (year, _), part in rows.groupby([rows["local"].dt.year, rows["local"].dt.month]):
        charge = 8.0 if year == 2025 else 9.5
        demand += part["kwh"].max() * 4 * charge * part["local"].dt.date.nunique() / 31
    return energy, demand


def test_a_cost_across_a_tariff_change_prices_each_day_with_its_tariff(mill) -> None:
    engine, raw = mill
    rows = raw[(raw["local"] >= pd.Timestamp("2025-12-22", tz=TZ))]
    rows = rows[rows["local"] < pd.Timestamp("2026-01-12", tz=TZ)]
    energy, demand = expected_cost(rows)
    result = compute_kpi(
        context(engine), {"kpi": "cost", "meter": "grid", "period": "2025-12-22..2026-01-11"}
    )
    assert result.details["energy_cost"] == pytest.approx(energy, rel=1e-9)
    assert result.details["demand_cost"] == pytest.approx(demand, rel=1e-9)
    assert result.value == pytest.approx(energy + demand, rel=1e-9)
    assert result.unit == "EUR"
    assert result.details["tariff"] == (
        "Grid 2025 (site catalogue) 2025-12-22..2025-12-31; "
        "Grid 2026 (site catalogue) 2026-01-01..2026-01-11"
    )
    assert result.caveats[0].startswith("the period crosses a tariff change: Grid 2025")


def test_the_gas_price_comes_from_the_gas_tariff(mill) -> None:
    engine, raw = mill
    ctx = context(engine)
    assert ctx.config.gas_price_per_kwh == 0.061
    gas = compute_kpi(ctx, {"kpi": "cost", "meter": "burner", "period": "2026-01"})
    january = raw[raw["local"].dt.month == 1]
    assert gas.value == pytest.approx(january["kwh"].sum() * 2 * 0.061, rel=1e-9)
    assert gas.details["tariff"] == "Gas 2026 (site catalogue)"


def test_the_emission_factor_and_its_source_are_in_the_answer(mill) -> None:
    engine, raw = mill
    carbon = compute_kpi(context(engine), {"kpi": "carbon", "meter": "grid", "period": "2026-01"})
    january = raw[raw["local"].dt.month == 1]
    assert carbon.value == pytest.approx(january["kwh"].sum() * 0.363, rel=1e-9)
    assert carbon.details["factor_source"] == "UBA grid mix 2024, site catalogue"
    assert carbon.method == "energy x 0.363 kg CO2e/kWh (UBA grid mix 2024, site catalogue)"


def test_the_catalogue_wins_then_settings_then_defaults(
    mill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = mill
    toml = tmp_path / "ems.toml"
    toml.write_text(
        textwrap.dedent(
            """\
            gas_price_per_kwh = 0.09
            emission_factors = { electricity = 0.5, gas = 0.3 }
            [tariff]
            name = "Installation TOU"
            default_price = 0.2
            """
        )
    )
    monkeypatch.setenv("EMS_CONFIG", str(toml))
    settings = load_settings()
    with engine.begin() as conn:
        mill_ref = catalog.get_site(conn, "mill")
        bare = catalog.ensure_site(conn, "bare", TZ)
    config = analytics_config(settings, engine, mill_ref, date(2026, 1, 5))
    assert config.tariffs["electricity"].label() == "Grid 2026 (site catalogue)"
    assert config.emission_factors == {"electricity": 0.363, "gas": 0.3}
    assert config.factor_source("gas") == "installation settings"
    assert config.sources["shifts"] == "site catalogue"
    # A day before the site's first tariff falls back to the settings, labelled.
    assert [t.label() for t in config.tariffs_for("electricity")] == [
        "Grid 2025 (site catalogue)",
        "Grid 2026 (site catalogue)",
        "Installation TOU (installation settings)",
    ]
    plain = analytics_config(settings, engine, bare, date(2026, 1, 5))
    assert plain.tariffs["electricity"].label() == "Installation TOU (installation settings)"
    assert plain.tariffs["gas"].default_price == 0.09
    assert plain.sources["gas_price"] == "installation settings"
    assert plain.sources["shifts"] == "built-in default"
    monkeypatch.delenv("EMS_CONFIG")
    monkeypatch.setenv("EMS_HOME", str(tmp_path / "empty-home"))
    nothing = analytics_config(load_settings(), engine, bare, date(2026, 1, 5))
    assert nothing.tariffs["electricity"].label() == (
        "built-in default tariff (0.24 EUR/kWh Mon-Fri 08:00-20:00, 0.16 EUR/kWh at other "
        "times, demand charge 9.5 EUR/kW of each month's peak)"
    )
    assert nothing.factor_source("electricity") == "built-in default factor"
    assert nothing.emission_factors_are_defaults


def test_split_by_shift_keeps_holidays_of_the_region_closures_and_night_shifts(mill) -> None:
    engine, raw = mill
    ctx = context(engine)
    # 6 January is a public holiday in Bavaria (BY), 9 January the plant's stocktaking day.
    result = split_consumption(
        ctx, {"meter": "grid", "period": "2026-01-05..2026-01-11", "by": "shift"}
    )
    parts = {p.name: p.value for p in result.parts}
    week = raw[(raw["local"] >= pd.Timestamp("2026-01-05", tz=TZ))]
    week = week[week["local"] < pd.Timestamp("2026-01-12", tz=TZ)]
    day, hour, weekday = week["local"].dt.date, week["local"].dt.hour, week["local"].dt.day_of_week
    closed = day.isin([date(2026, 1, 6), date(2026, 1, 9)])
    yesterday_closed = day.isin([date(2026, 1, 7), date(2026, 1, 10)])
    day_plan = (weekday < 5) & (hour >= 6) & (hour < 22)
    evening_plan = (weekday <= 3) & (hour >= 22)
    morning_plan = (weekday >= 1) & (weekday <= 4) & (hour < 6)  # the night before's shift
    in_day = day_plan & ~closed
    night = (evening_plan & ~closed) | (morning_plan & ~yesterday_closed)
    shut = (day_plan | evening_plan | morning_plan) & ~in_day & ~night
    assert parts["day"] == pytest.approx(week["kwh"][in_day].sum(), rel=1e-12)
    assert parts["night"] == pytest.approx(week["kwh"][night].sum(), rel=1e-12)
    assert parts["holiday or shutdown"] == pytest.approx(week["kwh"][shut].sum(), rel=1e-12)
    assert parts["off-shift"] == pytest.approx(
        week["kwh"][~in_day & ~night & ~shut].sum(), rel=1e-12
    )


def test_anomaly_days_off_follow_the_region_and_the_closures(mill) -> None:
    engine, _ = mill
    ctx = context(engine)
    days = [datetime(2026, 1, d, tzinfo=ZONE) for d in (5, 6, 8, 9)]
    starts = np.array([int(d.timestamp()) for d in days], dtype=np.int64)
    kinds = day_kinds(ctx, starts, np.full(len(days), np.nan))
    assert list(kinds) == ["day+night", OFF, "day+night", OFF]
    # The same days in a region where 6 January is no holiday.
    berlin = parse_plant(PLANT.replace("region: BY", "region: BE"), "p.yaml", "yaml")
    apply_plant(engine, berlin, site="mill-berlin")
    kinds = day_kinds(context(engine, "mill-berlin"), starts, np.full(len(days), np.nan))
    assert list(kinds) == ["day+night", "day+night", "day+night", OFF]


def test_the_offline_answer_names_the_factor_source(demo_engine: Engine, tmp_path: Path) -> None:
    now = datetime(2026, 11, 5, tzinfo=ZONE)
    with demo_engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    agent = Agent(
        Backend(OfflinePlanner(), MODEL_NAME, None),
        all_tools(),
        sqlite_memory(tmp_path / "threads.db"),
        TurnContexts(demo_engine, site, clock=fixed_clock(now)),
    )
    reply = agent.ask("what were the carbon emissions of the boiler last week?")
    assert "0.201 kg CO2e/kWh (BAFA natural gas 2024, site catalogue)" in reply.answer, reply.answer


def test_a_tariff_without_a_name_is_described_by_its_prices() -> None:
    bare = Tariff()
    assert bare.label() == (
        "built-in default tariff (0.24 EUR/kWh Mon-Fri 08:00-20:00, 0.16 EUR/kWh at other "
        "times, demand charge 9.5 EUR/kW of each month's peak)"
    )
    named = Tariff(name="Night saver", currency="", periods=(((5, 6), 22, 6, 0.1),),
                   default_price=0.2, demand_charge_per_kw=0, is_default=False)  # fmt: skip
    assert named.label() == "Night saver"
    assert (
        named.prices() == "0.1/kWh Sat, Sun 22:00-06:00, 0.2/kWh at other times, no demand charge"
    )
