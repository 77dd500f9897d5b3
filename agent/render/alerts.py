"""Renderers of alert rules and alerts, and how a proposed change to them is put to the person
who confirms it."""

from __future__ import annotations

from typing import Any

from agent.render.base import Parts, Renderer, Row, describes, renders
from agent.render.text import number, period_label, rounded, when
from tools.alert_backtest import BacktestResult
from tools.alerts import (
    AlertAction,
    AlertList,
    AlertOut,
    RuleChange,
    RuleInput,
    RuleList,
    RuleOut,
    RuleReach,
)

RULE_COLUMNS = [
    "id",
    "name",
    "meter",
    "target",
    "condition",
    "threshold",
    "unit",
    "window",
    "for_minutes",
    "severity",
    "enabled",
]
ALERT_COLUMNS = [
    "id",
    "rule",
    "meter",
    "severity",
    "start",
    "end",
    "peak_value",
    "unit",
    "state",
    "note",
]


def rule_line(x: RuleOut) -> str:
    state = "" if x.enabled else " (disabled)"
    holds = f" for {x.for_minutes} min" if x.for_minutes else ""
    return (
        f"#{x.id} {x.meter}: {x.target} {x.condition} {x.threshold:g} {x.unit} "
        f"per {x.window}{holds}, {x.severity}{state}"
    )


def alert_line(a: AlertOut) -> str:
    end = f" to {when(a.end)}" if a.end else " (still holding)"
    return (
        f"#{a.id} {a.rule} ({a.severity}, {a.state}): peak {number(a.peak_value, a.unit)}, "
        f"{when(a.start)}{end}"
    )


def _rules_table(rules: list[RuleOut], out: Parts) -> None:
    rows: list[Row] = [[getattr(r, c) for c in RULE_COLUMNS] for r in rules]
    out.tables.append(("alert rules", [c.replace("_", " ") for c in RULE_COLUMNS], rows))


def _alerts_table(alerts: list[AlertOut], out: Parts) -> None:
    rows: list[Row] = [[rounded(getattr(a, c)) for c in ALERT_COLUMNS] for a in alerts]
    out.tables.append(("alerts", [c.replace("_", " ") for c in ALERT_COLUMNS], rows))


# a larger unit a threshold typed in it reads as, to ask whether the unit is right
_LARGER = {"kw": (1000.0, "MW"), "kwh": (1000.0, "MWh")}


def reach_line(r: RuleReach) -> str:
    """How far the watched value went lately; when the threshold is far out of that range, that
    the rule would never have fired, and whether its unit is right."""
    span = f"over the last {r.days} days"
    what = f"{_owner(r.meter)} {r.quantity} per {r.window} window"
    if r.value is None:
        return f"{what[0].upper()}{what[1:]} has no complete window of data {span}."
    word = "highest" if r.extreme == "highest" else "lowest"
    line = f"{span[0].upper()}{span[1:]}, {what} was at its {word} {number(r.value, r.unit)}"
    line += f" ({when(r.at)})." if r.at else "."
    if not r.out_of_range:
        return (
            f"{line} The value was beyond the threshold in {r.held:,} of its {r.windows:,} windows."
        )
    side = "above" if r.extreme == "highest" else "below"
    threshold = number(r.threshold, r.unit)
    line += (
        f" {threshold} is far {side} anything seen, so this rule would never have fired "
        "in that time. Is the unit right"
    )
    factor, larger = _LARGER.get(r.unit.lower(), (0.0, ""))
    if factor and abs(r.threshold) >= factor:
        line += f" ({r.threshold / factor:,g} {larger} = {threshold})"
    return line + "?"


