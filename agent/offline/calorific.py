"""A calorific value the user states ("a calorific value of 10,83 kWh per m³"): given to the
tools that convert gas volumes with one, and echoed from what the tools used; said not used
where no figure of the answer converts a gas volume with it. And the other way: the m³ of gas
asked of a gas meter metered in kWh, its energy divided by the calorific value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from agent.offline.plan import Plan, Question
from agent.reader import Reading, Reason
from agent.reader.slots import MeasureMention, UnsupportedMention
from tools.base import ToolResult
from tools.query import QueryResult
from tools.resolve import STATED


def calorific(q: Question) -> float | None:
    """The kWh per m3 of gas: the one the question states, else the site catalogue's."""
    stated = q.reading.calorific_values
    return stated[0].kwh_per_m3 if stated else q.site.calorific_value


# Tools that take a stated calorific value, and the argument that carries it.
CALORIFIC_ARG = {"query_metric": "calorific_value_kwh_per_m3"}


def with_calorific(q: Question, plan: Plan) -> Plan:
    """A stated calorific value ("we use 10,83 kWh per m³") given to every call that can
    convert gas volumes with one; whether a figure was converted with it is the tools' to
    say (calorific_notes)."""
    stated = q.reading.calorific_values
    if not stated or not plan.calls or plan.outcome != "answer":
        return plan
    value = stated[0].kwh_per_m3
    calls = tuple(
        replace(c, args={**c.args, CALORIFIC_ARG[c.name]: value}) if c.name in CALORIFIC_ARG else c
        for c in plan.calls
    )
    return replace(plan, calls=calls)


def calorific_notes(q: Question, results: Sequence[ToolResult]) -> list[str]:
    """What the answer says of a stated calorific value, from what the tools converted with:
    echoed when a gas volume was converted with it, else said not used (gas read in m3 is
    then converted with the site catalogue's, where it has one)."""
    stated = q.reading.calorific_values
    if not stated or volume_asked(q) is not None:
        return []  # the m³ asked of gas metered in kWh says the value it was converted with
    said = stated[0]
    used = [
        r.calorific_value
        for r in results
        if isinstance(r, QueryResult) and r.factor_source == STATED and r.calorific_value
    ]
    if used:
        return [
            "Gas volumes are converted with the calorific value you stated: "
            f"{used[0]:g} kWh/m3 ('{said.words.text}')."
        ]
    return [
        f"I did not use '{said.words.text}': no figure of this answer converts a gas volume "
        "with a stated calorific value (gas read in m3 is converted with the site catalogue's, "
        "where it has one)."
    ]


def volume_asked(q: Question) -> UnsupportedMention | MeasureMention | None:
    """ "what's that in m³ gas?" of gas meters metered in kWh only: the volume no series of
    theirs holds, which their energy gives with a calorific value (stated, else the
    catalogue's); None when a meter asked is no gas meter, has a volume series, or no value
    is known."""
    r = q.reading
    asked: UnsupportedMention | MeasureMention | None = next(
        (u for u in r.unsupported if u.topic == "volume" and u.reason is Reason.NO_SERIES), None
    )
    asked = asked or next((m for m in r.measures if m.metric == "volume" and not m.kpi), None)
    names = r.meter_names
    if asked is None or not names or not calorific(q):
        return None
    for name in names:
        entry = q.site.meter(name)
        if entry is None or entry.carrier != "gas" or "volume" in entry.metrics:
            return None
    return asked


def without_volume(r: Reading, asked: UnsupportedMention | MeasureMention) -> Reading:
    return replace(
        r,
        unsupported=tuple(u for u in r.unsupported if u is not asked),
        measures=tuple(m for m in r.measures if m is not asked),
    )


def as_volume(q: Question, results: Sequence[ToolResult]) -> list[str]:
    """The gas energy of the answer in m³, when the question asked m³ of gas metered in kWh
    (volume_asked): the kWh divided by the calorific value, which is named with its source."""
    value = calorific(q)
    if volume_asked(q) is None or not value:
        return []
    source = "you stated" if q.reading.calorific_values else "of the site catalogue"
    lines = []
    for r in results:
        if not isinstance(r, QueryResult) or r.metric != "energy" or r.unit != "kWh":
            continue
        for t in r.totals:
            if t.value is None:
                continue
            lines.append(
                f"In m³: **{t.value / value:,.1f} m³** of gas for {t.meter}, at the calorific "
                f"value {source} ({value:g} kWh/m³). Converted from {t.value:,.1f} kWh."
            )
    return lines
