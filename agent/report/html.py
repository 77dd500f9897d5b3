"""The monthly report as one HTML document (A4, print styles, charts as SVG images): what the PDF
is printed from and what the HTML download is. Every figure is the report result's own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

from agent.report import charts
from tools.report_text import change, number, when

if TYPE_CHECKING:
    from tools.report import CarrierMonth, EnpiMonth, IncidentMonth, MeterMonth, MonthlyReport

STYLE = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 8pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; color: #1c2833; }
h1 { font-size: 16pt; margin: 0 0 2mm 0; }
h2 { font-size: 12pt; margin: 6mm 0 2mm 0; border-bottom: 1px solid #aab7b8; }
h3 { font-size: 10pt; margin: 4mm 0 1mm 0; }
p.meta { color: #566573; margin: 0 0 3mm 0; }
.summary { background: #eef3f6; padding: 2mm 3mm; border-left: 3px solid #1f6f8b; }
.summary p { margin: 1mm 0; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm 0; }
table { font-size: 8pt; }
th, td { padding: 0.8mm 1.2mm; border-bottom: 1px solid #d5dbdb; white-space: nowrap; }
td.w { white-space: normal; }
th { text-align: left; font-weight: bold; background: #f4f6f6; white-space: normal; }
td.n, th.n { text-align: right; white-space: nowrap; }
tr.total td { font-weight: bold; border-top: 1px solid #566573; }
img.chart { width: 100%; margin: 1mm 0 3mm 0; }
ul.notes { color: #566573; font-size: 8pt; }
"""

Cell = tuple[str, bool]  # text, numeric (right-aligned)


def _table(head: Sequence[Cell], rows: Sequence[Sequence[str]], total: int = -1) -> str:
    """A table; columns flagged numeric are right-aligned; row `total` is marked as a total."""
    numeric = [n for _, n in head]
    top = "".join(f'<th class="{"n" if n else ""}">{escape(t)}</th>' for t, n in head)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(
            f'<td class="{"n" if numeric[j] else ""}">{escape(v)}</td>' for j, v in enumerate(row)
        )
        body.append(f'<tr class="{"total" if i == total else ""}">{cells}</tr>')
    return f"<table><thead><tr>{top}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _short(iso: str | None) -> str:
    """'19 Nov 17:00': a time within the month, in the site's zone."""
    return "n/a" if not iso else f"{datetime.fromisoformat(iso):%-d %b %H:%M}"


