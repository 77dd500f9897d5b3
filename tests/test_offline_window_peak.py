"""A figure other than energy asked over hours of the day, on a plant unlike the demo: the peak
demand inside the window is given first (checked against pandas over the readings written),
and a KPI the window cannot give is asked back naming it, never answered with the energy."""

from __future__ import annotations

import pandas as pd
import pytest

from agent.render.text import number, when
from tests.test_offline_any_plant import TZ, brewery  # noqa: F401


def _inside(data, meters: list[str], first: str, last: str, start: int, end: int) -> pd.Series:
    """Quarter-hour kW of the meters added up, local days [first, last], hours [start, end)
    (past midnight when end < start)."""
    values = sum(data[m] for m in meters)
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    day = local.strftime("%Y-%m-%d")
    hour = local.hour
    clock = (hour >= start) & (hour < end) if start < end else (hour >= start) | (hour < end)
    kept = (day >= first) & (day <= last) & clock
    return pd.Series((values * 4).to_numpy()[kept], index=local[kept])


@pytest.mark.parametrize(
    ("question", "meters", "start", "end"),
    [
        ("peak demand of Pump K1 last week between 22:00 and 06:00", ["Pump K1"], 22, 6),
        ("max kW of Incomer North last week between 06:00 and 14:00", ["Incomer North"], 6, 14),
    ],
)
def test_a_peak_asked_over_hours_is_the_windows_highest_interval_demand(
    brewery,  # noqa: F811
    question: str,
    meters: list[str],
    start: int,
    end: int,
) -> None:
    agent, data = brewery
    reply = agent.ask(question)
    assert [c.name for c in reply.tool_calls] == ["clock_window"], reply.answer
    kw = _inside(data, meters, "2026-10-05", "2026-10-11", start, end)
    lead = reply.answer.split("\n")[0]
    assert f"peak demand inside {start:02d}:00-{end:02d}:00" in lead, lead
    assert f"**{number(float(kw.max()), 'kW')}** (the highest 15-minute demand)" in lead, lead
    assert when(kw.idxmax().isoformat()) in lead, lead
    # the window's energy follows as context, after the peak
    energy = float(kw.sum() / 4)
    assert f"**{number(energy, 'kWh')}**" in reply.answer.split("\n", 1)[1], reply.answer


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("load factor of Pump K1 last week between 22:00 and 06:00", "load factor"),
        ("base load of Pump K1 last week between 22:00 and 06:00", "base load"),
        ("SEC of Pump K1 last week between 22:00 and 06:00", "SEC"),
        ("carbon of Pump K1 last week between 22:00 and 06:00", "carbon"),
        ("cost of Pump K1 last week between 22:00 and 06:00", "cost"),
    ],
)
def test_a_kpi_the_window_cannot_give_is_asked_back_not_answered_as_energy(
    brewery,  # noqa: F811
    question: str,
    words: str,
) -> None:
    agent, _ = brewery
    reply = agent.ask(question)
    assert reply.tool_calls == [], reply.answer
    assert f"I did not use '{words}'" in reply.answer, reply.answer
    assert "kWh" not in reply.answer, reply.answer


def test_a_share_of_the_days_kept_is_said_on_those_days_not_inside_hours(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("what share of Pump K1's energy last week was without Thursday")
    assert [c.name for c in reply.tool_calls] == ["clock_window"], reply.answer
    values = data["Pump K1"]
    day = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m-%d")
    week = values[(day >= "2026-10-05") & (day <= "2026-10-11")]
    kept = week[day[(day >= "2026-10-05") & (day <= "2026-10-11")] != "2026-10-08"]
    lead = reply.answer.split("\n")[0]
    assert f"**{100 * kept.sum() / week.sum():.1f}%**" in lead, lead
    assert "was on Mon, Tue, Wed, Fri, Sat, Sun." in lead, lead
    assert "00:00-24:00" not in reply.answer and "inside Mon" not in reply.answer, reply.answer


def test_a_base_load_said_of_nights_without_hours_is_the_base_load(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    reply = agent.ask("base load of Pump K1 last week (nights/weekends), kW")
    assert [c.args.get("kpi") for c in reply.tool_calls][:1] == ["base_load"], reply.answer


def test_a_peak_of_the_days_kept_is_their_highest_interval_demand(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("peak demand of Pump K1 last week without Thursday")
    assert [c.name for c in reply.tool_calls] == ["clock_window"], reply.answer
    kw = _inside(data, ["Pump K1"], "2026-10-05", "2026-10-11", 0, 24)
    kw = kw[kw.index.strftime("%Y-%m-%d") != "2026-10-08"]
    lead = reply.answer.split("\n")[0]
    assert "peak demand on Mon, Tue, Wed, Fri, Sat, Sun" in lead, lead
    assert f"**{number(float(kw.max()), 'kW')}**" in lead, lead
    assert when(kw.idxmax().isoformat()) in lead, lead
    assert "I left out Thu 8 Oct 2026" in reply.answer, reply.answer