def _owner(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


@renders(RuleReach)
class RuleReachRenderer(Renderer[RuleReach]):
    def answer(self, r: RuleReach) -> list[str]:
        return [reach_line(r)]


@renders(RuleOut)
class RuleRenderer(Renderer[RuleOut]):
    def answer(self, r: RuleOut) -> list[str]:
        made = f"Created alert rule {rule_line(r)}. I will raise an alert once per episode."
        return [made, reach_line(r.reach)] if r.reach is not None else [made]

    def evidence(self, r: RuleOut, out: Parts) -> None:
        _rules_table([r], out)


@renders(RuleList)
class RuleListRenderer(Renderer[RuleList]):
    def answer(self, r: RuleList) -> list[str]:
        if not r.rules:
            return ["No alert rules are set up."]
        return [f"{len(r.rules)} alert rule(s):", *(f"- {rule_line(x)}" for x in r.rules)]

    def subjects(self, r: RuleList) -> list[str]:
        return list(dict.fromkeys(x.meter for x in r.rules))

    def evidence(self, r: RuleList, out: Parts) -> None:
        _rules_table(r.rules, out)


@renders(AlertOut)
class AlertRenderer(Renderer[AlertOut]):
    def answer(self, r: AlertOut) -> list[str]:
        return [f"Alert {alert_line(r)}."]

    def evidence(self, r: AlertOut, out: Parts) -> None:
        _alerts_table([r], out)


@renders(AlertList)
class AlertListRenderer(Renderer[AlertList]):
    def answer(self, r: AlertList) -> list[str]:
        if not r.alerts:
            return ["There are no alerts in that state."]
        return [f"{len(r.alerts)} alert(s):", *(f"- {alert_line(a)}" for a in r.alerts)]

    def subjects(self, r: AlertList) -> list[str]:
        return list(dict.fromkeys(a.meter for a in r.alerts))

    def evidence(self, r: AlertList, out: Parts) -> None:
        _alerts_table(r.alerts, out)


@renders(BacktestResult)
class BacktestRenderer(Renderer[BacktestResult]):
    """What a rule would have raised over a past period; the answer says nothing was stored."""

    SHOWN = 10

    def answer(self, r: BacktestResult) -> list[str]:
        found = r.episodes
        back = f"{r.hysteresis_percent:g} % back inside the threshold for {r.clear_windows} windows"
        head = (
            f"Back-test of {r.rule} over {period_label(r.period)} ({r.windows} windows): "
            f"it would have raised {len(found)} alert(s) (an alert opens once the condition has "
            f"held for {r.duration_minutes} minutes and closes only after the value is {back} "
            f"in a row). Counted without that hysteresis, the value went beyond the threshold "
            f"for at least {r.duration_minutes} minutes in a row {r.runs} times. Nothing was "
            "stored."
        )
        lines = [
            f"- from {when(e.start)} to {when(e.end) if e.end else 'the end of the period'}, "
            f"worst {number(e.peak_value, r.unit)}"
            for e in found[: self.SHOWN]
        ]
        more = [f"- … {len(found) - self.SHOWN} more"] if len(found) > self.SHOWN else []
        return [head, *lines, *more, f"Source: {r.source}."]

    def evidence(self, r: BacktestResult, out: Parts) -> None:
        rows: list[Row] = [
            [e.start, e.end, rounded(e.peak_value), rounded(e.hours, 2)] for e in r.episodes
        ]
        columns = ["start", "end", f"worst ({r.unit})", "hours"]
        title = f"back-test of {r.rule}, {period_label(r.period)} (nothing stored)"
        out.tables.append((title, columns, rows))


# ------------------------------------------------------------------ proposed writes


@describes(RuleInput)
def _new_rule(args: Any) -> str:
    what = args.metric if args.target == "metric" else args.target
    holds = f", holding for at least {args.for_minutes} minutes" if args.for_minutes else ""
    line = (
        f"create an alert rule on {args.meter}: {what} {args.condition} {args.threshold:g} "
        f"{args.unit} over each {args.window} window{holds}, severity {args.severity}"
    )
    if args.channel:
        line += f", alerts to {args.channel}"
    return line


@describes(RuleChange)
def _rule_change(args: Any) -> str:
    rule = f"alert rule #{args.rule_id}"
    if args.delete:
        return f"delete {rule} and its alerts"
    changes = [
        f"{key} to {value}"
        for key, value in args.model_dump(exclude={"rule_id", "delete"}).items()
        if value is not None
    ]
    return f"change {rule}: " + (", ".join(changes) or "nothing")


@describes(AlertAction)
def _alert_action(args: Any) -> str:
    note = f" with the note {args.note!r}" if args.note else ""
    return f"{args.action} alert #{args.alert_id}{note}"
