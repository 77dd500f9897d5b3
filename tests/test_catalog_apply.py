"""Applying plant files on SQLite and PostgreSQL: the changes listed, one transaction, dry runs
that write nothing, a second apply that changes nothing, and exports that apply back unchanged."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from connectors.catalog_file import InvalidPlantFile, dump_plant, parse_plant
from connectors.catalog_sync import apply_plant, export_plant
from connectors.plant import demo_document
from ems_agent.cli import app
from store import catalog, profile, queries
from store.writes import write_readings

PLANT = textwrap.dedent(
    """\
    version: 1
    site:
      name: north
      timezone: Europe/Berlin
      country: DE
      region: Bayern
      currency: EUR
      shifts: []
      tariffs:
        - {carrier: electricity, name: Grid 2025, valid_to: 2025-12-31, default_price: 0.15}
        - carrier: electricity
          name: Grid 2026
          valid_from: 2026-01-01
          default_price: 0.16
          demand_charge_per_kw: 9.5
          periods: [{name: peak, days: [mon-fri], start: "08:00", end: "20:00", price: 0.24}]
      emission_factors:
        - {carrier: electricity, kg_co2e_per_kwh: 0.38, source: grid mix, year: 2024}
      budgets: [{carrier: electricity, year: 2026, kwh: 1000000}]
    meters:
      - name: supply
        carrier: electricity
        aliases: [incoming]
        floor_area_m2: 5000
      - name: press-7
        carrier: electricity
        parent: supply
        groups: [presses]
        production: [press-7-count]
      - name: press-7-count
        carrier: production
      - name: boiler-room
        carrier: gas
        unit: m3
    """
)


def doc(text: str = PLANT, fmt: str = "yaml"):
    return parse_plant(text, f"plant.{fmt}", fmt)  # type: ignore[arg-type]


def texts(report) -> list[str]:
    return [c.text for c in report.changes]


def exported(engine: Engine, site: str = "north") -> dict:
    with engine.connect() as conn:
        return export_plant(conn, site)


def test_apply_lists_its_changes_and_a_second_apply_changes_nothing(engine: Engine) -> None:
    first = apply_plant(engine, doc())
    assert first.applied
    assert texts(first)[:4] == [
        "+ site north (Europe/Berlin)",
        "site north: country none -> DE",
        "site north: region none -> BY",  # the region's name is kept as its code
        "site north: currency none -> EUR",
    ]
    assert "site north: shifts declared: none" in texts(first)
    assert (
        "+ meter press-7 (electricity, kWh): parent supply; groups [presses]; production "
        "[press-7-count]; series energy (kWh)"
    ) in texts(first)
    assert "+ meter boiler-room (gas, m3): series volume (m3)" in texts(first)
    second = apply_plant(engine, doc())
    assert second.changes == [] and not second.applied
    with engine.connect() as conn:
        site = catalog.get_site(conn, "north")
        assert (site.country, site.region) == ("DE", "BY")
        meters = {m.name: m for m in catalog.list_meters(conn, site.id)}
        assert meters["press-7"].parent_id == meters["supply"].id
        assert meters["press-7"].groups == ("presses",)
        links = catalog.production_links(conn, site.id)
        assert links == {meters["press-7"].id: (meters["press-7-count"].id,)}
        stored = profile.get_profile(conn, site.id)
    assert stored.shifts == ()  # declared: no shifts (not the same as none declared)
    assert [t.valid_from for t in stored.tariffs] == [None, date(2026, 1, 1)]
    assert stored.tariffs[1].periods[0].days == (0, 1, 2, 3, 4)


def test_a_dry_run_reports_the_same_changes_and_writes_nothing(engine: Engine) -> None:
    dry = apply_plant(engine, doc(), dry_run=True)
    assert dry.dry_run and not dry.applied
    with engine.connect() as conn:
        assert catalog.list_sites(conn) == []
    real = apply_plant(engine, doc())
    assert texts(real) == texts(dry)
    before = exported(engine)
    moved = PLANT.replace("    parent: supply\n", "")
    preview = apply_plant(engine, doc(moved), dry_run=True)
    # Leaving the key out leaves the parent alone; null is what removes it.
    assert texts(preview) == []
    unparented = PLANT.replace("    parent: supply\n", "    parent: null\n")
    preview = apply_plant(engine, doc(unparented), dry_run=True)
    assert texts(preview) == ["meter press-7: parent supply -> none"]
    assert exported(engine) == before


def test_keys_left_out_keep_the_store_and_meters_left_out_are_listed(engine: Engine) -> None:
    apply_plant(engine, doc())
    only_parent = textwrap.dedent(
        """\
        version: 1
        site: {name: north, timezone: Europe/Berlin}
        meters:
          - {name: press-7, parent: null}
        """
    )
    report = apply_plant(engine, doc(only_parent))
    assert texts(report) == ["meter press-7: parent supply -> none"]
    assert report.not_in_file == ["boiler-room", "press-7-count", "supply"]
    assert "meter supply: not in the file (left alone)" in report.lines()
    data = exported(engine)
    press = next(m for m in data["meters"] if m["name"] == "press-7")
    assert press["groups"] == ["presses"] and press["production"] == ["press-7-count"]
    assert "parent" not in press
    assert data["site"]["tariffs"][1]["name"] == "Grid 2026"  # site keys left out stay


def test_carrier_change_of_a_meter_with_data_is_shown_and_data_kept(engine: Engine) -> None:
    apply_plant(engine, doc())
    with engine.begin() as conn:
        site = catalog.get_site(conn, "north")
        sid = catalog.ensure_series(conn, site.id, "supply", "energy", "kWh").id
        ts = np.arange(1_767_222_000, 1_767_222_000 + 96 * 900, 900, dtype=np.int64)
        write_readings(conn, sid, ts, np.full(96, 2.5), site.timezone)
    changed = PLANT.replace(
        "  - name: supply\n    carrier: electricity", "  - name: supply\n    carrier: heat"
    )
    report = apply_plant(engine, doc(changed))
    assert texts(report) == ["meter supply: carrier electricity -> heat (it has data)"]
    with engine.connect() as conn:
        stats = queries.series_stats(conn, [sid])[sid]
    assert stats.count == 96


def test_a_bad_file_writes_nothing(engine: Engine) -> None:
    apply_plant(engine, doc())
    before = exported(engine)
    bad = PLANT.replace("aliases: [incoming]", "aliases: [incoming]\n    description: new") + (
        "  - {name: press-8, carrier: electricity, parent: nowhere}\n"
    )
    with pytest.raises(InvalidPlantFile) as caught:
        apply_plant(engine, doc(bad))
    at = bad.splitlines().index("  - {name: press-8, carrier: electricity, parent: nowhere}") + 1
    assert caught.value.problems == [
        f"plant.yaml line {at} (meters[4].parent): no meter named 'nowhere' in this file or the "
        "store"
    ]
    assert exported(engine) == before


@pytest.mark.parametrize("fmt", ["yaml", "toml"])
def test_export_applies_back_with_no_changes(engine: Engine, fmt: str) -> None:
    apply_plant(engine, demo_document())
    apply_plant(engine, doc())
    for site in ("demo-plant", "north"):
        text = dump_plant(exported(engine, site), fmt)  # type: ignore[arg-type]
        before = exported(engine, site)
        again = apply_plant(engine, doc(text, fmt))
        assert again.changes == [], (site, texts(again))
        assert exported(engine, site) == before
        # Applied to an empty site, the export makes the same catalogue again.
        apply_plant(engine, doc(text, fmt), site=f"{site}-copy")
        copy = exported(engine, f"{site}-copy")
        assert copy == {**before, "site": {**before["site"], "name": f"{site}-copy"}}


def test_site_option_applies_a_file_to_another_site(engine: Engine) -> None:
    apply_plant(engine, doc())
    copy = apply_plant(engine, doc(), site="south")
    assert texts(copy)[0] == "+ site south (Europe/Berlin)"
    data = exported(engine, "south")
    assert [m["name"] for m in data["meters"]] == [m["name"] for m in exported(engine)["meters"]]


# ------------------------------------------------------------------ the command line

runner = CliRunner()


def cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result.stdout


def test_catalog_commands(tmp_path: Path) -> None:
    plant = tmp_path / "plant.yaml"
    plant.write_text(PLANT)
    preview = json.loads(cli("catalog", "apply", str(plant), "--dry-run", "--json"))
    assert preview["dry_run"] and not preview["applied"] and preview["changes"]
    applied = json.loads(cli("catalog", "apply", str(plant), "--json"))
    assert applied["applied"] and [c["text"] for c in applied["changes"]] == [
        c["text"] for c in preview["changes"]
    ]
    assert "no changes" in cli("catalog", "apply", str(plant))
    out = tmp_path / "north.toml"
    cli("catalog", "export", "--site", "north", "-o", str(out))
    assert out.read_text().startswith("version = 1")
    assert json.loads(cli("catalog", "apply", str(out), "--json"))["changes"] == []
    shown = json.loads(cli("catalog", "show", "--site", "north", "--json"))
    assert shown["in_use"]["tariffs"]["electricity"] == "Grid 2026 (site catalogue)"
    assert shown["in_use"]["emission_factors"]["electricity"] == {
        "kg_co2e_per_kwh": 0.38,
        "source": "grid mix 2024, site catalogue",
    }
    assert "press-7" in cli("catalog", "show", "--site", "north")


def test_set_meter_goes_through_the_same_checks(tmp_path: Path) -> None:
    plant = tmp_path / "plant.yaml"
    plant.write_text(PLANT)
    cli("catalog", "apply", str(plant))
    moved = json.loads(
        cli("catalog", "set-meter", "press-7", "--site", "north", "--parent", "", "--json")
    )
    assert [c["text"] for c in moved["changes"]] == ["meter press-7: parent supply -> none"]
    new = json.loads(
        cli(
            "catalog",
            "set-meter",
            "pump-3",
            "--site",
            "north",
            "--carrier",
            "water",
            "--parent",
            "supply",
            "--group",
            "utilities",
            "--json",
        )
    )
    assert [c["text"] for c in new["changes"]] == [
        "+ meter pump-3 (water, m3): parent supply; groups [utilities]; series volume (m3)"
    ]
    refused = json.loads(
        cli(
            "catalog",
            "set-meter",
            "press-7",
            "--site",
            "north",
            "--production",
            "supply",
            "--json",
            code=1,
        )
    )
    assert refused["problems"] == [
        "--production: meter 'supply' has no production series (it has energy); link a meter "
        "that counts what is produced"
    ]
    result = runner.invoke(app, ["catalog", "set-meter", "tank-1", "--site", "north"])
    assert result.exit_code == 1
    assert "--carrier: a new meter needs a carrier" in result.stderr
    missing = runner.invoke(app, ["catalog", "apply", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 1 and "cannot read it" in missing.stderr
