"""Data commands: import-csv, import-bills, demo and meters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from common.errors import HOW_TO_LOAD, EMSError
from common.timeutil import from_epoch, zone
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
    progress_bar,
    progress_callback,
)

if TYPE_CHECKING:
    from connectors.synth_load import Scenario
    from ems_agent.app import App
    from store import catalog, queries

DEFAULT_DAYS = 365


@app.command("import-csv")
@friendly_errors
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV or .xlsx file, long or wide layout.")],
    site: SiteOption = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            help="Time zone of naive timestamps (default: the site's, else EMS_TIMEZONE)."
        ),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Reject the whole file if any row is bad.")] = False,
    unit: Annotated[
        str | None, typer.Option(help="Unit of wide-layout columns whose header names none.")
    ] = None,
    metric: Annotated[str, typer.Option(help="Metric of wide-layout columns.")] = "energy",
    cumulative: Annotated[
        list[str] | None,
        typer.Option(help="Meter whose values are register readings (repeat for several)."),
    ] = None,
    interval_ending: Annotated[
        bool, typer.Option(help="Timestamps mark the end of each interval, not its start.")
    ] = False,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet to read.")] = None,
    dayfirst: Annotated[bool, typer.Option(help="Read 03/04/2025 as 3 April.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import meter readings from a CSV or Excel export; bad rows are reported, good rows stored."""
    from connectors.importer import import_file
    from connectors.parsing import ParseOptions
    from store import catalog

    ctx = context()
    if not file.is_file():  # before asking for a site: the file is the first thing to fix
        from connectors.tables import UnreadableFile

        raise UnreadableFile(
            f"{file}: no such file" if not file.exists() else f"{file} is a folder"
        )
    site_name = _import_site(ctx, site)
    with ctx.engine.connect() as conn:
        existing = {s.name: s for s in catalog.list_sites(conn)}.get(site_name)
    tz = timezone or (existing.timezone if existing else ctx.settings.timezone)
    options = ParseOptions(
        timezone=tz,
        unit=unit,
        metric=metric,
        cumulative=frozenset(cumulative or ()),
        interval_ending=interval_ending,
        sheet=sheet,
        dayfirst=dayfirst,
    )
    with progress_bar(not as_json) as bar:
        report = import_file(
            ctx.engine,
            file,
            site=site_name,
            options=options,
            strict=strict,
            progress=progress_callback(bar),
        )
    if as_json:
        print_json(report)
        return
    _print_import(report, tz)


def _import_site(ctx: App, named: str | None) -> str:
    """The site imported readings belong to: the one named (by name or alias; a new name
    makes a new site), else EMS_SITE, else the store's only site. An empty store, or several
    sites, without either is an error saying how to name one."""
    from common.errors import NoSite, UnknownSite
    from store.sites import find_site

    wanted = named or ctx.settings.site
    if wanted and wanted.strip():
        with ctx.engine.connect() as conn:
            try:
                return find_site(conn, wanted).name
            except UnknownSite:
                return wanted.strip()
    site = ctx.site()  # the only site; SiteNotChosen among several
    if site is None:
        raise NoSite(
            "the store has no site yet: name the site these readings belong to with "
            "--site NAME (or set EMS_SITE)"
        )
    return site.name


def _print_import(report: object, tz: str) -> None:
    from connectors.importer import ImportReport

    assert isinstance(report, ImportReport)
    s = report.stats
    out.print(
        f"{report.path}: {report.rows_total:,} rows ({report.format} layout), "
        f"{report.rows_ok:,} good, {report.rows_bad:,} bad, {report.duplicates:,} exact duplicates"
    )
    out.print(
        f"stored in site {report.site!r}: {s.new:,} new, {s.changed:,} corrected, "
        f"{s.unchanged:,} already stored"
    )
    table = make_table("meter", "metric", "unit", "readings", "first", "last")
    for series in report.series:
        table.add_row(
            series.meter,
            series.metric,
            series.unit,
            f"{series.readings:,}",
            _local(series.first_ts, tz),
            _local(series.last_ts, tz),
        )
    out.print(table)
    for line in report.catalogue:
        out.print(f"catalogue: {line}", highlight=False, markup=False)
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    for error in report.errors[:20]:
        where = f" ({error.column})" if error.column else ""
        err.print(f"[red]line {error.line}{where}:[/] {error.reason}", highlight=False)
    if len(report.errors) > 20:
        err.print(f"... and {len(report.errors) - 20} more bad rows (use --json for all)")


