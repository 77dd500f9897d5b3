"""Charts of an answer as PNG images (matplotlib, Agg backend), for chat tools that show pictures
rather than interactive charts, such as Slack."""

from __future__ import annotations

import io
import math
from datetime import datetime
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no display, and no GUI event loop in a server thread

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from agent.evidence import ChartSpec

WIDTH_IN, HEIGHT_IN, DPI = 9.0, 4.5, 110
MAX_BARS = 40  # categories beyond this are left out (and the title says so)


def render_png(chart: ChartSpec) -> bytes:
    """The chart as PNG bytes: lines over time or grouped bars over categories; a chart with
    no values is drawn as an empty frame that says so."""
    # A Figure of its own per call (not pyplot's global state), so threads can draw at once.
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    title = chart.title
    if not _has_values(chart):
        _empty(axes)
    elif chart.kind == "line":
        _lines(axes, chart)
    else:
        if len(chart.x) > MAX_BARS:
            title += f" (first {MAX_BARS} of {len(chart.x)})"
        _bars(axes, chart)
    axes.set_title(title, fontsize=11, loc="left")
    if chart.unit:
        axes.set_ylabel(chart.unit)
    axes.grid(True, axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _has_values(chart: ChartSpec) -> bool:
    return bool(chart.x) and any(
        v is not None and math.isfinite(v) for values in chart.series.values() for v in values
    )


def _empty(axes: Axes) -> None:
    axes.text(0.5, 0.5, "no data in this period", ha="center", va="center", alpha=0.6)
    axes.set_xticks([])
    axes.set_yticks([])


def _floats(values: list[float | None], n: int) -> list[float]:
    """Values as floats aligned with n x positions; None (no data) becomes a gap."""
    padded = [*values[:n], *[None] * (n - len(values))]
    return [math.nan if v is None else float(v) for v in padded]


def _times(x: list[str]) -> list[datetime] | None:
    """ISO local times as the site's wall-clock times (the axis reads as the site's clock,
    not UTC), or None when x holds labels rather than times."""
    try:
        return [datetime.fromisoformat(t).replace(tzinfo=None) for t in x]
    except ValueError:
        return None


def _lines(axes: Axes, chart: ChartSpec) -> None:
    times = _times(chart.x)
    for label, values in chart.series.items():
        y = _floats(values, len(chart.x))
        marker = "o" if len(y) <= 31 else None
        if times is not None:
            axes.plot(times, y, label=label, linewidth=1.6, marker=marker, markersize=3)  # type: ignore[arg-type]
        else:
            axes.plot(range(len(y)), y, label=label, linewidth=1.6, marker=marker, markersize=3)
    if times is not None:
        locator = AutoDateLocator()  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    else:
        _category_ticks(axes, chart.x)
    if len(chart.series) > 1:
        axes.legend(fontsize=8, frameon=False)


def _bars(axes: Axes, chart: ChartSpec) -> None:
    labels = chart.x[:MAX_BARS]
    count = max(len(chart.series), 1)
    width = 0.8 / count
    for i, (label, values) in enumerate(chart.series.items()):
        y = [0.0 if math.isnan(v) else v for v in _floats(values, len(labels))]
        positions = [p - 0.4 + width * (i + 0.5) for p in range(len(labels))]
        axes.bar(positions, y, width=width, label=label)
    _category_ticks(axes, labels)
    if len(chart.series) > 1:
        axes.legend(fontsize=8, frameon=False)


def _category_ticks(axes: Axes, labels: list[str]) -> None:
    axes.set_xticks(range(len(labels)))
    rotate = len(labels) > 6 or max((len(s) for s in labels), default=0) > 12
    axes.set_xticklabels(labels, rotation=30 if rotate else 0, ha="right" if rotate else "center")
