"""Catalogue commands: apply a plant file, export a site as one, show it, set one meter."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from ems_agent.app import App, analytics_config
from ems_agent.cli import (
    JsonFlag,
    SiteOption,
    app,
    context,
    err,
    friendly_errors,
    make_table,
    out,
    print_json,
)

if TYPE_CHECKING:
    from connectors.catalog_file import PlantDocument
    from connectors.catalog_sync import ApplyReport

# The plant-file modules load SQLAlchemy and YAML: they are imported by the commands that use
# them, so `ems-agent --help` stays fast.

catalog_app = typer.Typer(
    help="The site catalogue: meters, tree, groups, production links, tariffs, calendars.",
    no_args_is_help=True,
)
app.add_typer(catalog_app, name="catalog")

DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change and write nothing.")
]


def _apply(
    ctx: App,
    document: PlantDocument,
    *,
    site: str | None,
    dry_run: bool,
    as_json: bool,
    absent: bool,
) -> None:
    from connectors.catalog_file import InvalidPlantFile
    from connectors.catalog_sync import apply_plant

    try:
        report = apply_plant(ctx.engine, document, site=site, dry_run=dry_run, list_absent=absent)
    except InvalidPlantFile as exc:
        if not as_json:
            raise
        print_json({"file": document.source.name, "ok": False, "problems": exc.problems})
        raise typer.Exit(1) from None
    if as_json:
        print_json(_report_json(report))
        return
    _print_report(report)


def _report_json(report: ApplyReport) -> dict[str, Any]:
    return {
        "site": report.site,
        "file": report.source,
        "ok": True,
        "dry_run": report.dry_run,
        "applied": report.applied,
        "changes": [c.to_json() for c in report.changes],
        "not_in_file": report.not_in_file,
    }


def _print_report(report: ApplyReport) -> None:
    count = len(report.changes)
    if not count:
        head = "no changes"
    elif report.dry_run:
        head = f"{count} change{'s' * (count != 1)} (dry run: nothing written)"
    else:
        head = f"{count} change{'s' * (count != 1)} applied"
    out.print(f"{report.source} -> site {report.site}: {head}", highlight=False)
    for line in report.lines():
        out.print(f"  {line}", highlight=False, markup=False)


@catalog_app.command("apply")
@friendly_errors
def apply(
    file: Annotated[Path, typer.Argument(help="Plant file (.yaml, .yml or .toml).")],
    dry_run: DryRun = False,
    site: Annotated[
        str | None, typer.Option("--site", help="Apply to this site instead of the file's.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Apply a plant file: every change is listed; applying it again changes nothing."""
    from connectors.catalog_file import InvalidPlantFile, read_plant

    ctx = context()
    try:
        document = read_plant(file)
    except InvalidPlantFile as exc:
        if not as_json:
            raise
        print_json({"file": file.name, "ok": False, "problems": exc.problems})
        raise typer.Exit(1) from None
    _apply(ctx, document, site=site, dry_run=dry_run, as_json=as_json, absent=True)


def _export_data(ctx: App, site: str) -> dict[str, Any]:
    from connectors.catalog_sync import export_plant

    with ctx.engine.connect() as conn:
        return export_plant(conn, site)


