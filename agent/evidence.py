"""The evidence beside an answer: charts, tables and citations built only from the tool calls'
results (never from the model's text), for the chat page to draw and the Slack bot to attach."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from agent.report.answer import report_chart, report_tables

if TYPE_CHECKING:
    from agent.loop import Reply

log = logging.getLogger(__name__)

Row = list[Any]
Table = tuple[str, list[str], list[Row]]
QUANTITY = ["quantity", "value", "unit"]


@dataclass(frozen=True)
class ChartSpec:
    """One chart: a line over time, or bars over categories (meters, shifts, parts)."""

    title: str
    unit: str
    kind: Literal["line", "bar"]
    x: list[str]  # ISO local times, or category labels for bars
    series: dict[str, list[float | None]]  # label (meter name) -> values aligned with x


@dataclass(frozen=True)
class Evidence:
    charts: list[ChartSpec]
    tables: list[Table]  # (title, columns, rows)
    citations: list[str]
    tool_calls: list[dict[str, Any]]  # name, args, result (as in Reply.to_json())

    @property
    def empty(self) -> bool:
        return not (self.charts or self.tables or self.citations)


@dataclass
class _Parts:
    charts: list[ChartSpec] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)


def evidence(reply: Reply) -> Evidence:
    """Charts, tables and citations from the reply's tool calls, plus the calls themselves."""
    return evidence_from_calls(c.to_json() for c in reply.tool_calls)


def evidence_from_calls(calls: Iterable[dict[str, Any]]) -> Evidence:
    """The same from tool calls given as `{name, args, result}` dicts (a stored transcript)."""
    records = list(calls)
    parts = _Parts()
    for call in records:
        result = call.get("result")
        builder = BUILDERS.get(str(call.get("name")))
        if builder is None or not isinstance(result, dict) or "error" in result:
            continue  # a failed call is still listed in tool_calls, with its error
        try:
            builder(result, parts)
        except (KeyError, TypeError, ValueError, AttributeError):
            # A result whose shape this module does not know yet (a tool changed in another
            # part): the answer and the raw call still show; only this chart or table is lost.
            log.warning("no evidence drawn for %s: unexpected result shape", call.get("name"))
    return Evidence(parts.charts, parts.tables, list(dict.fromkeys(parts.citations)), records)


# ------------------------------------------------------------------ helpers


def _n(value: Any, digits: int = 3) -> Any:
    """A number rounded for a table cell; anything else as it is."""
    if isinstance(value, float):
        return round(value, digits)
    return value


# A period label that only repeats the dates and times it was written as ('2026-12-02t19:23..'):
# the days it covers say it better than the question's own spelling.
WRITTEN_DATES = re.compile(r"^[\d\-t:.\s/]+$")


def period_label(period: dict[str, str]) -> str:
    """The period's name as people say it ('last week'), or '' when it was written as dates."""
    label = period.get("label", "").strip()
    return "" if WRITTEN_DATES.match(label) else label


def period_text(period: dict[str, str]) -> str:
    """'last week (26 Oct 2026 to 1 Nov 2026)': the label and the days it covers, with the
    times where it does not start or end at midnight ('4 Nov 2026 00:00 to 18:00')."""
    start = datetime.fromisoformat(period["start"])
    end = datetime.fromisoformat(period["end"])
    if (start.hour, start.minute, end.hour, end.minute) != (0, 0, 0, 0):
        same_day = end.date() == start.date()
        days = f"{start:%-d %b %Y %H:%M} to {end:{'%H:%M' if same_day else '%-d %b %Y %H:%M'}}"
    else:
        last = end - timedelta(days=1)
        days = (
            f"{start:%-d %b %Y}"
            if last.date() <= start.date()
            else f"{start:%-d %b %Y} to {last:%-d %b %Y}"
        )
    label = period_label(period)
    return f"{label} ({days})" if label else days


def _local(iso: str) -> str:
    """'Wed 4 Nov 2026 18:00' for an ISO local time."""
    return f"{datetime.fromisoformat(iso):%a %-d %b %Y %H:%M}"


