"""The offline model on dates written with slashes and on running periods: "12/10" is read in the
order the site's country writes dates, or asked back naming both days; "this week" ends now, so
an average over its hours counts only the hours that have passed. Numbers are checked against
pandas over the readings written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from agent.loop import Agent
from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from store import catalog
from store.writes import write_readings
from tests.offline_agents import offline_agent
from tests.test_offline_any_plant import NOW, PLANT, QUARTER, TZ, ZONE, readings, states
from tests.test_offline_honesty import no_figure

Plant = Callable[[str | None], tuple[Agent, dict[str, pd.Series]]]


@pytest.fixture
def plant_in(engine: Engine, tmp_path: Path) -> Plant:
    """The brewery, placed in a country (None: none named, its zone's country is used)."""

    def make(country: str | None) -> tuple[Agent, dict[str, pd.Series]]:
        where = f"timezone: {TZ}\n  country: {country}" if country else f"timezone: {TZ}"
        apply_plant(engine, parse_plant(PLANT.replace(f"timezone: {TZ}", where), "b.yaml", "yaml"))
        data = readings()
        with engine.begin() as conn:
            site = catalog.get_site(conn, "brewery")
            for meter in ("Pump K1",):
                step = 900 if meter in QUARTER else 86400
                sid = catalog.ensure_series(conn, site.id, meter, "energy", "kWh", interval_s=step)
                values = data[meter]
                write_readings(conn, sid.id, values.index.to_numpy(), values.to_numpy(), TZ)
        agent = offline_agent(engine, site, tmp_path / "threads.db", NOW)
        return agent, data

    return make


def day_total(values: pd.Series, day: str) -> float:
    start = pd.Timestamp(day, tz=ZONE)
    stamps = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(ZONE)
    inside = (stamps >= start) & (stamps < start + pd.Timedelta(days=1))
    return float(values[inside].sum())


@pytest.mark.parametrize(
    ("country", "written", "day"),
    [
        ("IE", "12/10", "2026-10-12"),  # day first
        (None, "12/10", "2026-10-12"),  # Europe/Dublin lies in Ireland: day first
        ("US", "10/12", "2026-10-12"),  # month first
    ],
)
def test_a_slashed_day_is_read_in_the_sites_date_order(
    plant_in: Plant, country: str | None, written: str, day: str
) -> None:
    agent, data = plant_in(country)
    reply = agent.ask(f"how much did Pump K1 use on {written}?")
    assert [c.args["period"] for c in reply.tool_calls] == [day], reply.answer
    assert states(reply.answer, day_total(data["Pump K1"], day)), reply.answer


def test_a_slashed_day_of_two_readings_is_asked_back_where_the_order_is_unknown(
    plant_in: Plant,
) -> None:
    agent, _ = plant_in("CA")  # Canada writes dates both ways
    reply = agent.ask("how much did Pump K1 use on 12/10?")
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert "12 October 2026" in reply.answer and "10 December 2025" in reply.answer
    assert no_figure(reply.answer), reply.answer


def test_an_average_over_this_week_counts_only_the_hours_passed(plant_in: Plant) -> None:
    agent, data = plant_in("IE")
    reply = agent.ask("average power of Pump K1 this week")
    values = data["Pump K1"]
    monday = pd.Timestamp(NOW.date(), tz=ZONE) - pd.Timedelta(days=NOW.weekday())
    stamps = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(ZONE)
    inside = values[(stamps >= monday) & (stamps < pd.Timestamp(NOW))]
    hours = (pd.Timestamp(NOW) - monday) / pd.Timedelta(hours=1)
    assert len(inside) == hours * 4  # every quarter-hour up to now is metered
    assert states(reply.answer, float(inside.sum()) / hours), reply.answer
    period = next(c.result for c in reply.tool_calls if c.result)["period"]
    assert pd.Timestamp(period["end"]) == pd.Timestamp(NOW), period
