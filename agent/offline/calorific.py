"""A calorific value the user states ("a calorific value of 10,83 kWh per m³"): given to the
tools that convert gas volumes with one, and echoed from what the tools used; said not used
where no figure of the answer converts a gas volume with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from agent.offline.plan import Plan, Question
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
    if not stated:
        return []
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
