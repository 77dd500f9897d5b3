"""Drawing an answer's evidence for the page: Plotly figures from ChartSpecs, and the small SVG
sparklines of the meters overview."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import plotly.graph_objects as go  # type: ignore[import-untyped]
from plotly.subplots import make_subplots  # type: ignore[import-untyped]

from agent.evidence import ChartSpec

# A calm palette that stays readable for the common colour-vision deficiencies.
PALETTE = ("#1f6f8b", "#e07b39", "#5b8e3e", "#8a5fbf", "#c94f6d", "#3c9d9b", "#9c7a3c")
RANGE_COLOUR = "rgba(31, 111, 139, 0.15)"


def _single_moment(chart: ChartSpec) -> ChartSpec:
    """A line over one moment (a single day's total) as one bar labelled with its date: a line
    of one point draws an empty chart whose axis spans a millisecond."""
    if chart.kind != "line" or len(set(chart.x)) > 1 or not chart.x:
        return chart
    try:
        moment = datetime.fromisoformat(chart.x[0])
    except ValueError:
        return replace(chart, kind="bar")
    label = (
        f"{moment:%-d %b %Y}"
        if (moment.hour, moment.minute) == (0, 0)
        else f"{moment:%-d %b %Y %H:%M}"
    )
    return replace(chart, kind="bar", x=[label] * len(chart.x))


def _x(chart: ChartSpec) -> list[datetime] | list[str]:
    if chart.kind == "line":
        try:
            return [datetime.fromisoformat(t) for t in chart.x]
        except ValueError:
            return list(chart.x)
    return list(chart.x)


def _traces(chart: ChartSpec, first_colour: int = 0) -> list[go.Scatter | go.Bar]:
    x = _x(chart)
    names = list(chart.series)
    ranged = {"low (10 %)", "high (90 %)"} <= set(names)
    traces: list[go.Scatter | go.Bar] = []
    if ranged:  # a forecast: the 10-90 % band under the expected line
        traces.append(
            go.Scatter(
                x=x,
                y=chart.series["high (90 %)"],
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            )
        )
        traces.append(
            go.Scatter(
                x=x,
                y=chart.series["low (10 %)"],
                line={"width": 0},
                fill="tonexty",
                fillcolor=RANGE_COLOUR,
                name="10-90 % range",
            )
        )
        names = [n for n in names if n not in ("low (10 %)", "high (90 %)")]
    for i, name in enumerate(names, start=first_colour):
        colour = PALETTE[i % len(PALETTE)]
        values = chart.series[name]
        hover = f"{name}: %{{y:,.2f}} {chart.unit}<extra></extra>"
        if chart.kind == "bar":
            traces.append(
                go.Bar(x=x, y=values, name=name, marker_color=colour, hovertemplate=hover)
            )
        else:
            dashed = name in ("baseline", "expected") and len(names) > 1
            traces.append(
                go.Scatter(
                    x=x,
                    y=values,
                    name=name,
                    mode="lines",
                    hovertemplate=hover,
                    line={"color": colour, "width": 2, "dash": "dash" if dashed else None},
                )
            )
    return traces


def _mark_highest(fig: go.Figure, chart: ChartSpec, row: int) -> None:
    """A dot and label on the highest point of a single line (a peak demand, a worst day)."""
    (values,) = chart.series.values()
    known = [(v, i) for i, v in enumerate(values) if v is not None]
    if not known:
        return
    top, at = max(known)
    x = _x(chart)[at]
    fig.add_trace(
        go.Scatter(
            x=[x],
            y=[top],
            mode="markers",
            marker={"color": PALETTE[1], "size": 9},
            name=f"highest: {top:,.1f} {chart.unit}",
            hoverinfo="skip",
        ),
        row=row,
        col=1,
    )


def _wrapped(title: str, width: int = 44) -> str:
    """A long chart title over lines that fit the evidence column (Plotly does not wrap)."""
    head, sep, tail = title.rpartition(", ")
    if sep and len(head) <= width and len(tail) <= width:
        return f"{head}<br>{tail}" if len(title) > width else title
    return "<br>".join(textwrap.wrap(title, width)) or title


def figure(charts: Sequence[ChartSpec]) -> go.Figure | None:
    """One figure with a row per chart (an answer rarely has more than two), or None."""
    if not charts:
        return None
    charts = [_single_moment(c) for c in charts]
    fig = make_subplots(
        rows=len(charts),
        cols=1,
        subplot_titles=[_wrapped(c.title) for c in charts],
        vertical_spacing=0.18 if len(charts) > 1 else 0.0,
    )
    used = 0  # colours continue across rows, so each legend entry names one line
    for row, chart in enumerate(charts, start=1):
        for trace in _traces(chart, used):
            fig.add_trace(trace, row=row, col=1)
        used += len(chart.series)
        if chart.kind == "line" and len(chart.series) == 1 and chart.unit == "kW":
            _mark_highest(fig, chart, row)  # a demand curve: where its peak was
        fig.update_yaxes(
            title_text=chart.unit,
            row=row,
            col=1,
            rangemode="tozero",
            gridcolor="#e6e9ef",
            zeroline=False,
        )
        fig.update_xaxes(row=row, col=1, showgrid=False)
        if chart.kind == "line" and chart.x and all(len(t) == 10 for t in chart.x):
            # whole days: one tick per day, not the hours between them
            fig.update_xaxes(row=row, col=1, tickformat="%-d %b", dtick=86_400_000)
    fig.update_layout(
        height=320 * len(charts) + 40,
        margin={"l": 60, "r": 20, "t": 70, "b": 40},
        template="plotly_white",
        barmode="group",
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.12 if len(charts) == 1 else -0.06},
        font={"family": "Inter, system-ui, sans-serif", "size": 12},
        # Transparent, so the page's light or dark background shows through; the text colour
        # follows the theme through the page's CSS.
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        autosize=True,
    )
    fig.update_annotations(font_size=12, x=0, xanchor="left")
    return fig


def sparkline(values: Sequence[float | None], *, width: int = 160, height: int = 36) -> str:
    """An inline SVG line of the values (None leaves a gap); the last point is marked."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    if len(values) < 2 or not known:
        return f'<svg width="{width}" height="{height}" class="spark" aria-hidden="true"></svg>'
    low, high = min(0.0, *known), max(known)
    span = (high - low) or 1.0
    step = (width - 8) / (len(values) - 1)

    def point(i: int, v: float) -> tuple[float, float]:
        return 4 + i * step, height - 4 - (v - low) / span * (height - 8)

    segments: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            segments.append([])
        else:
            segments[-1].append(point(i, v))
    paths = " ".join("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in seg) for seg in segments if seg)
    last = next(((i, v) for i, v in reversed(list(enumerate(values))) if v is not None), None)
    dot = ""
    if last is not None:
        cx, cy = point(last[0], float(last[1]))
        dot = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.5" fill="{PALETTE[1]}"/>'
    return (
        f'<svg width="{width}" height="{height}" class="spark" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="last {len(values)} days"><path d="{paths}" fill="none" '
        f'stroke="{PALETTE[0]}" stroke-width="1.8" stroke-linejoin="round"/>{dot}</svg>'
    )