def _times(points: list[dict[str, Any]]) -> list[str]:
    """The distinct point times in time order (ISO strings with offsets sort wrongly across a
    daylight-saving change, so they are ordered by the moment they name)."""
    return sorted(dict.fromkeys(p["start"] for p in points), key=datetime.fromisoformat)


def _aligned(points: list[dict[str, Any]], x: list[str], key: str) -> dict[str, list[float | None]]:
    """Values per meter aligned with x (None where a meter has no point)."""
    by_meter: dict[str, dict[str, float]] = {}
    for p in points:
        by_meter.setdefault(p["meter"], {})[p["start"]] = p[key]
    return {meter: [values.get(t) for t in x] for meter, values in by_meter.items()}


# ------------------------------------------------------------------ one builder per tool


def _query_metric(r: dict[str, Any], out: _Parts) -> None:
    unit, metric, when = r["unit"], r["metric"], period_text(r["period"])
    totals = r["totals"]
    if r["points"]:
        x = _times(r["points"])
        out.charts.append(
            ChartSpec(
                f"{metric} by {r['grain']}, {when}",
                unit,
                "line",
                x,
                _aligned(r["points"], x, "value"),
            )
        )
        if len(x) <= 62:  # a day's hours, a week's quarter-hours are charts, not tables
            series = _aligned(r["points"], x, "value")
            rows = [[t, *(_n(series[m][i]) for m in series)] for i, t in enumerate(x)]
            out.tables.append((f"{metric} by {r['grain']} ({unit})", ["start", *series], rows))
    elif len(totals) > 1:
        named = [t for t in totals if t["value"] is not None]
        out.charts.append(
            ChartSpec(
                f"{metric} ({r['statistic']}), {when}",
                unit,
                "bar",
                [t["meter"] for t in named],
                {metric: [t["value"] for t in named]},
            )
        )
    rows = [
        [
            t["meter"],
            _n(t["value"]),
            t["readings"],
            _n(None if t["coverage"] is None else 100 * t["coverage"], 1),
        ]
        for t in totals
    ]
    out.tables.append(
        (
            f"{metric} {r['statistic']}, {when}",
            ["meter", f"{metric} ({unit})", "readings", "coverage %"],
            rows,
        )
    )


_KPI_POINTS = {
    "peak_demand": ("demand (15-minute average)", "kW"),
    "energy": ("daily energy", "kWh"),
    "cost": ("daily energy", "kWh"),
    "carbon": ("daily emissions", "kg CO2e"),
}


def _compute_kpi(r: dict[str, Any], out: _Parts) -> None:
    kpi, meter, when = r["kpi"], r["meter"], period_text(r["period"])
    if r["points"]:
        what, unit = _KPI_POINTS.get(kpi, (kpi.replace("_", " "), r["unit"]))
        x = [p["start"] for p in r["points"]]
        out.charts.append(
            ChartSpec(
                f"{meter} {what}, {when}",
                unit,
                "line",
                x,
                {meter: [p["value"] for p in r["points"]]},
            )
        )
    rows: list[Row] = [[kpi.replace("_", " "), _n(r["value"]), r["unit"]]]
    rows += [[k.replace("_", " "), _n(v), ""] for k, v in r["details"].items()]
    rows.append(["method", r["method"], ""])
    out.tables.append(
        (f"{meter} {kpi.replace('_', ' ')}, {when}", ["quantity", "value", "unit"], rows)
    )


def _compare_periods(r: dict[str, Any], out: _Parts) -> None:
    now = period_label(r["period"]) or period_text(r["period"])
    ref = period_label(r["reference"]) or period_text(r["reference"])
    if ref == now:
        ref = f"{ref} (reference)"
    changes = r["changes"]
    meters = [c["meter"] for c in changes]
    out.charts.append(
        ChartSpec(
            f"{r['metric']}: {period_text(r['period'])} vs {period_text(r['reference'])}",
            r["unit"],
            "bar",
            meters,
            {now: [c["value"] for c in changes], ref: [c["reference_value"] for c in changes]},
        )
    )
    rows = [
        [
            c["meter"],
            _n(c["value"]),
            _n(c["reference_value"]),
            _n(c["difference"]),
            _n(c["percent"], 1),
        ]
        for c in changes
    ]
    columns = [
        "meter",
        f"{now} ({r['unit']})",
        f"{ref} ({r['unit']})",
        f"difference ({r['unit']})",
        "change %",
    ]
    out.tables.append((f"{r['metric']} {now} vs {ref}", columns, rows))


