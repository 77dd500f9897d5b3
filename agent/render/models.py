"""Renderers of the modelled and checked results: baselines, forecasts, anomalies and data
coverage."""

from __future__ import annotations

from collections.abc import Iterable

from agent.render.base import QUANTITY, ChartSpec, Parts, Renderer, Row, renders
from agent.render.metrics import caveat_lines, source_line
from agent.render.text import number, percent, period_label, period_text, rounded, when
from tools.anomaly import AnomalyResult
from tools.baseline import BaselineResult
from tools.coverage import CoverageResult
from tools.events import kind_words
from tools.forecast import ForecastResult

MAX_EVENTS = 10


BASELINE_SOURCE = "store rollups (daily energy and drivers)"
# A CalTRACK fit reads other rows than the regression does; the source names them.
BASELINE_SOURCES = {
    "caltrack_billing": "the meter's bills and the site's outdoor temperatures (store)",
    "caltrack_daily": "store rollups (daily energy and the site's outdoor temperatures)",
}


def _baseline_source(r: BaselineResult) -> str:
    return BASELINE_SOURCES.get(r.method, BASELINE_SOURCE)


def _steps_word(r: BaselineResult) -> str:
    return "whole bill(s)" if r.grain == "billing period" else "complete day(s)"


@renders(BaselineResult)
class BaselineRenderer(Renderer[BaselineResult]):
    def answer(self, r: BaselineResult) -> list[str]:
        verdict = "meets" if r.ashrae14_ok else "does NOT meet"
        lines = []
        dev = r.deviation
        if dev is not None:
            above = "above" if dev.deviation_kwh > 0 else "below"
            lines.append(
                f"**{r.meter}** is **{number(abs(dev.deviation_kwh), 'kWh')} {above}** its "
                f"baseline {period_text(dev.period)} ({percent(dev.deviation_percent)}): "
                f"{number(dev.actual_kwh, 'kWh')} actual vs {number(dev.expected_kwh, 'kWh')} "
                f"expected over {dev.steps} {_steps_word(r)}. The model's uncertainty is ±"
                f"{number(dev.uncertainty_kwh, 'kWh')} at 90% confidence."
            )
            if abs(dev.deviation_kwh) < dev.uncertainty_kwh:
                lines.append("The difference is within the model's uncertainty.")
        lines.append(
            f"Baseline model v{r.version} of **{r.meter}** ({r.model_type}, drivers: "
            f"{', '.join(r.drivers)}) fitted on {period_text(r.baseline_period, bare=True)}: R² "
            f"{r.r2:.2f}, CV(RMSE) {r.cv_rmse_percent:.1f}%, NMBE {r.nmbe_percent:.1f}%; it "
            f"{verdict} ASHRAE Guideline 14."
        )
        return [*lines, *caveat_lines(r.caveats), f"Source: {_baseline_source(r)}."]

    def sources(self, r: BaselineResult) -> list[str]:
        return [_baseline_source(r)]

    def evidence(self, r: BaselineResult, out: Parts) -> None:
        fit: list[Row] = [
            ["model", f"{r.model_type} (version {r.version})", ""],
            ["baseline period", period_label(r.baseline_period), ""],
            ["days used", r.days_used, ""],
            ["R²", rounded(r.r2), ""],
            ["CV(RMSE)", rounded(r.cv_rmse_percent, 2), "%"],
            ["NMBE", rounded(r.nmbe_percent, 2), "%"],
            ["meets ASHRAE Guideline 14", "yes" if r.ashrae14_ok else "no", ""],
        ]
        dev = r.deviation
        if dev is not None:
            when_ = period_label(dev.period)
            x = [p.start for p in dev.points]
            out.charts.append(
                ChartSpec(
                    f"{r.meter} actual vs baseline, {when_}",
                    r.unit,
                    "line",
                    x,
                    {
                        "actual": [p.actual for p in dev.points],
                        "baseline": [p.expected for p in dev.points],
                    },
                )
            )
            out.charts.append(
                ChartSpec(
                    f"{r.meter} CUSUM (actual - baseline), {when_}",
                    "kWh",
                    "line",
                    x,
                    {"CUSUM": [p.cusum for p in dev.points]},
                )
            )
            fit += [
                ["expected", rounded(dev.expected_kwh), "kWh"],
                ["actual", rounded(dev.actual_kwh), "kWh"],
                ["deviation", rounded(dev.deviation_kwh), "kWh"],
                ["deviation", rounded(dev.deviation_percent, 1), "%"],
                ["uncertainty (90 %)", rounded(dev.uncertainty_kwh), "kWh"],
            ]
        out.tables.append((f"{r.meter} baseline", QUANTITY, fit))


