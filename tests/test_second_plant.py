"""The second plant (evals/plants/second_plant.yaml): shaped unlike the demo, its scenario fits
it, its store is built through the CSV import and cached; and `ems-agent demo --plant` gives any
plant file a history, or writes it as a CSV, with clear errors for bad input."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from connectors.catalog_file import read_plant
from connectors.plant import demo_document
from connectors.synth import PlantView
from connectors.synth_load import Scenario, plan, read_scenario
from ems_agent.cli import app
from evals.plants.stores import SECOND_PLANT, plant_store, scenario_path, second_plant_store
from store.catalog import normal_name

runner = CliRunner()
SCENARIO = scenario_path(SECOND_PLANT)


def test_the_second_plant_is_shaped_unlike_the_demo() -> None:
    plant = read_plant(SECOND_PLANT).plant
    site = plant.site
    assert site.timezone != demo_document().plant.site.timezone
    assert site.floor_area_m2 and site.gas_calorific_value_kwh_per_m3
    assert {t.carrier for t in site.tariffs} == {"electricity", "gas"}
    assert {f.carrier for f in site.emission_factors} == {"electricity", "gas"}
    meters = {m.name: m for m in plant.meters}
    demo = {
        normal_name(n)
        for m in demo_document().plant.meters
        for n in (m.name, *m.aliases)
        if m.carrier != "weather"
    }
    for name, m in meters.items():
        assert normal_name(name) not in demo and not {normal_name(a) for a in m.aliases} & demo
    names = list(meters)
    assert any(" " in n for n in names) and any(c.isdigit() for n in names for c in n)
    assert any(not c.isascii() for n in names for c in n)

    def depth(name: str) -> int:
        parent = meters[name].parent
        return 1 if parent is None else 1 + depth(parent)

    assert max(depth(n) for n in names) == 3
    series = {(n, s.metric): s for n, m in meters.items() for s in m.series or []}
    own = [n for n in names if (n, "production") in series and (n, "energy") in series]
    linked = [n for n, m in meters.items() if m.production]
    assert own and linked and set(own).isdisjoint(linked)
    assert [k for k, s in series.items() if s.interval == "1d"] == [
        ("Prédio Administrativo", "energy")
    ]
    gas = [n for n, m in meters.items() if m.carrier == "gas"]
    assert gas and all((n, "volume") in series and series[(n, "volume")].unit == "m3" for n in gas)
    assert any(m.carrier == "weather" for m in plant.meters)
    grouped = [n for n, m in meters.items() if m.groups and m.carrier == "electricity"]
    assert sum(1 for n in grouped if "ar comprimido" in meters[n].groups) == 2
    assert any(m.floor_area_m2 for m in plant.meters)


def test_its_scenario_names_its_meters_and_places_six_labelled_faults() -> None:
    scenario = read_scenario(SCENARIO)
    p = plan(PlantView.of_document(read_plant(SECOND_PLANT)), scenario)
    assert (p.end.date(), (p.end - p.start).days) == (date(2026, 11, 5), 365)
    assert str(p.start.tzinfo) == "America/Sao_Paulo"
    assert len(p.faults) == 6 and all(p.start <= f.start < p.end for f in p.faults)
    kinds = {f.label for f in p.faults}
    assert {"compressed_air_leak", "meter_outage", "stuck_meter", "demand_spike"} <= kinds
    stuck = next(f for f in p.faults if f.kind == "stuck")
    assert set(stuck.details["stuck_values"]) == {"energy"}


def read(path: Path, sql: str) -> pd.DataFrame:
    with sqlite3.connect(path) as conn:
        return pd.read_sql(sql, conn)


SERIES = """
    SELECT m.name, s.metric, s.interval_s, COUNT(r.ts) AS n, MIN(r.ts) AS first
    FROM series s JOIN meters m ON m.id = s.meter_id LEFT JOIN readings r ON r.series_id = s.id
    GROUP BY m.name, s.metric, s.interval_s