@app.command("import-bills")
@friendly_errors
def import_bills(
    file: Annotated[Path, typer.Argument(help="CSV or .xlsx file, one row per bill.")],
    meter: Annotated[
        str | None, typer.Option(help="Meter the bills are for (rows without a meter column).")
    ] = None,
    site: SiteOption = None,
    metric: Annotated[
        str, typer.Option(help="Series billed: 'energy', or 'volume' for gas in m3.")
    ] = "energy",
    unit: Annotated[
        str | None, typer.Option(help="Unit of quantities when the file names none (kWh).")
    ] = None,
    period_end: Annotated[
        str,
        typer.Option(
            help="A period's end is its last day ('inclusive'), the next period's start "
            "('exclusive'), or 'auto' (told apart by whether periods share dates)."
        ),
    ] = "auto",
    carrier: Annotated[
        str | None,
        typer.Option(help="Create the site and meters the store does not have, with this carrier."),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Reject the whole file if any row is bad.")] = False,
    dayfirst: Annotated[bool, typer.Option(help="Read 03/04/2025 as 3 April.")] = False,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet to read.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import utility bills (start, end, quantity, optionally cost, peak kW, estimated): each
    bill is kept and spread over its days; bad rows are reported with their line."""
    from connectors.bills import BillOptions, BillsRejected
    from connectors.bills import import_bills as run_import

    if period_end not in ("auto", "inclusive", "exclusive"):
        raise BillsRejected(
            f"--period-end {period_end!r}: use auto, inclusive (last day billed) or exclusive "
            "(the next period's start)"
        )
    ctx = context()
    options = BillOptions(
        meter=meter,
        metric=metric.strip().lower(),
        unit=unit,
        period_end=period_end,  # type: ignore[arg-type]
        carrier=carrier,
        dayfirst=dayfirst,
        sheet=sheet,
    )
    report = run_import(
        ctx.engine,
        file,
        site=_import_site(ctx, site),
        timezone=ctx.settings.timezone,
        options=options,
        strict=strict,
    )
    if as_json:
        print_json(report)
        return
    _print_bills(report)


def _print_bills(report: object) -> None:
    from connectors.bills import BillsReport

    assert isinstance(report, BillsReport)
    out.print(
        f"{report.path}: {report.rows_total:,} bills, {report.rows_ok:,} good, "
        f"{report.rows_bad:,} bad; stored in site {report.site!r}"
    )
    columns = ("meter", "unit", "bills", "first day", "last day", "new", "corrected", "ends")
    table = make_table(*columns)
    for m in report.meters:
        table.add_row(
            m.meter,
            m.unit,
            f"{m.bills:,}",
            m.first.isoformat(),
            m.last.isoformat(),
            f"{m.stats.new:,}",
            f"{m.stats.changed:,}",
            m.period_end,
        )
    out.print(table)
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    for error in report.errors[:20]:
        where = f" ({error.column})" if error.column else ""
        err.print(f"[red]line {error.line}{where}:[/] {error.reason}", highlight=False)
    if len(report.errors) > 20:
        err.print(f"... and {len(report.errors) - 20} more bad rows (use --json for all)")


def _local(ts: int | None, tz: str) -> str:
    if ts is None:
        return "-"
    return from_epoch(ts, zone(tz)).strftime("%Y-%m-%d %H:%M")


@app.command()
@friendly_errors
def meters(site: SiteOption = None, as_json: JsonFlag = False) -> None:
    """List sites, meters and their series with units, first and last reading and counts."""
    from store import catalog, queries
    from store.sites import find_site

    ctx = context()
    with ctx.engine.connect() as conn:
        sites = catalog.list_sites(conn)
        if site:
            sites = [find_site(conn, site)]
        listing = []
        for s in sites:
            pairs = catalog.list_series(conn, s.id)
            stats = queries.series_stats(conn, [sr.id for _, sr in pairs])
            listing.append((s, catalog.list_meters(conn, s.id), pairs, stats))
    if as_json:
        print_json({"sites": [_site_json(*entry) for entry in listing]})
        return
    if not listing:
        out.print(f"The store is empty: {HOW_TO_LOAD}.", highlight=False)
    for s, meter_refs, pairs, stats in listing:
        table = make_table(
            "meter",
            "kind",
            "metric",
            "unit",
            "interval",
            "readings",
            "first",
            "last",
            title=f"{s.name} ({s.timezone})",
        )
        depth = _depths(meter_refs)
        order = {m.id: i for i, m in enumerate(_tree_order(meter_refs))}
        for meter, series in sorted(pairs, key=lambda p: (order[p[0].id], p[1].metric)):
            st = stats[series.id]
            table.add_row(
                "  " * depth[meter.id] + meter.name,
                meter.kind,
                series.metric + (" (register)" if series.cumulative else ""),
                series.unit,
                series.interval.text() if series.interval else "-",
                f"{st.count:,}",
                _local(st.first_ts, s.timezone),
                _local(st.last_ts, s.timezone),
            )
        out.print(table)


def _tree_order(meter_refs: list[catalog.MeterRef]) -> list[catalog.MeterRef]:
    """Parents before their sub-meters, siblings by name."""
    children: dict[int | None, list[catalog.MeterRef]] = {}
    for m in meter_refs:
        children.setdefault(m.parent_id, []).append(m)
    ordered: list[catalog.MeterRef] = []

    def visit(parent: int | None) -> None:
        for m in sorted(children.get(parent, []), key=lambda m: m.name):
            ordered.append(m)
            visit(m.id)

    visit(None)
    return ordered


def _depths(meter_refs: list[catalog.MeterRef]) -> dict[int, int]:
    parents = {m.id: m.parent_id for m in meter_refs}
    depth = {}
    for m in meter_refs:
        d, p = 0, m.parent_id
        while p is not None and d < 10:
            d, p = d + 1, parents.get(p)
        depth[m.id] = d
    return depth


def _site_json(
    s: catalog.SiteRef,
    meter_refs: list[catalog.MeterRef],
    pairs: list[tuple[catalog.MeterRef, catalog.SeriesRef]],
    stats: dict[int, queries.SeriesStats],
) -> dict[str, object]:
    names = {m.id: m.name for m in meter_refs}

    def iso(ts: int | None) -> str | None:
        return None if ts is None else datetime.fromtimestamp(ts, zone(s.timezone)).isoformat()

    return {
        "name": s.name,
        "timezone": s.timezone,
        "meters": [
            {
                "name": m.name,
                "kind": m.kind,
                "unit": m.unit,
                "parent": names.get(m.parent_id) if m.parent_id else None,
                "aliases": list(m.aliases),
                "floor_area_m2": m.floor_area_m2,
                "series": [
                    {
                        "metric": sr.metric,
                        "unit": sr.unit,
                        "cumulative": sr.cumulative,
                        "interval_s": sr.interval_s,
                        "interval": sr.interval.text() if sr.interval else None,
                        "readings": stats[sr.id].count,
                        "first": iso(stats[sr.id].first_ts),
                        "last": iso(stats[sr.id].last_ts),
                    }
                    for mm, sr in pairs
                    if mm.id == m.id
                ],
            }
            for m in meter_refs
        ],
    }


@app.command()
@friendly_errors
def demo(
    seed: Annotated[
        int | None, typer.Option(help="Simulator seed (default: EMS_DEMO_SEED).")
    ] = None,
    days: Annotated[
        int | None, typer.Option(min=1, max=3660, help="Days of history [default: 365].")
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="First day NOT simulated (default: today)."),
    ] = None,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the demo site has data.")
    ] = False,
    plant: Annotated[
        Path | None,
        typer.Option(help="Another plant file: apply it and simulate its history instead."),
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(help="With --plant: a scenario file (seed, days, end, faults, loads)."),
    ] = None,
    faults: Annotated[
        bool, typer.Option("--faults", help="With --plant: inject faults drawn from the seed.")
    ] = False,
    csv: Annotated[
        Path | None,
        typer.Option(help="With --plant: write the history to this long CSV (UTC) instead."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create the demo plant: meters, drivers and a year of 15-minute history with known faults.
    With --plant, any plant file: its catalogue and a simulated history of every series it
    declares, at each series' interval (try a catalogue before its data arrives)."""
    from connectors.demo import apply_demo_catalogue, has_data, load_demo
    from connectors.plant import demo_plant

    if plant is not None:
        options = PlantOptions(seed, days, end, if_empty, scenario, faults, csv)
        _demo_plant(plant, options, as_json)
        return
    if scenario is not None or faults or csv is not None:
        raise UsageError("--scenario, --faults and --csv go with --plant FILE")
    ctx = context()
    site = demo_plant().site
    if if_empty and has_data(ctx.engine, site):
        # The plant file may be newer than the store: its catalogue is applied all the same.
        changes = apply_demo_catalogue(ctx.engine).lines()
        if as_json:
            print_json({"site": site, "skipped": "already loaded", "catalogue": changes})
        else:
            out.print(f"The demo plant {site!r} is already loaded.")
            for line in changes:
                out.print(f"  {line}", highlight=False)
        return
    with progress_bar(not as_json) as bar:
        report = load_demo(
            ctx.engine,
            seed=ctx.settings.demo_seed if seed is None else seed,
            days=days or DEFAULT_DAYS,
            end=end.date() if end else None,
            progress=progress_callback(bar),
        )
    if as_json:
        print_json(report)
        return
    s = report.stats
    out.print(
        f"demo plant {report.site!r} ({report.timezone}): {report.meters} meters, "
        f"{report.series} series, {report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}\n"
        f"{s.new:,} new readings, {s.changed:,} corrected, {s.unchanged:,} already stored; "
        f"{report.events} labelled events"
    )


class UsageError(EMSError):
    """Options of a command that do not go together."""


@dataclass(frozen=True)
class PlantOptions:
    seed: int | None
    days: int | None
    end: datetime | None
    if_empty: bool
    scenario: Path | None
    faults: bool
    csv: Path | None


def _scenario(options: PlantOptions, default_seed: int) -> Scenario:
    from connectors.synth_load import Scenario, read_scenario

    base = read_scenario(options.scenario) if options.scenario else Scenario(seed=default_seed)
    changes: dict[str, object] = {"random_faults": base.random_faults or options.faults}
    if options.seed is not None:
        changes["seed"] = options.seed
    if options.end is not None:
        changes["end"] = options.end.date()
    if options.days is not None:
        changes["days"] = options.days
    return base.model_copy(update=changes)


def _demo_plant(path: Path, options: PlantOptions, as_json: bool) -> None:
    """`demo --plant FILE`: apply any plant file and simulate its history (or export it)."""
    from connectors.catalog_file import read_plant
    from connectors.demo import has_data
    from connectors.synth_load import export_csv, load_plant

    document = read_plant(path)
    ctx = context()
    scenario = _scenario(options, ctx.settings.demo_seed)
    if options.csv is not None:
        with progress_bar(not as_json) as bar:
            exported = export_csv(document, scenario, options.csv, progress=progress_callback(bar))
        if as_json:
            print_json(exported)
            return
        out.print(
            f"{exported.path}: {exported.rows:,} readings of site {exported.site!r} from "
            f"{exported.start:%Y-%m-%d} to {exported.end:%Y-%m-%d}, times in UTC; "
            f"{len(exported.faults)} faults.\nLoad it with `ems-agent catalog apply {path}` "
            f"and `ems-agent import-csv {exported.path} --site {exported.site!r}`."
        )
        _print_skipped(exported.skipped)
        return
    site = document.plant.site.name
    if options.if_empty and has_data(ctx.engine, site):
        raise UsageError(f"site {site!r} already has data (--if-empty); nothing simulated")
    with progress_bar(not as_json) as bar:
        report = load_plant(ctx.engine, document, scenario, progress=progress_callback(bar))
    if as_json:
        print_json(report)
        return
    s = report.stats
    out.print(
        f"plant {report.site!r} ({report.timezone}): {report.meters} meters, "
        f"{report.series} series, {report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}\n"
        f"{s.new:,} new readings, {s.changed:,} corrected, {s.unchanged:,} already stored; "
        f"{report.faults} labelled faults"
    )
    if report.catalogue:
        out.print(
            f"catalogue: {len(report.catalogue)} changes applied "
            f"(`ems-agent catalog show --site {report.site!r}` lists it)",
            highlight=False,
            markup=False,
        )
    _print_skipped(report.skipped)


def _print_skipped(skipped: list[str]) -> None:
    for line in skipped:
        err.print(f"[yellow]not simulated:[/] {line}", highlight=False)
