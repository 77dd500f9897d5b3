"""The offline model on a hand-written plant shaped unlike the demo: meters named in the
user's words only by their descriptions, two electricity supplies (one read daily), a shift
name of two words and a floor area on the site. Numbers are checked against pandas over the
readings written; questions it cannot answer must get no number of another meter."""

from __future__ import annotations

import re
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Connection, Engine

import store.incidents as incidents
from agent.loop import Agent
from agent.memory import sqlite_memory
from agent.models import Backend
from agent.offline.model import MODEL_NAME, OfflinePlanner
from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from ems_agent.context import TurnContexts, fixed_clock
from store import catalog
from store.writes import write_readings
from tools.base import ToolContext
from tools.kpi import InvalidKpiRequest, compute_kpi
from tools.registry import all_tools

TZ = "Europe/Dublin"
ZONE = ZoneInfo(TZ)
START = datetime(2026, 9, 1, tzinfo=ZONE)
NOW = datetime(2026, 10, 15, 10, tzinfo=ZONE)  # a Thursday
PLANT = textwrap.dedent(
    f"""\
    version: 1
    site:
      name: brewery
      timezone: {TZ}
      currency: EUR
      floor_area_m2: 6000
      gas_calorific_value_kwh_per_m3: 10.5
      shifts:
        - {{name: day crew, days: [mon-fri], start: "06:00", end: "14:00"}}
        - {{name: late crew, days: [mon-fri], start: "14:00", end: "22:00"}}
    meters:
      - {{name: Incomer North, carrier: electricity, description: Grid supply of the brewhouse}}
      - {{name: Mash Tun Drive, carrier: electricity, parent: Incomer North,
          description: Agitator motor of the mash tun}}
      - {{name: Pump K1, carrier: electricity, parent: Incomer North,
          description: Wort transfer pump}}
      - {{name: Pump K2, carrier: electricity, parent: Incomer North,
          description: Wort transfer pump}}
      - {{name: Bottling Hall, carrier: electricity, floor_area_m2: 800,
          description: "Bottling building fed by its own supply, read daily"}}
      - {{name: Steam Raiser, carrier: gas, description: Gas-fired boiler of the brewhouse}}
      - {{name: Hot Water Heater, carrier: gas, unit: m3, description: Heats rinse water}}
    """
)
QUARTER = ("Incomer North", "Mash Tun Drive", "Pump K1", "Pump K2", "Steam Raiser")


def readings() -> dict[str, pd.Series]:
    """Six weeks: quarter-hours for most meters, one reading a day for the bottling hall."""
    rng = np.random.default_rng(17)
    n = 96 * 45
    ts = int(START.timestamp()) + 900 * np.arange(n, dtype=np.int64)
    out = {m: rng.uniform(lo, hi, n) for m, lo, hi in [("Mash Tun Drive", 4, 9),
           ("Pump K1", 1, 2), ("Pump K2", 1, 3), ("Steam Raiser", 20, 40)]}  # fmt: skip
    out["Incomer North"] = out["Mash Tun Drive"] + out["Pump K1"] + out["Pump K2"] + 5
    series = {m: pd.Series(v, index=ts) for m, v in out.items()}
    days = int(START.timestamp()) + 86400 * np.arange(45, dtype=np.int64)
    series["Bottling Hall"] = pd.Series(rng.uniform(300, 500, 45), index=days)
    hours = int(START.timestamp()) + 3600 * np.arange(24 * 45, dtype=np.int64)
    series["Hot Water Heater"] = pd.Series(rng.uniform(0.5, 3, 24 * 45), index=hours)
    return series


@pytest.fixture
def brewery(engine: Engine, tmp_path: Path) -> tuple[Agent, dict[str, pd.Series]]:
    data = readings()
    return brewery_agent(engine, tmp_path, data), data


def brewery_agent(engine: Engine, tmp_path: Path, data: dict[str, pd.Series]) -> Agent:
    """The brewery's catalogue and `data` written to the store; the offline agent over it."""
    apply_plant(engine, parse_plant(PLANT, "brewery.yaml", "yaml"))
    with engine.begin() as conn:
        site = catalog.get_site(conn, "brewery")
        for meter, values in data.items():
            step = 900 if meter in QUARTER else 86400
            metric, unit = "energy", "kWh"
            if meter == "Hot Water Heater":
                step, metric, unit = 3600, "volume", "m3"
            sid = catalog.ensure_series(conn, site.id, meter, metric, unit, interval_s=step).id
            write_readings(conn, sid, values.index.to_numpy(), values.to_numpy(), TZ)
    return Agent(
        Backend(OfflinePlanner(), MODEL_NAME, None),
        all_tools(),
        sqlite_memory(tmp_path / "threads.db"),
        TurnContexts(engine, site, clock=fixed_clock(NOW)),
    )


