"""Data preparation and sufficiency rules of the CalTRACK daily and billing methods: daily mean
temperatures from hourly readings, checked daily and billing frames, and the issues (caveats and
disqualifications) the methods' data rules raise, returned as data.

Section numbers refer to the CalTRACK methods, version 2.0 (caltrack.org, "CalTRACK Methods").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd

from common.errors import EMSError, InsufficientData
from common.timeutil import midnights

Fuel = Literal["electricity", "gas"]
Cycle = Literal["auto", "monthly", "bimonthly"]

YEAR_DAYS = 365
MISSING_DAYS_ALLOWED = 37  # §2.2.1.2: at most 37 days (10 %) of a 365-day baseline missing
DAY_TEMPERATURE_COVERAGE = 0.5  # §2.2.2.3: a day's mean needs more than half its hours
PERIOD_TEMPERATURE_COVERAGE = 0.9  # §2.2.3.2: a billing period's mean needs 90 % of its hours
MONTH_TEMPERATURE_COVERAGE = 0.9  # each calendar month: 90 % of its days with a temperature
INTERPOLATE_HOURS = 6  # §2.2.4.1: up to six consecutive missing hours may be interpolated
SHORTEST_PERIOD = 25  # §2.2.3.4: off-cycle reads
LONGEST_PERIOD = {"monthly": 35, "bimonthly": 70}  # §2.2.3.5
COMBINED_PERIOD_LIMIT = 70  # §2.2.3.1, §3.5.5.1, §3.5.5.3


class InvalidUsageData(EMSError):
    """A daily or billing frame that cannot be read: missing columns, unreadable or repeated
    dates, periods that end before they start or overlap, infinite values."""


class DisqualifiedData(InsufficientData):
    """The data fails a CalTRACK sufficiency rule; `issues` holds every finding as data."""

    def __init__(self, message: str, issues: list[Issue]) -> None:
        super().__init__(message)
        self.issues = issues


class IssueCode(StrEnum):
    BASELINE_TOO_SHORT = "baseline_too_short"
    BASELINE_TOO_LONG = "baseline_too_long"
    TOO_MANY_MISSING_DAYS = "too_many_missing_days"
    MONTH_TEMPERATURE_COVERAGE_LOW = "month_temperature_coverage_low"
    NEGATIVE_USAGE = "negative_usage"
    EXTREME_USAGE = "extreme_usage"
    ZERO_USAGE_TREATED_AS_MISSING = "zero_usage_treated_as_missing"
    DAY_TEMPERATURE_MISSING = "day_temperature_missing"
    PERIOD_TOO_SHORT = "period_too_short"
    PERIOD_TOO_LONG = "period_too_long"
    ESTIMATED_READ_COMBINED = "estimated_read_combined"
    ESTIMATED_READ_DROPPED = "estimated_read_dropped"
    PERIOD_TEMPERATURE_COVERAGE_LOW = "period_temperature_coverage_low"
    NO_WEATHER_MODEL = "no_weather_model"


@dataclass(frozen=True)
class Issue:
    """One finding of the data rules: `disqualifying` ones refuse the baseline unless the caller
    overrides; the others are caveats to quote with the result."""

    code: IssueCode
    section: str  # CalTRACK 2.0 section the rule comes from
    description: str
    disqualifying: bool
    data: dict[str, float | int | str] = field(default_factory=dict)


# ------------------------------------------------------------------ temperature


def _numbers(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    if np.isinf(numbers.to_numpy()).any():
        raise InvalidUsageData("temperature readings hold infinite values")
    return numbers


def daily_temperature(readings: pd.Series) -> pd.DataFrame:
    """Daily mean outdoor temperatures from hourly or finer readings (§2.2.2.3, §2.2.4.1).

    Readings are first averaged per hour; gaps of up to six consecutive hours are filled by
    linear interpolation (§2.2.4.1); a day's mean is kept only when more than half of its hours
    have a value (§2.2.2.3). Days are local calendar days of the index's time zone (§3.3.3.5);
    a day of 23 or 25 hours at a DST change expects that many hours.

    Args:
        readings: temperatures with a DatetimeIndex (time-zone aware, or naive local time).

    Returns:
        One row per local date: `temperature` (mean, NaN when too few hours), `hours` (hours
        with a value after interpolation) and `expected_hours`.
    """
    if not isinstance(readings.index, pd.DatetimeIndex):
        raise InvalidUsageData("temperature readings need a DatetimeIndex of reading times")
    if readings.index.hasnans:
        raise InvalidUsageData("temperature readings have missing timestamps")
    values = _numbers(readings).sort_index()
    if values.empty:
        raise InsufficientData("no temperature readings")
    # Floor to the local wall-clock hour without re-localizing, so DST changes stay exact.
    index = pd.DatetimeIndex(values.index)
    tz = index.tz
    wall = index.tz_localize(None) if tz is not None else index
    hourly = values.groupby(index - (wall - wall.floor("h"))).mean()
    grid = pd.date_range(
        _local_midnight(wall.min().normalize(), tz),
        _local_midnight(wall.max().normalize() + pd.Timedelta(days=1), tz),
        freq="h",
        inclusive="left",
    )
    filled = hourly.reindex(grid).interpolate(
        method="linear", limit=INTERPOLATE_HOURS, limit_area="inside"
    )
    # Only gaps of at most six hours may be filled: a longer gap keeps none of its values.
    long_gap = _long_gaps(hourly.reindex(grid).isna().to_numpy())
    filled[long_gap] = np.nan
    day_of = (grid.tz_localize(None) if tz is not None else grid).normalize()
    grouped = filled.groupby(day_of)
    mean, hours = grouped.mean(), grouped.count()
    expected = pd.Series(1, index=grid).groupby(day_of).count()
    keep = hours > DAY_TEMPERATURE_COVERAGE * expected
    return pd.DataFrame(
        {"temperature": mean.where(keep), "hours": hours, "expected_hours": expected},
        index=pd.DatetimeIndex(mean.index, name="date"),
    )


def _local_midnight(day: pd.Timestamp, tz: tzinfo | None) -> pd.Timestamp:
    """The first instant of a local day: its first midnight where the clock repeats it
    (America/Havana), 01:00 where it skips it (America/Santiago)."""
    if tz is None:
        return day
    return midnights(pd.DatetimeIndex([day]), tz)[0]


def _long_gaps(missing: np.ndarray) -> np.ndarray:
    """Mask of missing hours that belong to a run longer than INTERPOLATE_HOURS."""
    out = np.zeros(len(missing), dtype=bool)
    start = None
    for i, gap in enumerate([*missing.tolist(), False]):
        if gap and start is None:
            start = i
        elif not gap and start is not None:
            if i - start > INTERPOLATE_HOURS:
                out[start:i] = True
            start = None
    return out


def as_daily_temperature(temperature: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """The output of `daily_temperature`, or a plain Series of daily means (full coverage
    assumed where a value is given), as one frame indexed by naive local date."""
    if isinstance(temperature, pd.Series):
        index = _naive_dates(pd.Series(temperature.index), "temperature")
        frame = pd.DataFrame(
            {"temperature": _numbers(temperature).to_numpy()},
            index=pd.DatetimeIndex(index, name="date"),
        )
        frame["expected_hours"] = 24
        frame["hours"] = np.where(frame["temperature"].notna(), 24, 0)
    else:
        missing = {"temperature", "hours", "expected_hours"} - set(temperature.columns)
        if missing:
            raise InvalidUsageData(f"daily temperature frame lacks columns {sorted(missing)}")
        frame = temperature.copy()
        frame.index = pd.DatetimeIndex(_naive_dates(pd.Series(frame.index), "temperature"))
    if frame.index.duplicated().any():
        raise InvalidUsageData("daily temperatures repeat a date")
    return frame.sort_index()


# ------------------------------------------------------------------ frames


def _naive_dates(values: pd.Series, what: str) -> pd.Series:
    try:
        dates = pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        raise InvalidUsageData(f"{what} dates cannot be read: {exc}") from exc
    if dates.isna().any():
        rows = [int(i) for i in np.flatnonzero(dates.isna().to_numpy())[:5]]
        raise InvalidUsageData(f"{what} dates are missing in rows {rows}")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.dt.normalize()


def _energy(values: pd.Series, what: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        rows = [int(i) for i in np.flatnonzero(bad.to_numpy())[:5]]
        raise InvalidUsageData(f"{what} energy is not a number in rows {rows}")
    array = numbers.to_numpy(np.float64)
    if np.isinf(array).any():
        raise InvalidUsageData(f"{what} energy holds infinite values")
    return array


def _require(frame: pd.DataFrame, columns: set[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidUsageData(f"{what} must be a DataFrame with columns {sorted(columns)}")
    missing = columns - set(frame.columns)
    if missing:
        raise InvalidUsageData(
            f"{what} frame lacks columns {sorted(missing)} (has {sorted(map(str, frame.columns))})"
        )
    if frame.empty:
        raise InsufficientData(f"the {what} frame holds no rows")


def read_daily(frame: pd.DataFrame) -> pd.DataFrame:
    """A checked daily frame: naive local `date` index, `energy` and `temperature` (NaN where
    missing). Dates must increase without repeats."""
    _require(frame, {"date", "energy", "temperature"}, "daily")
    dates = _naive_dates(frame["date"], "daily")
    steps = dates.diff().dt.days.to_numpy()[1:]
    if (steps <= 0).any():
        row = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise InvalidUsageData(
            f"daily dates must increase without repeats: row {row} ({dates.iloc[row]:%Y-%m-%d})"
            f" follows {dates.iloc[row - 1]:%Y-%m-%d}"
        )
    return pd.DataFrame(
        {
            "energy": _energy(frame["energy"], "daily"),
            "temperature": _numbers(frame["temperature"]).to_numpy(),
        },
        index=pd.DatetimeIndex(dates, name="date"),
    )


def read_bills(frame: pd.DataFrame, end_inclusive: bool = False) -> pd.DataFrame:
    """A checked billing frame: `start`, `end` (exclusive: the next period's start), `days`,
    `energy` and `estimated`, in order and without overlaps."""
    _require(frame, {"start", "end", "energy"}, "billing")
    start = _naive_dates(frame["start"], "billing start")
    end = _naive_dates(frame["end"], "billing end") + pd.Timedelta(days=int(end_inclusive))
    days = (end - start).dt.days.to_numpy()
    if (days <= 0).any():
        row = int(np.flatnonzero(days <= 0)[0])
        raise InvalidUsageData(
            f"billing period in row {row} ends ({end.iloc[row]:%Y-%m-%d}) before or on its start"
            f" ({start.iloc[row]:%Y-%m-%d}): {days[row]} days"
        )
    overlap = (start.to_numpy()[1:] < end.to_numpy()[:-1]) if len(start) > 1 else np.array([])
    if overlap.any():
        row = int(np.flatnonzero(overlap)[0]) + 1
        raise InvalidUsageData(
            f"billing periods must be in order without overlaps: row {row} starts "
            f"{start.iloc[row]:%Y-%m-%d}, before the previous period ends "
            f"{end.iloc[row - 1]:%Y-%m-%d}"
        )
    estimated = frame["estimated"].fillna(False).astype(bool) if "estimated" in frame else False
    return pd.DataFrame(
        {
            "start": start.to_numpy(),
            "end": end.to_numpy(),
            "days": days,
            "energy": _energy(frame["energy"], "billing"),
            "estimated": estimated,
            "estimated_days": 0,
        }
    ).reset_index(drop=True)


def usage_issues(energy: np.ndarray, fuel: Fuel) -> tuple[np.ndarray, list[Issue]]:
    """Zeros of electricity become missing (§2.2.1.4); negative values disqualify (§2.3.5,
    net metering); extreme values are flagged for review (§2.3.6)."""
    issues: list[Issue] = []
    energy = energy.copy()
    if fuel == "electricity":
        zeros = int((energy == 0).sum())
        if zeros:
            energy[energy == 0] = np.nan
            issues.append(
                Issue(
                    IssueCode.ZERO_USAGE_TREATED_AS_MISSING,
                    "2.2.1.4",
                    f"{zeros} zero electricity values treated as missing",
                    False,
                    {"count": zeros},
                )
            )
    negative = int((energy < 0).sum())
    if negative:
        issues.append(
            Issue(
                IssueCode.NEGATIVE_USAGE,
                "2.3.5",
                f"{negative} negative usage values: possible unreported net metering; review "
                "before using this baseline",
                True,
                {"count": negative, "minimum": float(np.nanmin(energy))},
            )
        )
    valid = energy[~np.isnan(energy)]
    if len(valid) >= 4:
        q1, median, q3 = np.percentile(valid, [25, 50, 75])
        limit = median + 3 * (q3 - q1)
        extreme = int((valid > limit).sum())
        if extreme:
            issues.append(
                Issue(
                    IssueCode.EXTREME_USAGE,
                    "2.3.6",
                    f"{extreme} values above median + 3 IQR ({limit:.4g}): review them",
                    False,
                    {"count": extreme, "limit": float(limit), "maximum": float(valid.max())},
                )
            )
    return energy, issues


# ------------------------------------------------------------------ sufficiency


def span_issues(span_days: int, first_period_days: int) -> list[Issue]:
    """A baseline is the 365 days before the intervention (§2.2.1.1, §3.1.3): shorter than the
    365 days less the 37 that may be missing, or so long that a whole first period could go
    and still leave more than a year, it is refused."""
    issues = []
    if span_days < YEAR_DAYS - MISSING_DAYS_ALLOWED:
        issues.append(
            Issue(
                IssueCode.BASELINE_TOO_SHORT,
                "2.2.1.1",
                f"the baseline spans {span_days} days; the method needs 365 days with at most "
                f"{MISSING_DAYS_ALLOWED} missing",
                True,
                {"span_days": span_days, "required_days": YEAR_DAYS},
            )
        )
    if span_days - first_period_days > YEAR_DAYS:
        issues.append(
            Issue(
                IssueCode.BASELINE_TOO_LONG,
                "3.1.3",
                f"the baseline spans {span_days} days; the method fits the 365 days just before "
                "the intervention (at most 12 months)",
                True,
                {"span_days": span_days, "maximum_days": YEAR_DAYS},
            )
        )
    return issues


def missing_days_issue(valid_days: int, span_days: int) -> list[Issue]:
    """At most 37 of the baseline's 365 days may lack usage or temperature (§2.2.1.2)."""
    missing = max(span_days, YEAR_DAYS) - valid_days
    if missing <= MISSING_DAYS_ALLOWED:
        return []
    return [
        Issue(
            IssueCode.TOO_MANY_MISSING_DAYS,
            "2.2.1.2",
            f"{missing} of the baseline's days lack usage or temperature; at most "
            f"{MISSING_DAYS_ALLOWED} may",
            True,
            {"valid_days": valid_days, "missing_days": missing, "allowed": MISSING_DAYS_ALLOWED},
        )
    ]


def month_coverage_issues(temperature_ok: pd.Series) -> list[Issue]:
    """Each calendar month of the baseline needs a temperature on 90 % of its days (the
    per-month coverage of §2.2.1.2, as OpenEEmeter's sufficiency criteria apply it to daily
    and billing baselines)."""
    months = pd.DatetimeIndex(temperature_ok.index).to_period("M")
    by_month = temperature_ok.groupby(months).mean()
    low = by_month[by_month < MONTH_TEMPERATURE_COVERAGE]
    return [
        Issue(
            IssueCode.MONTH_TEMPERATURE_COVERAGE_LOW,
            "2.2.1.2",
            f"{month}: temperature on {100 * share:.0f}% of its days; each month needs 90%",
            True,
            {"month": str(month), "coverage": float(share)},
        )
        for month, share in low.items()
    ]


def day_temperature_issue(missing: int) -> list[Issue]:
    if not missing:
        return []
    return [
        Issue(
            IssueCode.DAY_TEMPERATURE_MISSING,
            "2.2.2.3",
            f"{missing} days without a daily mean temperature (half their hours or more "
            "missing) are left out",
            False,
            {"days": missing},
        )
    ]


def infer_cycle(days: np.ndarray, cycle: Cycle) -> Literal["monthly", "bimonthly"]:
    if cycle != "auto":
        return cycle
    return "bimonthly" if float(np.median(days)) > LONGEST_PERIOD["monthly"] else "monthly"


@dataclass
class _Bill:
    start: pd.Timestamp
    end: pd.Timestamp
    days: int
    energy: float
    estimated: bool
    estimated_days: int = 0


def _bills(frame: pd.DataFrame) -> list[_Bill]:
    return [
        _Bill(pd.Timestamp(a), pd.Timestamp(b), int(d), float(e), bool(x), int(m))
        for a, b, d, e, x, m in zip(
            frame["start"],
            frame["end"],
            frame["days"],
            frame["energy"],
            frame["estimated"],
            frame["estimated_days"],
            strict=True,
        )
    ]


def _frame(bills: list[_Bill]) -> pd.DataFrame:
    columns = ["start", "end", "days", "energy", "estimated", "estimated_days"]
    return pd.DataFrame([[getattr(b, c) for c in columns] for b in bills], columns=columns)


def combine_estimated(bills: pd.DataFrame) -> tuple[pd.DataFrame, list[Issue]]:
    """An estimated read is added to the next period when the two are contiguous and span at
    most 70 days, and dropped otherwise (§2.2.3.1, §3.5.5.1); its days are recorded in
    `estimated_days`, as they count as missing for sufficiency."""
    out: list[_Bill] = []
    issues: list[Issue] = []
    carry: _Bill | None = None
    for bill in _bills(bills):
        if carry is not None:
            combined = (bill.end - carry.start).days
            if carry.end == bill.start and combined <= COMBINED_PERIOD_LIMIT:
                issues.append(_estimated_issue(carry, combined, dropped=False))
                bill.start, bill.days = carry.start, combined
                bill.energy += carry.energy
                bill.estimated_days += carry.days
            else:
                issues.append(_estimated_issue(carry, combined, dropped=True))
        carry = bill if bill.estimated else None
        if carry is None:
            out.append(bill)
    if carry is not None:
        issues.append(_estimated_issue(carry, carry.days, dropped=True))
    return _frame(out), issues


def _estimated_issue(bill: _Bill, days: int, dropped: bool) -> Issue:
    start = f"{bill.start:%Y-%m-%d}"
    if dropped:
        return Issue(
            IssueCode.ESTIMATED_READ_DROPPED,
            "2.2.3.1",
            f"estimated read of the period from {start} left out: no following read "
            f"within {COMBINED_PERIOD_LIMIT} days to add it to",
            False,
            {"start": start, "days": days},
        )
    return Issue(
        IssueCode.ESTIMATED_READ_COMBINED,
        "2.2.3.1",
        f"estimated read of the period from {start} added to the next period "
        f"({days} days together); its days count as missing",
        False,
        {"start": start, "days": days},
    )


def period_length_issues(
    bills: pd.DataFrame, cycle: Literal["monthly", "bimonthly"]
) -> tuple[pd.Series, list[Issue]]:
    """Baseline periods shorter than 25 days (off-cycle reads, §2.2.3.4) or longer than 35
    (monthly) or 70 (bimonthly) days (§2.2.3.5) are dropped; the mask keeps the rest."""
    longest = LONGEST_PERIOD[cycle]
    keep = (bills["days"] >= SHORTEST_PERIOD) & (bills["days"] <= longest)
    issues = []
    for _, row in bills[~keep].iterrows():
        short = row["days"] < SHORTEST_PERIOD
        issues.append(
            Issue(
                IssueCode.PERIOD_TOO_SHORT if short else IssueCode.PERIOD_TOO_LONG,
                "2.2.3.4" if short else "2.2.3.5",
                f"the billing period from {pd.Timestamp(row['start']):%Y-%m-%d} spans "
                f"{row['days']} days, "
                + (f"under {SHORTEST_PERIOD}" if short else f"over {longest} ({cycle} bills)")
                + "; it is left out",
                False,
                {"start": f"{pd.Timestamp(row['start']):%Y-%m-%d}", "days": int(row["days"])},
            )
        )
    return keep, issues


def combine_off_cycle(bills: pd.DataFrame) -> pd.DataFrame:
    """Reporting periods under 25 days are added to the next period up to 70 days together
    (§3.5.5.3)."""
    out: list[_Bill] = []
    for bill in _bills(bills):
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.days < SHORTEST_PERIOD
            and previous.end == bill.start
            and previous.days + bill.days <= COMBINED_PERIOD_LIMIT
        ):
            bill.start, bill.days = previous.start, previous.days + bill.days
            bill.energy += previous.energy
            bill.estimated_days += previous.estimated_days
            out[-1] = bill
        else:
            out.append(bill)
    return _frame(out)


def period_temperature_issue(start: pd.Timestamp, coverage: float) -> Issue:
    return Issue(
        IssueCode.PERIOD_TEMPERATURE_COVERAGE_LOW,
        "2.2.3.2",
        f"the billing period from {start:%Y-%m-%d} has temperatures for "
        f"{100 * coverage:.0f}% of its hours (90% needed); it is left out",
        False,
        {"start": f"{start:%Y-%m-%d}", "coverage": float(coverage)},
    )


def disqualified(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.disqualifying]