@renders(ForecastResult)
class ForecastRenderer(Renderer[ForecastResult]):
    def answer(self, r: ForecastResult) -> list[str]:
        peak = ""
        if r.peak_kw is not None and r.peak_at is not None:
            peak = (
                f", peak demand about **{number(r.peak_kw, 'kW')}** at {when(r.peak_at)} "
                f"(up to {number(r.peak_high_kw, 'kW')})"
            )
        lines = [
            f"Forecast for **{r.meter}**, {when(r.start)} to {when(r.end)}: "
            f"**{number(r.energy_kwh, 'kWh')}** (range {number(r.energy_low_kwh, 'kWh')} to "
            f"{number(r.energy_high_kwh, 'kWh')}){peak}."
        ]
        if r.demand_limit_kw is not None and r.limit_verdict:
            lines.append(f"Exceeding {number(r.demand_limit_kw, 'kW')} is **{r.limit_verdict}**.")
        return [*lines, f"Method: {r.method}.", *caveat_lines(r.caveats)]

    def sources(self, r: ForecastResult) -> list[str]:
        return [f"forecast: {r.method}"]

    def evidence(self, r: ForecastResult, out: Parts) -> None:
        out.charts.append(
            ChartSpec(
                f"{r.meter} forecast, next {r.horizon} ({r.interval} energy)",
                "kWh",
                "line",
                [p.start for p in r.points],
                {
                    "expected": [p.expected_kwh for p in r.points],
                    "low (10 %)": [p.low_kwh for p in r.points],
                    "high (90 %)": [p.high_kwh for p in r.points],
                },
            )
        )
        rows: list[Row] = [
            ["energy expected", rounded(r.energy_kwh), "kWh"],
            ["energy low", rounded(r.energy_low_kwh), "kWh"],
            ["energy high", rounded(r.energy_high_kwh), "kWh"],
            ["peak demand", rounded(r.peak_kw), "kW"],
            ["peak at", r.peak_at, ""],
            ["peak demand, high estimate", rounded(r.peak_high_kw), "kW"],
        ]
        if r.demand_limit_kw is not None:
            rows += [
                ["demand limit", rounded(r.demand_limit_kw), "kW"],
                ["exceeded", r.limit_verdict, ""],
            ]
        title = f"{r.meter} forecast, next {r.horizon} from {when(r.start)}"
        out.tables.append((title, QUANTITY, rows))


def kinds_text(kinds: Iterable[str]) -> str:
    """Kinds of event as an answer names them: "stuck readings or demand spikes"."""
    return " or ".join(kind_words()[k].plural for k in kinds)


