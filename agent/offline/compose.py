"""Writing the answer from tool results: every number comes from a result, and every answer
names its meter, period, unit and source."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from agent.offline import knowledge

Result = dict[str, Any]


def number(value: float | None, unit: str = "") -> str:
    """A number as a person writes it: 12,345 kWh, 45.6 kW, 0.441 kWh/unit."""
    if value is None:
        return "n/a"
    size = abs(value)
    if size >= 1000:
        text = f"{value:,.0f}"
    elif size >= 100:
        text = f"{value:,.1f}"
    elif size >= 1:
        text = f"{value:,.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def when(text: str) -> str:
    moment = datetime.fromisoformat(text)
    return f"{moment:%a %-d %b %Y %H:%M}"


RELATIVE = ("last", "this", "yesterday", "today", "since", "year to", "month to", "the ")


def period_text(period: dict[str, str], *, bare: bool = False) -> str:
    """'last week (26 Oct 2026 to 1 Nov 2026)' or 'in 1 Sep 2026 to 30 Sep 2026' from a
    result's period (local times; the end is exclusive)."""
    start = datetime.fromisoformat(period["start"])
    end = datetime.fromisoformat(period["end"])
    if start.time() == end.time() == datetime.min.time():
        last = end - timedelta(days=1)
        span = (
            f"{start:%-d %b %Y}"
            if last.date() == start.date()
            else f"{start:%-d %b %Y} to {last:%-d %b %Y}"
        )
    else:
        span = f"{start:%-d %b %Y %H:%M} to {end:%-d %b %Y %H:%M}"
    label = period.get("label", "")
    if label.startswith(("this ", "today")):
        return f"{label} so far (since {start:%-d %b %Y})"
    if label.startswith(RELATIVE):
        return f"{label} ({span})"
    if bare:
        return span
    return f"in {span}" if " to " in span else f"on {span}"


def _source(result: Result) -> str:
    return f"Source: {result['source']}." if result.get("source") else ""


def _caveats(result: Result) -> list[str]:
    return [f"Note: {c}" for c in result.get("caveats") or []]


# ------------------------------------------------------------------------------ per tool


def query_metric(r: Result) -> list[str]:
    verb = {"sum": "total", "avg": "average", "min": "minimum", "max": "maximum"}[r["statistic"]]
    lines = []
    for t in r["totals"]:
        if t["value"] is None:
            lines.append(f"**{t['meter']}**: no {r['metric']} readings {period_text(r['period'])}.")
            continue
        cover = ""
        if t.get("coverage") is not None and t["coverage"] < 0.98:
            cover = f" (only {t['coverage'] * 100:.0f}% of the expected readings are present)"
        lines.append(
            f"**{t['meter']}** {r['metric'].replace('_', ' ')} {verb}: "
            f"**{number(t['value'], r['unit'])}** {period_text(r['period'])}{cover}."
        )
    if len(r["totals"]) > 1 and r["statistic"] == "sum":
        total = sum(t["value"] or 0 for t in r["totals"])
        lines.append(f"Together: {number(total, r['unit'])}.")
    if r["points"]:
        lines.extend(_series_summary(r))
    return [*lines, _source(r)]


def _series_summary(r: Result) -> list[str]:
    """Average, highest and lowest step of each meter's series (the chart's numbers)."""
    lines = []
    by_meter: dict[str, list[Result]] = {}
    for p in r["points"]:
        by_meter.setdefault(p["meter"], []).append(p)
    for meter, points in by_meter.items():
        values = [p["value"] for p in points]
        top = max(points, key=lambda p: p["value"])
        low = min(points, key=lambda p: p["value"])
        lines.append(
            f"{meter} by {r['grain']}: average {number(sum(values) / len(values), r['unit'])} per "
            f"{r['grain']} over {len(values)} {r['grain']}s; highest "
            f"{number(top['value'], r['unit'])} ({_step(top['start'], r['grain'])}), lowest "
            f"{number(low['value'], r['unit'])} ({_step(low['start'], r['grain'])})."
        )
    return lines


