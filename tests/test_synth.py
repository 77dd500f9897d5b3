"""Synthetic history for any plant file (connectors/synth*): every declared series at its own
interval in local time, deterministic and the same however the window is cut, parents as their
children plus an unmetered rest, production that follows its line, seasons by hemisphere, gas
by heating degree days in kWh or m3, labelled faults, and the same readings whether stored
directly or exported as a UTC CSV and imported. Figures are checked with pandas."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from common.intervals import Interval
from connectors.catalog_file import PlantSource, validate_plant
from connectors.synth import PlantView, Traits, plant_faults, plant_traits, synthesize
from connectors.synth_calendar import latitude
from connectors.synth_faults import FaultSpec
from connectors.synth_load import (
    InvalidScenario,
    Scenario,
    export_csv,
    load_plant,
    plan,
    read_scenario,
)
from tests.plant_truth import read_raw


def series(metric: str, unit: str, interval: str) -> dict[str, str]:
    return {"metric": metric, "unit": unit, "interval": interval}


def plant_data(timezone: str = "Asia/Kolkata", **site: Any) -> dict[str, Any]:
    """A small plant: a supply over a board over two loads, a line counting on its own meter,
    a line with a linked counter, a daily office, gas in m3, weather and a driver."""
    energy = [series("energy", "kWh", "15min")]
    meters = [
        {"name": "Supply 1", "carrier": "electricity", "series": energy},
        {
            "name": "Board Ä",
            "carrier": "electricity",
            "parent": "Supply 1",
            "series": [series("energy", "kWh", "5min")],
        },
        {
            "name": "Pump 7",
            "carrier": "electricity",
            "parent": "Board Ä",
            "series": [series("energy", "kWh", "1min"), series("power", "kW", "30min")],
        },
        {
            "name": "Línea 2",
            "carrier": "electricity",
            "parent": "Board Ä",
            "series": [*energy, series("production", "unit", "1h")],
        },
        {
            "name": "Línea 3",
            "carrier": "electricity",
            "parent": "Supply 1",
            "production": ["Zähler 3"],
            "series": [series("energy", "kWh", "30min")],
        },
        {
            "name": "Zähler 3",
            "carrier": "production",
            "series": [series("production", "unit", "15min")],
        },
        {"name": "Office", "carrier": "electricity", "series": [series("energy", "kWh", "1d")]},
        {
            "name": "Boiler",
            "carrier": "gas",
            "unit": "m3",
            "series": [series("volume", "m3", "1h")],
        },
        {
            "name": "Wetter",
            "carrier": "weather",
            "series": [series("outdoor_temperature", "degC", "1h")],
        },
        {"name": "People", "carrier": "driver", "series": [series("occupancy", "%", "15min")]},
    ]
    shifts = [{"name": "day", "days": ["mon-fri"], "start": "06:00", "end": "18:00"}]
    base = {"name": "test site", "timezone": timezone, "country": "IN", "shifts": shifts}
    return {"version": 1, "site": base | site, "meters": meters}


def view(data: dict[str, Any]) -> PlantView:
    return PlantView.of_document(validate_plant(data, PlantSource("test")))


def local(frame: pd.DataFrame, tz: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(frame["ts"], unit="s", utc=True)).tz_convert(tz)


KOLKATA = ZoneInfo("Asia/Kolkata")
START = datetime(2026, 3, 2, tzinfo=KOLKATA)  # a Monday


def rows(frame: pd.DataFrame, meter: str, metric: str) -> pd.DataFrame:
    return frame[(frame["meter"] == meter) & (frame["metric"] == metric)].sort_values("ts")


# ------------------------------------------------------------------ shape


def test_every_series_is_simulated_at_its_own_interval_in_local_time() -> None:
    plant = view(plant_data())
    frame = synthesize(plant, START, START + timedelta(days=7), seed=1).frame
    declared = {
        (n, m): Interval.parse(i).seconds
        for n, s in plant.meters.items()
        for m, _, i in s.series
        if i is not None
    }
    assert set(zip(frame["meter"], frame["metric"], strict=True)) == set(declared)
    for (meter, metric), interval in declared.items():
        got = rows(frame, meter, metric)
        wall = local(got, "Asia/Kolkata").tz_localize(None).as_unit("s").asi8
        assert (np.asarray(wall) % interval == 0).all(), (meter, metric)
        assert len(got) == 7 * 86400 // interval, (meter, metric, len(got))
        assert got["value"].notna().all() and (got["value"] >= 0).all()


def test_daily_readings_start_at_local_midnight_across_summer_time() -> None:
    data = plant_data("Australia/Sydney", country="AU", region="NSW")
    sydney = ZoneInfo("Australia/Sydney")
    start = datetime(2026, 4, 3, tzinfo=sydney)  # summer time ends on Sunday 5 April
    frame = synthesize(view(data), start, start + timedelta(days=4), seed=1).frame
    office = rows(frame, "Office", "energy")
    stamps = local(office, "Australia/Sydney")
    assert list(stamps.date) == [date(2026, 4, d) for d in (3, 4, 5, 6)]
    assert (stamps.hour == 0).all() and (stamps.minute == 0).all()
    hourly = rows(frame, "Wetter", "outdoor_temperature")
    assert len(hourly) == 4 * 24 + 1  # the day the clocks go back has 25 hours


def test_the_same_seed_gives_the_same_readings_however_the_window_is_cut() -> None:
    plant = view(plant_data())
    whole = synthesize(plant, START, START + timedelta(days=4), seed=5).frame
    cut = START + timedelta(days=1)
    parts = [
        synthesize(plant, START, cut, 5).frame,
        synthesize(plant, cut, START + timedelta(days=4), 5).frame,
    ]
    joined = pd.concat(parts, ignore_index=True)
    key = ["meter", "metric", "ts"]
    pd.testing.assert_frame_equal(
        whole.sort_values(key).reset_index(drop=True),
        joined.sort_values(key).reset_index(drop=True),
    )
    other = synthesize(plant, START, START + timedelta(days=4), seed=6).frame
    assert not np.allclose(whole.sort_values(key)["value"], other.sort_values(key)["value"])


def test_billing_series_are_left_out_with_a_reason() -> None:
    data = plant_data()
    data["meters"].append(
        {"name": "Bill", "carrier": "gas", "series": [series("energy", "kWh", "billing")]}
    )
    result = synthesize(view(data), START, START + timedelta(days=1), seed=1)
    assert "Bill" not in set(result.frame["meter"])
    assert "billing" in result.skipped[("Bill", "energy")]


# ------------------------------------------------------------------ plausibility


def daily(frame: pd.DataFrame, meter: str, metric: str, tz: str = "Asia/Kolkata") -> pd.Series:
    got = rows(frame, meter, metric)
    return got.groupby(local(got, tz).date)["value"].sum()


def test_a_parent_draws_its_children_plus_an_unmetered_rest() -> None:
    frame = synthesize(view(plant_data()), START, START + timedelta(days=7), seed=2).frame
    for parent, children in [
        ("Supply 1", ["Board Ä", "Línea 3"]),
        ("Board Ä", ["Pump 7", "Línea 2"]),
    ]:
        rest = daily(frame, parent, "energy") - sum(daily(frame, c, "energy") for c in children)
        assert (rest > 0).all() and (rest < 0.5 * daily(frame, parent, "energy")).all(), rest
    # the daily office and the gas boiler are other supplies: not in the supply's sum
    assert "Office" not in {"Board Ä", "Línea 3"}


def test_production_follows_its_line_and_the_shifts() -> None:
    frame = synthesize(view(plant_data()), START, START + timedelta(days=14), seed=3).frame
    for line, counter in [("Línea 2", "Línea 2"), ("Línea 3", "Zähler 3")]:
        energy = rows(frame, line, "energy")
        made = rows(frame, counter, "production")
        hourly_e = energy.groupby(energy["ts"] // 3600)["value"].sum()
        hourly_p = made.groupby(made["ts"] // 3600)["value"].sum()
        both = pd.concat([hourly_e, hourly_p], axis=1).dropna()
        assert both.corr().iloc[0, 1] > 0.8, (line, both.corr())
        hours = local(made, "Asia/Kolkata")
        off = (hours.day_of_week >= 5) | (hours.hour < 6) | (hours.hour >= 18)
        assert made["value"][off].sum() == 0 and made["value"][~off].sum() > 0
        assert (made["value"] == made["value"].round()).all()


def test_load_drops_on_public_holidays_as_on_weekends() -> None:
    start = datetime(2026, 8, 10, tzinfo=KOLKATA)  # Saturday 15 August is Independence Day
    data = plant_data()
    data["site"]["closures"] = [
        {"name": "shutdown", "from": date(2026, 8, 12), "to": date(2026, 8, 12)}
    ]
    frame = synthesize(view(data), start, start + timedelta(days=7), seed=4).frame
    day = daily(frame, "Supply 1", "energy")
    working = [day[date(2026, 8, d)] for d in (10, 11, 13, 14)]
    assert day[date(2026, 8, 12)] < 0.7 * min(working)  # the closure
    assert day[date(2026, 8, 16)] < 0.7 * min(working)  # a Sunday


@pytest.mark.parametrize(
    ("timezone", "south"),
    [("Australia/Sydney", True), ("America/Sao_Paulo", True), ("Europe/Berlin", False)],
)
def test_seasons_follow_the_hemisphere_of_the_time_zone(timezone: str, south: bool) -> None:
    assert (latitude(timezone) < 0) == south
    data = plant_data(timezone)
    data["site"].pop("country")
    plant = view(data)
    tz = ZoneInfo(timezone)

    def mean(month: int) -> float:
        first = datetime(2026, month, 1, tzinfo=tz)
        frame = synthesize(plant, first, first + timedelta(days=28), seed=5).frame
        return float(rows(frame, "Wetter", "outdoor_temperature")["value"].mean())

    january, july = mean(1), mean(7)
    assert (january > july + 4) if south else (july > january + 4), (january, july)


def test_gas_heating_follows_heating_degree_days_and_m3_is_kwh_over_the_calorific_value() -> None:
    start = datetime(2026, 1, 5, tzinfo=ZoneInfo("Europe/Berlin"))
    kwh = plant_data("Europe/Berlin", gas_calorific_value_kwh_per_m3=10.2)
    kwh["site"].pop("country")
    m3 = {**kwh, "meters": [dict(m) for m in kwh["meters"]]}
    for m in kwh["meters"]:
        if m["name"] == "Boiler":
            m.pop("unit")
            m["series"] = [series("energy", "kWh", "1h")]
    traits = {"Boiler": Traits(base=5.0, shift=10.0, heating=6.0)}
    end = start + timedelta(days=60)
    a = synthesize(view(kwh), start, end, seed=8, traits=traits | _others(kwh)).frame
    b = synthesize(view(m3), start, end, seed=8, traits=traits | _others(m3)).frame
    energy, volume = rows(a, "Boiler", "energy"), rows(b, "Boiler", "volume")
    assert np.allclose(volume["value"].to_numpy() * 10.2, energy["value"].to_numpy(), atol=0.01)
    temps = daily(a, "Wetter", "outdoor_temperature", "Europe/Berlin") / 24
    hdd = (15.5 - temps).clip(lower=0)
    gas = daily(a, "Boiler", "energy", "Europe/Berlin")
    weekdays = [d.weekday() < 5 for d in gas.index]
    assert np.corrcoef(hdd[weekdays], gas[weekdays])[0, 1] > 0.7


def _others(data: dict[str, Any]) -> dict[str, Traits]:
    traits = plant_traits(view(data), 8)
    return {k: v for k, v in traits.items() if k != "Boiler"}


# ------------------------------------------------------------------ faults


def fault(
    meter: str, kind: str, day: int, hour: int, hours: float, size: float | None = None
) -> FaultSpec:
    start = datetime(2026, 3, day, hour, tzinfo=KOLKATA)
    return FaultSpec(meter=meter, kind=kind, start=start, hours=hours, size=size)  # type: ignore[arg-type]


def test_faults_change_the_readings_and_are_labelled() -> None:
    plant = view(plant_data())
    end = START + timedelta(days=6)
    declared = [
        fault("Pump 7", "step", 3, 18, 48, size=8.0),
        fault("Línea 3", "outage", 4, 2, 10),
        fault("Office", "stuck", 4, 10, 48),
        fault("Línea 2", "spike", 6, 10, 0.5, size=300.0),
    ]
    faults = plant_faults(plant, 1, START, end, declared=declared)
    clean = synthesize(plant, START, end, 1).frame
    faulty = synthesize(plant, START, end, 1, faults=faults).frame
    step, outage, stuck, spike = faults
    for meter in ("Pump 7", "Board Ä", "Supply 1"):  # a leak shows on the meter and above it
        extra = _window_sum(faulty, meter, step) - _window_sum(clean, meter, step)
        assert extra == pytest.approx(8.0 * 48, rel=0.05), meter
    lost = rows(faulty, "Línea 3", "energy")
    inside = (lost["ts"] >= outage.start_ts) & (lost["ts"] < outage.end_ts)
    assert not inside.any() and len(rows(clean, "Línea 3", "energy")) - len(lost) == 20
    office = rows(faulty, "Office", "energy")
    before = office[office["ts"] < stuck.start_ts]["value"].iloc[-1]
    after = office[(office["ts"] >= stuck.start_ts) & (office["ts"] < stuck.end_ts)]["value"]
    assert len(after) == 2 and (after == before).all()
    assert stuck.details["stuck_values"] == {"energy": before}
    jump = _window_sum(faulty, "Línea 2", spike) - _window_sum(clean, "Línea 2", spike)
    assert jump == pytest.approx(300.0 * 0.5, rel=0.01)
    assert [f.label for f in faults] == [
        "consumption_step",
        "meter_outage",
        "stuck_meter",
        "demand_spike",
    ]


def _window_sum(frame: pd.DataFrame, meter: str, f: Any) -> float:
    got = rows(frame, meter, "energy")
    return float(got[(got["ts"] >= f.start_ts) & (got["ts"] < f.end_ts)]["value"].sum())


def test_faults_drawn_from_the_seed_are_the_same_each_time_and_hit_eligible_meters() -> None:
    plant = view(plant_data())
    start, end = datetime(2025, 11, 1, tzinfo=KOLKATA), datetime(2026, 11, 1, tzinfo=KOLKATA)
    a = plant_faults(plant, 3, start, end, random=True)
    b = plant_faults(plant, 3, start, end, random=True)
    assert a == b and {f.kind for f in a} == {"step", "drift", "spike", "outage", "stuck"}
    loads = {"Pump 7", "Línea 2", "Línea 3", "Office", "Boiler"}  # no children, energy or gas
    assert all(f.meter in loads for f in a if f.kind in ("step", "drift", "spike"))


# ------------------------------------------------------------------ into the store


SCENARIO = Scenario(
    seed=9, days=3, end=date(2026, 3, 5), faults=[fault("Línea 3", "outage", 3, 2, 5)]
)


def test_stored_history_and_labels(engine: Engine) -> None:
    document = validate_plant(plant_data(), PlantSource("test"))
    report = load_plant(engine, document, SCENARIO)
    again = load_plant(engine, document, SCENARIO)
    assert report.stats.new > 0 and again.stats.new == 0 and again.stats.changed == 0
    raw = read_raw(engine, "test site")
    p = plan(PlantView.of_document(document), SCENARIO)
    expected = pd.concat([s.frame for _, _, s in _chunks(p)], ignore_index=True)
    key = ["meter", "metric", "ts"]
    got = raw.sort_values(key).reset_index(drop=True)
    want = expected.sort_values(key).reset_index(drop=True)[got.columns]
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    with engine.connect() as conn:
        labels = conn.execute(text("SELECT kind, source, start_ts FROM event_labels")).all()
    assert labels == [("meter_outage", "simulator", p.faults[0].start_ts)]


def _chunks(p: Any) -> Any:
    from connectors.synth_load import chunks

    return chunks(p)


def test_the_csv_export_imports_to_the_same_readings(tmp_path: Path, sqlite_engine: Engine) -> None:
    """As a user would: apply the plant file, export the history, `ems-agent import-csv` it."""
    from typer.testing import CliRunner

    from ems_agent.cli import app

    data = plant_data()
    document = validate_plant(data, PlantSource("test"))
    exported = export_csv(document, SCENARIO, tmp_path / "history.csv")
    head = (tmp_path / "history.csv").read_text(encoding="utf-8").splitlines()[:3]
    assert head[0] == "timestamp,meter,metric,value,unit"
    assert all(line.split(",")[0].endswith("Z") for line in head[1:])
    plant_file = tmp_path / "plant.yaml"
    import yaml

    plant_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {"EMS_DATABASE_URL": str(sqlite_engine.url)}
    runner = CliRunner()
    applied = runner.invoke(app, ["catalog", "apply", str(plant_file)], env=env)
    assert applied.exit_code == 0, applied.output
    imported = runner.invoke(
        app,
        ["import-csv", str(exported.path), "--site", "test site", "--strict", "--json"],
        env=env,
    )
    assert imported.exit_code == 0, imported.output
    direct = validate_plant(data, PlantSource("test"))
    p = plan(PlantView.of_document(direct), SCENARIO)
    expected = pd.concat([s.frame for _, _, s in _chunks(p)], ignore_index=True)
    raw = read_raw(sqlite_engine, "test site")
    assert len(raw) == exported.rows == len(expected)
    merged = raw.merge(expected, on=["meter", "metric", "ts"], suffixes=("", "_want"))
    assert len(merged) == len(raw)
    assert np.allclose(merged["value"], merged["value_want"], rtol=0, atol=1e-9)


# ------------------------------------------------------------------ bad input


def test_a_scenario_naming_a_meter_the_plant_lacks_is_refused_by_name() -> None:
    plant = view(plant_data())
    with pytest.raises(InvalidScenario, match=r"Pump 8.*its meters: .*Pump 7"):
        plan(plant, Scenario(faults=[fault("Pump 8", "outage", 3, 2, 5)]))
    with pytest.raises(InvalidScenario, match="Nope"):
        plan(plant, Scenario(traits={"Nope": {"base": 1.0}}))  # type: ignore[dict-item]


def test_a_bad_scenario_file_says_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "bad.scenario.yaml"
    path.write_text(
        "seed: 3\ndays: 0\nfaults: [{meter: A, kind: flood, start: 2026-01-01, hours: 1}]\n"
    )
    with pytest.raises(InvalidScenario) as err:
        read_scenario(path)
    assert "days" in str(err.value) and "faults.0.kind" in str(err.value)
    path.write_text("seed: [unclosed\n")
    with pytest.raises(InvalidScenario, match="cannot read it"):
        read_scenario(path)
