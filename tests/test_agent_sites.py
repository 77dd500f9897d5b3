"""The agent on a language model with several sites or none, on SQLite and PostgreSQL: the
prompt lists the other sites and a tool call naming one runs there; a turn without a site says
why in the prompt, refuses meter tools with that reason and still compares the sites."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from agent.loop import Agent
from agent.memory import sqlite_memory
from agent.models import make_backend
from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from ems_agent.context import TurnContexts, fixed_clock
from ems_agent.settings import Settings
from ems_agent.slices import llm_settings
from store import catalog
from store.writes import write_readings
from tests.openai_server import Reply, ScriptedOpenAIServer
from tools.registry import all_tools

NOW = datetime(2026, 3, 5, 12, tzinfo=ZoneInfo("UTC"))
SITES = {"north": "Europe/Berlin", "south": "America/Chicago"}


def agent_on(engine: Engine, url: str, home: Path, default: str | None = None) -> Agent:
    config = Settings(home=home, llm_base_url=url, llm_model="test-model", llm_timeout_s=5)
    contexts = TurnContexts(engine, None, clock=fixed_clock(NOW), default_site=default)
    return Agent(
        make_backend(llm_settings(config)), all_tools(), sqlite_memory(home / "t.db"), contexts
    )


def load(engine: Engine) -> dict[str, pd.DataFrame]:
    ts = int(datetime(2026, 3, 1, tzinfo=ZoneInfo("UTC")).timestamp()) + 900 * np.arange(384)
    out = {}
    for k, (name, tz) in enumerate(SITES.items()):
        aliases = "[Texas]" if name == "south" else "[]"
        area = 1000 * (k + 1)
        text = f"""\
            version: 1
            site: {{name: {name}, timezone: {tz}, aliases: {aliases}, floor_area_m2: {area}}}
            meters: [{{name: supply, carrier: electricity}}]
            """
        apply_plant(engine, parse_plant(textwrap.dedent(text), "p.yaml", "yaml"))
        values = np.random.default_rng(k).uniform(5, 10, len(ts))
        with engine.begin() as conn:
            site = catalog.get_site(conn, name)
            sid = catalog.ensure_series(conn, site.id, "supply", "energy", "kWh").id
            write_readings(conn, sid, ts, values, tz)
        local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(tz)
        out[name] = pd.DataFrame({"local": local, "value": values})
    return out


def day(frame: pd.DataFrame, date: str) -> float:
    return float(frame.loc[frame["local"].dt.strftime("%Y-%m-%d") == date, "value"].sum())


def test_a_question_about_another_site_runs_there(
    openai_server: ScriptedOpenAIServer, engine: Engine, tmp_path: Path
) -> None:
    data = load(engine)

    def answer(body: dict[str, Any]) -> Reply:
        value = json.loads(body["messages"][-1]["content"])["totals"][0]["value"]
        return Reply.text(f"Texas used {value:,.1f} kWh.")

    args = {"meters": ["supply"], "period": "2026-03-02", "site": "Texas"}
    openai_server.add(Reply.tool_calls([("query_metric", args)]), answer)
    reply = agent_on(engine, openai_server.base_url, tmp_path, default="north").ask("Texas?")
    assert reply.answer == f"Texas used {day(data['south'], '2026-03-02'):,.1f} kWh."
    assert reply.tool_calls[0].result["period"]["start"] == "2026-03-02T00:00:00-06:00"
    system = openai_server.chat_requests[0].body["messages"][0]["content"]
    assert "Site: north" in system and "Other sites in the store: south (also: Texas)" in system
    openai_server.assert_script_used()


def test_without_a_default_the_turn_has_no_site_but_compares_sites(
    openai_server: ScriptedOpenAIServer, engine: Engine, tmp_path: Path
) -> None:
    data = load(engine)
    openai_server.add(
        Reply.tool_calls([("query_metric", {"meters": ["supply"], "period": "2026-03-02"})]),
        Reply.tool_calls([("rank_sites", {"period": "2026-03-02"})]),
        Reply.text("done"),
    )
    reply = agent_on(engine, openai_server.base_url, tmp_path).ask("which site per m2?")
    refused, ranked = reply.tool_calls
    assert "SiteNotChosen" in refused.result["error"] and "north, south" in refused.result["error"]
    per_m2 = {r["site"]: r["value"] for r in ranked.result["rankings"][0]["ranking"]}
    expected = {"north": day(data["north"], "2026-03-02") / 1000}
    expected["south"] = day(data["south"], "2026-03-02") / 2000
    assert per_m2 == pytest.approx(expected, rel=1e-12)
    system = openai_server.chat_requests[0].body["messages"][0]["content"]
    assert "There is no current site: the store holds 2 sites" in system


def test_an_empty_store_prompt_says_how_to_load_data(
    openai_server: ScriptedOpenAIServer, engine: Engine, tmp_path: Path
) -> None:
    openai_server.add(Reply.text("Load some data first."))
    reply = agent_on(engine, openai_server.base_url, tmp_path).ask("how much did we use?")
    assert reply.answer == "Load some data first."
    system = openai_server.chat_requests[0].body["messages"][0]["content"]
    assert "There is no current site: the store has no meter data yet" in system
    assert "ems-agent import-csv FILE --site NAME" in system and "search_knowledge" in system
