"""Alert rules on a meter's energy, demand, specific energy or any metric: validated when
written, evaluated on new data with one alert per episode, acknowledged and resolved with notes.

A rule watches from the moment it is made (or switched back on): it never raises alerts for the
history before it. What it would have raised there is a back-test (tools/alert_backtest.py),
which reports episodes and stores nothing."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field
from sqlalchemy import Connection, delete, insert, select, update

from common.errors import EMSError, UnknownSeries
from store import catalog, queries
from store.schema import Alert, AlertRule
from tools import resolve
from tools.base import ToolContext, ToolInput, ToolResult, tool

Condition = Literal[">", ">=", "<", "<="]
Target = Literal["energy", "demand", "sec", "metric"]
WINDOWS = {"15min": 900, "hour": 3600, "day": 86400}
UNITS = {"energy": "kWh", "demand": "kW", "sec": "kWh/unit"}
HYSTERESIS = 0.05  # an episode ends once the value is 5 % back inside the threshold ...
CLEAR_WINDOWS = 2  # ... for this many windows in a row
RECENT_DAYS = 90  # the stretch of history a proposed rule's threshold is set beside
# A threshold ten times beyond the highest value seen (or under the lowest by the same factor)
# is out of the meter's range, most often a unit slip (5 MW typed for 5 kW); one nearer may be
# meant (a trip threshold under the lowest running load, a guard against a runaway).
WIDE_MARGIN = 10.0


class InvalidRule(EMSError):
    """An alert rule that cannot be stored: unknown meter, wrong unit, impossible threshold."""


class NotAllowed(EMSError):
    """A write attempted without the operator role."""


class RuleInput(ToolInput):
    meter: str = Field(description="Meter name or alias the rule watches.")
    target: Target = Field(
        description="'energy' (kWh per window), 'demand' (average kW over the window), 'sec' "
        "(kWh per unit produced over the window) or 'metric' (another metric: its total over "
        "the window when it adds up, a volume; else its average, a temperature)."
    )
    condition: Condition = Field(description="Comparison with the threshold: >, >=, < or <=.")
    threshold: float = Field(description="Threshold value, in `unit`.")
    unit: str = Field(description="Unit of the threshold: kWh, kW, kWh/unit, or the metric's.")
    window: Literal["15min", "hour", "day"] = Field(
        default="15min", description="Window the value is computed over."
    )
    for_minutes: int = Field(
        default=0,
        ge=0,
        le=7 * 24 * 60,
        description="How long the condition must hold, in windows in a row, before an alert "
        "opens: 30 for 'above 500 kW for 30 minutes'. 0 alerts on the first window.",
    )
    metric: str | None = Field(default=None, description="For target 'metric': which metric.")
    severity: Literal["info", "warning", "critical"] = Field(
        default="warning", description="How urgent an alert from this rule is."
    )
    channel: str | None = Field(
        default=None, description="Where alerts go, e.g. a Slack channel '#energy'."
    )
    name: str | None = Field(default=None, description="A short name; generated if omitted.")


class RuleReach(ToolResult):
    """The highest (a rule on going above) or lowest (on going below) value a rule's quantity
    took over the meter's recent history, at the rule's window, beside its threshold."""

    meter: str
    quantity: str = Field(description="what the rule watches: demand, energy, sec or a metric")
    window: str
    unit: str
    condition: str
    threshold: float
    days: int = Field(description="the stretch of history looked at, in days before now")
    windows: int = Field(description="complete windows of data in that stretch")
    extreme: Literal["highest", "lowest"]
    value: float | None = Field(description="the highest or lowest value; None without data")
    at: str | None = Field(default=None, description="start of the window it was seen in")
    held: int = Field(description="windows in which the condition would have held")
    out_of_range: bool = Field(
        description="the threshold is beyond anything seen by a wide margin: the rule would "
        "never have fired, and its unit may be wrong"
    )


class RuleOut(ToolResult):
    id: int
    name: str
    meter: str
    target: str
    condition: str
    threshold: float
    unit: str
    window: str
    for_minutes: int = 0
    severity: str
    channel: str | None
    enabled: bool
    active_from: str | None = Field(
        default=None, description="first window the rule watches; alerts never start before it"
    )
    reach: RuleReach | None = Field(
        default=None, description="how far the watched value went lately, beside the threshold"
    )


class RuleList(ToolResult):
    rules: list[RuleOut]


def _require_operator(ctx: ToolContext) -> None:
    if ctx.role not in ("operator", "admin"):
        raise NotAllowed(
            f"changing alert rules needs the operator role; {ctx.user} is a {ctx.role}"
        )


def _unit_for(ctx: ToolContext, args: RuleInput) -> tuple[str, str]:
    """The unit values of this rule are computed in, and the metric they come from."""
    if args.target == "metric":
        if not args.metric:
            raise InvalidRule(
                "target 'metric' needs the metric to watch, e.g. 'outdoor_temperature'"
            )
        series = resolve.targets(ctx, [args.meter], args.metric)[0].series
        return series.unit, series.metric
    resolve.targets(ctx, [args.meter], "energy")
    return UNITS[args.target], "energy"


def validate_rule(ctx: ToolContext, args: RuleInput) -> str:
    """Check a rule against the store and physics; returns the meter's canonical name."""
    if not math.isfinite(args.threshold):
        raise InvalidRule(f"threshold {args.threshold} is not a number")
    meter = resolve.meter(ctx, args.meter)
    expected_unit, _ = _unit_for(ctx, args)
    if args.unit.strip().lower() != expected_unit.lower():
        raise InvalidRule(
            f"a {args.target} rule on {meter.name} is compared in {expected_unit}, "
            f"but the threshold is in {args.unit}"
        )
    if args.target == "sec":
        resolve.production(ctx, meter)  # a rule needs to know whose output divides the energy
    if args.for_minutes % (WINDOWS[args.window] // 60):
        raise InvalidRule(
            f"the condition is checked per {args.window} window, so it can hold for whole "
            f"windows only; {args.for_minutes} minutes is not a multiple of the window"
        )
    if args.target in ("energy", "demand", "sec"):
        what = f"{args.target} {args.condition} {args.threshold:g} {expected_unit}"
        if args.threshold < 0:
            raise InvalidRule(
                f"{what}: {args.target} is never negative, so the threshold is impossible"
            )
        if args.condition == "<" and args.threshold == 0:
            raise InvalidRule(f"{what} can never be true")
        if args.condition == ">=" and args.threshold == 0:
            raise InvalidRule(f"{what} is always true; the alert would never clear")
    return meter.name


_RULE_COLUMNS = (
    AlertRule.id,
    AlertRule.name,
    AlertRule.meter_id,
    AlertRule.target,
    AlertRule.condition,
    AlertRule.threshold,
    AlertRule.unit,
    AlertRule.window_s,
    AlertRule.min_duration_s,
    AlertRule.severity,
    AlertRule.channel,
    AlertRule.enabled,
    AlertRule.active_from_ts,
)


def _rules(
    conn: Connection, site_id: int, rule_id: int | None = None, tz: str = "UTC"
) -> list[RuleOut]:
    names = {m.id: m.name for m in catalog.list_meters(conn, site_id)}
    stmt = select(*_RULE_COLUMNS).where(AlertRule.site_id == site_id).order_by(AlertRule.id)
    if rule_id is not None:
        stmt = stmt.where(AlertRule.id == rule_id)
    windows = {v: k for k, v in WINDOWS.items()}
    return [
        RuleOut(
            id=r.id,
            name=r.name,
            meter=names.get(r.meter_id, "?"),
            target=r.target,
            condition=r.condition,
            threshold=r.threshold,
            unit=r.unit,
            window=windows.get(r.window_s, f"{r.window_s}s"),
            for_minutes=(r.min_duration_s or 0) // 60,
            severity=r.severity,
            channel=r.channel,
            enabled=r.enabled,
            active_from=local_iso(r.active_from_ts, tz) if r.active_from_ts is not None else None,
        )
        for r in conn.execute(stmt)
    ]


def _target_key(args: RuleInput) -> str:
    return f"metric:{args.metric}" if args.target == "metric" else args.target


def draft_rule(args: RuleInput, meter: str) -> RuleOut:
    """The rule `args` describe on `meter`, not stored (id 0): what back-tests evaluate."""
    return RuleOut(
        id=0,
        name=f"{meter} {args.target} {args.condition} {args.threshold:g} {args.unit}",
        meter=meter,
        target=_target_key(args),
        condition=args.condition,
        threshold=args.threshold,
        unit=args.unit.strip(),
        window=args.window,
        for_minutes=args.for_minutes,
        severity=args.severity,
        channel=args.channel,
        enabled=True,
    )


def out_of_range(condition: str, threshold: float, value: float) -> bool:
    """The threshold lies beyond `value` (the highest seen, or the lowest) by a wide margin.
    Judged as a ratio, so only for values that are never negative on the side watched."""
    if condition in (">", ">="):
        return threshold > 0 and (value <= 0 or threshold >= WIDE_MARGIN * value)
    return value > 0 and threshold <= value / WIDE_MARGIN


def rule_reach(ctx: ToolContext, args: RuleInput, meter: str | None = None) -> RuleReach:
    """How far the value a rule watches went over the last RECENT_DAYS days, at its window;
    `meter` when the rule was validated already (its meter's name)."""
    meter = meter or validate_rule(ctx, args)
    hi = int(ctx.now.timestamp())
    values = window_values(ctx, draft_rule(args, meter), hi - RECENT_DAYS * 86400, hi)
    above = args.condition in (">", ">=")
    value, at = None, None
    if len(values):
        starts, seen = values.index.to_numpy(np.int64), values.to_numpy(float)
        i = int(seen.argmax() if above else seen.argmin())
        value, at = float(seen[i]), local_iso(int(starts[i]), ctx.site.timezone)
    held = sum(holds(args.condition, float(v), args.threshold) for v in values)
    return RuleReach(
        meter=meter,
        quantity=args.metric if args.target == "metric" and args.metric else args.target,
        window=args.window,
        unit=args.unit.strip(),
        condition=args.condition,
        threshold=args.threshold,
        days=RECENT_DAYS,
        windows=len(values),
        extreme="highest" if above else "lowest",
        value=value,
        at=at,
        held=held,
        out_of_range=value is not None
        and held == 0
        and out_of_range(args.condition, args.threshold, value),
    )


@tool(RuleInput, writes=True, preview=rule_reach)
def create_alert_rule(ctx: ToolContext, args: RuleInput) -> RuleOut:
    """Create an alert rule, e.g. "alert me when a line's SEC passes 0.42 kWh/unit" or "when the
    site's demand exceeds 1200 kW". It watches from now on (backtest_alert_rule shows what it
    would have raised before). Needs the operator role and the user's explicit confirmation.
    Unknown meters, units that do not fit and impossible thresholds are refused."""
    _require_operator(ctx)
    meter_name = validate_rule(ctx, args)
    reach = rule_reach(ctx, args, meter_name)
    name = args.name or draft_rule(args, meter_name).name
    with ctx.engine.begin() as conn:
        meter = catalog.resolve_meter(conn, ctx.site.id, meter_name)
        rule_id = conn.execute(
            insert(AlertRule)
            .values(
                site_id=ctx.site.id,
                name=name,
                meter_id=meter.id,
                target=_target_key(args),
                condition=args.condition,
                threshold=args.threshold,
                unit=args.unit.strip(),
                window_s=WINDOWS[args.window],
                min_duration_s=60 * args.for_minutes,
                severity=args.severity,
                channel=args.channel,
                created_by=ctx.user,
                active_from_ts=int(ctx.now.timestamp()),
            )
            .returning(AlertRule.id)
        ).scalar_one()
        made = _rules(conn, ctx.site.id, rule_id, ctx.site.timezone)[0]
    return made.model_copy(update={"reach": reach})


class ListRulesInput(ToolInput):
    meter: str | None = Field(default=None, description="Only rules on this meter.")


@tool(ListRulesInput)
def list_alert_rules(ctx: ToolContext, args: ListRulesInput) -> RuleList:
    """List the site's alert rules with their meter, condition, threshold and window."""
    with ctx.engine.connect() as conn:
        rules = _rules(conn, ctx.site.id, tz=ctx.site.timezone)
    if args.meter:
        name = resolve.meter(ctx, args.meter).name
        rules = [r for r in rules if r.meter == name]
    return RuleList(rules=rules)


class RuleChange(ToolInput):
    rule_id: int = Field(description="Id of the rule to change.")
    threshold: float | None = Field(default=None, description="New threshold, same unit.")
    condition: Condition | None = Field(default=None, description="New comparison.")
    severity: Literal["info", "warning", "critical"] | None = Field(
        default=None, description="New severity."
    )
    enabled: bool | None = Field(default=None, description="Switch the rule on or off.")
    delete: bool = Field(default=False, description="Delete the rule and its alerts instead.")


@tool(RuleChange, writes=True)
def update_alert_rule(ctx: ToolContext, args: RuleChange) -> RuleList:
    """Change or delete an alert rule by id (threshold, condition, severity, on/off). Needs the
    operator role and the user's explicit confirmation."""
    _require_operator(ctx)
    with ctx.engine.begin() as conn:
        found = _rules(conn, ctx.site.id, args.rule_id)
        if not found:
            raise InvalidRule(f"no alert rule with id {args.rule_id}; list_alert_rules shows them")
        rule = found[0]
        if args.delete:
            conn.execute(delete(AlertRule).where(AlertRule.id == rule.id))
            return RuleList(rules=[])
        target, _, metric = rule.target.partition(":")
        proposed = RuleInput.model_validate(
            {
                "meter": rule.meter,
                "target": target,
                "metric": metric or None,
                "condition": args.condition or rule.condition,
                "threshold": rule.threshold if args.threshold is None else args.threshold,
                "unit": rule.unit,
                "window": rule.window,
            }
        )
        validate_rule(ctx, proposed)
        changes = {
            k: v for k, v in args.model_dump(exclude={"rule_id", "delete"}).items() if v is not None
        }
        if args.enabled and not rule.enabled:
            # Switched back on: it watches from now, not the weeks it was off.
            changes["active_from_ts"] = int(ctx.now.timestamp())
        conn.execute(
            update(AlertRule)
            .where(AlertRule.id == rule.id)
            .values(**changes, updated_at=ctx.now.astimezone(UTC))
        )
        return RuleList(rules=_rules(conn, ctx.site.id, rule.id, ctx.site.timezone))


# ------------------------------------------------------------------ evaluation


class AlertOut(ToolResult):
    id: int
    rule_id: int
    rule: str
    meter: str
    severity: str
    start: str
    end: str | None = Field(description="when the condition cleared; None while it holds")
    peak_value: float
    unit: str
    state: str = Field(description="open, acknowledged or resolved")
    note: str | None


def holds(condition: str, value: float, threshold: float) -> bool:
    """Whether `value` is beyond `threshold` in the rule's `condition`."""
    return {
        ">": value > threshold,
        ">=": value >= threshold,
        "<": value < threshold,
        "<=": value <= threshold,
    }[condition]


def _cleared(condition: str, value: float, threshold: float) -> bool:
    """Back inside the threshold by the hysteresis margin, so an alert does not flap."""
    margin = HYSTERESIS * abs(threshold)
    if condition in (">", ">="):
        return value < threshold - margin if threshold else value <= 0
    return value > threshold + margin


def window_values(ctx: ToolContext, rule: RuleOut, lo: int, hi: int) -> pd.Series:
    """The rule's value per complete window in [lo, hi), indexed by window start."""
    window_s = WINDOWS[rule.window]
    target, _, metric = rule.target.partition(":")
    with ctx.engine.connect() as conn:
        site_series = catalog.list_series(conn, ctx.site.id)
        own = {s.metric: s.id for m, s in site_series if m.name == rule.meter}
        sid = own.get(metric or "energy")
        if sid is None:
            raise UnknownSeries(f"meter {rule.meter} no longer has a {metric or 'energy'} series")
        frame = queries.rollups(conn, [sid], window_s, lo, hi, tz=ctx.site.timezone)
        values = frame.set_index("bucket")
        if target == "sec":
            meter = next(m for m, s in site_series if s.id == sid)
            made = list(resolve.production(ctx, meter).series_ids)
            prod = queries.rollups(conn, made, window_s, lo, hi, tz=ctx.site.timezone)
            units = prod.groupby("bucket")["sum"].sum().reindex(values.index)
            series = (values["sum"] / units.where(units > 0)).dropna()
        elif target == "demand":
            series = values["sum"] / (window_s / 3600)
        elif target == "energy":
            series = values["sum"]
        elif next(s.additive for _, s in site_series if s.id == sid):
            series = values["sum"]  # a volume adds up over the window, as energy does
        else:
            series = values["sum"] / values["n"]  # a level (a temperature) is averaged
    complete = series.index.to_numpy(np.int64) + window_s <= hi
    return series[complete]


@dataclass
class Episode:
    """One stretch in which a rule's condition held: from its first window to the start of the
    windows that cleared it (None while it holds), with its worst value."""

    start: int
    peak: float
    end: int | None = None
    alert_id: int | None = None  # the stored alert it continues


def _worse(condition: str, value: float, peak: float) -> bool:
    return value > peak if condition in (">", ">=") else value < peak


def _worst(condition: str, values: Iterable[float]) -> float:
    return max(values) if condition in (">", ">=") else min(values)


def _held(
    run: list[tuple[int, float]], start: int, value: float, step: int
) -> list[tuple[int, float]]:
    """The windows in a row that hold, `(start, value)` added to `run` when it follows on."""
    if run and run[-1][0] + step == start:
        return [*run, (start, value)]
    return [(start, value)]


def episodes(
    windows: Iterable[tuple[int, float]],
    condition: str,
    threshold: float,
    since: int,
    current: Episode | None = None,
    *,
    needed: int = 1,
    step: int = 0,
) -> list[Episode]:
    """The episodes in a rule's window values (start, value), in time order: `current` (an
    episode still open) carried on, and new ones whose condition has held for `needed` windows
    of `step` seconds in a row by a window at or after `since` (an episode starts at the first
    of them). Pure: the same scan serves the evaluation that stores alerts and the back-test
    that stores nothing."""
    found = [current] if current is not None else []
    clears, clear_start = 0, None
    run: list[tuple[int, float]] = []  # the windows in a row that hold, before an episode opens
    for start, value in windows:
        if current is None:
            beyond = holds(condition, value, threshold)
            run = _held(run, int(start), float(value), step) if beyond else []
            if len(run) >= needed and start >= since:
                current = Episode(run[0][0], _worst(condition, (v for _, v in run)))
                found.append(current)
                run = []
            continue
        if _worse(condition, value, current.peak):
            current.peak = float(value)
        if _cleared(condition, value, threshold):
            clears, clear_start = clears + 1, clear_start or int(start)
            if clears >= CLEAR_WINDOWS:
                current.end = clear_start
                current, clears, clear_start = None, 0, None
        else:
            clears, clear_start = 0, None
    return found


def needed_windows(rule: RuleOut) -> int:
    """How many windows in a row the condition must hold before an alert opens."""
    return max(1, rule.for_minutes * 60 // WINDOWS[rule.window])


def evaluate_rules(ctx: ToolContext, since: int, until: int) -> list[AlertOut]:
    """Evaluate every enabled rule on the windows in [since, until) that it watches (none
    before it was made or switched on); returns alerts opened or changed. Restart-safe and
    idempotent: an open episode is re-read from its start, and an episode already stored is
    never stored twice."""
    changed: list[int] = []
    with ctx.engine.connect() as conn:
        rules = [r for r in _rules(conn, ctx.site.id) if r.enabled]
        starts = dict(conn.execute(select(AlertRule.id, AlertRule.active_from_ts)).all())
    for rule in rules:
        watched_from = max(since, int(starts.get(rule.id) or since))
        if watched_from >= until:
            continue
        with ctx.engine.begin() as conn:
            changed += _evaluate_rule(ctx, conn, rule, watched_from, until, starts.get(rule.id))
    return [a for a in list_alerts(ctx, {"state": "all"}).alerts if a.id in changed]


def _evaluate_rule(
    ctx: ToolContext,
    conn: Connection,
    rule: RuleOut,
    since: int,
    until: int,
    active_from: int | None = None,
) -> list[int]:
    open_alert = conn.execute(
        select(Alert.id, Alert.start_ts, Alert.peak_value)
        .where(Alert.rule_id == rule.id, Alert.end_ts.is_(None))
        .order_by(Alert.start_ts.desc())
    ).first()
    current = None
    if open_alert is not None:
        peak = float(open_alert.peak_value)
        current = Episode(int(open_alert.start_ts), peak, alert_id=int(open_alert.id))
    step, needed = WINDOWS[rule.window], needed_windows(rule)
    # A run that began before `since` still counts towards the persistence, but not one from
    # before the rule watched.
    lo = since - (needed - 1) * step
    if active_from is not None:
        lo = min(max(lo, active_from), since)
    if current is not None:
        lo = min(lo, current.start)
    values = window_values(ctx, rule, lo, until)
    windows = zip(
        values.index.to_numpy(np.int64).tolist(), values.to_numpy(float).tolist(), strict=True
    )
    stored_peak = current.peak if current else None
    touched = []
    scan = episodes(
        windows, rule.condition, rule.threshold, since, current, needed=needed, step=step
    )
    for episode in scan:
        if episode.alert_id is not None and (episode.peak, episode.end) == (stored_peak, None):
            continue  # the open episode goes on as it was
        alert_id = episode.alert_id or _open(conn, rule.id, episode.start, episode.peak)
        conn.execute(
            update(Alert)
            .where(Alert.id == alert_id)
            .values(peak_value=episode.peak, end_ts=episode.end)
        )
        touched.append(alert_id)
    return touched


def _open(conn: Connection, rule_id: int, start: int, value: float) -> int:
    existing = conn.execute(
        select(Alert.id).where(Alert.rule_id == rule_id, Alert.start_ts == start)
    ).scalar_one_or_none()
    if existing is not None:
        return int(existing)
    return int(
        conn.execute(
            insert(Alert)
            .values(rule_id=rule_id, start_ts=start, peak_value=value, state="open")
            .returning(Alert.id)
        ).scalar_one()
    )


class AlertsInput(ToolInput):
    state: Literal["open", "acknowledged", "resolved", "active", "all"] = Field(
        default="active",
        description="'active' (open or acknowledged), 'open', 'acknowledged', 'resolved' or 'all'.",
    )


class AlertList(ToolResult):
    alerts: list[AlertOut]


@tool(AlertsInput)
def list_alerts(ctx: ToolContext, args: AlertsInput) -> AlertList:
    """List alerts raised by the site's alert rules, newest first, with their peak value and
    whether the condition still holds."""
    states = {"active": ("open", "acknowledged"), "all": ("open", "acknowledged", "resolved")}
    wanted = states.get(args.state, (args.state,))
    tz = ctx.site.timezone
    with ctx.engine.connect() as conn:
        rules = {r.id: r for r in _rules(conn, ctx.site.id)}
        rows = conn.execute(
            select(
                Alert.id,
                Alert.rule_id,
                Alert.start_ts,
                Alert.end_ts,
                Alert.peak_value,
                Alert.state,
                Alert.note,
            )
            .where(Alert.rule_id.in_(list(rules)), Alert.state.in_(wanted))
            .order_by(Alert.start_ts.desc())
        ).all()
    return AlertList(
        alerts=[
            AlertOut(
                id=r.id,
                rule_id=r.rule_id,
                rule=rules[r.rule_id].name,
                meter=rules[r.rule_id].meter,
                severity=rules[r.rule_id].severity,
                start=local_iso(r.start_ts, tz),
                end=local_iso(r.end_ts, tz) if r.end_ts is not None else None,
                peak_value=r.peak_value,
                unit=rules[r.rule_id].unit,
                state=r.state,
                note=r.note,
            )
            for r in rows
        ]
    )


def local_iso(ts: int, tz: str) -> str:
    return pd.Timestamp(int(ts), unit="s", tz="UTC").tz_convert(tz).isoformat()


class AlertAction(ToolInput):
    alert_id: int = Field(description="Id of the alert.")
    action: Literal["acknowledge", "resolve"] = Field(description="'acknowledge' or 'resolve'.")
    note: str | None = Field(default=None, description="What was found or done.")


@tool(AlertAction, writes=True)
def update_alert(ctx: ToolContext, args: AlertAction) -> AlertOut:
    """Acknowledge or resolve an alert, with a note of what was found or done. Needs the
    operator role and the user's explicit confirmation."""
    _require_operator(ctx)
    state = "acknowledged" if args.action == "acknowledge" else "resolved"
    with ctx.engine.begin() as conn:
        rules = {r.id for r in _rules(conn, ctx.site.id)}
        found = conn.execute(
            select(Alert.rule_id).where(Alert.id == args.alert_id)
        ).scalar_one_or_none()
        if found is None or found not in rules:
            raise InvalidRule(f"no alert with id {args.alert_id} at {ctx.site.name}")
        conn.execute(
            update(Alert)
            .where(Alert.id == args.alert_id)
            .values(state=state, note=args.note, acknowledged_by=ctx.user)
        )
    return next(a for a in list_alerts(ctx, {"state": "all"}).alerts if a.id == args.alert_id)
