"""A floor area the question states ("over the site's 14,200 m²") held against the one the
intensity is worked out over (the catalogue's): the same, and the answer names it; another, or
no intensity asked, and the question is asked back rather than the area left unused."""

from __future__ import annotations

from agent.offline.plan import Call, Plan, Question, ask, refuse
from agent.reader.slots import FloorArea

SAME_M2 = 0.5  # written areas are whole square metres


def stated_area(q: Question, decided: Plan) -> Plan | None:
    """The question back when a stated floor area is not the one the plan's figures use."""
    r = decided.reading or q.reading
    if not r.floor_areas or not decided.calls:
        return None
    stated = r.floor_areas[0]
    over = [c for c in decided.calls if _intensity(c)]
    if not over:
        return ask(
            f"I did not give a figure: I could not use '{stated.words.text}' of your question. "
            "A floor area is used for an energy intensity (kWh per m²); ask for that, or "
            "leave the area out."
        )
    for call in over:
        used = _area_used(q, call)
        if used is None or not _same(stated, used):
            return ask(_other_area(q, stated, call, used))
    return None


def _intensity(call: Call) -> bool:
    return call.name == "compute_kpi" and call.args.get("kpi") == "intensity"


def _area_used(q: Question, call: Call) -> float | None:
    """Meters together are over the site's floor area; one meter over its own, else the
    site's (see tools/kpi.py)."""
    areas = q.site.floor_areas
    if call.args.get("with_meters"):
        return areas.get("")
    return areas.get(str(call.args.get("meter")), areas.get(""))


def _same(stated: FloorArea, used: float) -> bool:
    return any(abs(m2 - used) < SAME_M2 for m2 in stated.m2)


def _other_area(q: Question, stated: FloorArea, call: Call, used: float | None) -> str:
    meters = " + ".join([str(call.args.get("meter")), *call.args.get("with_meters", [])])
    if used is None:
        return (
            f"The catalogue has no floor area for {meters}, and I work an intensity out over "
            f"the catalogue's area only, not '{stated.words.text}'. Add the floor area to the "
            "site catalogue, or ask for the energy alone."
        )
    return (
        f"The catalogue gives {meters} a floor area of {used:,.0f} m², not "
        f"'{stated.words.text}', and I work an intensity out over the catalogue's area only. "
        f"Ask without the area for the intensity over {used:,.0f} m², or for the energy alone."
    )


def no_floor_area(q: Question, decided: Plan) -> Plan | None:
    """The intensity of a sub-meter with no floor area of its own in the catalogue: it has
    none to be worked out over (the site's area is the site supply's, not a part's), so the
    figure is refused with what it lacks rather than tried."""
    for call in (c for c in decided.calls if _intensity(c) and not c.args.get("with_meters")):
        name = str(call.args.get("meter"))
        entry = q.site.meter(name)
        if entry is None or entry.parent is None or name in q.site.floor_areas:
            continue
        return refuse(
            f"I can't give an energy intensity (kWh per m²) of {name}: the catalogue has no "
            f"floor area for it, and the site's floor area is the whole site's, not {name}'s. "
            "Add its floor area (floor_area_m2) to the plant file, or ask for its energy alone."
        )
    return None
