"""The monthly report's words: its summary (the figures a person reads first) and the methods
it used (tariffs, emission factors, demand window), both from the report's own figures."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tools.base import ToolContext

if TYPE_CHECKING:
    from tools.report import MonthlyReport


def number(value: float | None, unit: str = "", digits: int = 0) -> str:
    """12,345 kWh; n/a for a missing figure."""
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f} {unit}".strip()


def change(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f} %"


def when(iso: str | None) -> str:
    """'Tue 3 Nov 2026 14:15' for a local ISO time."""
    if not iso:
        return "n/a"
    return f"{datetime.fromisoformat(iso):%a %-d %b %Y %H:%M}"


def methods(ctx: ToolContext, carriers: list[str]) -> list[str]:
    """The economics the figures of these carriers used, and where each value came from."""
    config = ctx.config
    lines = [f"tariff ({c}): {t.label()}" for c in carriers for t in config.tariffs_for(c)[:1]]
    for carrier in carriers:
        factor = config.emission_factors.get(carrier)
        if factor is None:
            continue
        lines.append(
            f"emission factor ({carrier}): {factor:g} kg CO2e/kWh, {config.factor_source(carrier)}"
        )
    lines += [
        f"peak demand: highest {config.demand_window_s // 60}-minute average power",
        "load factor: average kW / peak kW over the metered intervals",
        "SEC: energy / production of the meter's own or linked production meters",
        "EnPI: actual / expected energy of the meter's current baseline (ASHRAE Guideline 14)",
    ]
    return lines


def summary(report: MonthlyReport) -> str:
    """A few lines: each carrier's energy, cost and CO2 with the change on last year, the
    highest peak, the baselines exceeded and the incidents' cost."""
    lines = [f"{report.title}."]
    energy = {m.meter: m.energy_kwh for m in report.meters}
    basis = "month" if report.complete else "days"
    for c in report.carriers:
        # a site with two supplies of a carrier (a building on its own utility connection) adds
        # them up; each one's figure is named so neither supply is hidden in the sum
        supplies = " + ".join(f"{m} {number(energy.get(m), 'kWh')}" for m in c.meters)
        total = number(c.energy_kwh, "kWh")
        lines.append(
            f"{c.carrier}: {f'{supplies} = {total}' if len(c.meters) > 1 else total} "
            f"({change(c.change_percent)} on the same {basis} last year), "
            f"{number(c.cost, c.currency, 2)}, {number(c.co2_kg, 'kg CO2e')}."
        )
    peaks = [m for m in report.meters if m.peak_kw is not None and m.depth == 0]
    if peaks:
        top = max(peaks, key=lambda m: m.peak_kw or 0.0)
        lines.append(
            f"Highest peak demand: {number(top.peak_kw, 'kW', 1)} at {top.meter} on "
            f"{when(top.peak_at)}."
        )
    above = [e for e in report.enpi if e.deviation_kwh > e.uncertainty_kwh]
    if report.enpi:
        lines.append(
            f"{len(above)} of {len(report.enpi)} meters with a baseline used more than it "
            f"expects{': ' + ', '.join(e.meter for e in above) if above else ''}."
        )
    lines.append(
        incidents_line(len(report.incidents), number(report.incidents_cost, report.currency, 2))
    )
    return "\n".join(lines)


def incidents_line(count: int, cost: str) -> str:
    if not count:
        return "No incidents this month."
    return f"{count} incident{'s' * (count != 1)} this month, costing {cost}."
