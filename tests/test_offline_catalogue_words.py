"""What the offline model takes from a plant's catalogue, on a cannery shaped unlike the demo: a
carrier no meter measures is refused naming it and what the site meters; a count named by what
it counts ("tins", "trays", "caixas") is the production series linked to the line, not its
kWh; a stated calorific value converts the gas read in m3 and is echoed; anomaly questions
that name a kind or a fault ask the anomaly tool for those kinds. Numbers are checked against
pandas over the readings written."""

from __future__ import annotations

import re
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from agent.loop import Agent
from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from store import catalog
from store.writes import write_readings
from tests.offline_agents import offline_agent

TZ = "America/Chicago"
ZONE = ZoneInfo(TZ)
START = datetime(2026, 9, 1, tzinfo=ZONE)
NOW = datetime(2026, 10, 15, 10, tzinfo=ZONE)  # a Thursday
WEEK = ("2026-10-05", "2026-10-11")  # "last week"
PLANT = textwrap.dedent(
    f"""\
    version: 1
    site:
      name: cannery
      timezone: {TZ}
      currency: USD
    meters:
      - {{name: Grid Feed, carrier: electricity, description: Utility supply of the cannery}}
      - {{name: Seamer Line, carrier: electricity, parent: Grid Feed,
          description: Can seaming and labelling, production: [Seal Counter]}}
      - {{name: Retort Line, carrier: electricity, parent: Grid Feed,
          description: Sterilising retorts; its PLC reports what it loads}}
      - {{name: Seal Counter, carrier: production,
          description: Sealed tins counted at the end of the Seamer Line}}
      - {{name: Process Gas, carrier: gas, unit: m3, description: Gas to the retort burners}}
    """
)
QUARTER = ("Grid Feed", "Seamer Line", "Retort Line", "Seal Counter")


def readings() -> dict[str, pd.Series]:
    """Six weeks of quarter-hours (energy, tins sealed, trays loaded) and hourly gas in m3."""
    rng = np.random.default_rng(23)
    n = 96 * 45
    ts = int(START.timestamp()) + 900 * np.arange(n, dtype=np.int64)
    seamer, retort = rng.uniform(5, 12, n), rng.uniform(3, 8, n)
    hours = int(START.timestamp()) + 3600 * np.arange(24 * 45, dtype=np.int64)
    return {
        "Seamer Line": pd.Series(seamer, index=ts),
        "Retort Line": pd.Series(retort, index=ts),
        "Grid Feed": pd.Series(seamer + retort + 4, index=ts),
        "Seal Counter": pd.Series(rng.integers(200, 400, n).astype(float), index=ts),
        "Retort Line trays": pd.Series(rng.integers(2, 9, n).astype(float), index=ts),
        "Process Gas": pd.Series(rng.uniform(4, 9, 24 * 45), index=hours),
    }


# meter -> (series key in `readings`, metric, unit, interval in seconds)
SERIES = {
    "Grid Feed": [("Grid Feed", "energy", "kWh", 900)],
    "Seamer Line": [("Seamer Line", "energy", "kWh", 900)],
    "Retort Line": [
        ("Retort Line", "energy", "kWh", 900),
        ("Retort Line trays", "production", "unit", 900),
    ],
    "Seal Counter": [("Seal Counter", "production", "unit", 900)],
    "Process Gas": [("Process Gas", "volume", "m3", 3600)],
}


@pytest.fixture
def cannery(engine: Engine, tmp_path: Path) -> tuple[Agent, dict[str, pd.Series]]:
    apply_plant(engine, parse_plant(PLANT, "cannery.yaml", "yaml"))
    data = readings()
    with engine.begin() as conn:
        site = catalog.get_site(conn, "cannery")
        for meter, series in SERIES.items():
            for key, metric, unit, step in series:
                sid = catalog.ensure_series(conn, site.id, meter, metric, unit, interval_s=step).id
                values = data[key]
                write_readings(conn, sid, values.index.to_numpy(), values.to_numpy(), TZ)
    agent = offline_agent(engine, site, tmp_path / "threads.db", NOW)
    return agent, data


