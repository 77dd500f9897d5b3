"""What each series' own interval lets a tool answer: its interval over a period, how many
readings the period should hold, and the caveats when a question needs finer data than the
series has or its values are pro-rated from bills."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from common.intervals import DAY_S, QUARTER_S, Interval
from store import bills, intervals
from store.bills import BillRecord
from store.intervals import History
from store.rollups import day_ends, utc_offsets
from tools.base import ToolContext

IntArray = npt.NDArray[np.int64]
MAX_BILLS_LISTED = 3


@dataclass(frozen=True)
class Grain:
    """A series' interval history seen over one period [start, end)."""

    history: History
    start: int
    end: int
    tz: str

    @property
    def coarsest(self) -> Interval:
        return self.history.coarsest(self.start, self.end)

    @property
    def within_day(self) -> bool:
        """Every reading of the period sees the hours of its day."""
        return self.coarsest.within_day

    @property
    def billing(self) -> bool:
        return bool(self.history.billing(self.start, self.end))

    def expected(self, end: int | None = None) -> int:
        return self.history.expected(self.start, self.end if end is None else end, self.tz)

    def describe(self) -> str:
        return self.history.describe(self.start, self.end, self.tz)

    def spans(self) -> list[intervals.Span]:
        return self.history.spans(self.start, self.end)


def grains(ctx: ToolContext, series_ids: Sequence[int], start: int, end: int) -> dict[int, Grain]:
    """Each series' interval over [start, end), from the store's interval histories."""
    tz = ctx.site.timezone
    with ctx.engine.connect() as conn:
        found = intervals.histories(conn, list(series_ids), tz, end)
    return {sid: Grain(h, start, end, tz) for sid, h in found.items()}


ROLLUP_SOURCE = "store rollups (daily + 15-minute)"


def source(rollups: str, billed: bool) -> str:
    """The source line of figures from rollups, naming bills where they are behind them."""
    return f"{rollups}; bills spread over their days" if billed else rollups


def reading_hours(grain: Grain, starts: IntArray) -> npt.NDArray[np.float64]:
    """Hours each reading (or quarter-hour bucket of finer ones) stands for: a quarter-hour at
    least, a reading's own longer interval, a whole local day (23 to 25 hours) for daily
    values."""
    starts = np.asarray(starts, dtype=np.int64)
    seconds = np.maximum(grain.history.seconds_at(starts), QUARTER_S).astype(np.float64)
    daily = seconds >= DAY_S
    if daily.any():
        ends = day_ends(starts[daily], grain.tz)
        seconds[daily] = ends - starts[daily]
    return seconds / 3600


def local_grid(start: int, end: int, step: int, tz: str) -> IntArray:
    """Reading times of a series `step` seconds apart in [start, end), on the local clock's
    grid (local midnights for a day or more)."""
    if step >= DAY_S:
        days = intervals.day_starts(start, end, tz)
        return days[:: step // DAY_S]
    offset = int(utc_offsets(np.array([start], dtype=np.int64), tz)[0])
    first = start + (-(start + offset)) % step
    return np.arange(first, end, step, dtype=np.int64)


def on_grid(ts: IntArray, step: int, tz: str) -> IntArray:
    """Each instant moved back to the start of its local step."""
    ts = np.asarray(ts, dtype=np.int64)
    if step >= DAY_S or len(ts) == 0:
        return ts
    return np.asarray(ts - np.mod(ts + utc_offsets(ts, tz), step), dtype=np.int64)


def local_date(ts: int, tz: str) -> date:
    offset = int(utc_offsets(np.array([ts], dtype=np.int64), tz)[0])
    return date(1970, 1, 1) + timedelta(days=(ts + offset) // DAY_S)


def days_in(bill: BillRecord, first: date, last: date) -> int:
    """Days of a bill inside [first, last)."""
    return max(0, (min(bill.end, last) - max(bill.start, first)).days)


def bill_caveats(
    ctx: ToolContext, meter: str, series_id: int, grain: Grain, unit: str = "kWh"
) -> list[str]:
    """What an answer must say of values pro-rated from bills: that they are, and which
    bills the period cuts (their share counted by days)."""
    spans = grain.history.billing(grain.start, grain.end)
    if not spans:
        return []
    tz = ctx.site.timezone
    with ctx.engine.connect() as conn:
        found = bills.overlapping(conn, series_id, grain.start, grain.end, tz)
    first, last = local_date(grain.start, tz), local_date(grain.end - 1, tz) + timedelta(days=1)
    out = [
        f"{meter}'s values from {local_date(spans[0].start, tz)} to "
        f"{local_date(spans[-1].end - 1, tz)} are its bills spread evenly over their days "
        f"({len(found)} bill(s) in the period)"
    ]
    cut = [b for b in found if days_in(b, first, last) < b.days]
    for b in cut[:MAX_BILLS_LISTED]:
        days = days_in(b, first, last)
        out.append(
            f"the period takes {days} of the {b.days} days of {meter}'s bill {b.text()} "
            f"({b.quantity * days / b.days:,.0f} of its {b.quantity:,.0f} {unit}, pro-rated "
            "by days)"
        )
    if len(cut) > MAX_BILLS_LISTED:
        out.append(f"{len(cut) - MAX_BILLS_LISTED} more bills are cut the same way")
    return out


def _aligned(edge: int, interval: Interval, tz: str) -> bool:
    if interval.seconds >= DAY_S:
        return len(intervals.day_starts(edge, edge + 1, tz)) > 0
    return bool(on_grid(np.array([edge]), interval.seconds, tz)[0] == edge)


def period_fit(grain: Grain, meter: str) -> str | None:
    """Why a series' readings cannot measure exactly this period (it is shorter than one of
    its intervals, or starts or ends inside one), else None: such a meter is flagged beside
    the others, not silently compared. Bills say it themselves (bill_caveats)."""
    first = grain.history.at(grain.start).interval
    last = grain.history.at(grain.end - 1).interval
    for interval in (first, last):
        if not interval.billing and grain.end - grain.start < interval.seconds:
            return (
                f"{meter} has {interval.words()} readings, coarser than the period: its value "
                "is not measured over exactly this period"
            )
    cut = [
        interval
        for edge, interval in ((grain.start, first), (grain.end, last))
        if not interval.billing and not _aligned(edge, interval, grain.tz)
    ]
    if cut:
        return (
            f"{meter} has {cut[0].words()} readings and the period starts or ends inside one "
            "of them: that reading is counted whole or not at all"
        )
    return None


def next_bill_due(ctx: ToolContext, series_id: int) -> tuple[int, BillRecord, int] | None:
    """When the bill after a series' last one is due at the latest: its last bill's end plus
    the longest bill it has had (bills come a cycle at a time, so the days since the last
    bill are not missing before then). None without bills. Returns (local midnight of the due
    day, the last bill, the longest bill's days)."""
    with ctx.engine.connect() as conn:
        found = bills.list_bills(conn, series_id)
    if not found:
        return None
    longest = max(b.days for b in found)
    last = found[-1]
    return bills.midnight(last.end + timedelta(days=longest), ctx.site.timezone), last, longest
