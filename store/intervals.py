"""Each series' interval history: what it is, how many readings a period should hold, and how
the store learns it (declared by the catalogue or bills, detected by an import, inferred from
readings that came without either).

A history is a list of entries `(start, interval, source)`: from `start` on, until the next
entry, the series' readings are `interval` apart; the first entry also holds before its start.
Declarations win: an import's readings change a declared interval only where they are regular
at another one (a meter swapped from hourly to 15-minute readings), which random data loss
never produces; the importer says so either way.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import Connection, delete, func, insert, select, update

from common.intervals import DAY_S, QUARTER_HOUR, Interval
from common.timeutil import zone
from store import memo
from store.rollups import IntArray, local_midnight, utc_offsets
from store.schema import Reading, Series, SeriesInterval

DECLARED = "declared"
DETECTED = "detected"
INFERRED = "inferred"
ASSUMED = "assumed"  # nothing known and no readings to infer from: 15 minutes
REGULAR = 0.9  # share of steps at exactly one interval that makes readings "regular" there
WINDOW = 9  # steps in the rolling quantile that finds where an interval changes
LOW_QUANTILE = 0.25  # of a stretch's steps: its interval, whatever readings are missing
MIN_RUN = 6  # steps a stretch of another interval needs to count as a change
INFER_READINGS = 97  # readings read to infer an interval that nothing declared
FOLLOW_READINGS = 20_000  # read to find where an inferred interval changed
_NICE = np.array([60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, DAY_S])


@dataclass(frozen=True)
class Entry:
    start: int
    interval: Interval
    source: str


@dataclass(frozen=True)
class Span:
    """A stretch [start, end) of one interval."""

    start: int
    end: int
    interval: Interval
    source: str


@dataclass(frozen=True)
class History:
    """A series' interval history; `entries` sorted by start, never empty once read through
    `histories` (a series nothing is known of is assumed to read every 15 minutes)."""

    series_id: int
    entries: tuple[Entry, ...]

    def at(self, ts: int) -> Entry:
        current = self.entries[0]
        for entry in self.entries[1:]:
            if entry.start > ts:
                break
            current = entry
        return current

    def seconds_at(self, ts: IntArray) -> IntArray:
        """Seconds between readings at each instant of `ts`."""
        starts = np.array([e.start for e in self.entries], dtype=np.int64)
        seconds = np.array([e.interval.seconds for e in self.entries], dtype=np.int64)
        at = np.clip(np.searchsorted(starts, np.asarray(ts), side="right") - 1, 0, None)
        return np.asarray(seconds[at], dtype=np.int64)

    def spans(self, start: int, end: int) -> list[Span]:
        """The stretches of [start, end), each with its interval."""
        if end <= start:
            return []
        out: list[Span] = []
        edges = [e.start for e in self.entries[1:] if start < e.start < end]
        for a, b in zip([start, *edges], [*edges, end], strict=True):
            entry = self.at(a)
            out.append(Span(a, b, entry.interval, entry.source))
        return out

    def expected(self, start: int, end: int, tz: str) -> int:
        """Readings [start, end) should hold at the series' own interval(s)."""
        return sum(expected_count(s.start, s.end, s.interval, tz) for s in self.spans(start, end))

    def coarsest(self, start: int, end: int) -> Interval:
        spans = self.spans(start, end) or [Span(start, end, self.at(start).interval, "")]
        return max((s.interval for s in spans), key=lambda i: (i.seconds, i.billing))

    def billing(self, start: int, end: int) -> list[Span]:
        return [s for s in self.spans(start, end) if s.interval.billing]

    def describe(self, start: int, end: int, tz: str) -> str:
        """'15-minute', or 'hourly until 2026-03-02, then 15-minute' where it changes."""
        spans = self.spans(start, end)
        if not spans:
            return self.at(start).interval.words()
        parts = [spans[0].interval.words()]
        for span in spans[1:]:
            day = datetime.fromtimestamp(span.start, zone(tz)).strftime("%Y-%m-%d %H:%M")
            parts.append(f"{span.interval.words()} from {day.removesuffix(' 00:00')}")
        return ", then ".join(parts)


