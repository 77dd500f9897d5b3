"""Bills: a series' billing periods, kept as they were billed and spread over their days.

A bill covers local days [start, end) (`end` is the day after its last). Its quantity is also
stored as one reading per day, the quantity divided by its days and stamped at local midnight,
so every tool that works by day (totals, months, baselines) can use it; the series' interval
history marks those days as billing. Writing bills is idempotent: the same bill again changes
nothing, a corrected quantity replaces the bill and its days, and a bill whose period overlaps
stored bills of other dates replaces them (a rebilled period), removing the days no bill
covers any more.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sqlalchemy import Connection, delete, insert, select

from common.errors import StoreConflict
from common.intervals import BILLING_INTERVAL
from store import intervals
from store.rollups import FloatArray, IntArray, local_midnight, utc_offsets
from store.schema import Bill, Reading
from store.writes import delete_readings, write_readings

_EPOCH = date(1970, 1, 1).toordinal()
RUN_GAP_DAYS = 62  # bills at most this far apart are one stretch of billing (a bill missing)


@dataclass(frozen=True)
class BillRecord:
    start: date
    end: date  # the day after the last day billed
    quantity: float
    cost: float | None = None
    peak_kw: float | None = None
    estimated: bool = False
    source: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def end_inclusive(self) -> date:
        return self.end - timedelta(days=1)

    def same_figures(self, other: BillRecord) -> bool:
        return (self.start, self.end, self.quantity, self.cost, self.peak_kw, self.estimated) == (
            other.start,
            other.end,
            other.quantity,
            other.cost,
            other.peak_kw,
            other.estimated,
        )

    def text(self) -> str:
        return f"{self.start}..{self.end_inclusive}"


@dataclass
class BillWrite:
    """What writing bills did: bills added, corrected and already stored as given, and the
    stored bills of other dates that overlapping ones replaced."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    replaced: list[BillRecord] = field(default_factory=list)
    days_written: int = 0
    days_removed: int = 0


def day_number(day: date) -> int:
    return day.toordinal() - _EPOCH


def midnight(day: date, tz: str) -> int:
    return local_midnight(day_number(day), tz)


def day_values(bill: BillRecord, tz: str) -> tuple[IntArray, FloatArray]:
    """The bill spread evenly over its days: local midnights and quantity per day."""
    first = day_number(bill.start)
    ts = np.array([local_midnight(first + i, tz) for i in range(bill.days)], dtype=np.int64)
    return ts, np.full(bill.days, bill.quantity / bill.days, dtype=np.float64)


_COLUMNS = (
    Bill.start_date,
    Bill.end_date,
    Bill.quantity,
    Bill.cost,
    Bill.peak_kw,
    Bill.estimated,
    Bill.source,
)


def _record(row: tuple[object, ...]) -> BillRecord:
    start, end, quantity, cost, peak, estimated, source = row
    assert isinstance(start, date) and isinstance(end, date)
    return BillRecord(
        start,
        end,
        float(quantity),  # type: ignore[arg-type]
        None if cost is None else float(cost),  # type: ignore[arg-type]
        None if peak is None else float(peak),  # type: ignore[arg-type]
        bool(estimated),
        str(source or ""),
    )


def list_bills(
    conn: Connection, series_id: int, start: date | None = None, end: date | None = None
) -> list[BillRecord]:
    """Bills of a series overlapping [start, end) (all without bounds), oldest first."""
    stmt = select(*_COLUMNS).where(Bill.series_id == series_id)
    if start is not None:
        stmt = stmt.where(Bill.end_date > start)
    if end is not None:
        stmt = stmt.where(Bill.start_date < end)
    return [_record(tuple(r)) for r in conn.execute(stmt.order_by(Bill.start_date))]