def brewery_with_tariff(
    engine: Engine, tmp_path: Path, tariff: str
) -> tuple[Agent, dict[str, pd.Series]]:
    """The brewery with `tariff` (catalogue lines) before its meters, and Pump K2's readings
    stored; the offline agent over it."""
    from tests.offline_agents import offline_agent

    plant = PLANT.replace("meters:\n", tariff + "meters:\n", 1)
    apply_plant(engine, parse_plant(plant, "brewery.yaml", "yaml"))
    data = readings()
    with engine.begin() as conn:
        site = catalog.get_site(conn, "brewery")
        values = data["Pump K2"]
        sid = catalog.ensure_series(conn, site.id, "Pump K2", "energy", "kWh", interval_s=900).id
        write_readings(conn, sid, values.index.to_numpy(), values.to_numpy(), TZ)
    return offline_agent(engine, site, tmp_path / "threads.db", NOW), data


def brewery_incident(
    conn: Connection, meter: str, kind: str, start: str, end: str, money: tuple[float, ...]
) -> int:
    """An incident on a brewery meter between two local times, with its extra kWh, cost (EUR)
    and kg CO2e as written; its id."""
    site = catalog.get_site(conn, "brewery")
    meter_id = catalog.resolve_meter(conn, site.id, meter).id
    kwh, cost, co2 = money
    made, _ = incidents.insert_incident(
        conn,
        site.id,
        incidents.NewIncident(
            meter_id, kind, "warning", _local_ts(start), _local_ts(end), f"{meter}: {kind}",
            f"{meter}:{kind}:{start}", extra_kwh=kwh, cost=cost, co2_kg=co2, currency="EUR",
        ),
    )  # fmt: skip
    return made


def _local_ts(local: str) -> int:
    return int(datetime.fromisoformat(local).replace(tzinfo=ZONE).timestamp())


def total(data: dict[str, pd.Series], meter: str, first: str, last: str) -> float:
    """A meter's readings whose local day lies in [first, last]."""
    values = data[meter]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m-%d")
    return float(values[(local >= first) & (local <= last)].sum())


def to_now(data: dict[str, pd.Series], meter: str, first: str) -> float:
    """A meter's readings from the local day `first` up to the clock: a period still running
    at the clock (October) ends there."""
    values = data[meter]
    start = pd.Timestamp(first, tz=TZ).timestamp()
    return float(values[(values.index >= start) & (values.index < NOW.timestamp())].sum())


