"""The Overview tab drawn as HTML: a card per carrier (the range and the month so far against a
year before and the budget, demand now, bars to drill into, the meter tree with shares), and
the open incidents with their cost. Light and dark through the page's CSS variables."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from chat_ui.overview import Bar, Budget, CarrierView, Figures, Overview, TreeRow
from chat_ui.ranges import FINER

CARRIER_NAMES = {"compressed_air": "compressed air"}


def number(value: float | None, unit: str = "", digits: int | None = None) -> str:
    """'12,345 kWh', '1.5 kW', '—' for no value."""
    if value is None:
        return "—"
    places = digits if digits is not None else (0 if abs(value) >= 100 else 1)
    return f"{value:,.{places}f} {unit}".strip()


def change(now: float | None, before: float | None) -> str:
    if now is None or not before:
        return '<span class="chg none">no data</span>' if now is not None else ""
    pct = (now / before - 1) * 100
    kind = "up" if pct > 0.5 else "down" if pct < -0.5 else "flat"
    return f'<span class="chg {kind}">{pct:+.1f} %</span>'


def _rows(now: Figures, before: Figures, currency: str) -> str:
    lines = (
        ("Energy", now.energy, before.energy, "kWh"),
        ("Cost", now.cost, before.cost, currency),
        ("CO2", now.co2, before.co2, "kg CO2e"),
    )
    return "".join(
        f"<tr><th scope='row'>{name}</th><td class='num'>{number(a, unit)}</td>"
        f"<td class='num'>{number(b, unit)}</td><td class='num'>{change(a, b)}</td></tr>"
        for name, a, b, unit in lines
    )


def _table(title: str, now: Figures, before: Figures, currency: str) -> str:
    return (
        f"<table class='ov-kpi'><caption>{html.escape(title)}</caption><thead><tr><th scope='col'>"
        "</th><th scope='col'>now</th><th scope='col'>a year ago</th><th scope='col'>change</th>"
        f"</tr></thead><tbody>{_rows(now, before, currency)}</tbody></table>"
    )


def _budget(b: Budget | None, currency: str) -> str:
    if b is None:
        return ""
    parts = []
    for used, whole, unit in ((b.used_kwh, b.kwh, "kWh"), (b.used_cost, b.cost, currency)):
        if whole:
            share = (used or 0.0) / whole
            parts.append(
                f"{number(used, unit)} of {number(whole, unit)} ({share:.0%} used, "
                f"{b.elapsed:.0%} of the period gone)"
            )
    if not parts:
        return ""
    return f"<p class='ov-budget'><b>Budget {html.escape(b.label)}:</b> {'; '.join(parts)}</p>"


def _demand(view: CarrierView, now: datetime) -> str:
    if not view.demand_kw:
        return ""
    end = now.replace(minute=now.minute - now.minute % 15)
    shown = ", ".join(f"{html.escape(m)} {number(v, 'kW')}" for m, v in view.demand_kw.items())
    return f"<p class='ov-live'><b>Demand now</b> (15 minutes to {end:%H:%M}): {shown}</p>"


def _bar_label(bar: Bar, grain: str) -> str:
    t = datetime.fromisoformat(bar.start)
    formats = {"month": "%b %Y", "day": "%a %-d %b", "hour": "%H:00", "15min": "%H:%M"}
    return f"{t:{formats.get(grain, '%-d %b %H:%M')}}"


def bars_html(bars: list[Bar], grain: str, unit: str, title: str) -> str:
    """Bars as buttons: each names its period and value, and a click (or Enter) drills into it
    when a finer grain exists."""
    if not bars:
        return "<p class='panel-note'>No readings in this range.</p>"
    top = max(b.value for b in bars) or 1.0
    can_drill = grain in FINER
    items = []
    for bar in bars:
        label = _bar_label(bar, grain)
        said = f"{label}: {number(bar.value, unit)}"
        height = max(2.0, 100 * bar.value / top)
        tag = "button" if can_drill else "div"
        attrs = (
            f'type="button" data-start="{html.escape(bar.start)}"' if can_drill else 'role="img"'
        )
        items.append(
            f'<{tag} class="bar" {attrs} aria-label="{html.escape(said)}" '
            f'title="{html.escape(said)}">'
            f'<span class="fill" style="height:{height:.1f}%"></span>'
            f'<span class="lab" aria-hidden="true">{html.escape(label)}</span></{tag}>'
        )
    hint = " Select a bar to see it in more detail." if can_drill else ""
    return (
        f"<figure class='ov-bars'><figcaption>{html.escape(title)} ({unit} per {grain}).{hint}"
        f"</figcaption><div class='bars'>{''.join(items)}</div></figure>"
    )


def tree_html(rows: list[TreeRow]) -> str:
    if not rows:
        return ""
    items = []
    for r in rows:
        share = f"{r.share:.1%}" if r.share is not None else ""
        width = max(0.0, min(100.0, 100 * (r.share or 0.0)))
        kind = " rest" if r.remainder else ""
        indent = f"padding-left:{0.4 + 1.2 * r.depth}em"
        bar = f"<span class='meter-bar' style='width:{width:.1f}%'></span>"
        items.append(
            f"<tr class='depth-{r.depth}{kind}'><th scope='row' style='{indent}'>"
            f"{html.escape(r.name)}</th><td class='num'>{number(r.kwh, 'kWh')}</td>"
            f"<td class='share'>{bar}{share}</td></tr>"
        )
    return (
        "<table class='ov-tree'><caption>Meter tree: energy and share of the parent meter"
        "</caption><thead><tr><th scope='col'>meter</th><th scope='col'>energy</th>"
        f"<th scope='col'>share</th></tr></thead><tbody>{''.join(items)}</tbody></table>"
    )


def _carrier(view: CarrierView, ov: Overview) -> str:
    name = CARRIER_NAMES.get(view.carrier, view.carrier).capitalize()
    meters = ", ".join(view.meters)
    span = f"{ov.span.label} ({_span_words(ov)})"
    month = f"month to date ({ov.now:%-d %b} {ov.now:%H:%M})"
    return (
        f"<section class='ov-carrier' aria-label='{html.escape(name)}'>"
        f"<h2>{html.escape(name)} <small>{html.escape(meters)}</small></h2>"
        f"<div class='ov-tables'>{_table(span, view.span, view.span_before, ov.currency)}"
        f"{_table(month, view.month, view.month_before, ov.currency)}</div>"
        f"{_budget(view.budget, ov.currency)}{_demand(view, ov.now)}"
        f"{bars_html(view.bars, ov.span.grain, view.unit, f'{name}, {ov.span.label}')}"
        f"{tree_html(view.tree)}</section>"
    )


def _span_words(ov: Overview) -> str:
    a, b = ov.span.start, ov.span.end
    if a.date() == b.date() or ((b - a).days < 1 and b.hour + b.minute):
        return f"{a:%-d %b} {a:%H:%M} to {b:%H:%M}"
    return f"{a:%-d %b %Y} to {b:%-d %b %Y %H:%M}"


def _incident_line(i: dict[str, Any], currency: str) -> str:
    sev = html.escape(str(i.get("severity")))
    title = html.escape(str(i.get("title", "")))
    cost = number(i.get("cost"), i.get("currency") or currency)
    return (
        f"<li><span class='sev sev-{sev}'>{sev}</span> #{int(i['id'])} {title} · "
        f"{html.escape(str(i.get('state')))} · {cost}</li>"
    )


def _incidents(ov: Overview) -> str:
    start = "<section class='ov-incidents' aria-label='Open incidents'>"
    if not ov.incidents_total:
        return f"{start}<h2>Open incidents</h2><p>None open.</p></section>"
    items = "".join(_incident_line(i, ov.currency) for i in ov.incidents)
    more = ov.incidents_total - len(ov.incidents)
    tail = f"<p>… and {more} more on the Incidents tab.</p>" if more > 0 else ""
    return (
        f"{start}<h2>Open incidents: {ov.incidents_total} <small>extra cost "
        f"{number(ov.incidents_cost, ov.currency)}</small></h2><ul>{items}</ul>{tail}</section>"
    )


def overview_html(ov: Overview) -> str:
    """The whole tab, or a sentence saying there is nothing to show yet."""
    where = f"{html.escape(ov.site)} · {ov.now:%a %-d %b %Y %H:%M} ({html.escape(ov.timezone)})"
    head = (
        f"<p class='panel-note ov-head'>{where} · {html.escape(ov.currency)} · "
        f"{html.escape(ov.span.label)}</p>"
    )
    if not ov.carriers:
        return (
            head
            + "<p class='panel-note'>No energy readings in this range yet.</p>"
            + _incidents(ov)
        )
    problems = "".join(f"<p class='panel-note'>{html.escape(p)}</p>" for p in ov.problems)
    body = "".join(_carrier(v, ov) for v in ov.carriers)
    return f"{head}{problems}<div class='ov-grid'>{body}{_incidents(ov)}</div>"