def total(data: dict[str, pd.Series], key: str, first: str, last: str) -> float:
    values = data[key]
    local = pd.to_datetime(values.index, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m-%d")
    return float(values[(local >= first) & (local <= last)].sum())


def states(answer: str, expected: float, rel: float = 0.001) -> bool:
    found = [float(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*\.?\d*", answer)]
    return any(abs(n - expected) <= rel * abs(expected) for n in found)


def no_figure(answer: str) -> bool:
    return not re.search(r"\d\s*(?:kWh|kW|MWh|USD|kg|m3)\b", answer)


# ------------------------------------------------------------------ carriers not metered


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("how much steam did we use last week", "steam"),
        ("how much water did we use last week?", "water"),
        ("compressed air flow last week", "compressed air"),
    ],
)
def test_a_carrier_no_meter_measures_is_refused_naming_what_is_metered(
    cannery, question: str, said: str
) -> None:
    agent, _ = cannery
    reply = agent.ask(question)
    assert reply.outcome == "refuse" and not reply.tool_calls, reply.answer
    assert f"'{said}'" in reply.answer and "no meter at cannery measures" in reply.answer
    # what the site does meter, from its catalogue, the supply first
    assert "electricity (Grid Feed and 2 more)" in reply.answer, reply.answer
    assert "gas (Process Gas)" in reply.answer, reply.answer
    assert no_figure(reply.answer), reply.answer


def test_a_metered_carrier_beside_one_not_metered_is_answered_and_the_other_said(
    cannery,
) -> None:
    agent, data = cannery
    reply = agent.ask("Grid Feed electricity and steam last week")
    assert reply.outcome == "answer", reply.answer
    assert states(reply.answer, total(data, "Grid Feed", *WEEK)), reply.answer
    assert "I did not use 'steam'" in reply.answer


def test_a_clause_of_its_own_is_answered_beside_one_asking_for_an_unmetered_carrier(
    cannery,
) -> None:
    """The Process Gas is named only in the clause about steam: it is left out of the figure
    (and said so), not added to the Seamer Line's kWh."""
    agent, data = cannery
    reply = agent.ask(
        "What did the Seamer Line use last week, and how much steam did the Process Gas make?"
    )
    assert reply.outcome == "answer", reply.answer
    assert [c.args["meters"] for c in reply.tool_calls] == [["Seamer Line"]], reply.answer
    assert states(reply.answer, total(data, "Seamer Line", *WEEK)), reply.answer
    assert "I did not use 'Process Gas'" in reply.answer, reply.answer
    assert "I did not use 'steam'" in reply.answer, reply.answer


def test_a_carrier_word_defined_by_the_meters_in_brackets_names_those_meters(cannery) -> None:
    """ "steam (the Retort Line)": the user says at once what the word stands for, so it is
    that meter's share, not a quantity nobody meters."""
    agent, data = cannery
    reply = agent.ask("what share of Grid Feed went into steam (the Retort Line) last week?")
    assert reply.outcome == "answer", reply.answer
    share = 100 * total(data, "Retort Line", *WEEK) / total(data, "Grid Feed", *WEEK)
    assert states(reply.answer, share, rel=0.002), reply.answer
    assert "no meter at cannery measures" not in reply.answer, reply.answer


# ------------------------------------------------------------------ counts named by what they count


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("Seamer Line tins last week", "Seal Counter"),  # the linked counter's description
        ("units on the seamer line last week", "Seal Counter"),  # a count noun
        ("caixas da Seamer Line last week", "Seal Counter"),  # in Portuguese
        ("pieces of the Retort Line last week", "Retort Line trays"),  # its own series
    ],
)
def test_a_count_named_by_what_it_counts_is_the_production_series(
    cannery, question: str, key: str
) -> None:
    agent, data = cannery
    reply = agent.ask(question)
    calls = [(c.name, c.args.get("metric")) for c in reply.tool_calls]
    assert calls == [("query_metric", "production")], (calls, reply.answer)
    assert states(reply.answer, total(data, key, *WEEK)), reply.answer
    line = "Seamer Line" if key == "Seal Counter" else "Retort Line"
    assert not states(reply.answer, total(data, line, *WEEK)), reply.answer


