"""KPIs at each series' own interval: which demand window its readings can show, what an
answer says when a KPI needs finer data than it has, and what bills themselves state (their
peak demand and cost) where the readings are pro-rated from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from common.errors import InsufficientData
from common.intervals import DAY_S, QUARTER_S, Interval
from store import bills
from store.bills import BillRecord
from tools.base import Tariff, ToolContext
from tools.grain import Grain, days_in, local_date

Array = npt.NDArray[np.float64]


class CoarseData(InsufficientData):
    """A KPI needs finer readings than the meter has (a peak from daily data or bills)."""


@dataclass(frozen=True)
class Window:
    """The demand window a KPI is computed over, and what the answer must say of it."""

    seconds: int
    caveats: tuple[str, ...] = ()

    @property
    def words(self) -> str:
        return Interval(self.seconds).words() if self.seconds % 60 == 0 else f"{self.seconds} s"


def demand_window(grain: Grain, meter: str, wanted_s: int, what: str) -> Window:
    """The window a peak is taken over: the wanted one (15, 30 or 60 minutes), or the
    meter's coarsest interval in the period when that is longer, said as a caveat. Raises
    CoarseData for daily readings and bills, which cannot show a peak at all."""
    interval = grain.coarsest
    if not interval.within_day:
        raise no_peak(meter, interval, what)
    if interval.demand_seconds <= wanted_s:
        return Window(wanted_s)
    have, want = Interval(interval.demand_seconds).words(), Interval(wanted_s).words()
    return Window(
        interval.demand_seconds,
        (
            f"{meter} has {grain.describe()} readings: this {what} uses the highest {have} "
            f"average power, not a {want} peak, which is at least as high",
        ),
    )


def no_peak(meter: str, interval: Interval, what: str) -> CoarseData:
    source = "bills" if interval.billing else f"{interval.words()} readings"
    return CoarseData(
        f"{meter} has {source}: its {what} cannot be known, since a peak needs readings within "
        "the day (15-minute or hourly); energy, cost and carbon over the period can be given"
    )


def billed_peak(ctx: ToolContext, series_id: int, grain: Grain) -> tuple[float, BillRecord] | None:
    """The highest peak demand the bills of the period state, with its bill."""
    with ctx.engine.connect() as conn:
        found = bills.overlapping(conn, series_id, grain.start, grain.end, ctx.site.timezone)
    stated = [b for b in found if b.peak_kw is not None]
    if not stated:
        return None
    top = max(stated, key=lambda b: b.peak_kw or 0.0)
    return float(top.peak_kw or 0.0), top


def billed_cost(ctx: ToolContext, series_id: int, grain: Grain) -> tuple[float, list[str]] | None:
    """The cost the period's bills state, each pro-rated by the days of it in the period;
    None unless every bill that covers the period states a cost."""
    tz = ctx.site.timezone
    with ctx.engine.connect() as conn:
        found = bills.overlapping(conn, series_id, grain.start, grain.end, tz)
    if not found or any(b.cost is None for b in found):
        return None
    first = local_date(grain.start, tz)
    last = local_date(grain.end - 1, tz) + timedelta(days=1)
    total = sum((b.cost or 0.0) * days_in(b, first, last) / b.days for b in found)
    notes = [f"the cost the {len(found)} bill(s) state, pro-rated by the days in the period"]
    return float(total), notes


def cost_caveats(grain: Grain, meter: str, tariffs: Sequence[Tariff]) -> list[str]:
    """What pricing a meter's readings at its interval must say; raises CoarseData when a
    time-of-use tariff would need the hours that daily readings or bills do not show."""
    if not grain.within_day:
        if any(t.periods for t in tariffs):
            source = "bills without a cost" if grain.billing else "daily readings"
            raise CoarseData(
                f"{meter} has {source}: a time-of-use tariff cannot price them, since which "
                "hours the energy fell in is unknown; its energy and carbon can be given"
            )
        return [
            f"{meter} has {grain.coarsest.words()} values: the energy is priced at the flat "
            "rate and no demand charge is included (a peak cannot be known from them)"
        ]
    if grain.coarsest.demand_seconds > QUARTER_S and any(t.demand_charge_per_kw for t in tariffs):
        return [
            f"{meter} has {grain.describe()} readings: the demand charge is priced on the "
            f"highest {Interval(grain.coarsest.demand_seconds).words()} average, not a "
            "15-minute peak"
        ]
    return []


def daily_floor(kwh: Array) -> float:
    """The 10th percentile of daily average power (kW) of daily energy readings."""
    return float(np.percentile(kwh / (DAY_S / 3600), 10))