@catalog_app.command("export")
@friendly_errors
def export(
    site: SiteOption = None,
    fmt: Annotated[
        Literal["yaml", "toml"] | None,
        typer.Option("--format", help="yaml or toml (default: from -o's suffix, else yaml)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file, not stdout.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write a site's catalogue as a plant file; applying it back changes nothing."""
    from connectors.catalog_file import dump_plant

    ctx = context()
    name = ctx.require_site(site).name
    data = _export_data(ctx, name)
    chosen = fmt or ("toml" if output is not None and output.suffix.lower() == ".toml" else "yaml")
    text = dump_plant(data, chosen)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    if as_json:
        path = str(output) if output else None
        print_json({"site": name, "format": chosen, "path": path, "plant": data})
    elif output is not None:
        err.print(f"wrote site {name!r} to {output} ({chosen})", highlight=False)
    else:
        sys.stdout.write(text)


@catalog_app.command("show")
@friendly_errors
def show(site: SiteOption = None, as_json: JsonFlag = False) -> None:
    """A site's catalogue: place, calendar, tariffs, factors, the meter tree; and the
    economics the tools use, with where each value comes from."""

    ctx = context()
    ref = ctx.require_site(site)
    name = ref.name
    data = _export_data(ctx, name)
    config = analytics_config(ctx.settings, ctx.engine, ref)
    tariffs = {c: t.label() for c, t in config.tariffs.items()}
    factors = {
        c: {"kg_co2e_per_kwh": v, "source": config.factor_source(c)}
        for c, v in config.emission_factors.items()
    }
    in_use = {"tariffs": tariffs, "emission_factors": factors, "sources": config.sources}
    if as_json:
        print_json({"site": name, "plant": data, "in_use": in_use})
        return
    _print_site(data["site"])
    _print_meters(data["meters"])
    out.print("in use by the tools:", highlight=False)
    for carrier, label in tariffs.items():
        out.print(f"  tariff {carrier}: {label}", highlight=False, markup=False)
    for carrier, value in config.emission_factors.items():
        source = config.factor_source(carrier)
        out.print(f"  emission factor {carrier}: {value:g} kg CO2e/kWh ({source})", highlight=False)
    out.print(f"  shifts: {config.sources.get('shifts')}", highlight=False)


def _print_site(site: dict[str, Any]) -> None:
    from connectors.catalog_file import SiteSpec, days_text
    from connectors.catalog_sync import describe_factor, describe_tariff, desired_site

    state = desired_site(SiteSpec.model_validate(site), None)
    p = state.profile
    place = f"holidays {state.country or 'none'}{'-' + state.region if state.region else ''}"
    facts = [state.timezone, place, p.currency or "no currency"]
    if p.floor_area_m2:
        facts.append(f"floor area {p.floor_area_m2:,.0f} m2")
    if p.gas_calorific_value_kwh_per_m3:
        facts.append(f"gas {p.gas_calorific_value_kwh_per_m3:g} kWh/m3")
    out.print(f"[bold]{state.name}[/]  " + "  ".join(facts), highlight=False)
    rows: list[tuple[str, list[str]]] = [
        (
            "shifts",
            ["not declared (the tools use their default plan)"]
            if p.shifts is None
            else [f"{s.name} {days_text(s.days)} {s.start}-{s.end}" for s in p.shifts] or ["none"],
        ),
        ("closures", [f"{c.name} {c.start}..{c.end}" for c in p.closures]),
        ("tariffs", [describe_tariff(t) for t in p.tariffs]),
        ("factors", [describe_factor(f) for f in p.emission_factors]),
    ]
    for label, lines in rows:
        for i, line in enumerate(lines or ["none"]):
            out.print(f"{label if i == 0 else '':<10}{line}", highlight=False, markup=False)


def _print_meters(meters: list[dict[str, Any]]) -> None:
    table = make_table("meter", "carrier", "unit", "series", "groups", "production", "aliases")
    parents = {m["name"]: m.get("parent") for m in meters}
    for m in meters:
        depth, parent = 0, m.get("parent")
        while parent is not None and depth < 10:
            depth, parent = depth + 1, parents.get(parent)
        series = ", ".join(
            s["metric"] + (f" {s['interval']}" if "interval" in s else "") for s in m["series"]
        )
        table.add_row(
            "  " * depth + m["name"],
            m["carrier"],
            m.get("unit", ""),
            series,
            ", ".join(m.get("groups", [])),
            ", ".join(m.get("production", [])),
            ", ".join(m.get("aliases", [])),
        )
    out.print(table)


def _listed(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [v for v in values if v.strip()]  # '' clears the list


@catalog_app.command("set-meter")
@friendly_errors
def set_meter(
    name: Annotated[str, typer.Argument(help="Meter name (a new meter needs --carrier).")],
    site: SiteOption = None,
    carrier: Annotated[str | None, typer.Option(help="electricity, gas, water, ...")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit of its main series.")] = None,
    parent: Annotated[str | None, typer.Option(help="Parent meter; '' makes it a root.")] = None,
    group: Annotated[
        list[str] | None, typer.Option(help="A group it belongs to (repeat); '' clears them.")
    ] = None,
    alias: Annotated[
        list[str] | None, typer.Option(help="Another name for it (repeat); '' clears them.")
    ] = None,
    production: Annotated[
        list[str] | None,
        typer.Option(help="A production meter that counts its output (repeat); '' clears."),
    ] = None,
    floor_area: Annotated[
        str | None, typer.Option("--floor-area", help="Floor area in m2; '' clears it.")
    ] = None,
    description: Annotated[str | None, typer.Option(help="What it measures; '' clears it.")] = None,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """Set one meter's catalogue entry; the options given replace what is stored, the others
    stay. Checked like a plant file."""
    from connectors.catalog_file import InvalidPlantFile, PlantSource, validate_plant

    ctx = context()
    ref = ctx.require_site(site)
    given: dict[str, tuple[str, Any]] = {
        "carrier": ("--carrier", carrier),
        "unit": ("--unit", unit),
        "parent": ("--parent", None if parent == "" else parent),
        "groups": ("--group", _listed(group)),
        "aliases": ("--alias", _listed(alias)),
        "production": ("--production", _listed(production)),
        "floor_area_m2": ("--floor-area", floor_area or None),
        "description": ("--description", description or None),
    }
    raw = {"carrier": carrier, "unit": unit, "parent": parent, "groups": group, "aliases": alias}
    raw |= {"production": production, "floor_area_m2": floor_area, "description": description}
    meter: dict[str, Any] = {"name": name}
    meter |= {key: value for key, (_, value) in given.items() if raw[key] is not None}
    options: dict[tuple[str | int, ...], str] = {
        ("meters", 0, key): option for key, (option, _) in given.items()
    }
    source = PlantSource("set-meter", options=options | {("meters", 0, "name"): name})
    data = {"version": 1, "site": {"name": ref.name, "timezone": ref.timezone}, "meters": [meter]}
    try:
        document = validate_plant(data, source)
    except InvalidPlantFile as exc:
        if not as_json:
            raise
        print_json({"file": "set-meter", "ok": False, "problems": exc.problems})
        raise typer.Exit(1) from None
    _apply(ctx, document, site=None, dry_run=dry_run, as_json=as_json, absent=False)