def _step(start: str, grain: str) -> str:
    moment = datetime.fromisoformat(start)
    if grain in ("day", "week"):
        return f"{moment:%a %-d %b %Y}"
    if grain == "month":
        return f"{moment:%B %Y}"
    return f"{moment:%a %-d %b %H:%M}"


KPI_NAMES = {
    "energy": "energy",
    "peak_demand": "peak demand",
    "load_factor": "load factor",
    "sec": "specific energy consumption (SEC)",
    "cost": "cost",
    "carbon": "carbon emissions",
    "base_load": "base load",
    "intensity": "energy intensity",
}


def compute_kpi(r: Result) -> list[str]:
    d = r["details"]
    name = KPI_NAMES.get(r["kpi"], r["kpi"])
    head = f"**{r['meter']}** {name} {period_text(r['period'])}: "
    if r["kpi"] == "cost":
        currency = str(d.get("currency") or r["unit"])
        value, extra = f"**{money(r['value'], currency)}**", ""
        if "energy_cost" in d and "demand_cost" in d:
            extra = (
                f" ({money(float(d['energy_cost'] or 0), currency)} energy, "
                f"{money(float(d['demand_cost'] or 0), currency)} demand charge"
            )
            extra += f"; tariff: {d['tariff']})" if d.get("tariff") else ")"
    elif r["kpi"] == "load_factor":
        value = f"**{r['value'] * 100:.1f}%**"
        extra = (
            f" (average power **{number(float(d['average_kw']), 'kW')}**, peak "
            f"{number(float(d['peak_kw']), 'kW')} at {when(str(d['peak_at']))})"
        )
    else:
        value, extra = f"**{number(r['value'], r['unit'])}**", ""
    if r["kpi"] == "peak_demand" and d.get("at"):
        extra = f", at {when(str(d['at']))} ({d.get('window_minutes', 15):.0f}-minute average)"
    if r["kpi"] == "sec":
        extra = (
            f" ({number(float(d['energy_kwh']), 'kWh')} for "
            f"{number(float(d['production_units']), 'units')})"
        )
    lines = [head + value + extra + "."]
    lines.append(f"Method: {r['method']}.")
    return [*lines, *_caveats(r), _source(r)]


def compare_periods(r: Result) -> list[str]:
    lines = [
        f"{r['metric'].replace('_', ' ').capitalize()} {period_text(r['period'])} compared "
        f"with {period_text(r['reference'], bare=True)}:"
    ]
    for c in r["changes"]:
        if c["value"] is None or c["reference_value"] is None:
            lines.append(f"- **{c['meter']}**: no data in one of the periods.")
            continue
        direction = "up" if (c["difference"] or 0) > 0 else "down"
        lines.append(
            f"- **{c['meter']}**: {number(c['value'], r['unit'])} vs "
            f"{number(c['reference_value'], r['unit'])}, {direction} "
            f"{number(abs(c['difference']), r['unit'])} ({percent(c['percent'])})."
        )
    return [*lines, _source(r)]


def rank_meters(r: Result) -> list[str]:
    lines = [f"Largest {r['metric']} consumers {period_text(r['period'])}:"]
    for x in r["ranking"]:
        lines.append(
            f"{x['rank']}. **{x['meter']}**: {number(x['value'], r['unit'])} "
            f"({x['share_percent']:.1f}%)"
        )
    if len(r["ranking"]) > 1:
        low = r["ranking"][-1]
        lines.append(
            f"Smallest of these: **{low['meter']}** with {number(low['value'], r['unit'])}."
        )
    if r.get("excluded_totals"):
        lines.append(f"Totals left out of the ranking: {', '.join(r['excluded_totals'])}.")
    lines.extend(_unmetered(r))
    if r.get("left_out"):
        lines.append(f"Not ranked ({r.get('carrier', '')} only): {', '.join(r['left_out'])}.")
    lines.extend(f"Converted: {c}." for c in r.get("conversions", []))
    return [*lines, _source(r)]


