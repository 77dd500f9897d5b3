"""The command line end to end: JSON output, readable errors, idempotent loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ems_agent.cli import app

runner = CliRunner()


def run(*args: str, ok: bool = True) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> dict:
    _, stdout, _ = run(*args, "--json")
    return json.loads(stdout)


def test_meters_on_an_empty_store_says_how_to_fill_it() -> None:
    assert run_json("meters") == {"sites": []}
    _, stdout, _ = run("meters")
    assert "ems-agent demo" in stdout


def test_migrate_reports_the_revision_and_is_idempotent() -> None:
    first = run_json("migrate")
    assert first["to"] and first["applied"] in (True, False)
    again = run_json("migrate")
    assert again["applied"] is False and again["from"] == again["to"]


def write_long_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("timestamp,meter,metric,value,unit\n" + "\n".join(rows) + "\n")
    return path


def test_import_stores_good_rows_reports_bad_ones_and_is_idempotent(tmp_path: Path) -> None:
    csv = write_long_csv(
        tmp_path / "export.csv",
        [
            "2025-03-01T00:00:00Z,compressor-1,energy,12.5,kWh",
            "2025-03-01T00:15:00Z,compressor-1,energy,13.0,kWh",
            "not-a-time,compressor-1,energy,1,kWh",
            "2025-03-01T00:30:00Z,compressor-1,energy,abc,kWh",
            "2025-03-01T00:45:00Z,compressor-1,energy,2,furlongs",
            "2025-03-01T00:00:00Z,weather,outdoor_temperature,4.5,degC",
        ],
    )
    report = run_json("import-csv", str(csv), "--site", "north", "--timezone", "UTC")
    assert report["rows_total"] == 6 and report["rows_ok"] == 3
    assert report["stats"] == {"new": 3, "changed": 0, "unchanged": 0}
    assert sorted(e["line"] for e in report["errors"]) == [4, 5, 6]
    assert any("furlongs" in e["reason"] for e in report["errors"])

    again = run_json("import-csv", str(csv), "--site", "north", "--timezone", "UTC")
    assert again["stats"] == {"new": 0, "changed": 0, "unchanged": 3}

    listing = run_json("meters", "--site", "north")
    series = {
        (m["name"], s["metric"]): s for m in listing["sites"][0]["meters"] for s in m["series"]
    }
    assert series[("compressor-1", "energy")]["readings"] == 2
    assert series[("weather", "outdoor_temperature")]["unit"] == "degC"


def test_strict_import_rejects_the_file_and_stores_nothing(tmp_path: Path) -> None:
    csv = write_long_csv(
        tmp_path / "bad.csv",
        ["2025-03-01T00:00:00Z,line-a,energy,1,kWh", "2025-03-01T00:15:00Z,line-a,energy,x,kWh"],
    )
    code, stdout, stderr = run("import-csv", str(csv), "--site", "plant", "--strict", ok=False)
    assert code == 1
    assert "nothing stored" in stderr and "line 3" in stderr
    assert "Traceback" not in stdout + stderr
    assert run_json("meters") == {"sites": []}


def test_import_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    code, stdout, stderr = run("import-csv", str(tmp_path / "nope.csv"), ok=False)
    assert code == 1
    assert "nope.csv" in stderr and "Traceback" not in stderr + stdout


def test_corrected_import_replaces_values_and_daily_totals_follow(tmp_path: Path) -> None:
    rows = [f"2025-03-01T{h:02d}:00:00Z,boiler,energy,10,kWh" for h in range(24)]
    run_json(
        "import-csv",
        str(write_long_csv(tmp_path / "a.csv", rows)),
        "--site",
        "plant",
        "--timezone",
        "UTC",
    )
    rows[5] = "2025-03-01T05:00:00Z,boiler,energy,34,kWh"
    report = run_json(
        "import-csv",
        str(write_long_csv(tmp_path / "b.csv", rows)),
        "--site",
        "plant",
        "--timezone",
        "UTC",
    )
    assert report["stats"] == {"new": 0, "changed": 1, "unchanged": 23}

    from ems_agent.app import open_app
    from store import catalog, queries

    app_ = open_app()
    with app_.engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
        meter = catalog.resolve_meter(conn, site.id, "boiler")
        sid = catalog.get_series(conn, meter.id, "energy").id
        raw = queries.readings(conn, sid, 0, 2**40)
        daily = queries.rollups(conn, [sid], 86400, 0, 2**40, tz="UTC")
    assert raw["value"].sum() == 10 * 23 + 34
    assert daily["sum"].tolist() == [raw["value"].sum()]


def test_timezone_mismatch_with_an_existing_site_is_refused(tmp_path: Path) -> None:
    csv = write_long_csv(tmp_path / "a.csv", ["2025-03-01T00:00:00Z,line-a,energy,1,kWh"])
    run_json("import-csv", str(csv), "--site", "s", "--timezone", "UTC")
    code, _, stderr = run(
        "import-csv", str(csv), "--site", "s", "--timezone", "America/Chicago", ok=False
    )
    assert code == 1 and "keeps its data in UTC" in stderr


def test_unknown_timezone_is_a_clear_error(tmp_path: Path) -> None:
    csv = write_long_csv(tmp_path / "a.csv", ["2025-03-01T00:00:00Z,line-a,energy,1,kWh"])
    code, _, stderr = run(
        "import-csv", str(csv), "--site", "s", "--timezone", "Mars/Olympus", ok=False
    )
    assert code == 1 and "Mars/Olympus" in stderr


def test_demo_loads_meters_and_labels_and_a_second_load_changes_nothing() -> None:
    first = run_json("demo", "--days", "3", "--end", "2025-07-10")
    assert first["stats"]["new"] > 3 * 96 * 10
    assert first["stats"]["changed"] == 0
    second = run_json("demo", "--days", "3", "--end", "2025-07-10")
    assert second["stats"]["new"] == 0 and second["stats"]["changed"] == 0
    assert second["stats"]["unchanged"] == first["stats"]["new"]

    listing = run_json("meters")
    site = listing["sites"][0]
    names = {m["name"] for m in site["meters"]}
    assert {"main-incomer", "compressor-1", "compressor-2", "chiller", "boiler"} <= names
    parents = {m["name"]: m["parent"] for m in site["meters"]}
    assert parents["compressor-1"] == "main-incomer"
    skipped = run_json("demo", "--if-empty")
    assert skipped["skipped"] == "already loaded"


def test_the_installed_console_script_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "ems-agent"
    env = os.environ | {"EMS_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [str(script), "meters", "--json"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"sites": []}
    assert (tmp_path / "home" / "ems.db").exists()


def test_excel_import(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "timestamp": pd.date_range("2025-01-06", periods=8, freq="15min"),
            "line-a [kWh]": [1.0, 2, 3, 4, 5, 6, 7, 8],
            "line-b [MWh]": [0.001] * 8,
        }
    )
    path = tmp_path / "export.xlsx"
    frame.to_excel(path, index=False)
    report = run_json("import-csv", str(path), "--site", "plant", "--timezone", "Europe/Berlin")
    assert report["format"] == "wide" and report["stats"]["new"] == 16
    units = {s["meter"]: s["unit"] for s in report["series"]}
    assert units == {"line-a": "kWh", "line-b": "kWh"}


@pytest.mark.parametrize("command", ["meters", "demo", "import-csv", "migrate"])
def test_every_command_documents_json(command: str) -> None:
    _, stdout, _ = run(command, "--help")
    assert "--json" in stdout


def test_tools_answer_on_imported_data(tmp_path: Path) -> None:
    rows = [
        f"2025-03-0{d}T{h:02d}:00:00Z,boiler,energy,{h + d},kWh" for d in (3, 4) for h in range(24)
    ]
    # any site name: the tools find the store's only site without --site or EMS_SITE
    csv = write_long_csv(tmp_path / "a.csv", rows)
    run_json("import-csv", str(csv), "--site", "boiler house", "--timezone", "UTC")
    _, stdout, _ = run(
        "query-metric",
        "--meters",
        "boiler",
        "--period",
        "2025-03-03..2025-03-04",
        "--now",
        "2025-03-10T00:00",
        "--json",
    )
    result = json.loads(stdout)
    assert result["totals"][0]["value"] == sum(h + d for d in (3, 4) for h in range(24))
    _, stdout, _ = run(
        "compute-kpi",
        "--kpi",
        "peak_demand",
        "--meter",
        "boiler",
        "--period",
        "2025-03-04",
        "--now",
        "2025-03-10T00:00",
        "--json",
    )
    assert json.loads(stdout)["value"] == 23 + 4  # an hourly meter: an hour's kWh is its kW
    _, stdout, _ = run(
        "data-coverage",
        "--meters",
        "boiler",
        "--period",
        "2025-03-03..2025-03-04",
        "--now",
        "2025-03-10T00:00",
        "--json",
    )
    coverage = json.loads(stdout)["meters"][0]
    assert (coverage["expected_intervals"], coverage["present_intervals"]) == (48, 48)


def test_status_before_any_ingestor_reports() -> None:
    report = run_json("status")
    assert report["ingestors"] == {} and report["dead_letters"] == 0
    _, stdout, _ = run("status")
    assert "no ingestor has reported yet" in stdout