# ------------------------------------------------------------------ counting


def _local_day(ts: int, tz: str) -> int:
    return (ts + int(utc_offsets(np.array([ts], dtype=np.int64), tz)[0])) // DAY_S


def expected_count(start: int, end: int, interval: Interval, tz: str) -> int:
    """Readings at `interval` in [start, end): local days for daily and billing series (a
    day is 23 or 25 hours around DST), steps of the local clock's grid for finer ones."""
    if end <= start:
        return 0
    if interval.seconds >= DAY_S:
        first = _local_day(start, tz)
        if local_midnight(first, tz) < start:
            first += 1
        days = _local_day(end - 1, tz) - first + 1
        return max(0, -(-days // (interval.seconds // DAY_S)))
    step = interval.seconds
    offset = int(utc_offsets(np.array([start], dtype=np.int64), tz)[0])
    first = start + (-(start + offset)) % step
    return max(0, -(-(end - first) // step))


def day_starts(start: int, end: int, tz: str) -> IntArray:
    """Local midnights in [start, end)."""
    if end <= start:
        return np.zeros(0, dtype=np.int64)
    first, last = _local_day(start, tz), _local_day(end - 1, tz)
    days = [local_midnight(d, tz) for d in range(first, last + 1)]
    return np.array([d for d in days if start <= d < end], dtype=np.int64)


# ------------------------------------------------------------------ detection


@dataclass(frozen=True)
class Segment:
    """A stretch of readings at one step: from the reading at `start` to `end` (the last
    reading plus a step), and the share of its steps that are exactly `step` apart."""

    start: int
    end: int
    step: int
    regular: float


def _snap(steps: np.ndarray) -> IntArray:
    """Steps to the usual intervals within 2 % (clock jitter), else to whole minutes."""
    steps = np.asarray(steps, dtype=np.float64)
    nearest = _NICE[np.abs(steps[:, None] - _NICE[None, :]).argmin(axis=1)] if len(steps) else steps
    close = np.abs(steps - nearest) <= 0.02 * nearest
    rounded = np.where(steps >= 60, np.round(steps / 60) * 60, np.round(steps))
    return np.asarray(np.where(close, nearest, rounded), dtype=np.int64)


def _steps(ts: IntArray, tz: str) -> IntArray:
    """Seconds to the next reading; whole days by the local calendar (a day across a DST
    change is still one day), the rest by the clock."""
    utc = np.diff(ts)
    wall = np.diff(ts + utc_offsets(ts, tz))
    return np.asarray(np.where((wall > 0) & (wall % DAY_S == 0), wall, utc), dtype=np.int64)


def _runs(values: IntArray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(values[1:] != values[:-1]) + 1
    bounds = [0, *edges.tolist(), len(values)]
    return list(itertools.pairwise(bounds))


def _merge_short(runs: list[tuple[int, int]], level: IntArray) -> list[tuple[int, int, int]]:
    """Runs (start, end, step) with those under MIN_RUN steps given to their neighbour."""
    out: list[tuple[int, int, int]] = []
    for a, b in runs:
        step = int(level[a])
        if out and (b - a < MIN_RUN or out[-1][2] == step):
            out[-1] = (out[-1][0], b, out[-1][2])
        elif out and out[-1][1] - out[-1][0] < MIN_RUN:
            out[-1] = (out[-1][0], b, step)
        else:
            out.append((a, b, step))
    return out


def _refine(steps: IntArray, at: int, step: int) -> int:
    """Where, near `at`, the readings really begin to come `step` apart."""
    half = WINDOW // 2
    for i in range(max(0, at - half), min(len(steps), at + half + 1)):
        if steps[i] == step and (i + 1 >= len(steps) or steps[i + 1] == step):
            return i
    return at


def detect_steps(ts: IntArray, tz: str) -> list[Segment]:
    """The steps of a sorted series of readings, and where they change.

    Missing readings only lengthen steps, so a stretch's interval is a low quantile of its
    steps (rolling, so one gap or a DST change is no change); a stretch at a multiple of its
    neighbour's step that is not regular is that neighbour with readings missing.
    """
    ts = np.asarray(ts, dtype=np.int64)
    if len(ts) < 2:
        return []
    steps = _steps(ts, tz)
    if len(steps) < 2 * MIN_RUN:
        low = np.quantile(steps, LOW_QUANTILE, method="lower")
        level = np.full(len(steps), int(_snap(np.array([low]))[0]), dtype=np.int64)
    else:
        import pandas as pd

        rolling = pd.Series(steps).rolling(WINDOW, center=True, min_periods=1)
        level = _snap(rolling.quantile(LOW_QUANTILE, interpolation="lower").to_numpy())
    runs = _merge_short(_runs(level), level)
    starts = [0] + [_refine(steps, a, step) for a, _, step in runs[1:]]
    pieces = [
        (a, b, step)
        for (_, _, step), a, b in zip(runs, starts, [*starts[1:], len(steps)], strict=True)
        if b > a
    ]
    return [_segment(ts, steps, a, b, step) for a, b, step in _absorb_losses(pieces, steps)]


def _segment(ts: IntArray, steps: IntArray, a: int, b: int, step: int) -> Segment:
    regular = float(np.mean(_snap(steps[a:b]) == step))
    end = int(ts[b]) if b < len(steps) else int(ts[-1]) + step
    return Segment(int(ts[a]), end, step, regular)


def _absorb_losses(
    pieces: list[tuple[int, int, int]], steps: IntArray
) -> list[tuple[int, int, int]]:
    """Give an irregular stretch whose step is a multiple of a neighbour's to that neighbour."""
    changed = True
    while changed and len(pieces) > 1:
        changed = False
        for i, (a, b, step) in enumerate(pieces):
            if float(np.mean(_snap(steps[a:b]) == step)) >= REGULAR:
                continue
            near = [j for j in (i - 1, i + 1) if 0 <= j < len(pieces)]
            finer = [j for j in near if pieces[j][2] < step and step % pieces[j][2] == 0]
            if finer:
                j = min(finer, key=lambda k: pieces[k][2])
                lo, hi = min(a, pieces[j][0]), max(b, pieces[j][1])
                pieces[min(i, j)] = (lo, hi, pieces[j][2])
                del pieces[max(i, j)]
                changed = True
                break
    merged: list[tuple[int, int, int]] = []
    for piece in pieces:
        if merged and merged[-1][2] == piece[2]:
            merged[-1] = (merged[-1][0], piece[1], piece[2])
        else:
            merged.append(piece)
    return merged


# ------------------------------------------------------------------ the stored history


def _entries(conn: Connection, series_id: int) -> list[Entry]:
    rows = conn.execute(
        select(
            SeriesInterval.start_ts,
            SeriesInterval.interval_s,
            SeriesInterval.billing,
            SeriesInterval.source,
        )
        .where(SeriesInterval.series_id == series_id)
        .order_by(SeriesInterval.start_ts)
    )
    return [Entry(int(a), Interval(int(s), bool(b)), str(src)) for a, s, b, src in rows]


def history(conn: Connection, series_id: int) -> list[Entry]:
    """The stored entries of a series' history, oldest first (empty: nothing known yet)."""
    return _entries(conn, series_id)


def _save(conn: Connection, series_id: int, entries: list[Entry]) -> None:
    merged: list[Entry] = []
    for entry in sorted(entries, key=lambda e: e.start):
        if merged and merged[-1].interval == entry.interval:
            continue
        if merged and merged[-1].start == entry.start:
            merged[-1] = entry
            continue
        merged.append(entry)
    conn.execute(delete(SeriesInterval).where(SeriesInterval.series_id == series_id))
    for e in merged:
        conn.execute(
            insert(SeriesInterval).values(
                series_id=series_id,
                start_ts=e.start,
                interval_s=e.interval.seconds,
                billing=e.interval.billing,
                source=e.source,
            )
        )
    current = merged[-1].interval if merged else None
    conn.execute(
        update(Series)
        .where(Series.id == series_id)
        .values(
            interval_s=current.seconds if current else None,
            billing=bool(current and current.billing),
        )
    )


def paint(
    conn: Connection,
    series_id: int,
    start: int,
    end: int | None,
    interval: Interval,
    source: str,
) -> None:
    """Set a series' interval over [start, end) (from `start` on when `end` is None). The
    interval in force at `end` takes up again there when it is a declaration or was known
    from later readings; one known only from earlier readings gives way to the newer ones."""
    entries = _entries(conn, series_id)
    resume: Entry | None = None
    if end is not None and entries and all(e.start != end for e in entries):
        before = History(series_id, tuple(entries)).at(end)
        if before.source == DECLARED or before.start >= start:
            resume = Entry(end, before.interval, before.source)
    kept = [e for e in entries if e.start < start or (end is not None and e.start >= end)]
    _save(conn, series_id, [*kept, Entry(start, interval, source), *([resume] if resume else [])])


def last_reading(conn: Connection, series_id: int) -> int | None:
    value = conn.execute(
        select(func.max(Reading.ts)).where(Reading.series_id == series_id)
    ).scalar_one()
    return None if value is None else int(value)


def declare(conn: Connection, series_id: int, interval: Interval) -> None:
    """The catalogue's interval of a series: all of it while it has no readings, else from the
    end of its last reading on (what is stored keeps the interval it was judged by)."""
    entries = _entries(conn, series_id)
    if entries and entries[-1].interval == interval:
        return
    last = last_reading(conn, series_id)
    if not entries or last is None:
        _save(conn, series_id, [Entry(0, interval, DECLARED)])
        return
    paint(conn, series_id, last + entries[-1].interval.seconds, None, interval, DECLARED)


def _declared_over(entries: list[Entry], start: int, end: int) -> list[Span]:
    if not entries:
        return []
    spans = History(0, tuple(entries)).spans(start, end)
    return [s for s in spans if s.source == DECLARED]


def record_detected(
    conn: Connection, series_id: int, segments: Sequence[Segment], tz: str
) -> list[str]:
    """Keep what an import's readings show of their interval where nothing declared one, or
    where they are regular at another interval than declared; return what differs from a
    declaration, in words."""
    notes = []
    for seg in segments:
        if seg.step >= 2 * DAY_S:
            continue  # multi-day readings are no interval: the importer refuses them
        found = Interval(seg.step)
        declared = [
            s
            for s in _declared_over(_entries(conn, series_id), seg.start, seg.end)
            if s.interval != found
        ]
        if declared and seg.regular < REGULAR:
            notes += [_judged(s, found, tz, kept=True) for s in declared]
            continue
        notes += [_judged(s, found, tz, kept=False) for s in declared]
        paint(conn, series_id, seg.start, seg.end, found, DETECTED)
    return notes


def _judged(span: Span, found: Interval, tz: str, *, kept: bool) -> str:
    where = zone(tz)
    first = datetime.fromtimestamp(span.start, where).strftime("%Y-%m-%d %H:%M")
    last = datetime.fromtimestamp(span.end, where).strftime("%Y-%m-%d %H:%M")
    if kept:
        return (
            f"readings from {first} to {last} are mostly {found.words()} but not regular; "
            f"they are judged against the declared {span.interval.words()} interval"
        )
    return (
        f"readings from {first} to {last} are regular {found.words()} readings although "
        f"{span.interval.words()} is declared; they are judged as {found.words()}"
    )


# ------------------------------------------------------------------ inference


def _recent(conn: Connection, series_id: int, before: int | None, limit: int) -> IntArray:
    stmt = select(Reading.ts).where(Reading.series_id == series_id)
    if before is not None:
        stmt = stmt.where(Reading.ts < before)
    rows = conn.execute(stmt.order_by(Reading.ts.desc()).limit(limit)).scalars().all()
    return np.array(sorted(int(t) for t in rows), dtype=np.int64)


def infer(conn: Connection, series_id: int, tz: str, before: int | None = None) -> Interval | None:
    """The interval of a series' latest readings (before `before`), or None with under two."""
    segments = detect_steps(_recent(conn, series_id, before, INFER_READINGS), tz)
    if not segments:
        return None
    return Interval(min(segments[-1].step, DAY_S))


def histories(
    conn: Connection, series_ids: Sequence[int], tz: str, around: int | None = None
) -> dict[int, History]:
    """The interval histories of several series. A series with none stored gets one inferred
    from its readings before `around` (or its latest), else an assumed 15 minutes."""
    key = ("histories", conn.engine, tuple(series_ids), tz, around)
    return dict(memo.remembered(key, lambda: _histories(conn, series_ids, tz, around)))


def _histories(
    conn: Connection, series_ids: Sequence[int], tz: str, around: int | None
) -> dict[int, History]:
    rows = conn.execute(
        select(
            SeriesInterval.series_id,
            SeriesInterval.start_ts,
            SeriesInterval.interval_s,
            SeriesInterval.billing,
            SeriesInterval.source,
        )
        .where(SeriesInterval.series_id.in_(list(series_ids)))
        .order_by(SeriesInterval.series_id, SeriesInterval.start_ts)
    )
    found: dict[int, list[Entry]] = {}
    for sid, a, s, b, src in rows:
        found.setdefault(int(sid), []).append(Entry(int(a), Interval(int(s), bool(b)), str(src)))
    out = {}
    for sid in series_ids:
        entries = found.get(sid)
        if not entries:
            guess = infer(conn, sid, tz, around) or infer(conn, sid, tz)
            entries = [Entry(0, guess or QUARTER_HOUR, INFERRED if guess else ASSUMED)]
        out[sid] = History(sid, tuple(entries))
    return out


def expected_readings(conn: Connection, series_id: int, start: int, end: int, tz: str) -> int:
    """How many readings a series should hold in [start, end) at its own interval(s)."""
    return histories(conn, [series_id], tz, end)[series_id].expected(start, end, tz)


def record_inferred(conn: Connection, site_id: int, tz: str) -> int:
    """Keep the interval of series that arrive without a declaration (live ingestion), and
    notice when their readings change interval. Cheap: one query for the site's histories and
    a few recent readings of each series nothing declared; run on a schedule, never on the
    ingestion path. Returns how many histories changed."""
    from store.schema import Meter

    ids = conn.execute(
        select(Series.id).join(Meter, Meter.id == Series.meter_id).where(Meter.site_id == site_id)
    ).scalars()
    rows = conn.execute(
        select(SeriesInterval.series_id, SeriesInterval.source)
        .join(Series, Series.id == SeriesInterval.series_id)
        .join(Meter, Meter.id == Series.meter_id)
        .where(Meter.site_id == site_id)
    ).all()
    known = {int(sid) for sid, source in rows if source != INFERRED}
    changed = 0
    for sid in [int(i) for i in ids if int(i) not in known]:
        changed += _follow(conn, sid, tz)
    return changed


def _follow(conn: Connection, series_id: int, tz: str) -> int:
    """Infer a series' interval from its latest readings; 1 when its history changed."""
    recent = _recent(conn, series_id, None, INFER_READINGS)
    segments = [s for s in detect_steps(recent, tz) if s.step < 2 * DAY_S]
    if not segments:
        return 0
    entries = _entries(conn, series_id)
    last = segments[-1]
    found = Interval(last.step)
    if not entries:
        _save(conn, series_id, [Entry(0, found, INFERRED)])
        return 1
    if entries[-1].interval != found and last.start > entries[-1].start:
        if last.start == int(recent[0]):
            # The change is older than the readings read: look back to where it happened.
            since = _recent(conn, series_id, None, FOLLOW_READINGS)
            since = since[since >= entries[-1].start]
            same = [s for s in detect_steps(since, tz) if s.step == found.seconds]
            last = same[-1] if same else last
        paint(conn, series_id, last.start, None, found, INFERRED)
        return 1
    return 0
