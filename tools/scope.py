"""What "the sub-meters" are: the children of a meter (or the top of each tree) of one carrier,
and the part of each parent its sub-meters leave unmetered.

Pure computation over the catalogue's meters and period totals; tools.compare reads the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from common.errors import EMSError, InsufficientData
from store.catalog import MeterRef, SeriesRef

# A child covering less of the period than its parent leaves the tree incomplete: its missing
# intervals would be counted as unmetered.
COMPLETE = 1.0


class AmbiguousCarrier(EMSError):
    """Meters of several carriers could be ranked and the question did not say which."""


@dataclass(frozen=True)
class Scope:
    """The meters to rank and the parents whose sub-meters they are."""

    carriers: tuple[str, ...]  # one, or several when mixing was asked for
    members: tuple[MeterRef, ...]  # ranked: in scope and measuring the metric
    parents: tuple[MeterRef, ...]  # the meters whose children are ranked
    children: Mapping[int, tuple[MeterRef, ...]]  # parent id -> all its children in scope
    left_out: tuple[str, ...]  # meters of other carriers, as answers list them
    unmeasured: tuple[MeterRef, ...]  # in scope, but without the metric
    totals: tuple[MeterRef, ...] = ()  # every meter left out for having sub-meters

    def describe(self) -> str:
        what = " and ".join(self.carriers)
        names = ", ".join(p.name for p in self.parents)
        if self.parents and all(m.parent_id in self.children for m in self.members):
            return f"{what} sub-meters of {names}"
        if self.parents:
            return f"{what} meters without sub-meters (the sub-meters of {names}, and top meters)"
        return f"{what} meters at the top of the tree (none has sub-meters)"


def _children(meters: Sequence[MeterRef]) -> dict[int, list[MeterRef]]:
    out: dict[int, list[MeterRef]] = {}
    for m in meters:
        if m.parent_id is not None:
            out.setdefault(m.parent_id, []).append(m)
    return out


def default_carrier(candidates: Iterable[MeterRef], asked: str | None) -> str:
    """The carrier a ranking is over: the one asked, else electricity when there is any, else
    the only one; several others are a question back."""
    kinds = sorted({m.kind for m in candidates})
    if asked:
        return asked
    if "electricity" in kinds or not kinds:
        return "electricity"
    if len(kinds) == 1:
        return kinds[0]
    raise AmbiguousCarrier(
        f"the meters to rank measure {', '.join(kinds)}; say which carrier (carrier), or ask "
        "to mix them in kWh (mix_carriers)"
    )


def top_meters(meters: Sequence[MeterRef], carriers: Sequence[str]) -> list[MeterRef]:
    """The meters at the top of each tree of those carriers: no parent of their carrier (a
    site's supply meters, whose sum is the site's use of the carrier)."""
    by_id = {m.id: m for m in meters}
    wanted = set(carriers)
    return [
        m
        for m in meters
        if m.kind in wanted and (m.parent_id is None or by_id[m.parent_id].kind not in wanted)
    ]


def _leaves(
    meters: Sequence[MeterRef], kids: Mapping[int, list[MeterRef]], wanted: set[str]
) -> tuple[list[MeterRef], list[MeterRef], dict[int, tuple[MeterRef, ...]]]:
    """The end meters of every tree of those carriers (no sub-meter of their carrier), and the
    meters directly above them with all their children in scope: a board between the supply
    and its machines is a total, not a consumer, however deep the tree."""
    scoped = [m for m in meters if m.kind in wanted]
    below = {m.id: tuple(c for c in kids.get(m.id, []) if c.kind in wanted) for m in scoped}
    members = [m for m in scoped if not below[m.id]]
    above = dict.fromkeys(m.parent_id for m in members if m.parent_id is not None)
    parents = [m for m in scoped if m.id in above]
    return members, parents, {p.id: below[p.id] for p in parents}


def totals_of(meters: Sequence[MeterRef], carriers: Sequence[str]) -> tuple[MeterRef, ...]:
    """Meters with sub-meters of their own carrier: the supply and boards a ranking leaves out."""
    kids = _children(meters)
    return tuple(
        m
        for m in meters
        if m.kind in carriers and any(c.kind == m.kind for c in kids.get(m.id, []))
    )


def sub_meters(
    meters: Sequence[MeterRef],
    candidates: Sequence[MeterRef],
    *,
    parent: MeterRef | None,
    carriers: Sequence[str],
) -> Scope:
    """The meters ranked as "sub-meters": the children of `parent` of those carriers, or with
    no parent, the end meters of each carrier's trees (meters without sub-meters of their
    carrier, a top meter without children included), the meters above them left out as totals.
    `candidates` are the meters that have the metric; others of the scope's carriers are left
    out with a reason."""
    kids = _children(meters)
    wanted = set(carriers)
    if parent is None:
        members, parents, children = _leaves(meters, kids, wanted)
    else:
        below = tuple(c for c in kids.get(parent.id, []) if c.kind in wanted)
        members, parents = list(below), [parent] if below else []
        children = {parent.id: below} if below else {}
    if parent is not None and not members:
        raise InsufficientData(
            f"{parent.name} has no {' or '.join(carriers)} sub-meters in the catalogue; give "
            "meters a parent in the plant file (parent: METER) or with `ems-agent catalog "
            "set-meter NAME --parent METER`"
        )
    have = {m.id for m in candidates}
    left = [f"{m.name} ({m.kind})" for m in candidates if m.kind not in wanted]
    if parent is not None:
        left += [f"{c.name} ({c.kind})" for c in kids.get(parent.id, []) if c.kind not in wanted]
    return Scope(
        tuple(carriers),
        tuple(m for m in members if m.id in have),
        tuple(parents),
        children,
        tuple(dict.fromkeys(left)),
        tuple(m for m in members if m.id not in have),
        totals_of(meters, carriers) if parent is None else (parent,),
    )


@dataclass(frozen=True)
class Reading:
    """A meter's total over the period and how much of the period its readings cover."""

    value: float
    count: int
    interval_s: int | None


