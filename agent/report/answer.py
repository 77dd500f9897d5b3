"""A monthly report in a chat answer: the lines the offline model writes from the
`monthly_report` result (agent/offline/compose.py calls `answer_lines`), and the tables and
chart of its evidence (units in the headers), all from that one result; the PDF and HTML come
from the same result (agent/report/html.py)."""

from __future__ import annotations

from typing import Any

Row = list[Any]
Table = tuple[str, list[str], list[Row]]


def answer_lines(r: dict[str, Any]) -> list[str]:
    """The report's summary, its caveats and where to get the PDF and HTML."""
    lines = [f"**{r['title']}**", *r["summary"].splitlines()[1:]]
    lines += [f"Note: {c}" for c in r.get("caveats", [])]
    links = r.get("downloads", {})
    lines.append(
        f"The report as PDF: {links.get('pdf', '')} (HTML: {links.get('html', '')}), or "
        f"`{r['command']}`."
    )
    lines.append(f"Source: {r['source']}.")
    return lines


def _meter_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    for m in r["meters"]:
        rows.append(
            [
                m["meter"],
                m["carrier"],
                m["parent"] or "",
                _round(m["energy_kwh"], 1),
                _round(m["last_year_kwh"], 1),
                _round(m["change_percent"], 1),
                _round(m["cost"], 2),
                _round(m["co2_kg"], 1),
                _round(m["peak_kw"], 2),
                m["peak_at"] or "",
                _round(m["load_factor"], 3),
                _round(m["sec_kwh_per_unit"], 4),
            ]
        )
    return rows


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def report_tables(r: dict[str, Any]) -> list[Table]:
    """The report's figures as tables: meters (in tree order), baselines, incidents."""
    month, currency = r["month"], r.get("currency") or "currency"
    columns = [
        "meter",
        "carrier",
        "parent",
        "energy (kWh)",
        f"same {'month' if r.get('complete', True) else 'days'} last year (kWh), "
        f"{r['last_year']['start'][:7]}",
        "change on last year (%)",
        f"cost ({currency})",
        "CO2 (kg CO2e)",
        "peak demand (kW)",
        "peak demand at",
        "load factor (ratio)",
        "SEC (kWh/unit)",
    ]
    tables: list[Table] = [(f"{r['site']} meters, {month}", columns, _meter_rows(r))]
    if r["enpi"]:
        tables.append(_enpi_table(r))
    if r["incidents"]:
        tables.append(_incident_table(r, currency))
    return tables


def _enpi_table(r: dict[str, Any]) -> Table:
    columns = [
        "meter",
        "baseline version",
        "model",
        "R² (ratio)",
        "CV(RMSE) (%)",
        "NMBE (%)",
        "meets ASHRAE 14",
        "expected (kWh)",
        "actual (kWh)",
        "deviation (kWh)",
        "deviation (%)",
        "EnPI (actual/expected)",
        "uncertainty 90 % (kWh)",
    ]
    rows = [
        [
            e["meter"],
            e["baseline_version"],
            e["model_type"],
            _round(e["r2"], 4),
            _round(e["cv_rmse_percent"], 2),
            _round(e["nmbe_percent"], 2),
            "yes" if e["ashrae14_ok"] else "no",
            _round(e["expected_kwh"], 1),
            _round(e["actual_kwh"], 1),
            _round(e["deviation_kwh"], 1),
            _round(e["deviation_percent"], 2),
            _round(e["enpi"], 4),
            _round(e["uncertainty_kwh"], 1),
        ]
        for e in r["enpi"]
    ]
    return (f"{r['site']} against its baselines, {r['month']}", columns, rows)


def _incident_table(r: dict[str, Any], currency: str) -> Table:
    columns = ["id", "meter", "kind", "severity", "state", "start", "end"]
    columns += ["extra energy (kWh)", f"cost ({currency})"]
    rows = [
        [
            i["id"],
            i["meter"] or "",
            i["kind"],
            i["severity"],
            i["state"],
            i["start"],
            i["end"] or "",
            _round(i["extra_kwh"], 1),
            _round(i["cost"], 2),
        ]
        for i in r["incidents"]
    ]
    return (f"{r['site']} incidents, {r['month']}", columns, rows)


def report_chart(r: dict[str, Any]) -> tuple[str, str, list[str], dict[str, list[float | None]]]:
    """Each carrier's energy per day of the month: title, unit, days, values per carrier."""
    days = sorted({d["day"] for c in r["carriers"] for d in c["daily"]})
    series: dict[str, list[float | None]] = {}
    for c in r["carriers"]:
        by_day = {d["day"]: d["kwh"] for d in c["daily"]}
        series[c["carrier"]] = [by_day.get(day) for day in days]
    return (f"energy per day, {r['month']}", "kWh", days, series)
