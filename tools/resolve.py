"""Turning what a person typed (meters, metrics, periods) into store references or clear errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from common.errors import EMSError, UnknownSeries
from store import catalog, memo
from store.catalog import MeterRef, SeriesRef
from store.profile import get_profile
from store.queries import Totals
from tools.base import ToolContext
from tools.periods import Period, resolve_period

if TYPE_CHECKING:
    import pandas as pd


class NoCalorificValue(EMSError):
    """Gas read as a volume was asked for as energy, and the site has no calorific value."""


@dataclass(frozen=True)
class Target:
    """The series a tool reads for a meter, and how its stored values become the answer's:
    gas read in m3 is asked for as energy by multiplying by the site's calorific value."""

    meter: MeterRef
    series: SeriesRef
    factor: float = 1.0  # answer = stored value x factor
    converted_to: str | None = None  # the answer's unit when converted ("kWh")
    factor_source: str = ""

    @property
    def unit(self) -> str:
        return self.converted_to or self.series.unit

    @property
    def converted(self) -> bool:
        return self.converted_to is not None

    def conversion(self, stored: float) -> str:
        """How a converted total was found, to quote: 'heating: 1,234 m3 x 10.55 kWh/m3 =
        13,019 kWh (gas calorific value, site catalogue)'."""
        return (
            f"{self.meter.name}: {stored:,.0f} {self.series.unit} x {self.factor:g} "
            f"{self.unit}/{self.series.unit} = {stored * self.factor:,.0f} {self.unit} "
            f"({self.factor_source})"
        )


def period(ctx: ToolContext, text: str) -> Period:
    # Within a read_once scope (a report asks five KPIs of each meter's month) read once.
    key = ("period", text, ctx.now, ctx.site.timezone)
    return memo.remembered(key, lambda: resolve_period(text, ctx.now, ctx.site.timezone))


def meter(ctx: ToolContext, name: str) -> MeterRef:
    with ctx.engine.connect() as conn:
        return catalog.resolve_meter(conn, ctx.site.id, name)


STATED = "stated in the question"
CATALOGUE = "gas calorific value, site catalogue"


def targets(
    ctx: ToolContext, names: list[str], metric: str, calorific_value: float | None = None
) -> list[Target]:
    """Series of `metric` for the named meters; no names means every meter that has the metric.

    Energy of a gas meter read in m3 comes from its volume series times the calorific value
    given (stated by the user), else the site's (a Target with that factor; NoCalorificValue,
    naming the catalogue key, without one); with no names such meters join only when there
    is a calorific value."""
    metric = metric.strip().lower()
    key = ("targets", ctx.engine, ctx.site.id, tuple(names), metric, calorific_value)
    return list(memo.remembered(key, lambda: _targets(ctx, names, metric, calorific_value)))


def _targets(ctx: ToolContext, names: list[str], metric: str, stated: float | None) -> list[Target]:
    with ctx.engine.connect() as conn:
        pairs = catalog.list_series(conn, ctx.site.id)
        cv = stated or get_profile(conn, ctx.site.id).gas_calorific_value_kwh_per_m3
        source = STATED if stated else CATALOGUE
        if not names:
            found = [Target(m, s) for m, s in pairs if s.metric == metric]
            if metric == ENERGY and cv:
                have = {t.meter.id for t in found}
                found += [_as_energy(m, s, cv, source) for m, s in pairs if _gas_volume(m, s, have)]
            if not found:
                metrics = sorted({s.metric for _, s in pairs})
                raise UnknownSeries(
                    f"no meter at {ctx.site.name} has a {metric!r} series; "
                    f"metrics available: {', '.join(metrics) or 'none'}"
                )
            return found
        out = []
        for name in names:
            m = catalog.resolve_meter(conn, ctx.site.id, name)
            series = [s for mm, s in pairs if mm.id == m.id]
            out.append(_target(m, series, metric, cv, source))
    return out


ENERGY = "energy"


def _gas_volume(meter: MeterRef, series: SeriesRef, with_energy: set[int]) -> bool:
    return (
        meter.kind == "gas"
        and series.metric == "volume"
        and series.unit == "m3"
        and meter.id not in with_energy
    )


def _as_energy(meter: MeterRef, series: SeriesRef, cv: float, source: str = CATALOGUE) -> Target:
    return Target(meter, series, cv, "kWh", source)


def _target(
    meter: MeterRef, series: list[SeriesRef], metric: str, cv: float | None, source: str
) -> Target:
    """One meter's series of `metric`, or its gas volume as energy."""
    match = [s for s in series if s.metric == metric]
    if match:
        return Target(meter, match[0])
    volume = [s for s in series if _gas_volume(meter, s, set())]
    if metric == ENERGY and volume:
        if not cv:
            raise NoCalorificValue(
                f"{meter.name} reads gas as a volume (m3), so its energy needs the site's "
                "calorific value: add gas_calorific_value_kwh_per_m3 under site: in the plant "
                "file (your gas bill states it; natural gas is about 10-11.5 kWh/m3) and apply "
                "it with `ems-agent catalog apply FILE`"
            )
        return _as_energy(meter, volume[0], cv, source)
    have = ", ".join(s.metric for s in series) or "no data"
    raise UnknownSeries(f"meter {meter.name} has no {metric!r} series (it has: {have})")