def _unmetered(r: Result) -> list[str]:
    """Each parent's unmetered remainder, or why there is none."""
    lines = []
    for u in r.get("unmetered", []):
        if u["unmetered"] is not None:
            share = f" ({u['share_percent']:.1f}%)" if u["unmetered"] > 0 else ""
            lines.append(
                f"Unmetered remainder of {u['meter']}: {number(u['unmetered'], r['unit'])}{share}."
            )
        if u.get("note"):
            lines.append(f"{u['meter']}: {u['note']}.")
    return lines


def rank_sites(r: Result) -> list[str]:
    per = " per m2" if r["per_m2"] else ""
    lines = []
    for i, ranking in enumerate(r["rankings"]):
        # a blank line ends the list before: each carrier's ranking is numbered from 1
        head = f"Sites by {ranking['carrier']} {r['measure']}{per}, {r['period']}:"
        lines.append(f"\n{head}" if i else head)
        lines.extend(
            f"{s['rank']}. **{s['site']}**: {number(s['value'], ranking['unit'])}"
            for s in ranking["ranking"]
        )
        if ranking["not_ranked"]:
            lines.append(f"Not ranked: {', '.join(ranking['not_ranked'])}.")
    lines.extend(f"Converted: {c}." for c in r.get("conversions", []))
    return [*lines, _source(r)]


def split_consumption(r: Result) -> list[str]:
    lines = [
        f"**{r['meter']}** {r['metric']} {period_text(r['period'])} by {r['by'].replace('_', ' ')}:"
    ]
    for p in r["parts"]:
        share = f" ({p['share_percent']:.1f}%)" if p["share_percent"] is not None else ""
        lines.append(
            f"- {p['name']}: {number(p['value'], r['unit'])}{share}, "
            f"{number(p['average_per_hour'], r['unit'])} per hour on average"
        )
    return [*lines, _source(r)]


def data_coverage(r: Result) -> list[str]:
    gaps = [m for m in r["meters"] if m["coverage_percent"] < 100 or m["gaps"]]
    lines = [f"Data coverage of {r['metric']} {period_text(r['period'])}:"]
    if not gaps:
        lines.append(
            f"all {len(r['meters'])} meters checked are complete "
            f"({', '.join(m['meter'] for m in r['meters'])})."
        )
    for m in gaps:
        lines.append(
            f"- **{m['meter']}**: {m['coverage_percent']:.1f}% ({m['present_intervals']} of "
            f"{m['expected_intervals']} intervals, "
            f"{m['expected_intervals'] - m['present_intervals']} missing), {len(m['gaps'])} gap(s)"
            + "".join(
                f"; {when(g['start'])} to {when(g['end'])} ({g['hours']:g} h)"
                for g in m["gaps"][:3]
            )
        )
    return [*lines, _source(r)]


def detect_anomalies(r: Result) -> list[str]:
    events = r["events"]
    checked = ", ".join(r["meters_checked"])
    if not events:
        return [f"No anomalies found {period_text(r['period'])} on {checked}.", *_caveats(r)]
    lines = [f"{len(events)} event(s) {period_text(r['period'])}:"]
    for e in events[:10]:
        impact = ""
        if e.get("extra_kwh") is not None:
            impact = f", {number(e['extra_kwh'], 'kWh')} vs expected"
            if e.get("extra_cost") is not None:
                impact += f" ({number(e['extra_cost'], 'EUR')})"
        lines.append(
            f"- **{e['meter']}**: {e['kind'].replace('_', ' ')} ({e['severity']}), "
            f"{when(e['start'])} to {when(e['end'])}{impact}"
        )
    if len(events) > 10:
        lines.append(f"... and {len(events) - 10} more.")
    lines.append(f"Meters checked: {checked}. Method: {r['method']}.")
    return [*lines, *_caveats(r)]