def _local_date(ts: int, tz: str) -> date:
    offset = int(utc_offsets(np.array([ts], dtype=np.int64), tz)[0])
    return date.fromordinal(_EPOCH + (ts + offset) // 86400)


def overlapping(
    conn: Connection, series_id: int, start: int, end: int, tz: str
) -> list[BillRecord]:
    """Bills of a series with a day in [start, end) (epoch seconds)."""
    if end <= start:
        return []
    last = _local_date(end - 1, tz) + timedelta(days=1)
    return list_bills(conn, series_id, _local_date(start, tz), last)


def _runs(bills: Sequence[BillRecord]) -> list[tuple[date, date]]:
    """Stretches of billing: bills in date order, a gap of a missing bill or two included."""
    out: list[tuple[date, date]] = []
    for bill in sorted(bills, key=lambda b: b.start):
        if out and (bill.start - out[-1][1]).days <= RUN_GAP_DAYS:
            out[-1] = (out[-1][0], max(out[-1][1], bill.end))
        else:
            out.append((bill.start, bill.end))
    return out


def measured_days(
    conn: Connection, series_id: int, bills: Sequence[BillRecord], tz: str
) -> list[tuple[BillRecord, str]]:
    """Bills that would cover readings measured at the series' own interval (not pro-rated
    from bills), each with the interval found there: bills may not overwrite measurements."""
    history = intervals.histories(conn, [series_id], tz)[series_id]
    out = []
    for bill in bills:
        a, b = midnight(bill.start, tz), midnight(bill.end, tz)
        for span in history.spans(a, b):
            if span.interval.billing:
                continue
            count = conn.execute(
                select(Reading.ts)
                .where(Reading.series_id == series_id, Reading.ts >= span.start)
                .where(Reading.ts < span.end)
                .limit(1)
            ).first()
            if count is not None:
                out.append((bill, span.interval.words()))
                break
    return out


def write_bills(
    conn: Connection, series_id: int, bills: Sequence[BillRecord], tz: str
) -> BillWrite:
    """Store bills of one series and their days, in the caller's transaction.

    Raises StoreConflict when a bill would cover measured readings (see `measured_days`) or
    two of the bills given overlap.
    """
    bills = sorted(bills, key=lambda b: b.start)
    for a, b in itertools.pairwise(bills):
        if b.start < a.end:
            raise StoreConflict(f"bills {a.text()} and {b.text()} overlap")
    clash = measured_days(conn, series_id, bills, tz)
    if clash:
        bill, words = clash[0]
        raise StoreConflict(
            f"the bill {bill.text()} covers {words} readings already stored; bills may not "
            "overwrite measured data"
        )
    out = BillWrite()
    if not bills:
        return out
    stored = list_bills(conn, series_id, bills[0].start, bills[-1].end)
    removed_days: set[int] = set()
    for bill in bills:
        same = next((s for s in stored if (s.start, s.end) == (bill.start, bill.end)), None)
        if same is not None and same.same_figures(bill):
            out.unchanged += 1
            continue
        for old in [s for s in stored if s.start < bill.end and bill.start < s.end]:
            if same is None or old is not same:
                out.replaced.append(old)
            removed_days |= set(day_values(old, tz)[0].tolist())
            conn.execute(
                delete(Bill).where(Bill.series_id == series_id, Bill.start_date == old.start)
            )
            stored.remove(old)
        _insert(conn, series_id, bill)
        out.changed += same is not None
        out.new += same is None
        ts, values = day_values(bill, tz)
        removed_days -= set(ts.tolist())
        write_readings(conn, series_id, ts, values, tz)
        out.days_written += bill.days
    if removed_days:
        out.days_removed = delete_readings(
            conn, series_id, np.array(sorted(removed_days), dtype=np.int64), tz
        )
    for first, last in _runs(bills):
        intervals.paint(
            conn,
            series_id,
            midnight(first, tz),
            midnight(last, tz),
            BILLING_INTERVAL,
            intervals.DECLARED,
        )
    return out


def _insert(conn: Connection, series_id: int, bill: BillRecord) -> None:
    conn.execute(
        insert(Bill).values(
            series_id=series_id,
            start_date=bill.start,
            end_date=bill.end,
            quantity=bill.quantity,
            cost=bill.cost,
            peak_kw=bill.peak_kw,
            estimated=bill.estimated,
            source=bill.source,
        )
    )
