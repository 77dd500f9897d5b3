"""Every tool is a CLI command with --json, wired to the same declaration the agent uses."""

from __future__ import annotations

import json
import socket
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from ems_agent.app import analytics_config, open_app
from ems_agent.cli import app
from store import catalog
from tools.base import ToolContext
from tools.registry import all_tools

REGISTRY = all_tools()

runner = CliRunner()
NOW = "2025-07-10T08:00"


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    home = str(tmp_path_factory.mktemp("demo-home"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EMS_HOME", home)
        result = runner.invoke(app, ["demo", "--days", "35", "--end", "2025-07-10", "--json"])
        assert result.exit_code == 0, result.stderr
    return home


@pytest.fixture(autouse=True)
def _use_demo(demo_home: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMS_HOME", demo_home)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def invoke_json(*args: str) -> dict:
    code, stdout, stderr = invoke(*args, "--now", NOW, "--json")
    assert code == 0, stderr
    return json.loads(stdout)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_tool_has_a_command_with_json(name: str) -> None:
    code, stdout, _ = invoke(name.replace("_", "-"), "--help")
    assert code == 0 and "--json" in stdout


def test_kpi_command_equals_the_tool_called_directly() -> None:
    via_cli = invoke_json(
        "compute-kpi", "--kpi", "peak_demand", "--meter", "comp2", "--period", "last week"
    )
    settings = open_app().settings
    engine = open_app().engine
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    ctx = ToolContext(
        engine,
        site,
        datetime(2025, 7, 10, 8, tzinfo=ZoneInfo(site.timezone)),
        analytics_config(settings),
    )
    direct = REGISTRY["compute_kpi"](
        ctx, {"kpi": "peak_demand", "meter": "comp2", "period": "last week"}
    )
    assert via_cli == direct.to_json()
    assert via_cli["meter"] == "compressor-2" and via_cli["unit"] == "kW"


def test_list_options_and_human_output() -> None:
    data = invoke_json(
        "query-metric",
        "--meters",
        "chiller",
        "--meters",
        "boiler",
        "--period",
        "2025-07-01..2025-07-07",
        "--grain",
        "day",
    )
    assert {t["meter"] for t in data["totals"]} == {"chiller", "boiler"}
    code, stdout, _ = invoke("rank-meters", "--period", "last week", "--now", NOW)
    assert code == 0 and "ranking" in stdout
    ranked = stdout.split("ranking")[1].split("unmetered")[0]
    assert "line-a" in ranked and "main-incomer" not in ranked  # a parent is not its own child


def test_a_true_by_default_flag_can_be_turned_off() -> None:
    per_m2 = invoke_json("rank-sites", "--period", "last week")
    totals = invoke_json("rank-sites", "--period", "last week", "--no-per-m2")
    assert per_m2["per_m2"] is True and totals["per_m2"] is False
    (site,) = {f["site"] for f in totals["sites"]}
    electricity = next(r for r in totals["rankings"] if r["carrier"] == "electricity")
    area = next(f["floor_area_m2"] for f in per_m2["sites"] if f["carrier"] == "electricity")
    per_m2_value = next(r for r in per_m2["rankings"] if r["carrier"] == "electricity")
    assert electricity["ranking"][0]["value"] == pytest.approx(
        per_m2_value["ranking"][0]["value"] * area
    )
    assert site == "demo-plant"


def test_bad_arguments_and_unknown_meters_are_one_clear_line() -> None:
    code, stdout, stderr = invoke(
        "compute-kpi", "--kpi", "speed", "--meter", "chiller", "--period", "today"
    )
    assert code == 1 and "--kpi" in stderr and "Traceback" not in stdout + stderr
    code, _, stderr = invoke(
        "compute-kpi", "--kpi", "energy", "--meter", "chiler", "--period", "today"
    )
    assert code == 1 and "did you mean chiller" in stderr
    code, _, stderr = invoke("run-sql", "--sql", "DELETE FROM readings")
    assert code == 1 and "only SELECT" in stderr
    code, stdout, stderr = invoke(
        "query-metric", "--meters", "chiller", "--period", "today", "--now", "tomorrow"
    )
    assert code == 1 and "--now 'tomorrow' is not an ISO time" in stderr
    assert "Traceback" not in stdout + stderr


def test_tool_commands_open_the_knowledge_store_only_when_a_tool_uses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Chroma server that is down costs a meter question nothing; the knowledge search
    names the reason."""
    monkeypatch.setenv("EMS_CHROMA_URL", f"http://127.0.0.1:{_closed_port()}")
    data = invoke_json("query-metric", "--meters", "chiller", "--period", "yesterday")
    assert data["totals"][0]["meter"] == "chiller"
    code, _, stderr = invoke("search-knowledge", "--query", "air leaks")
    assert code == 1 and "cannot reach the Chroma server" in stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_baseline_command_with_start_end_ranges() -> None:
    data = invoke_json(
        "baseline",
        "--meter",
        "chiller",
        "--baseline",
        "2025-06-05:2025-07-04",
        "--reporting",
        "2025-07-05:2025-07-09",
        "--drivers",
        "temperature,production",
    )
    assert data["meter"] == "chiller" and data["days_used"] == 30
    assert data["deviation"]["steps"] == 5
    assert set(data["drivers"]) == {"temperature", "production"}


def test_alert_rule_lifecycle_from_the_command_line() -> None:
    rule = invoke_json(
        "create-alert-rule",
        "--meter",
        "main-incomer",
        "--target",
        "demand",
        "--condition",
        ">",
        "--threshold",
        "700",
        "--unit",
        "kW",
    )
    assert rule["name"] == "main-incomer demand > 700 kW"
    listed = invoke_json("list-alert-rules")
    assert [r["id"] for r in listed["rules"]] == [rule["id"]]
    # A new rule watches from the moment it is made: history raises nothing, a back-test of
    # the same rule shows what it would have raised.
    alerts = invoke_json("evaluate-alerts", "--since", "2025-07-07..2025-07-09")
    assert alerts["alerts"] == []
    tested = invoke_json(
        "backtest-alert-rule",
        *("--meter", "main-incomer", "--target", "demand", "--condition", ">"),
        *("--threshold", "700", "--unit", "kW", "--period", "2025-07-07..2025-07-09"),
    )
    assert tested["episodes"] and all(e["peak_value"] > 700 for e in tested["episodes"])
    assert tested["stored"] is False
    code, _, stderr = invoke(
        "create-alert-rule",
        "--meter",
        "main-incomer",
        "--target",
        "demand",
        "--condition",
        ">",
        "--threshold",
        "-3",
        "--unit",
        "kW",
    )
    assert code == 1 and "never negative" in stderr