def _rank_meters(r: dict[str, Any], out: _Parts) -> None:
    ranking, when = r["ranking"], period_text(r["period"])
    out.charts.append(
        ChartSpec(
            f"largest {r['metric']} consumers, {when}",
            r["unit"],
            "bar",
            [m["meter"] for m in ranking],
            {r["metric"]: [m["value"] for m in ranking]},
        )
    )
    rows = [[m["rank"], m["meter"], _n(m["value"]), _n(m["share_percent"], 1)] for m in ranking]
    columns = ["rank", "meter", f"{r['metric']} ({r['unit']})", "share %"]
    out.tables.append((f"{r['metric']} ranking, {when}", columns, rows))


def _rank_sites(r: dict[str, Any], out: _Parts) -> None:
    for ranking in r["rankings"]:
        sites = ranking["ranking"]
        title = f"{r['measure']} of {ranking['carrier']} per site, {r['period']}"
        out.charts.append(
            ChartSpec(
                title,
                ranking["unit"],
                "bar",
                [s["site"] for s in sites],
                {ranking["carrier"]: [s["value"] for s in sites]},
            )
        )
    columns = ["site", "carrier", "total", "unit", "floor area m2", "per m2", "from", "to"]
    rows = [
        [
            f["site"],
            f["carrier"],
            _n(f["value"]),
            f["unit"],
            _n(f["floor_area_m2"]),
            _n(f["per_m2"]),
            f["period"]["start"][:10],
            f["period"]["end"][:10],
        ]
        for f in r["sites"]
    ]
    out.tables.append((f"{r['measure']} per site, {r['period']}", columns, rows))


def _split_consumption(r: dict[str, Any], out: _Parts) -> None:
    parts, meter, by = r["parts"], r["meter"], r["by"].replace("_", " ")
    when = period_text(r["period"])
    # An hour-of-day profile of energy is an average power (kW), and says so.
    what = "average power" if r["unit"] == "kW" and r["metric"] == "energy" else r["metric"]
    out.charts.append(
        ChartSpec(
            f"{meter} {what} by {by}, {when}",
            r["unit"],
            "bar",
            [p["name"] for p in parts],
            {meter: [p["value"] for p in parts]},
        )
    )
    rows = [
        [
            p["name"],
            _n(p["value"]),
            _n(p["share_percent"], 1),
            _n(p["hours"], 2),
            _n(p["average_per_hour"]),
        ]
        for p in parts
    ]
    per_hour = "kWh per hour" if what == "average power" else "average per hour"
    columns = [by, f"{what} ({r['unit']})", "share %", "hours", per_hour]
    out.tables.append((f"{meter} {what} by {by}, {when}", columns, rows))


def _forecast(r: dict[str, Any], out: _Parts) -> None:
    points, meter = r["points"], r["meter"]
    out.charts.append(
        ChartSpec(
            f"{meter} forecast, next {r['horizon']} (energy per 15 minutes)",
            "kWh",
            "line",
            [p["start"] for p in points],
            {
                "expected": [p["expected_kwh"] for p in points],
                "low (10 %)": [p["low_kwh"] for p in points],
                "high (90 %)": [p["high_kwh"] for p in points],
            },
        )
    )
    rows: list[Row] = [
        ["energy expected", _n(r["energy_kwh"]), "kWh"],
        ["energy low", _n(r["energy_low_kwh"]), "kWh"],
        ["energy high", _n(r["energy_high_kwh"]), "kWh"],
        ["peak demand", _n(r["peak_kw"]), "kW"],
        ["peak at", r["peak_at"], ""],
        ["peak demand, high estimate", _n(r["peak_high_kw"]), "kW"],
    ]
    if r.get("demand_limit_kw") is not None:
        rows += [
            ["demand limit", _n(r["demand_limit_kw"]), "kW"],
            ["exceeded", r["limit_verdict"], ""],
        ]
    out.tables.append(
        (f"{meter} forecast, next {r['horizon']} from {_local(r['start'])}", QUANTITY, rows)
    )


