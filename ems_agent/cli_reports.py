"""Report and export commands: the monthly energy report as a PDF or HTML file, and a meter's
readings or rollups as CSV, Excel or Parquet."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from common.errors import InsufficientData
from ems_agent.cli import JsonFlag, SiteOption, app, context, err, friendly_errors, out, print_json

NowOption = Annotated[
    str | None, typer.Option("--now", help="Pretend it is this time (ISO 8601, site time).")
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="File to write (default: a name of its own, here)."),
]


@app.command()
@friendly_errors
def report(
    month: Annotated[
        str,
        typer.Option(help="The month: 2026-11, 'last month', 'this month', 'November 2026'."),
    ] = "last month",
    fmt: Annotated[str, typer.Option("--format", help="pdf, html, or json (the figures).")] = "pdf",
    output: OutputOption = None,
    site: SiteOption = None,
    now: NowOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The monthly energy report of a site: per carrier and meter tree the month's energy, cost,
    CO2, peak demand, load factor and SEC, EnPIs against the baselines, the same month last
    year, incidents and charts."""
    from agent.report import make_report, report_file

    started = time.perf_counter()
    made = make_report(context().contexts(site, now), month, user="cli", role="viewer")
    file = report_file(made, fmt)
    path = output or Path(file.filename)
    path.write_bytes(file.content)
    seconds = time.perf_counter() - started
    if as_json:
        print_json(
            {
                "file": str(path),
                "format": fmt,
                "bytes": len(file.content),
                "site": made.site,
                "month": made.month,
                "summary": made.summary,
                "caveats": made.caveats,
                "seconds": round(seconds, 2),
            }
        )
        return
    out.print(made.summary, highlight=False)
    for caveat in made.caveats:
        err.print(f"note: {caveat}", highlight=False)
    out.print(f"wrote {path} ({len(file.content):,} bytes, {seconds:.1f} s)", highlight=False)


@app.command()
@friendly_errors
def export(
    meter: Annotated[str, typer.Option(help="Meter name or alias.")],
    period: Annotated[
        str, typer.Option(help="'yesterday', 'last week', '2026-10', '2026-10-01..2026-10-07'.")
    ],
    grain: Annotated[
        str, typer.Option(help="raw (the readings), 15min, hour, day, week or month.")
    ] = "raw",
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or parquet.")] = "csv",
    metric: Annotated[str, typer.Option(help="The meter's series to export.")] = "energy",
    output: OutputOption = None,
    site: SiteOption = None,
    now: NowOption = None,
    as_json: JsonFlag = False,
) -> None:
    """A meter's readings or rollups over a period as CSV, Excel or Parquet: times in the
    site's zone with their offset, units in the headers."""
    from connectors.exporter import check_choice, frame_file, series_frame
    from store import catalog
    from tools import resolve

    check_choice(fmt, grain)
    ctx = context().contexts(site, now)(user="cli", role="viewer")
    span = resolve.period(ctx, period)
    found = resolve.meter(ctx, meter)
    with ctx.engine.connect() as conn:
        series = catalog.get_series(conn, found.id, metric)
        frame = series_frame(conn, series, grain, span.start_ts, span.end_ts, ctx.site.timezone)
    if frame.empty:
        raise InsufficientData(
            f"no {metric} readings of {found.name} in {span.describe()}; nothing to export"
        )
    stem = f"{found.name}-{metric}-{grain}-{span.start:%Y%m%d}-{span.end:%Y%m%d}"
    file = frame_file(frame, fmt, stem, sheet=f"{found.name} {metric}")
    path = output or Path(file.filename)
    path.write_bytes(file.content)
    result = {
        "file": str(path),
        "format": fmt,
        "rows": file.rows,
        "meter": found.name,
        "metric": metric,
        "unit": series.unit,
        "grain": grain,
        "period": span.as_dict(),
        "columns": [str(c) for c in frame.columns],
    }
    if as_json:
        print_json(result)
        return
    out.print(
        f"wrote {path}: {file.rows:,} rows of {found.name} {metric} ({series.unit}), {grain}, "
        f"{span.describe()}",
        highlight=False,
    )