def numbers(answer: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*\.?\d*", answer)]


def states(answer: str, expected: float, rel: float = 0.001) -> bool:
    return any(abs(n - expected) <= rel * abs(expected) for n in numbers(answer))


def test_a_meter_named_by_a_word_of_its_description_is_used_and_said(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("how much did the boiler use last week?")
    assert [c.args["meters"] for c in reply.tool_calls] == [["Steam Raiser"]]
    assert states(reply.answer, total(data, "Steam Raiser", "2026-10-05", "2026-10-11"))
    assert "No meter is named 'boiler'; I took Steam Raiser" in reply.answer


def test_a_singular_word_fitting_several_meters_is_asked_back(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("how much did the transfer pump use yesterday?")
    assert reply.outcome == "clarify" and not reply.tool_calls
    assert "Pump K1" in reply.answer and "Pump K2" in reply.answer
    both = agent.ask("both", thread=reply.thread)
    expected = sum(total(data, m, "2026-10-14", "2026-10-14") for m in ("Pump K1", "Pump K2"))
    assert states(both.answer, expected)


def test_a_word_no_meter_has_gets_no_number_of_the_site(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("how much did the dryer use last week?")
    # close to no meter's name: asked back, naming every meter there is, and no figure
    assert reply.outcome == "clarify" and "There is no meter 'dryer'" in reply.answer
    assert all(m in reply.answer for m in data), reply.answer
    site = total(data, "Incomer North", "2026-10-05", "2026-10-11")
    assert not states(reply.answer, site) and "kWh" not in reply.answer


def test_the_site_is_its_main_supply_and_a_supply_fed_apart_is_named(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("what was the site total consumption last week?")
    assert states(reply.answer, total(data, "Incomer North", "2026-10-05", "2026-10-11"))
    hall = total(data, "Bottling Hall", "2026-10-05", "2026-10-11")
    assert not states(reply.answer, hall), reply.answer
    assert "Bottling Hall has a supply of its own and is not included" in reply.answer


@pytest.mark.parametrize("kpi", ["peak_demand", "base_load", "cost"])
def test_a_profile_kpi_of_meters_read_at_different_intervals_is_refused(
    brewery, engine: Engine, kpi: str
) -> None:
    with engine.connect() as conn:
        site = catalog.get_site(conn, "brewery")
    ctx = ToolContext(engine, site, NOW)
    args = {"kpi": kpi, "meter": "Incomer North", "with_meters": ["Bottling Hall"]}
    with pytest.raises(InvalidKpiRequest, match="Bottling Hall: daily readings"):
        compute_kpi(ctx, args | {"period": "2026-10-14"})
    # energy adds up at any interval
    both = compute_kpi(ctx, args | {"kpi": "energy", "period": "2026-10-14"})
    _, data = brewery
    meters = ("Incomer North", "Bottling Hall")
    expected = sum(total(data, m, "2026-10-14", "2026-10-14") for m in meters)
    assert both.value == pytest.approx(expected, rel=1e-9)


def test_one_supply_of_several_is_not_given_the_sites_floor_area(brewery) -> None:
    # Bottling Hall has a supply of its own: the site's area covers both supplies, so the main
    # supply's energy over it would understate the site's intensity; both together are it.
    agent, data = brewery
    reply = agent.ask("kWh per m2 for the site in September")
    september = ("2026-09-01", "2026-09-30")
    supply = total(data, "Incomer North", *september) / 6000
    both = supply + total(data, "Bottling Hall", *september) / 6000
    assert not states(reply.answer, supply, rel=0.005), reply.answer
    assert states(reply.answer, both, rel=0.005), reply.answer
    alone = agent.ask("kWh per m2 of Incomer North in September")
    assert "one of the site's electricity supplies (with Bottling Hall)" in alone.answer
    assert not states(alone.answer, supply, rel=0.005), alone.answer


def test_the_site_asked_by_its_supplies_named_one_by_one_is_one_intensity(brewery) -> None:
    # "site-wide, counting X and Y" where X and Y are all the site's supplies: their sum over
    # the site's floor area, not each supply's apart
    agent, data = brewery
    reply = agent.ask(
        "Site-wide electricity per m2 in September, counting Incomer North and Bottling Hall?"
    )
    september = ("2026-09-01", "2026-09-30")
    both = sum(total(data, m, *september) for m in ("Incomer North", "Bottling Hall")) / 6000
    assert states(reply.answer, both, rel=0.005), reply.answer
    assert "I could not answer" not in reply.answer, reply.answer


def test_a_shift_name_of_two_words_needs_no_shift_word(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("how much did the Mash Tun Drive use in the late crew last week?")
    assert reply.tool_calls[0].name == "split_consumption", reply.answer
    assert reply.tool_calls[0].args["by"] == "shift" and "late crew" in reply.answer


def test_gas_read_in_m3_answers_in_kwh_with_its_m3_stated(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("how much did the Hot Water Heater use last week?")
    m3 = total(data, "Hot Water Heater", "2026-10-05", "2026-10-11")
    assert states(reply.answer, m3 * 10.5) and states(reply.answer, m3, rel=0.005), reply.answer
    asked = agent.ask("how many m3 did the Hot Water Heater use last week?")
    assert asked.tool_calls[0].args["metric"] == "volume" and states(asked.answer, m3, 0.005)


def test_the_busiest_day_of_an_amount_is_its_largest_daily_sum(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Hot Water Heater by day in September: which day was the heaviest?")
    values = data["Hot Water Heater"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    daily = values.groupby(local.strftime("%Y-%m-%d")).sum()
    september = daily[daily.index.str.startswith("2026-09")]
    assert states(reply.answer, float(september.max()) * 10.5), reply.answer


@pytest.mark.parametrize(
    ("value", "signed", "written"),
    [
        (-0.2458, True, "-0.25%"),
        (12.345, True, "+12.3%"),
        (0.0, False, "0.0%"),
        (0.5, False, "0.50%"),
    ],
)
def test_a_percentage_under_one_keeps_two_decimals(
    value: float, signed: bool, written: str
) -> None:
    from agent.render.text import percent

    assert percent(value, signed=signed) == written


def test_a_complete_coverage_states_none_missing_and_a_threshold_as_stated(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("data coverage of Pump K1 in September")
    assert "100% of the expected intervals, 0 missing (Pump K1)" in reply.answer, reply.answer
    episodes = agent.ask(
        "how many times was Incomer North above 20 kW for more than 30 minutes last week?"
    )
    assert "above 20 kW" in episodes.answer, episodes.answer


def daily(data: dict[str, pd.Series], meter: str, month: str) -> pd.Series:
    """A meter's daily sums over one month (local days)."""
    values = data[meter]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m-%d")
    days = values.groupby(local).sum()
    return days[days.index.str.startswith(month)]


def test_a_meter_minus_the_meters_it_feeds_is_its_unmetered_remainder(brewery) -> None:
    agent, data = brewery
    week = ("2026-10-05", "2026-10-11")
    reply = agent.ask(
        "how much of Incomer North last week is not sub-metered (minus Mash Tun Drive and Pump K1)?"
    )
    assert [c.args["meters"] for c in reply.tool_calls] == [
        ["Incomer North"],
        ["Mash Tun Drive", "Pump K1"],
    ]
    rest = total(data, "Incomer North", *week) - sum(
        total(data, m, *week) for m in ("Mash Tun Drive", "Pump K1")
    )
    assert states(reply.answer, rest), reply.answer
    # no sum of the supply with what it feeds is ever stated
    both = total(data, "Incomer North", *week) + total(data, "Mash Tun Drive", *week)
    assert not states(reply.answer, both)
    all_of_them = agent.ask("unmetered load of Incomer North last week")
    children = ("Mash Tun Drive", "Pump K1", "Pump K2")
    rest = total(data, "Incomer North", *week) - sum(total(data, m, *week) for m in children)
    assert states(all_of_them.answer, rest), all_of_them.answer


def test_one_meter_minus_another_that_it_does_not_feed_is_their_difference(brewery) -> None:
    """ "Pump K1 minus Pump K2": no remainder (neither feeds the other) but the one less the
    other, with both figures; three meters apart are asked back."""
    agent, data = brewery
    reply = agent.ask("Pump K1 minus Pump K2 last week")
    assert [c.name for c in reply.tool_calls] == ["compare_meters"], reply.answer
    week = ("2026-10-05", "2026-10-11")
    difference = total(data, "Pump K1", *week) - total(data, "Pump K2", *week)
    assert states(reply.answer, abs(difference)), reply.answer
    larger = "Pump K1" if difference > 0 else "Pump K2"
    assert reply.answer.startswith(f"**{larger}** used"), reply.answer
    three = agent.ask("Pump K1 minus Pump K2 minus Mash Tun Drive last week")
    assert three.outcome == "clarify" and not three.tool_calls, three.answer


def test_a_share_summing_a_meter_with_one_it_feeds_is_asked_back(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("what share of the site were Incomer North and Pump K1 last week?")
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert "Pump K1 is fed from Incomer North" in reply.answer


def test_an_average_daily_amount_is_the_mean_of_the_daily_sums(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("avg daily consumption of Pump K1 in September")
    assert reply.tool_calls[0].args["grain"] == "day", reply.tool_calls
    assert states(reply.answer, float(daily(data, "Pump K1", "2026-09").mean())), reply.answer


def test_the_biggest_day_named_without_which_is_the_largest_daily_sum(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("biggest day of Pump K2 in september - how many kWh?")
    assert states(reply.answer, float(daily(data, "Pump K2", "2026-09").max())), reply.answer


def test_a_unit_of_another_quantity_in_a_follow_up_replaces_the_measure(brewery) -> None:
    agent, data = brewery
    first = agent.ask("how many m3 did the Hot Water Heater use last week?")
    m3 = total(data, "Hot Water Heater", "2026-10-05", "2026-10-11")
    assert first.tool_calls[0].args["metric"] == "volume"
    reply = agent.ask("and in kWh?", thread=first.thread)
    assert reply.tool_calls[0].args["metric"] == "energy"
    assert states(reply.answer, m3 * 10.5), reply.answer


def test_missed_data_is_a_coverage_question(brewery) -> None:
    agent, _ = brewery
    reply = agent.ask("did Pump K1 miss any data in September?")
    assert [c.name for c in reply.tool_calls] == ["data_coverage"], reply.answer
    assert "0 missing" in reply.answer


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ("turn off Pump K1 over the weekend", "'turn off'"),
        ("switch Pump K1 off over the weekend", "'switch Pump K1 off'"),
        ("export the Pump K1 daily kWh to excel", "'export'"),
    ],
)
def test_a_refusal_quotes_what_it_refuses(brewery, question: str, quoted: str) -> None:
    agent, _ = brewery
    reply = agent.ask(question)
    assert reply.outcome == "refuse" and not reply.tool_calls
    assert quoted in reply.answer, reply.answer


def test_compare_the_two_compares_the_two_periods_just_discussed(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Pump K1 energy last week")
    agent.ask("and the week before?", thread=first.thread)
    reply = agent.ask("compare the two", thread=first.thread)
    call = reply.tool_calls[0]
    assert call.name == "compare_periods" and call.args["meters"] == ["Pump K1"], reply.answer
    change = total(data, "Pump K1", "2026-10-05", "2026-10-11") - total(
        data, "Pump K1", "2026-09-28", "2026-10-04"
    )
    assert states(reply.answer, abs(change)), reply.answer
    assert ("more" if change > 0 else "less") in reply.answer


def test_as_a_percentage_after_a_share_keeps_the_share(brewery) -> None:
    agent, data = brewery
    first = agent.ask("Incomer North consumption in September")
    agent.ask("how much of that was Pump K2?", thread=first.thread)
    reply = agent.ask("as a percentage?", thread=first.thread)
    month = ("2026-09-01", "2026-09-30")
    share = 100 * total(data, "Pump K2", *month) / total(data, "Incomer North", *month)
    assert states(reply.answer, share, rel=0.005), reply.answer  # one decimal


@pytest.mark.parametrize("word", ["more", "less"])
def test_which_of_two_periods_is_answered_with_the_period(brewery, word: str) -> None:
    agent, data = brewery
    reply = agent.ask(f"did Pump K2 use {word} in September or in October?")
    # October is still running at NOW: both months over the time it has run (readings
    # written past now do not count)
    values = data["Pump K2"]
    elapsed = NOW.timestamp() - datetime(2026, 10, 1, tzinfo=ZONE).timestamp()
    sep, octo = (
        values[(values.index >= start) & (values.index < start + elapsed)].sum()
        for start in (START.timestamp(), datetime(2026, 10, 1, tzinfo=ZONE).timestamp())
    )
    more = "September" if sep > octo else "October"
    other = "October" if more == "September" else "September"
    # the month by its name, not as typed
    assert reply.answer.startswith(f"{more if word == 'more' else other} 2026: "), reply.answer


@pytest.mark.parametrize(
    "said", ["in US dollars, use 0.92 EUR per USD", "in USD (1 USD = 0.92 EUR)"]
)
def test_a_cost_is_converted_at_the_exchange_rate_the_question_states(brewery, said: str) -> None:
    agent, data = brewery
    reply = agent.ask(f"cost of Pump K1 last week at 0.20 EUR per kWh {said}")
    assert reply.tool_calls[0].args["kpi"] == "cost", reply.answer
    eur = total(data, "Pump K1", "2026-10-05", "2026-10-11") * 0.20
    assert states(reply.answer, eur) and states(reply.answer, eur / 0.92), reply.answer
    assert "at your rate of 0.92 EUR per USD" in reply.answer


def test_energy_named_beside_another_kpi_gets_its_own_figure(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("Pump K1 last week - kWh and peak kW")
    assert [c.args["kpi"] for c in reply.tool_calls] == ["energy", "peak_demand"], reply.answer
    week = ("2026-10-05", "2026-10-11")
    values = data["Pump K1"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m-%d")
    peak = float(values[(local >= week[0]) & (local <= week[1])].max()) * 4  # kWh per 15 min
    assert states(reply.answer, total(data, "Pump K1", *week)), reply.answer
    assert states(reply.answer, peak, rel=0.002), reply.answer


def test_the_supplies_added_up_are_the_sites_intensity(brewery, engine: Engine) -> None:
    """Both supplies written with a plus: their energy together over the site's floor area;
    meters that are not all the site's supplies of a carrier get no intensity together."""
    agent, data = brewery
    reply = agent.ask("kWh per m2 of incomer north + bottling hall in September")
    supplies = ("Incomer North", "Bottling Hall")
    both = sum(total(data, m, "2026-09-01", "2026-09-30") for m in supplies)
    assert states(reply.answer, both / 6000), reply.answer
    with engine.connect() as conn:
        site = catalog.get_site(conn, "brewery")
    args = {"kpi": "intensity", "meter": "Incomer North", "with_meters": ["Mash Tun Drive"]}
    with pytest.raises(InvalidKpiRequest, match="one meter at a time"):
        compute_kpi(ToolContext(engine, site, NOW), args | {"period": "2026-09"})


def test_meters_joined_by_a_plus_are_one_side_of_a_comparison(brewery) -> None:
    agent, data = brewery
    reply = agent.ask("September: incomer north + bottling hall vs steam raiser, which used more?")
    (call,) = reply.tool_calls
    assert call.args["sides"] == [["Incomer North", "Bottling Hall"], ["Steam Raiser"]]
    supplies = ("Incomer North", "Bottling Hall")
    power = sum(total(data, m, "2026-09-01", "2026-09-30") for m in supplies)
    steam = total(data, "Steam Raiser", "2026-09-01", "2026-09-30")
    assert states(reply.answer, power) and states(reply.answer, steam), reply.answer
    carbon = agent.ask("September kg CO2e: incomer north + bottling hall vs steam raiser")
    meters = [[c.args["meter"], *c.args.get("with_meters", [])] for c in carbon.tool_calls]
    assert meters == [["Incomer North", "Bottling Hall"], ["Steam Raiser"]]


def test_more_in_one_period_than_in_a_later_one_is_the_first_against_the_second(brewery) -> None:
    """ "how many kWh more in the week of 7-13 September than in the week of 21-27
    September?": the figure is of the period before "than", though it is the earlier one."""
    agent, data = brewery
    reply = agent.ask(
        "How many kWh more did Pump K1 use in the week of 7-13 September than in the week "
        "of 21-27 September?"
    )
    call = reply.tool_calls[0]
    assert call.name == "compare_periods", reply.answer
    assert call.args["period"].startswith("2026-09-07"), call.args
    change = total(data, "Pump K1", "2026-09-07", "2026-09-13") - total(
        data, "Pump K1", "2026-09-21", "2026-09-27"
    )
    lead = reply.answer.split("\n")[0]
    assert states(lead, abs(change)), reply.answer
    assert ("more" if change > 0 else "less") in lead
    assert lead.index("7 Sep") < lead.index("21 Sep"), lead


def test_as_a_percent_of_a_named_whole_after_two_weeks_is_a_share_not_a_change(brewery) -> None:
    """ "as a % of Incomer North that week?" after last week and the week before: the share
    of the whole it names, in the week pointed at, not the two weeks' change in percent."""
    agent, data = brewery
    first = agent.ask("how many kWh did Pump K1 pull last week?")
    assert not re.search(r"did not use 'pull'", first.answer), first.answer
    agent.ask("and the week before?", thread=first.thread)
    reply = agent.ask("as a % of Incomer North that week?", thread=first.thread)
    assert [c.name for c in reply.tool_calls] == ["share_of"], reply.answer
    week = ("2026-09-28", "2026-10-04")
    share = 100 * total(data, "Pump K1", *week) / total(data, "Incomer North", *week)
    assert states(reply.answer.split("\n")[0], share, rel=0.005), reply.answer


def test_an_intensity_of_a_meter_with_no_floor_area_is_refused(brewery) -> None:
    """A sub-meter the catalogue gives no floor area has no intensity: a refusal that says
    what is missing, not an answer."""
    agent, _ = brewery
    reply = agent.ask("energy intensity in kWh per square metre of Pump K1 for September")
    assert reply.outcome == "refuse", reply.answer
    assert "no floor area" in reply.answer and "kWh/m2" not in reply.answer


def test_two_prices_with_no_hours_read_for_them_are_asked_back(brewery) -> None:
    """Two prices per kWh whose hours could not be read: pricing it all at one of them would be
    a figure on a tariff the user did not give; when each holds is asked back."""
    agent, _ = brewery
    reply = agent.ask(
        "cost of Pump K1 in September at 0.20 EUR/kWh off-peak and 0.35 EUR/kWh in the busy "
        "slot, energy only"
    )
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert "0.2 and 0.35 EUR/kWh" in reply.answer
    flat = agent.ask("cost of Pump K1 in September at 0.20 EUR/kWh, energy only")
    assert [c.args.get("kpi") for c in flat.tool_calls] == ["cost"], flat.answer


def tou_cost(values: pd.Series, month: str, peak: float, other: float, hours: range) -> float:
    """A month's cost at `peak` on weekdays in `hours` (local, by each reading's start) and
    `other` at every other time, by pandas alone."""
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    inside = (local.day_of_week < 5) & local.hour.isin(list(hours))
    price = np.where(inside, peak, other)
    return float((values.to_numpy() * price)[local.strftime("%Y-%m") == month].sum())


@pytest.mark.parametrize(
    "prices",
    [
        "0.20 EUR/kWh off-peak and 0.35 EUR/kWh on-peak, weekdays 08:00-20:00",
        "0.35 EUR/kWh peak and 0.20 EUR/kWh off-peak, weekdays 08:00-20:00",
        "0.20 EUR/kWh fora ponta and 0.35 EUR/kWh in ponta, weekdays 08:00-20:00",
    ],
)
def test_two_labelled_prices_with_the_peak_hours_after_them_are_a_tou_tariff(
    brewery, prices: str
) -> None:
    """Hours stated after a list of two labelled prices belong to the peak label; the off-peak
    price holds at all other times, and the answer echoes both with their hours."""
    agent, data = brewery
    reply = agent.ask(f"cost of Pump K1 in September at {prices}, energy only")
    assert [c.args.get("kpi") for c in reply.tool_calls] == ["cost"], reply.answer
    expected = tou_cost(data["Pump K1"], "2026-09", 0.35, 0.20, range(8, 20))
    assert states(reply.answer, expected), (expected, reply.answer)
    assert "0.35 EUR/kWh Mon-Fri 08:00-20:00" in reply.answer
    assert "0.2 EUR/kWh at other times" in reply.answer


def test_two_labelled_prices_with_two_sets_of_hours_are_asked_back(brewery) -> None:
    """Two sets of hours after two labelled prices cannot be placed: asked back, not priced."""
    agent, _ = brewery
    reply = agent.ask(
        "cost of Pump K1 in September at 0.20 EUR/kWh off-peak and 0.35 EUR/kWh on-peak, "
        "weekdays 08:00-12:00 and 14:00-18:00"
    )
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer


def test_a_report_of_a_month_with_nothing_to_report_is_refused(brewery) -> None:
    """A monthly report of a month before the history begins, or of one that has not begun
    yet, is refused with the reason and the month it was asked for, not produced or asked
    back."""
    agent, _ = brewery
    before = agent.ask("the monthly report for March 2026 please")
    assert before.outcome == "refuse", before.answer
    assert "March 2026" in before.answer and "kWh" not in before.answer
    ahead = agent.ask("the monthly report for 2026-12")
    assert ahead.outcome == "refuse", ahead.answer
    assert "December 2026 has not begun yet" in ahead.answer


def test_a_share_outside_stated_hours_is_the_share_of_the_hours_left(brewery) -> None:
    """ "outside 06:00-22:00": the hours of the day not in the window (22:00-06:00), not the
    window itself."""
    agent, data = brewery
    reply = agent.ask("Which share of Pump K1's September energy fell outside 06:00-22:00?")
    values = data["Pump K1"]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ)
    month = values[local.strftime("%Y-%m") == "2026-09"]
    hours = pd.to_datetime(month.index, unit="s", utc=True).tz_convert(TZ).hour
    share = 100 * float(month[(hours < 6) | (hours >= 22)].sum()) / float(month.sum())
    lead = reply.answer.split("\n")[0]
    assert states(lead, share, rel=0.005) and "22:00-06:00" in lead, reply.answer