def _energy_baseline(r: dict[str, Any], out: _Parts) -> None:
    meter, unit = r["meter"], r.get("unit", "kWh/day")
    fit: list[Row] = [
        ["model", f"{r['model_type']} (version {r['version']})", ""],
        ["baseline period", period_text(r["baseline_period"]), ""],
        ["days used", r["days_used"], ""],
        ["R²", _n(r["r2"]), ""],
        ["CV(RMSE)", _n(r["cv_rmse_percent"], 2), "%"],
        ["NMBE", _n(r["nmbe_percent"], 2), "%"],
        ["meets ASHRAE Guideline 14", "yes" if r["ashrae14_ok"] else "no", ""],
    ]
    dev = r.get("deviation")
    if dev:
        when = period_text(dev["period"])
        x = [p["start"] for p in dev["points"]]
        out.charts.append(
            ChartSpec(
                f"{meter} actual vs baseline, {when}",
                unit,
                "line",
                x,
                {
                    "actual": [p["actual"] for p in dev["points"]],
                    "baseline": [p["expected"] for p in dev["points"]],
                },
            )
        )
        out.charts.append(
            ChartSpec(
                f"{meter} CUSUM (actual - baseline), {when}",
                "kWh",
                "line",
                x,
                {"CUSUM": [p["cusum"] for p in dev["points"]]},
            )
        )
        fit += [
            ["expected", _n(dev["expected_kwh"]), "kWh"],
            ["actual", _n(dev["actual_kwh"]), "kWh"],
            ["deviation", _n(dev["deviation_kwh"]), "kWh"],
            ["deviation", _n(dev["deviation_percent"], 1), "%"],
            ["uncertainty (90 %)", _n(dev["uncertainty_kwh"]), "kWh"],
        ]
    out.tables.append((f"{meter} baseline", ["quantity", "value", "unit"], fit))


def _detect_anomalies(r: dict[str, Any], out: _Parts) -> None:
    events, when = r["events"], period_text(r["period"])
    extra: dict[str, float] = {}
    for e in events:
        if e.get("extra_kwh"):
            extra[e["meter"]] = extra.get(e["meter"], 0.0) + e["extra_kwh"]
    if extra:
        out.charts.append(
            ChartSpec(
                f"extra energy in unusual events, {when}",
                "kWh",
                "bar",
                list(extra),
                {"extra energy": list(extra.values())},
            )
        )
    rows = [
        [
            e["meter"],
            e["kind"].replace("_", " "),
            e["start"],
            e["end"],
            e["severity"],
            _n(e["extra_kwh"], 1),
            _n(e["extra_cost"], 2),
        ]
        for e in events
    ]
    columns = ["meter", "kind", "start", "end", "severity", "extra kWh", "extra cost"]
    out.tables.append((f"unusual events, {when}", columns, rows))


def _data_coverage(r: dict[str, Any], out: _Parts) -> None:
    meters, when = r["meters"], period_text(r["period"])
    out.charts.append(
        ChartSpec(
            f"{r['metric']} data coverage, {when}",
            "%",
            "bar",
            [m["meter"] for m in meters],
            {"coverage": [m["coverage_percent"] for m in meters]},
        )
    )
    rows = [
        [
            m["meter"],
            m["expected_intervals"],
            m["present_intervals"],
            _n(m["coverage_percent"], 2),
            len(m["gaps"]),
        ]
        for m in meters
    ]
    out.tables.append(
        (f"data coverage, {when}", ["meter", "expected", "received", "coverage %", "gaps"], rows)
    )
    gaps = [
        [m["meter"], g["start"], g["end"], _n(g["hours"], 2)] for m in meters for g in m["gaps"]
    ]
    if gaps:
        out.tables.append((f"gaps in the data, {when}", ["meter", "from", "to", "hours"], gaps))