def energy_baseline(r: Result) -> list[str]:
    verdict = "meets" if r["ashrae14_ok"] else "does NOT meet"
    lines = []
    dev = r.get("deviation")
    if dev:
        above = "above" if dev["deviation_kwh"] > 0 else "below"
        lines.append(
            f"**{r['meter']}** is **{number(abs(dev['deviation_kwh']), 'kWh')} {above}** its "
            f"baseline {period_text(dev['period'])} ({percent(dev['deviation_percent'])}): "
            f"{number(dev['actual_kwh'], 'kWh')} actual vs {number(dev['expected_kwh'], 'kWh')} "
            f"expected over {dev['steps']} complete day(s), uncertainty ±"
            f"{number(dev['uncertainty_kwh'], 'kWh')} at 90% confidence."
        )
        if abs(dev["deviation_kwh"]) < dev["uncertainty_kwh"]:
            lines.append("The difference is within the model's uncertainty.")
    lines.append(
        f"Baseline model v{r['version']} of **{r['meter']}** ({r['model_type']}, "
        f"drivers: {', '.join(r['drivers'])}) "
        f"fitted on {period_text(r['baseline_period'], bare=True)}: R² {r['r2']:.2f}, CV(RMSE) "
        f"{r['cv_rmse_percent']:.1f}%, NMBE {r['nmbe_percent']:.1f}%; it {verdict} ASHRAE "
        "Guideline 14."
    )
    return [*lines, *_caveats(r), "Source: store rollups (daily energy and drivers)."]


def forecast(r: Result) -> list[str]:
    lines = [
        f"Forecast for **{r['meter']}**, {when(r['start'])} to {when(r['end'])}: "
        f"**{number(r['energy_kwh'], 'kWh')}** (range {number(r['energy_low_kwh'], 'kWh')} to "
        f"{number(r['energy_high_kwh'], 'kWh')}), peak demand about "
        f"**{number(r['peak_kw'], 'kW')}** at {when(r['peak_at'])} (up to "
        f"{number(r['peak_high_kw'], 'kW')})."
    ]
    if r.get("demand_limit_kw") is not None:
        lines.append(f"Exceeding {number(r['demand_limit_kw'], 'kW')} is **{r['limit_verdict']}**.")
    return [*lines, f"Method: {r['method']}.", *_caveats(r)]


def _rule(x: Result) -> str:
    state = "" if x["enabled"] else " (disabled)"
    return (
        f"#{x['id']} {x['meter']}: {x['target']} {x['condition']} {x['threshold']:g} {x['unit']} "
        f"per {x['window']}, {x['severity']}{state}"
    )


def create_alert_rule(r: Result) -> list[str]:
    return [f"Created alert rule {_rule(r)}. I will raise an alert once per episode."]


def backtest_alert_rule(r: Result) -> list[str]:
    found = r["episodes"]
    head = (
        f"Back-test of {r['rule']} over {period_text(r['period'])} ({r['windows']} windows): "
        f"it would have raised {len(found)} alert(s). Nothing was stored."
    )
    lines = [
        f"- from {when(e['start'])} to {when(e['end']) if e['end'] else 'the end of the period'}, "
        f"worst {number(e['peak_value'], r['unit'])}"
        for e in found[:10]
    ]
    return [head, *lines, *([f"- … {len(found) - 10} more"] if len(found) > 10 else [])]


def list_alert_rules(r: Result) -> list[str]:
    if not r["rules"]:
        return ["No alert rules are set up."]
    return [f"{len(r['rules'])} alert rule(s):", *(f"- {_rule(x)}" for x in r["rules"])]


def update_alert_rule(r: Result) -> list[str]:
    return (
        ["Done. The rules now are:", *(f"- {_rule(x)}" for x in r["rules"])]
        if r["rules"]
        else ["Done. No alert rules are left."]
    )


def _alert(a: Result) -> str:
    end = f" to {when(a['end'])}" if a.get("end") else " (still holding)"
    return (
        f"#{a['id']} {a['rule']} ({a['severity']}, {a['state']}): "
        f"peak {number(a['peak_value'], a['unit'])}, "
        f"{when(a['start'])}{end}"
    )