def test_energy_per_tin_divides_by_the_linked_counter(cannery) -> None:
    agent, data = cannery
    reply = agent.ask("Seamer Line kWh per tin last week")
    sec = total(data, "Seamer Line", *WEEK) / total(data, "Seal Counter", *WEEK)
    assert states(reply.answer, sec, rel=0.01), reply.answer


# ------------------------------------------------------------------ a stated calorific value


@pytest.mark.parametrize(
    ("said", "factor"),
    [("10,83 kWh per m³", 10.83), ("calorific value 38 MJ/m3", 38 / 3.6)],
)
def test_a_stated_calorific_value_converts_the_gas_and_is_echoed(
    cannery, said: str, factor: float
) -> None:
    """The cannery's catalogue has no calorific value: without one stated the gas in kWh
    cannot be given; with one it is, converted with it, and the answer says so."""
    agent, data = cannery
    reply = agent.ask(f"how much energy did the Process Gas use last week in kWh? we use {said}")
    assert reply.outcome == "answer", reply.answer
    (call,) = [c for c in reply.tool_calls if c.name == "query_metric"]
    assert call.args["calorific_value_kwh_per_m3"] == pytest.approx(factor)
    m3 = total(data, "Process Gas", *WEEK)
    assert states(reply.answer, m3 * factor, rel=0.002), reply.answer
    assert "stated in the question" in reply.answer and f"'{said}'" in reply.answer


def test_a_stated_calorific_value_no_figure_uses_is_said_not_used(cannery) -> None:
    agent, data = cannery
    reply = agent.ask("Seamer Line energy last week, gas at 10.5 kWh/m3")
    assert states(reply.answer, total(data, "Seamer Line", *WEEK)), reply.answer
    assert "I did not use '10.5 kWh/m3'" in reply.answer, reply.answer
    assert "converted with the calorific value you stated" not in reply.answer, reply.answer


def test_a_threshold_per_m3_is_refused_naming_the_volume_meters_and_stores_nothing(
    cannery,
) -> None:
    """Energy per m³ on a meter no series of which is measured in it: the gas meter's m3 is
    no volume the line delivers, so 'per m3' is said not used and no kWh rule is proposed."""
    agent, _ = cannery
    reply = agent.ask("alert me when the Seamer Line goes above 0.12 kWh/m3")
    assert reply.outcome == "refuse" and reply.tool_calls == [], reply.answer
    assert "I did not use 'per m3'" in reply.answer, reply.answer
    assert "Process Gas measures m3" in reply.answer, reply.answer
    assert not reply.pending, reply.pending


# ------------------------------------------------------------------ anomaly kinds


@pytest.mark.parametrize(
    ("question", "kinds", "said"),
    [
        ("any stuck meters last week?", ["stuck_meter"], "stuck readings"),
        ("spikes on the Seamer Line last week", ["demand_spike"], "demand spikes"),
        ("any leaks last week?", ["consumption_high"], "I have no check of leaks as such"),
        (
            "drift on the Retort Line last week",
            ["consumption_high", "consumption_low"],
            "I have no check of drifts as such",
        ),
    ],
)
def test_an_anomaly_kind_or_fault_asks_the_tool_for_those_kinds(
    cannery, question: str, kinds: list[str], said: str
) -> None:
    agent, _ = cannery
    reply = agent.ask(question)
    (call,) = reply.tool_calls
    assert call.name == "detect_anomalies" and call.args["kinds"] == kinds, reply.answer
    assert said in reply.answer, reply.answer


def test_a_fault_the_tool_cannot_see_is_said_and_every_kind_looked_for(cannery) -> None:
    agent, _ = cannery
    reply = agent.ask("any short cycling on the Retort Line last week?")
    (call,) = reply.tool_calls
    assert call.name == "detect_anomalies" and not call.args.get("kinds"), reply.answer
    assert reply.answer.startswith("I cannot detect short cycling"), reply.answer
