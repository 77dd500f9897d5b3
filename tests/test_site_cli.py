"""The command line on a store of one site of any name, of several sites and of none, without
EMS_SITE, on SQLite and PostgreSQL: `ask`, `meters` and the tool commands find the only site;
among several a question or command names one (or EMS_SITE does); an empty store answers
knowledge questions and says how to load data for the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ems_agent.cli import app
from tests.knowledge_files import AIR

runner = CliRunner()
NOW = "2025-03-05T10:00"
SITE = "Werk Süd"


@pytest.fixture
def store(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The CLI pointed at the test's store (SQLite or PostgreSQL), without EMS_SITE."""
    monkeypatch.setenv("EMS_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("EMS_SITE", raising=False)
    return engine


def run(*args: str, code: int = 0) -> tuple[str, str]:
    """stdout, and stderr with its lines joined (the console wraps long errors)."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result.stdout, " ".join(result.stderr.split())


def run_json(*args: str) -> dict[str, Any]:
    return json.loads(run(*args, "--json")[0])  # type: ignore[no-any-return]


def import_site(tmp: Path, site: str, meter: str, seed: int) -> pd.DataFrame:
    """Four days of quarter-hours of one meter, imported under `site` (times in UTC)."""
    ts = pd.date_range("2025-03-01", periods=96 * 4, freq="15min", tz="UTC")
    values = np.random.default_rng(seed).uniform(5, 15, len(ts)).round(3)
    frame = pd.DataFrame({"timestamp": ts, "meter": meter, "metric": "energy", "value": values})
    path = tmp / f"{seed}.csv"
    frame.assign(unit="kWh").to_csv(path, index=False)
    run_json("import-csv", str(path), "--site", site, "--timezone", "UTC")
    return frame


def day_total(frame: pd.DataFrame, day: str) -> float:
    return float(frame.loc[frame["timestamp"].dt.strftime("%Y-%m-%d") == day, "value"].sum())


QUESTION = "How much energy did press-7 use on 3 March 2025?"


def test_one_site_of_any_name_needs_no_setting(store: Engine, tmp_path: Path) -> None:
    frame = import_site(tmp_path, SITE, "press-7", 1)
    assert [s["name"] for s in run_json("meters")["sites"]] == [SITE]
    result = run_json("query-metric", "--meters", "press-7", "--period", "2025-03-03", "--now", NOW)
    assert result["totals"][0]["value"] == pytest.approx(day_total(frame, "2025-03-03"))
    reply = run_json("ask", QUESTION, "--now", NOW)
    assert reply["outcome"] == "answer", reply["answer"]
    (call,) = reply["tool_calls"]
    assert call["result"]["totals"][0]["value"] == pytest.approx(day_total(frame, "2025-03-03"))


def test_several_sites_are_chosen_by_name_or_by_the_default(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    south = import_site(tmp_path, SITE, "press-7", 1)
    north = import_site(tmp_path, "north", "press-7", 2)
    reply = run_json("ask", QUESTION, "--now", NOW)
    assert reply["outcome"] == "refuse" and not reply["tool_calls"]
    assert f"2 sites (north, {SITE})" in reply["answer"] and "--site" in reply["answer"]
    _, err = run("query-metric", "--meters", "press-7", "--period", "2025-03-03", code=1)
    assert "EMS_SITE" in err and "north" in err
    named = run_json("ask", QUESTION, "--now", NOW, "--site", "north")
    value = named["tool_calls"][0]["result"]["totals"][0]["value"]
    assert value == pytest.approx(day_total(north, "2025-03-03"))
    monkeypatch.setenv("EMS_SITE", SITE)
    by_default = run_json(
        "query-metric", "--meters", "press-7", "--period", "2025-03-03", "--now", NOW
    )
    assert by_default["totals"][0]["value"] == pytest.approx(day_total(south, "2025-03-03"))
    monkeypatch.setenv("EMS_SITE", "nowhere")
    _, err = run("meters", code=0)  # listing every site needs no choice
    _, err = run("catalog", "show", code=1)
    assert "'nowhere'" in err and "north" in err


def test_a_question_names_a_site_or_compares_them(store: Engine, tmp_path: Path) -> None:
    south = import_site(tmp_path, SITE, "press-7", 1)
    north = import_site(tmp_path, "north", "press-7", 2)
    reply = run_json("ask", "How much energy did press-7 use at north on 3 March 2025?")
    (call,) = reply["tool_calls"]
    assert call["args"]["site"] == "north"
    assert call["result"]["totals"][0]["value"] == pytest.approx(day_total(north, "2025-03-03"))
    ranked = run_json("ask", "Which site used the most energy on 3 March 2025?", "--now", NOW)
    (call,) = ranked["tool_calls"]
    assert call["name"] == "rank_sites" and call["args"]["per_m2"] is False
    (ranking,) = call["result"]["rankings"]
    expected = {SITE: day_total(south, "2025-03-03"), "north": day_total(north, "2025-03-03")}
    order = sorted(expected, key=lambda name: -expected[name])
    assert [r["site"] for r in ranking["ranking"]] == order
    assert [r["value"] for r in ranking["ranking"]] == pytest.approx([expected[n] for n in order])
    first = next(line for line in ranked["answer"].splitlines() if line.startswith("1. "))
    assert order[0] in first


def test_an_unknown_site_in_a_question_or_an_option_lists_the_sites(
    store: Engine, tmp_path: Path
) -> None:
    import_site(tmp_path, SITE, "press-7", 1)
    import_site(tmp_path, "north", "press-7", 2)
    reply = run_json("ask", "How much energy did press-7 use at site west on 3 March 2025?")
    assert reply["outcome"] == "clarify" and not reply["tool_calls"]
    assert f"no site named 'west'; sites: north, {SITE}" in reply["answer"]
    for command in (
        ("ask", QUESTION, "--site", "west"),
        ("query-metric", "--meters", "press-7", "--period", "2025-03-03", "--site", "west"),
        ("meters", "--site", "west"),
    ):
        _, err = run(*command, code=1)
        assert f"no site named 'west'; sites: north, {SITE}" in err, command
        assert "Traceback" not in err


def test_an_empty_store_answers_knowledge_and_says_how_to_load_data(
    store: Engine, tmp_path: Path
) -> None:
    assert "ems-agent demo" in run("meters")[0]
    _, err = run("import-csv", str(tmp_path / "missing.csv"), code=1)
    assert "missing.csv: no such file" in err
    (tmp_path / "a.csv").write_text("timestamp,meter,metric,value\n2025-03-01T00:00Z,m,energy,1\n")
    _, err = run("import-csv", str(tmp_path / "a.csv"), code=1)
    assert "--site NAME" in err
    meter_question = run_json("ask", "How much energy did we use yesterday?", "--now", NOW)
    assert meter_question["outcome"] == "refuse" and not meter_question["tool_calls"]
    assert "no meter data yet" in meter_question["answer"]
    assert "ems-agent import-csv FILE --site NAME" in meter_question["answer"]
    (tmp_path / "air.md").write_text(AIR, encoding="utf-8")
    run_json("knowledge", "add", str(tmp_path / "air.md"))
    reply = run_json("ask", "What does the runbook say about finding compressed air leaks?")
    assert [c["name"] for c in reply["tool_calls"]] == ["search_knowledge"]
    assert reply["outcome"] == "answer" and "Compressed air handbook" in reply["answer"]