@dataclass(frozen=True)
class Balance:
    """A parent against the sum of its sub-meters: the unmetered remainder, when the tree is
    complete for the period."""

    meter: str
    value: float | None
    sub_meters: float
    unmetered: float | None
    complete: bool
    note: str | None


def _covered(r: Reading | None) -> float | None:
    """Seconds of the period a series' readings cover (None: its interval is unknown)."""
    if r is None:
        return 0.0
    return r.count * r.interval_s if r.interval_s else None


def balance(
    parent: MeterRef,
    children: Sequence[MeterRef],
    readings: Mapping[int, Reading],
) -> Balance:
    """The parent minus the sum of its children. Only a complete tree has a remainder: every
    child metered over as much of the period as the parent (same reading counts when no
    interval is declared). Children that add up to more than the parent are flagged. Only
    the children of the parent's own carrier count: a gas meter under an electricity meter
    (ranked when carriers are mixed) takes nothing from what the parent measures."""
    other = [c.name for c in children if c.kind != parent.kind]
    children = [c for c in children if c.kind == parent.kind]
    top = readings.get(parent.id)
    total = sum(readings[c.id].value for c in children if c.id in readings)
    if not children:
        why = f"its sub-meters here measure another carrier than {parent.kind}"
        return Balance(parent.name, top.value if top else None, 0.0, None, False, why)
    if top is None or top.count == 0:
        return Balance(parent.name, None, total, None, False, f"{parent.name} has no data")
    short = _short_children(top, children, readings)
    if short:
        why = f"not every sub-meter was metered over the period: {'; '.join(short)}"
        return Balance(parent.name, top.value, total, None, False, why)
    rest = top.value - total
    note = f"{', '.join(other)} not counted (not {parent.kind})" if other else None
    if rest < 0:
        share = 100 * -rest / top.value if top.value else float("inf")
        note = (note + "; " if note else "") + (
            f"the sub-meters add up to {-rest:,.1f} more than {parent.name} ({share:.1f}% of "
            "it): a sub-meter may be counted twice or mis-scaled, or the parent under-reads"
        )
    return Balance(parent.name, top.value, total, rest, True, note)


def _short_children(
    top: Reading, children: Sequence[MeterRef], readings: Mapping[int, Reading]
) -> list[str]:
    short = []
    for child in children:
        mine = readings.get(child.id)
        if mine is None or mine.count == 0:
            short.append(f"{child.name} has no data")
            continue
        theirs, ours = _covered(top), _covered(mine)
        if theirs is None and ours is None:
            theirs, ours = float(top.count), float(mine.count)
        if theirs is None or ours is None:
            short.append(f"{child.name}'s coverage cannot be compared (no interval declared)")
        elif ours < COMPLETE * theirs:
            short.append(f"{child.name} covers {100 * ours / theirs:.1f}% of the parent's time")
    return short


def readings_of(
    series: Mapping[int, SeriesRef], totals: Mapping[int, tuple[float, int]]
) -> dict[int, Reading]:
    """meter id -> Reading, from each meter's series and its (value, count) over the period."""
    return {
        meter_id: Reading(totals[s.id][0], totals[s.id][1], s.interval_s)
        for meter_id, s in series.items()
        if s.id in totals
    }