def list_alerts(r: Result) -> list[str]:
    if not r["alerts"]:
        return ["There are no alerts in that state."]
    return [f"{len(r['alerts'])} alert(s):", *(f"- {_alert(a)}" for a in r["alerts"])]


def update_alert(r: Result) -> list[str]:
    return [f"Alert {_alert(r)}."]


def run_sql(r: Result) -> list[str]:
    cols = r["columns"]
    lines = [f"{r['row_count']} row(s){' (truncated)' if r['truncated'] else ''}:"]
    lines.append("| " + " | ".join(map(str, cols)) + " |")
    lines.append("|" + "---|" * len(cols))
    for row in r["rows"][:20]:
        lines.append(
            "| " + " | ".join(number(v) if isinstance(v, float) else str(v) for v in row) + " |"
        )
    return [*lines, f"Source: read-only SQL `{r['sql']}`."]


def search_knowledge(r: Result) -> list[str]:
    return knowledge.answer(r)


# The incident writers live with the incident route, which uses the number formats above.
def list_incidents(r: Result) -> list[str]:
    from agent.offline import incidents

    return incidents.list_answer(r)


def get_incident(r: Result) -> list[str]:
    from agent.offline import incidents

    return incidents.get_incident(r)


def update_incident(r: Result) -> list[str]:
    from agent.offline import incidents

    return incidents.update_incident(r)


def monthly_report(r: Result) -> list[str]:
    from agent.report.answer import answer_lines

    return answer_lines(r)


WRITERS: dict[str, Callable[[Result], list[str]]] = {
    f.__name__: f
    for f in (
        query_metric,
        compute_kpi,
        compare_periods,
        rank_meters,
        rank_sites,
        split_consumption,
        data_coverage,
        detect_anomalies,
        energy_baseline,
        forecast,
        create_alert_rule,
        backtest_alert_rule,
        list_alert_rules,
        update_alert_rule,
        list_alerts,
        update_alert,
        run_sql,
        search_knowledge,
        list_incidents,
        get_incident,
        update_incident,
        monthly_report,
    )
}


def kpi_changes(results: list[tuple[str, Result]]) -> list[str]:
    """For a KPI asked of two periods: the change from the second (the reference) to the first."""
    kpis = [r for name, r in results if name == "compute_kpi"]
    lines = []
    for i, first in enumerate(kpis):
        for reference in kpis[i + 1 :]:
            same = (first["kpi"], first["meter"]) == (reference["kpi"], reference["meter"])
            if not same or first["period"] == reference["period"] or not reference["value"]:
                continue
            change = (first["value"] / reference["value"] - 1) * 100
            lines.append(
                f"Change in {first['meter']}'s {KPI_NAMES[first['kpi']]}: "
                f"{number(reference['value'], first['unit'])} → "
                f"{number(first['value'], first['unit'])} ({percent(change)})."
            )
    return lines


def kpi_ranking(results: list[tuple[str, Result]]) -> list[str]:
    """Several meters' values of one KPI over one period, largest first."""
    kpis = [r for name, r in results if name == "compute_kpi"]
    if len(kpis) < 3 or len({(r["kpi"], str(r["period"])) for r in kpis}) != 1:
        return []
    ranked = sorted(kpis, key=lambda r: r["value"], reverse=True)
    first = ranked[0]
    lines = [f"Meters by {KPI_NAMES[first['kpi']]} {period_text(first['period'])}:"]
    for i, r in enumerate(ranked, 1):
        value = (
            money(r["value"], r["unit"]) if r["kpi"] == "cost" else number(r["value"], r["unit"])
        )
        lines.append(f"{i}. **{r['meter']}**: {value}")
    return lines


def describe(name: str, result: Result) -> str:
    writer = WRITERS.get(name)
    lines = writer(result) if writer else [str(result)]
    return "\n".join(line for line in lines if line)
