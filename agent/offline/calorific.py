"""A calorific value the user states ("we use 10,83 kWh per m³"): given to the tools that
convert gas volumes with one, and echoed; said not used where no tool of the answer takes it."""

from __future__ import annotations

from dataclasses import replace

from agent.offline.plan import Plan, Question


def calorific(q: Question) -> float | None:
    """The kWh per m3 of gas: the one the question states, else the site catalogue's."""
    stated = q.reading.calorific_values
    return stated[0].kwh_per_m3 if stated else q.site.calorific_value


# Tools that take a stated calorific value, and the argument that carries it.
CALORIFIC_ARG = {"query_metric": "calorific_value_kwh_per_m3"}


def with_calorific(q: Question, plan: Plan) -> Plan:
    """A stated calorific value ("we use 10,83 kWh per m³") given to every call that
    converts gas volumes with one, and echoed; when no call of the answer takes it, the answer
    says it was not used, rather than converting with the site's value silently."""
    stated = q.reading.calorific_values
    if not stated or not plan.calls or plan.outcome != "answer":
        return plan
    said = stated[0]
    calls = tuple(
        replace(c, args={**c.args, CALORIFIC_ARG[c.name]: said.kwh_per_m3})
        if c.name in CALORIFIC_ARG
        else c
        for c in plan.calls
    )
    gas = [m for c in calls for m in c.args.get("meters", ()) if q.site.carrier(m) == "gas"]
    if any(c.name in CALORIFIC_ARG for c in calls) and gas:
        note = (
            "Gas volumes are converted with the calorific value you stated: "
            f"{said.kwh_per_m3:g} kWh/m3 ('{said.words.text}')."
        )
    else:
        note = (
            f"I did not use '{said.words.text}': no figure of this answer converts a gas "
            "volume with a stated calorific value (gas read in m3 is converted with the site "
            "catalogue's, where it has one)."
        )
    return replace(plan, calls=calls, notes=(*plan.notes, note))