def scaled_totals(totals: dict[int, Totals], found: Sequence[Target]) -> dict[int, Totals]:
    """Period totals of the targets' series in the answers' units (converted gas in kWh)."""
    factors = {t.series.id: t.factor for t in found if t.factor != 1.0}
    return {
        sid: _scaled(tot, factors[sid]) if sid in factors else tot for sid, tot in totals.items()
    }


def _scaled(t: Totals, k: float) -> Totals:
    return Totals(
        t.series_id,
        t.n,
        t.sum * k,
        None if t.min is None else t.min * k,
        None if t.max is None else t.max * k,
    )


def scaled_frame(frame: pd.DataFrame, found: Sequence[Target]) -> pd.DataFrame:
    """Rollup rows (series_id, sum, min, max, avg) in the answers' units."""
    factors = {t.series.id: t.factor for t in found if t.factor != 1.0}
    if not factors or frame.empty:
        return frame
    k = frame["series_id"].map(factors).fillna(1.0).to_numpy()
    scaled = frame.copy()
    for column in ("sum", "min", "max", "avg"):
        if column in scaled:
            scaled[column] = scaled[column].to_numpy() * k
    return scaled


def calorific_used(found: Sequence[Target]) -> tuple[float | None, str | None]:
    """The calorific value gas volumes were converted with, and where it came from
    (STATED or CATALOGUE); (None, None) when no target converts a volume."""
    used = next((t for t in found if t.converted), None)
    return (used.factor, used.factor_source) if used else (None, None)


def conversions(found: Sequence[Target], stored: dict[int, Totals]) -> list[str]:
    """How each converted total was found, to quote beside the answer."""
    return [t.conversion(stored[t.series.id].sum) for t in found if t.converted]


class NoProductionLink(EMSError):
    """A meter's SEC was asked for, but nothing says which production is its output."""


@dataclass(frozen=True)
class Production:
    """The production a meter's energy is divided by, and how it was found."""

    series_ids: tuple[int, ...]
    meters: tuple[str, ...]
    how: str  # "named", "own", "linked" or "site"
    caveat: str | None = None

    def describe(self) -> str:
        return ", ".join(self.meters)


def production(
    ctx: ToolContext, meter: MeterRef, named: str | None = None, *, as_driver: bool = False
) -> Production:
    """A meter's production, by the catalogue: the production meter the question names, else
    the meter's own production series, else its explicit production links, else, for a meter
    at the top of the tree, all the site's production (with a caveat saying so). Never by a
    meter's name. Raises NoProductionLink saying how to link one, unless `as_driver`: as a
    relevant variable of a baseline, the site's production serves any meter (with a caveat)."""
    with ctx.engine.connect() as conn:
        pairs = catalog.list_series(conn, ctx.site.id)
        links = catalog.production_links(conn, ctx.site.id).get(meter.id, ())
        made = {m.id: (m.name, s.id) for m, s in pairs if s.metric == "production"}
        if named:
            other = catalog.resolve_meter(conn, ctx.site.id, named)
            if other.id not in made:
                raise UnknownSeries(f"meter {other.name} has no production series")
            return Production((made[other.id][1],), (other.name,), "named")
    if meter.id in made:
        return Production((made[meter.id][1],), (meter.name,), "own")
    linked = [made[i] for i in links if i in made]
    if linked:
        return Production(tuple(s for _, s in linked), tuple(n for n, _ in linked), "linked")
    names = sorted(n for n, _ in made.values())
    if not made:
        raise UnknownSeries(f"the site has no production meter to divide {meter.name}'s energy by")
    ids = tuple(s for _, s in sorted(made.values()))
    if meter.parent_id is None:
        caveat = (
            f"{meter.name} has no production link; as a meter at the top of the tree its energy "
            f"is divided by all the site's production ({', '.join(names)})"
        )
        return Production(ids, tuple(names), "site", caveat)
    if as_driver:
        caveat = (
            f"{meter.name} has no production link, so the production driver is all the site's "
            f"production ({', '.join(names)})"
        )
        return Production(ids, tuple(names), "site", caveat)
    raise NoProductionLink(
        f"{meter.name} has no production series and no production link, so its SEC is "
        f"undefined; link the meter that counts its output (in the plant file: production: "
        f"[METER], or `ems-agent catalog set-meter {meter.name} --production METER`) or name "
        f"one; production meters here: {', '.join(names)}"
    )