def _run_sql(r: dict[str, Any], out: _Parts) -> None:
    title = f"query result ({r['row_count']} rows{', truncated' if r['truncated'] else ''})"
    out.tables.append((title, list(r["columns"]), [list(row) for row in r["rows"]]))


RULE_COLUMNS = [
    "id",
    "name",
    "meter",
    "target",
    "condition",
    "threshold",
    "unit",
    "window",
    "severity",
    "enabled",
]


def _rules(r: dict[str, Any], out: _Parts) -> None:
    rules = r["rules"] if "rules" in r else [r]
    rows = [[rule[c] for c in RULE_COLUMNS] for rule in rules]
    out.tables.append(("alert rules", RULE_COLUMNS, rows))


def _backtest(r: dict[str, Any], out: _Parts) -> None:
    rows = [[e["start"], e["end"], _n(e["peak_value"]), _n(e["hours"], 2)] for e in r["episodes"]]
    columns = ["start", "end", f"worst ({r['unit']})", "hours"]
    title = f"back-test of {r['rule']}, {period_text(r['period'])} (nothing stored)"
    out.tables.append((title, columns, rows))


_ALERT_COLUMNS = [
    "id",
    "rule",
    "meter",
    "severity",
    "start",
    "end",
    "peak_value",
    "unit",
    "state",
    "note",
]


def _alerts(r: dict[str, Any], out: _Parts) -> None:
    alerts = r["alerts"] if "alerts" in r else [r]
    rows = [[_n(a[c]) for c in _ALERT_COLUMNS] for a in alerts]
    out.tables.append(("alerts", [c.replace("_", " ") for c in _ALERT_COLUMNS], rows))


_INCIDENT_COLUMNS = [
    "id",
    "meter",
    "kind",
    "severity",
    "state",
    "title",
    "start",
    "end",
    "extra_kwh",
    "cost",
]


def _incidents(r: dict[str, Any], out: _Parts) -> None:
    incidents = r["incidents"] if "incidents" in r else [r]
    rows = [[_n(i.get(c)) for c in _INCIDENT_COLUMNS] for i in incidents]
    out.tables.append(("incidents", [c.replace("_", " ") for c in _INCIDENT_COLUMNS], rows))
    for incident in incidents:
        out.citations.extend(incident.get("citations") or [])


def _search_knowledge(r: dict[str, Any], out: _Parts) -> None:
    passages = r["passages"]
    out.citations.extend(p["citation"] for p in passages)
    rows = [[p["title"], p.get("section") or "", p["source"], _n(p["score"], 2)] for p in passages]
    if rows:
        out.tables.append(
            (f"passages found for {r['query']!r}", ["title", "section", "source", "score"], rows)
        )


def _monthly_report(r: dict[str, Any], out: _Parts) -> None:
    title, unit, days, series = report_chart(r)
    if days:
        out.charts.append(ChartSpec(title, unit, "bar", days, series))
    out.tables.extend(report_tables(r))


BUILDERS: dict[str, Callable[[dict[str, Any], _Parts], None]] = {
    "query_metric": _query_metric,
    "compute_kpi": _compute_kpi,
    "compare_periods": _compare_periods,
    "rank_meters": _rank_meters,
    "rank_sites": _rank_sites,
    "split_consumption": _split_consumption,
    "forecast": _forecast,
    "energy_baseline": _energy_baseline,
    "detect_anomalies": _detect_anomalies,
    "data_coverage": _data_coverage,
    "run_sql": _run_sql,
    "list_alert_rules": _rules,
    "create_alert_rule": _rules,
    "update_alert_rule": _rules,
    "backtest_alert_rule": _backtest,
    "list_alerts": _alerts,
    "update_alert": _alerts,
    "list_incidents": _incidents,
    "get_incident": _incidents,
    "update_incident": _incidents,
    "search_knowledge": _search_knowledge,
    "monthly_report": _monthly_report,
}
