"""The page's panels beside the chat: meters today against their typical day or over a range,
and the alert rules, all read through the registered tools (never SQL of their own)."""

from __future__ import annotations

import html
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from agent.evidence import RULE_COLUMNS
from chat_ui.charts import sparkline
from chat_ui.ranges import Range
from common.errors import EMSError, NotConfigured
from tools.base import ToolContext
from tools.registry import all_tools

TYPICAL_WEEKS = 4  # same weekdays compared with today
UNUSUAL = 0.15  # share above or below typical that colours a card


@cache
def _tools() -> dict[str, Any]:
    # Discovering the tool modules reads their sources: once per process, not per call.
    return all_tools()


def run_tool(ctx: ToolContext, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """One tool call through the registry, its result as JSON-ready data."""
    declared = _tools().get(name)
    if declared is None:
        raise NotConfigured(f"the {name} tool is not installed in this version")
    result: dict[str, Any] = declared(ctx, args).to_json()
    return result


# ------------------------------------------------------------------ meters overview


@dataclass(frozen=True)
class MeterCard:
    meter: str
    unit: str
    today: float | None  # energy from midnight to now
    typical: float | None  # median of the same weekdays to the same time
    typical_days: int  # how many of those days had data
    days: list[str]  # the 7 local dates before today
    daily: list[float | None]  # energy per day

    @property
    def change(self) -> float | None:
        if self.today is None or not self.typical:
            return None
        return self.today / self.typical - 1


def _so_far(ctx: ToolContext, day: datetime, until: datetime) -> dict[str, float | None]:
    period = f"{day:%Y-%m-%dT%H:%M}..{until:%Y-%m-%dT%H:%M}"
    try:
        result = run_tool(ctx, "query_metric", {"metric": "energy", "period": period})
    except EMSError:
        return {}  # no readings that day (an outage, or before the meter existed)
    return {t["meter"]: t["value"] for t in result["totals"]}


def meters_overview(ctx: ToolContext) -> list[MeterCard]:
    """Each energy meter: today so far vs the median of the last four same weekdays up to the
    same time, and its last seven days."""
    now = ctx.now.replace(minute=ctx.now.minute - ctx.now.minute % 15, second=0, microsecond=0)
    midnight = now.replace(hour=0, minute=0)
    today = _so_far(ctx, midnight, now) if now > midnight else {}
    before = [
        _so_far(ctx, midnight - timedelta(weeks=k), now - timedelta(weeks=k))
        for k in range(1, TYPICAL_WEEKS + 1)
    ]
    # The seven complete days before today: a partial today would always look like a drop.
    first = (midnight - timedelta(days=7)).date()
    last = (midnight - timedelta(days=1)).date()
    week = run_tool(
        ctx, "query_metric", {"metric": "energy", "period": f"{first}..{last}", "grain": "day"}
    )
    days = [(first + timedelta(days=i)).isoformat() for i in range(7)]
    daily: dict[str, dict[str, float]] = {}
    for p in week["points"]:
        daily.setdefault(p["meter"], {})[p["start"][:10]] = p["value"]
    cards = []
    for total in week["totals"]:
        meter = total["meter"]
        past = [v for b in before if (v := b.get(meter)) is not None]
        cards.append(
            MeterCard(
                meter=meter,
                unit=week["unit"],
                today=today.get(meter),
                typical=statistics.median(past) if past else None,
                typical_days=len(past),
                days=days,
                daily=[daily.get(meter, {}).get(d) for d in days],
            )
        )
    return cards


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    digits = 0 if abs(value) >= 100 else 1
    return f"{value:,.{digits}f} {unit}"


def _card(card: MeterCard, weekday: str, clock: str) -> str:
    change, status = card.change, _status(card.change)
    if change is None:
        words = "no comparison" if card.today is not None else "no readings today"
    else:
        words = (
            f"{change:+.0%} vs typical {weekday}"
            if abs(change) >= 0.005
            else f"same as a typical {weekday}"
        )
    typical = (
        f"typical {weekday} by {clock}: {_fmt(card.typical, card.unit)} "
        f"(median of {card.typical_days})"
        if card.typical is not None
        else f"no earlier {weekday}s to compare with"
    )
    week = ", ".join(
        f"{d[5:]}: {_fmt(v, card.unit)}" for d, v in zip(card.days, card.daily, strict=True)
    )
    return (
        f'<div class="meter-card status-{status}" data-meter="{html.escape(card.meter)}">'
        f'<div class="meter-name">{html.escape(card.meter)}</div>'
        f'<div class="meter-today">{_fmt(card.today, card.unit)}</div>'
        f'<div class="meter-label">today by {clock}</div>'
        f'<div class="meter-change">{html.escape(words)}</div>'
        f'<div class="meter-typical">{html.escape(typical)}</div>'
        f'<div class="meter-spark" title="{html.escape(week)}">{sparkline(card.daily)}'
        f"<span>last 7 days</span></div></div>"
    )


def meters_html(ctx: ToolContext) -> str:
    """The overview as a grid of cards, or a sentence saying why there is none."""
    try:
        cards = meters_overview(ctx)
    except EMSError as exc:
        return f'<p class="panel-note">No meter overview: {html.escape(str(exc))}</p>'
    weekday, clock = f"{ctx.now:%A}", f"{ctx.now:%H:%M}"
    body = "".join(_card(c, weekday, clock) for c in cards)
    return (
        f'<p class="panel-note">{html.escape(ctx.site.name)} · {ctx.now:%a %-d %b %Y %H:%M} '
        f"({html.escape(ctx.site.timezone)}) · energy from midnight, compared with the same "
        f"weekday of the last {TYPICAL_WEEKS} weeks up to the same time</p>"
        f'<div class="meter-grid">{body}</div>'
    )


def _status(change: float | None) -> str:
    if change is None:
        return "none"
    return "high" if change > UNUSUAL else "low" if change < -UNUSUAL else "normal"


def meters_range_html(ctx: ToolContext, span: Range) -> str:
    """Each energy meter over a time range against the same length of time just before it,
    with a sparkline at the range's grain."""
    before = Range(span.start - (span.end - span.start), span.start, "before", span.grain)
    grain = span.grain if span.grain != "month" else "day"
    try:
        now = run_tool(ctx, "query_metric", {"period": span.period, "grain": grain})
    except EMSError as exc:
        return f'<p class="panel-note">No meter overview: {html.escape(str(exc))}</p>'
    try:
        then = {
            t["meter"]: t["value"]
            for t in run_tool(ctx, "query_metric", {"period": before.period})["totals"]
        }
    except EMSError:
        then = {}
    series: dict[str, list[float | None]] = {}
    for p in now["points"]:
        series.setdefault(p["meter"], []).append(p["value"])
    unit = now["unit"]
    cards = []
    for total in now["totals"]:
        meter, value, prior = total["meter"], total["value"], then.get(total["meter"])
        change = value / prior - 1 if value is not None and prior else None
        status = _status(change)
        words = (
            "no data before"
            if change is None
            else f"{change:+.0%} vs the {span.end - span.start} before"
        )
        cards.append(
            f'<div class="meter-card status-{status}" data-meter="{html.escape(meter)}">'
            f'<div class="meter-name">{html.escape(meter)}</div>'
            f'<div class="meter-today">{_fmt(value, unit)}</div>'
            f'<div class="meter-label">{html.escape(span.label)}</div>'
            f'<div class="meter-change">{html.escape(words)}</div>'
            f'<div class="meter-typical">before: {_fmt(prior, unit)}</div>'
            f'<div class="meter-spark">{sparkline(series.get(meter, []))}'
            f"<span>by {grain}</span></div></div>"
        )
    return (
        f'<p class="panel-note">{html.escape(ctx.site.name)} · {html.escape(span.label)} '
        f"({span.start:%-d %b %Y %H:%M} to {span.end:%-d %b %Y %H:%M}, "
        f"{html.escape(ctx.site.timezone)}) · energy compared with the same length of time just "
        "before</p>"
        f'<div class="meter-grid">{"".join(cards)}</div>'
    )


# ------------------------------------------------------------------ alert rules


def alert_rules(ctx: ToolContext) -> tuple[list[str], list[list[Any]]]:
    """The site's alert rules as table columns and rows."""
    rules = run_tool(ctx, "list_alert_rules", {})["rules"]
    columns = RULE_COLUMNS
    return columns, [[r[c] for c in columns] for r in rules]