"""


def test_a_plant_store_is_built_through_the_csv_import_and_cached(tmp_path: Path) -> None:
    short = read_scenario(SCENARIO).model_copy(update={"days": 4})
    path = plant_store(SECOND_PLANT, tmp_path, scenario=short)
    built = path.stat().st_mtime_ns
    frame = read(path, SERIES)
    declared = read_plant(SECOND_PLANT).plant.meters
    assert len(frame) == sum(len(m.series or []) for m in declared)
    days = 4
    for row in frame.itertuples():
        assert row.n == days * 86400 // row.interval_s, row  # no fault in these days
    assert plant_store(SECOND_PLANT, tmp_path, scenario=short) == path
    assert path.stat().st_mtime_ns == built
    other = plant_store(SECOND_PLANT, tmp_path, scenario=short.model_copy(update={"seed": 8}))
    assert other != path and not list(tmp_path.glob("*.partial"))


@pytest.mark.slow
def test_the_second_plant_store_holds_a_year_and_its_faults(tmp_path: Path) -> None:
    path = second_plant_store(tmp_path)
    frame = read(path, SERIES).set_index(["name", "metric"])
    assert frame.loc[("Compressor GA 55", "energy"), "n"] == 365 * 288
    assert frame.loc[("Prédio Administrativo", "energy"), "n"] == 365 - 2  # two days lost
    assert frame.loc[("Linha 4", "energy"), "n"] == 365 * 96 - 80  # a 20-hour outage
    labels = read(path, "SELECT kind, source FROM event_labels")
    assert len(labels) == 6 and set(labels["source"]) == {"simulator"}


# ------------------------------------------------------------------ the command


def run(*args: str, ok: bool = True) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.exit_code, result.stdout, result.stderr


def test_demo_plant_applies_the_file_and_simulates_its_history() -> None:
    args = ["demo", "--plant", str(SECOND_PLANT), "--scenario", str(SCENARIO), "--days", "2"]
    first = json.loads(run(*args, "--json")[1])
    assert first["site"] == "fabrica-campinas" and first["stats"]["new"] > 0
    assert first["faults"] == 0 and first["catalogue"]
    again = json.loads(run(*args, "--json")[1])
    assert again["stats"]["new"] == 0 and again["catalogue"] == []
    listed = json.loads(run("meters", "--site", "fabrica-campinas", "--json")[1])
    meters = {m["name"]: m for m in listed["sites"][0]["meters"]}
    assert meters["Caldeira a Gás"]["series"][0]["unit"] == "m3"
    assert meters["Prédio Administrativo"]["series"][0]["readings"] == 2
    _, text, _ = run(*args[:3], "--days", "1", "--end", "2026-03-01")
    assert "fabrica-campinas" in text and "labelled faults" in text


def test_demo_plant_can_write_a_utc_csv_instead_of_storing(tmp_path: Path) -> None:
    out = tmp_path / "history.csv"
    args = ["demo", "--plant", str(SECOND_PLANT), "--days", "1", "--end", "2026-07-02"]
    report = json.loads(run(*args, "--csv", str(out), "--json")[1])
    frame = pd.read_csv(out)
    assert report["rows"] == len(frame) and frame["timestamp"].str.endswith("Z").all()
    assert set(frame["unit"]) == {"kWh", "m3", "unit", "degC"}
    assert json.loads(run("meters", "--json")[1]) == {"sites": []}  # the store is untouched


def test_demo_plant_errors_name_what_is_wrong(tmp_path: Path) -> None:
    code, _, err = run("demo", "--csv", str(tmp_path / "x.csv"), ok=False)
    assert code == 1 and "--plant FILE" in err
    code, _, err = run("demo", "--plant", str(tmp_path / "missing.yaml"), ok=False)
    assert code == 1 and "missing.yaml" in err and "cannot read" in err
    bad = tmp_path / "bad.scenario.yaml"
    bad.write_text("faults: [{meter: Linha 9, kind: outage, start: 2026-01-01, hours: 2}]\n")
    code, _, err = run("demo", "--plant", str(SECOND_PLANT), "--scenario", str(bad), ok=False)
    assert code == 1 and "Linha 9" in err and "Linha 4" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nsite: {name: x, timezone: Mars/Olympus}\nmeters: []\n")
    code, _, err = run("demo", "--plant", str(broken), ok=False)
    assert code == 1 and "timezone" in err
    assert json.loads(run("meters", "--json")[1]) == {"sites": []}  # nothing was written


def test_a_plant_store_refuses_a_scenario_that_does_not_fit(tmp_path: Path) -> None:
    from connectors.synth_load import InvalidScenario

    wrong = Scenario(traits={"Linha 9": {"base": 1.0}})  # type: ignore[dict-item]
    with pytest.raises(InvalidScenario, match="Linha 9"):
        plant_store(SECOND_PLANT, tmp_path, scenario=wrong)
    assert not list(tmp_path.glob("*.db"))
