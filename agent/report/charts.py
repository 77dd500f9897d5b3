"""The monthly report's charts as PNG images (matplotlib, Agg): each carrier's daily energy, the
meters' month against the same month last year, and each baseline's expected and actual days."""

from __future__ import annotations

import base64
import io
import math
from datetime import date
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no display, and no GUI event loop in a server thread

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from tools.report import CarrierMonth, EnpiMonth, MeterMonth

WIDTH_IN = 7.0
DPI = 150  # sharp on paper; vector (SVG) charts made the PDF several times slower to print
COLOURS = ("#1f6f8b", "#99a3a4", "#e07a2f", "#5b8c5a")


def _figure(height: float) -> tuple[Figure, Axes]:
    # A Figure of its own per chart (not pyplot's global state), so threads can draw at once.
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.grid(True, axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def _image(figure: Figure) -> str:
    """The figure as a PNG data URI for an <img>, so the HTML file stands on its own."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def daily_energy(carrier: CarrierMonth) -> str:
    """Bars of the carrier's energy per day of the month (its top-of-tree meters added up)."""
    figure, axes = _figure(2.4)
    days = [date.fromisoformat(d.day) for d in carrier.daily]
    axes.bar(days, [d.kwh for d in carrier.daily], color=COLOURS[0], width=0.8)  # type: ignore[arg-type]
    axes.set_title(f"{carrier.carrier}: energy per day", fontsize=10, loc="left")
    axes.set_ylabel("kWh")
    axes.xaxis.set_major_formatter(_day_formatter())
    return _image(figure)


def _day_formatter() -> DateFormatter:
    return DateFormatter("%-d")  # type: ignore[no-untyped-call]


def year_on_year(meters: list[MeterMonth], month: str, last_year: str) -> str:
    """Horizontal bars: each meter's energy this month and in the same month a year before."""
    shown = [m for m in meters if m.energy_kwh is not None]
    figure, axes = _figure(0.45 + 0.32 * max(len(shown), 1))
    positions = list(range(len(shown)))[::-1]
    height = 0.38
    now = [m.energy_kwh or 0.0 for m in shown]
    before = [m.last_year_kwh or 0.0 for m in shown]
    upper = [p + height / 2 for p in positions]
    lower = [p - height / 2 for p in positions]
    axes.barh(upper, now, height, label=month, color=COLOURS[0])
    axes.barh(lower, before, height, label=last_year, color=COLOURS[1])
    axes.set_yticks(positions, [("  " * m.depth) + m.meter for m in shown], fontsize=8)
    axes.set_xlabel("kWh")
    axes.grid(True, axis="x", alpha=0.3)
    axes.legend(fontsize=8, frameon=False, loc="lower right")
    axes.set_title("energy per meter against the same month last year", fontsize=10, loc="left")
    return _image(figure)


def baseline(enpi: EnpiMonth) -> str:
    """The meter's daily energy against what its baseline expects, and their running difference."""
    figure, axes = _figure(2.4)
    days = [date.fromisoformat(str(p["start"])[:10]) for p in enpi.points]
    axes.plot(days, [p["expected"] for p in enpi.points], label="baseline", color=COLOURS[1])  # type: ignore[arg-type]
    axes.plot(days, [p["actual"] for p in enpi.points], label="actual", color=COLOURS[0])  # type: ignore[arg-type]
    axes.set_ylabel("kWh/day")
    right = axes.twinx()
    cusum = [p["cusum"] for p in enpi.points]
    right.plot(days, cusum, label="CUSUM", color=COLOURS[2], linestyle="--")  # type: ignore[arg-type]
    right.set_ylabel("CUSUM kWh")
    if cusum and all(math.isfinite(c) for c in cusum):
        right.axhline(0, color=COLOURS[2], linewidth=0.5, alpha=0.5)
    axes.xaxis.set_major_formatter(_day_formatter())
    handles = axes.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    axes.legend(handles=handles, fontsize=8, frameon=False, loc="upper left")
    axes.set_title(f"{enpi.meter}: actual against baseline", fontsize=10, loc="left")
    return _image(figure)
