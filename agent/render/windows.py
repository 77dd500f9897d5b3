"""Renderers of clock windows and of threshold episodes."""

from __future__ import annotations

from agent.render.base import QUANTITY, ChartSpec, Parts, Renderer, Row, renders
from agent.render.metrics import caveat_lines, source_line
from agent.render.text import number, period_label, period_text, rounded, when
from tools.windows import EpisodeResult, WindowResult

WORDS = {">": "above", ">=": "at or above", "<": "below", "<=": "at or below"}


@renders(WindowResult)
class WindowRenderer(Renderer[WindowResult]):
    def answer(self, r: WindowResult) -> list[str]:
        lines = [
            f"**{r.meter}** {where(r)} {period_text(r.period)}: "
            f"**{number(r.energy_kwh, 'kWh')}**, an average of **{number(r.average_kw, 'kW')}** "
            f"over {number(r.metered_hours, 'hours')}; that is **{r.share_percent:.1f}%** of the "
            f"period's {number(r.period_energy_kwh, 'kWh')}."
        ]
        for p in r.parts:
            lines.append(
                f"- {p.meter}: {number(p.energy_kwh, 'kWh')}, average {number(p.average_kw, 'kW')}"
            )
        return [*lines, *caveat_lines(r.caveats), source_line(r.source)]

    def evidence(self, r: WindowResult, out: Parts) -> None:
        when_ = period_label(r.period)
        if r.points:
            out.charts.append(
                ChartSpec(
                    f"{r.meter} energy inside {r.window} per day, {when_}",
                    "kWh",
                    "bar",
                    [p.start[:10] for p in r.points],
                    {r.meter: [p.value for p in r.points]},
                )
            )
        rows: list[Row] = [
            ["window", r.window, ""],
            ["energy inside the window", rounded(r.energy_kwh), "kWh"],
            ["metered hours inside", rounded(r.metered_hours, 2), "h"],
            ["average power inside", rounded(r.average_kw), "kW"],
            ["energy of the whole period", rounded(r.period_energy_kwh), "kWh"],
            ["share of the period", rounded(r.share_percent, 1), "%"],
        ]
        rows += [[f"{p.meter} inside", rounded(p.energy_kwh), "kWh"] for p in r.parts]
        out.tables.append((f"{r.meter} inside {r.window}, {when_}", QUANTITY, rows))


def where(r: WindowResult) -> str:
    """ "inside 22:00-06:00 every day"; whole days ("Sat, Sun") are "on" them."""
    return f"on {r.window}" if r.hours == "00:00-24:00" else f"inside {r.window}"


@renders(EpisodeResult)
class EpisodeRenderer(Renderer[EpisodeResult]):
    def answer(self, r: EpisodeResult) -> list[str]:
        # the threshold as the user stated it ("500 kW", not "500.0 kW")
        condition = f"{WORDS.get(r.condition, r.condition)} {r.threshold_kw:,g} kW"
        longer = "longer than" if r.strictly_longer else "at least"
        lasting = f" for {longer} {r.min_minutes:g} minutes" if r.min_minutes else ""
        head = (
            f"**{r.meter}** was {condition}{lasting} **{r.count} time(s)** "
            f"{period_text(r.period)}, {number(r.hours, 'hours')} in all "
            f"({r.window_minutes}-minute demand, {r.window_source})."
        )
        lines = [head]
        for e in r.episodes[:10]:
            lines.append(
                f"- {when(e.start)} to {when(e.end)} ({e.minutes:g} min), "
                f"{'peak' if r.condition in ('>', '>=') else 'lowest'} {number(e.peak_kw, 'kW')}"
            )
        if r.count > 10:
            lines.append(f"... and {r.count - 10} more.")
        return [*lines, source_line(r.source)]

    def evidence(self, r: EpisodeResult, out: Parts) -> None:
        when_ = period_label(r.period)
        if r.episodes:
            out.charts.append(
                ChartSpec(
                    f"{r.meter} episodes {WORDS.get(r.condition)} {r.threshold_kw:g} kW, {when_}",
                    "min",
                    "bar",
                    [e.start for e in r.episodes],
                    {"minutes": [e.minutes for e in r.episodes]},
                )
            )
        rows: list[Row] = [
            [e.start, e.end, rounded(e.minutes, 1), rounded(e.peak_kw)] for e in r.episodes
        ]
        columns = ["start", "end", "minutes", "extreme kW"]
        out.tables.append((f"{r.meter} episodes, {when_}", columns, rows))