@renders(AnomalyResult)
class AnomalyRenderer(Renderer[AnomalyResult]):
    def answer(self, r: AnomalyResult) -> list[str]:
        checked = ", ".join(r.meters_checked)
        # "any stuck meters?": the kinds looked for, named in the answer
        kinds = kinds_text(r.kinds)
        if not r.events:
            return [
                f"No {kinds or 'anomalies'} found {period_text(r.period)} on {checked}.",
                *caveat_lines(r.caveats),
            ]
        of = f" ({kinds})" if kinds else ""
        lines = [f"{len(r.events)} event(s){of} {period_text(r.period)}:"]
        for e in r.events[:MAX_EVENTS]:
            impact = ""
            if e.extra_kwh is not None:
                impact = f", {number(e.extra_kwh, 'kWh')} vs expected"
                if e.extra_cost is not None:
                    impact += f" ({number(e.extra_cost, r.currency)})"
            lines.append(
                f"- **{e.meter}**: {kind_words()[e.kind].label} ({e.severity}), "
                f"{when(e.start)} to {when(e.end)}{impact}"
            )
        if len(r.events) > MAX_EVENTS:
            lines.append(f"... and {len(r.events) - MAX_EVENTS} more.")
        lines.append(f"Meters checked: {checked}. Method: {r.method}.")
        return [*lines, *caveat_lines(r.caveats)]

    def sources(self, r: AnomalyResult) -> list[str]:
        return [f"anomaly detection: {r.method}"]

    def subjects(self, r: AnomalyResult) -> list[str]:
        return list(dict.fromkeys(e.meter for e in r.events)) or list(r.meters_checked)

    def evidence(self, r: AnomalyResult, out: Parts) -> None:
        when_ = period_label(r.period)
        extra: dict[str, float] = {}
        for e in r.events:
            if e.extra_kwh:
                extra[e.meter] = extra.get(e.meter, 0.0) + e.extra_kwh
        if extra:
            out.charts.append(
                ChartSpec(
                    f"extra energy in unusual events, {when_}",
                    "kWh",
                    "bar",
                    list(extra),
                    {"extra energy": list(extra.values())},
                )
            )
        rows: list[Row] = [
            [
                e.meter,
                kind_words()[e.kind].label,
                e.start,
                e.end,
                e.severity,
                rounded(e.extra_kwh, 1),
                rounded(e.extra_cost, 2),
            ]
            for e in r.events
        ]
        columns = ["meter", "kind", "start", "end", "severity", "extra kWh", "extra cost"]
        out.tables.append((f"unusual events, {when_}", columns, rows))


# what one expected reading of a meter read at this interval is counted as
_COUNTED = {"daily": "days", "billing-period": "billing periods"}


def _counted(interval: str) -> str:
    """A daily meter's readings are counted as days, a billed one's as billing periods; any
    finer (or changing) interval as intervals."""
    return _COUNTED.get(interval, "intervals")


@renders(CoverageResult)
class CoverageRenderer(Renderer[CoverageResult]):
    def answer(self, r: CoverageResult) -> list[str]:
        gaps = [m for m in r.meters if m.coverage_percent < 100 or m.gaps]
        lines = [f"Data coverage of {r.metric} {period_text(r.period)}:"]
        if not gaps and len(r.meters) == 1:
            (m,) = r.meters
            lines.append(
                f"complete: 100% of the expected {_counted(m.interval)}, 0 missing "
                f"({m.meter}): all {m.expected_intervals} expected {_counted(m.interval)} "
                "arrived."
            )
        elif not gaps:
            lines.append(
                f"all {len(r.meters)} meters checked are complete: 100% of the expected "
                f"intervals, 0 missing ({', '.join(m.meter for m in r.meters)})."
            )
        for m in gaps:
            lines.append(
                f"- **{m.meter}**: {m.coverage_percent:.1f}% ({m.present_intervals} of "
                f"{m.expected_intervals} {_counted(m.interval)}, "
                f"{m.expected_intervals - m.present_intervals} missing), {len(m.gaps)} gap(s)"
                + "".join(f"; {when(g.start)} to {when(g.end)} ({g.hours:g} h)" for g in m.gaps[:3])
            )
        return [*lines, *caveat_lines(r.caveats), source_line(r.source)]

    def subjects(self, r: CoverageResult) -> list[str]:
        return [m.meter for m in r.meters]

    def evidence(self, r: CoverageResult, out: Parts) -> None:
        when_ = period_label(r.period)
        out.charts.append(
            ChartSpec(
                f"{r.metric} data coverage, {when_}",
                "%",
                "bar",
                [m.meter for m in r.meters],
                {"coverage": [m.coverage_percent for m in r.meters]},
            )
        )
        rows: list[Row] = [
            [
                m.meter,
                m.expected_intervals,
                m.present_intervals,
                rounded(m.coverage_percent, 2),
                len(m.gaps),
            ]
            for m in r.meters
        ]
        columns = ["meter", "expected", "received", "coverage %", "gaps"]
        out.tables.append((f"data coverage, {when_}", columns, rows))
        gaps: list[Row] = [
            [m.meter, g.start, g.end, rounded(g.hours, 2)] for m in r.meters for g in m.gaps
        ]
        if gaps:
            out.tables.append(
                (f"gaps in the data, {when_}", ["meter", "from", "to", "hours"], gaps)
            )