def _ratio(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _meter_head(currency: str) -> list[Cell]:
    return [
        ("meter", False),
        ("energy kWh", True),
        ("vs last year", True),
        (f"cost {currency}".strip(), True),
        ("CO2 kg", True),
        ("peak kW", True),
        ("peak at", False),
        ("load factor", True),
        ("SEC kWh/unit", True),
    ]


def _meter_row(m: MeterMonth) -> list[str]:
    return [
        "\u2003" * m.depth + m.meter,
        number(m.energy_kwh),
        change(m.change_percent),
        number(m.cost, digits=2),
        number(m.co2_kg),
        number(m.peak_kw, digits=1),
        _short(m.peak_at),
        _ratio(m.load_factor),
        _ratio(m.sec_kwh_per_unit) if m.sec_kwh_per_unit is not None else "",
    ]


def _carrier_section(c: CarrierMonth, meters: list[MeterMonth]) -> str:
    mine = [m for m in meters if m.carrier == c.carrier]
    total = [
        f"{c.carrier} total",
        number(c.energy_kwh),
        change(c.change_percent),
        number(c.cost, digits=2),
        number(c.co2_kg),
        "",
        "",
        "",
        "",
    ]
    rows = [_meter_row(m) for m in mine] + [total]
    notes = [f"{m.meter}: {n}" for m in mine for n in m.notes]
    parts = [
        f"<h2>{escape(c.carrier.capitalize())}</h2>",
        _table(_meter_head(c.currency), rows, total=len(rows) - 1),
        f"<p class='meta'>The total adds up the meters at the top of the tree "
        f"({escape(', '.join(c.meters))}); the meters below them are inside it.</p>",
        f'<img class="chart" alt="{escape(c.carrier)} energy per day" '
        f'src="{charts.daily_energy(c)}">',
    ]
    if notes:
        parts.append(_list(notes, "notes"))
    return "\n".join(parts)


FIT_HEAD: list[Cell] = [
    ("meter", False),
    ("model", False),
    ("baseline period", False),
    ("R²", True),
    ("CV(RMSE) %", True),
    ("NMBE %", True),
    ("ASHRAE 14", False),
]
MONTH_HEAD: list[Cell] = [
    ("meter", False),
    ("days", True),
    ("expected kWh", True),
    ("actual kWh", True),
    ("deviation kWh", True),
    ("deviation", True),
    ("EnPI", True),
    ("± kWh (90 %)", True),
]


def _enpi_section(enpi: list[EnpiMonth]) -> str:
    if not enpi:
        return (
            "<h2>Against the baselines (EnPI)</h2><p>No meter has a stored baseline; fit one "
            "with <code>ems-agent baseline --meter METER --baseline 2025</code> (or ask for it) "
            "and the next report compares the month with it.</p>"
        )
    images = "".join(
        f'<img class="chart" alt="{escape(e.meter)} against its baseline" '
        f'src="{charts.baseline(e)}">'
        for e in enpi
    )
    return (
        "<h2>Against the baselines (EnPI)</h2><h3>The baselines (ASHRAE Guideline 14)</h3>"
        + _table(FIT_HEAD, [_fit_row(e) for e in enpi])
        + "<h3>The month against them</h3>"
        + _table(MONTH_HEAD, [_month_row(e) for e in enpi])
        + "<p class='meta'>EnPI = actual / expected energy; a deviation inside ± kWh is "
        "within the baseline's uncertainty.</p>" + images
    )


def _fit_row(e: EnpiMonth) -> list[str]:
    return [
        e.meter,
        f"{e.model_type} v{e.baseline_version}",
        _span(e.baseline_period),
        _ratio(e.r2),
        f"{e.cv_rmse_percent:.1f}",
        f"{round(e.nmbe_percent, 2) + 0.0:.2f}",  # + 0.0: no "-0.00"
        "meets" if e.ashrae14_ok else "fails",
    ]


def _month_row(e: EnpiMonth) -> list[str]:
    return [
        e.meter,
        str(e.days),
        number(e.expected_kwh),
        number(e.actual_kwh),
        number(e.deviation_kwh),
        change(e.deviation_percent),
        _ratio(e.enpi),
        number(e.uncertainty_kwh),
    ]


def _span(period: dict[str, str]) -> str:
    """'2025-11-01 to 2026-10-31': the days a period covers (its end is exclusive)."""
    end = (datetime.fromisoformat(period["end"]) - timedelta(days=1)).date()
    return f"{period['start'][:10]} to {end.isoformat()}"


def _incidents_section(incidents: list[IncidentMonth], total: float, currency: str) -> str:
    if not incidents:
        return "<h2>Incidents</h2><p>No incidents this month.</p>"
    head: list[Cell] = [
        ("#", True),
        ("meter", False),
        ("what", False),
        ("severity", False),
        ("state", False),
        ("from", False),
        ("to", False),
        ("extra kWh", True),
        (f"cost {currency}".strip(), True),
    ]
    rows = [
        [
            str(i.id),
            i.meter or "site",
            i.kind.replace("_", " "),
            i.severity,
            i.state,
            _short(i.start),
            _short(i.end),
            number(i.extra_kwh),
            number(i.cost, digits=2),
        ]
        for i in incidents
    ]
    rows.append(["", "total", "", "", "", "", "", "", number(total, digits=2)])
    return "<h2>Incidents</h2>" + _table(head, rows, total=len(rows) - 1)


def _list(items: Sequence[str], css: str = "") -> str:
    lines = "".join(f"<li>{escape(i)}</li>" for i in items)
    return f'<ul class="{css}">{lines}</ul>'


def _year_section(report: MonthlyReport) -> str:
    last_year = report.last_year["start"][:7]
    chart = charts.year_on_year(report.meters, report.month, last_year)
    return (
        "<h2>The month against last year</h2>"
        f'<img class="chart" alt="energy per meter against {escape(last_year)}" src="{chart}">'
    )


def render_html(report: MonthlyReport) -> str:
    """The whole report as an HTML document."""
    summary = "".join(f"<p>{escape(line)}</p>" for line in report.summary.splitlines()[1:])
    body: list[str] = [
        f"<h1>{escape(report.title)}</h1>",
        f"<p class='meta'>{escape(_span(report.period))}, times in {escape(report.timezone)}; "
        f"made {escape(when(report.generated_at))}</p>",
        f'<div class="summary">{summary}</div>',
        *(_carrier_section(c, report.meters) for c in report.carriers),
        _year_section(report),
        _enpi_section(report.enpi),
        _incidents_section(report.incidents, report.incidents_cost, report.currency),
        "<h2>Methods and sources</h2>",
        _list([*report.methods, f"figures: {report.source}"], "notes"),
    ]
    if report.caveats:
        body += ["<h3>Caveats</h3>", _list(report.caveats, "notes")]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(report.title)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
