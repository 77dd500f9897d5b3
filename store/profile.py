"""A site's profile in the catalogue: currency, floor area, calorific value, aliases, shifts,
closures, tariffs, emission factors and budgets, read and written as typed, frozen records.

The lists live in one JSON column of the site (`sites.profile`): they are always read together
and never queried by SQL. Days of the week are 0 = Monday .. 6 = Sunday; times are "HH:MM"
local time, "24:00" allowed as an end, and an end before the start wraps past midnight (the
part after midnight belongs to the next day). Validation happens where the profile comes in
(the plant file); here it is only stored and read back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from common.errors import UnknownSite
from store import memo
from store.schema import Site


def clock_hours(text: str) -> float:
    """'06:30' -> 6.5; '24:00' -> 24.0."""
    hours, minutes = text.split(":")
    return int(hours) + int(minutes) / 60


@dataclass(frozen=True)
class Window:
    """Weekdays and a span of local time; an end before the start runs into the next day."""

    days: tuple[int, ...]
    start: str
    end: str

    @property
    def start_hour(self) -> float:
        return clock_hours(self.start)

    @property
    def end_hour(self) -> float:
        return clock_hours(self.end)

    @property
    def wraps(self) -> bool:
        return self.end_hour <= self.start_hour


@dataclass(frozen=True)
class ShiftDef(Window):
    name: str = ""


@dataclass(frozen=True)
class TouPeriodDef(Window):
    """A time-of-use period; `except_holidays`: it does not hold on the site's public holidays
    (the hours of such a day are priced as if outside it, as many utilities price them)."""

    name: str = "peak"
    price: float = 0.0
    except_holidays: bool = False


@dataclass(frozen=True)
class ClosureDef:
    """Days off besides public holidays: 'MM-DD' bounds recur every year (and may run over New
    Year), 'YYYY-MM-DD' bounds are one-off. Both bounds are included."""

    name: str
    start: str
    end: str

    @property
    def recurring(self) -> bool:
        return len(self.start) == 5

    def days(self, years: Iterable[int]) -> set[date]:
        spans: list[tuple[date, date]] = []
        if self.recurring:
            for year in years:
                first = _month_day(year, self.start)
                last = _month_day(year, self.end)
                if first is None or last is None:
                    continue
                if last < first:  # over New Year: from this year into the next
                    last = _month_day(year + 1, self.end) or last
                spans.append((first, last))
        else:
            spans.append((date.fromisoformat(self.start), date.fromisoformat(self.end)))
        out: set[date] = set()
        for first, last in spans:
            day = first
            while day <= last:
                out.add(day)
                day += timedelta(days=1)
        return out


def _month_day(year: int, text: str) -> date | None:
    month, day = (int(p) for p in text.split("-"))
    try:
        return date(year, month, day)
    except ValueError:  # 02-29 in a year without one
        return None


@dataclass(frozen=True)
class TariffDef:
    """A tariff of one carrier: a default price per kWh, time-of-use periods (the first that
    holds an interval prices it), a demand charge per kW of each month's highest demand window,
    and the local days it is valid (both ends included; None is open-ended)."""

    carrier: str
    name: str
    default_price: float
    demand_charge_per_kw: float = 0.0
    periods: tuple[TouPeriodDef, ...] = ()
    currency: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class EmissionFactorDef:
    carrier: str
    kg_co2e_per_kwh: float
    source: str
    year: int | None = None


@dataclass(frozen=True)
class BudgetDef:
    """An energy or cost budget of one carrier for a month ('2026-11') or a year."""

    carrier: str
    month: str | None = None
    year: int | None = None
    kwh: float | None = None
    cost: float | None = None


@dataclass(frozen=True)
class SiteProfile:
    """Everything about a site beyond its name, time zone and holiday calendar. `shifts` is None
    when the site never declared a shift plan (the tools then use their labelled default), and
    an empty tuple when it declared that it has none."""

    currency: str | None = None
    floor_area_m2: float | None = None
    gas_calorific_value_kwh_per_m3: float | None = None
    aliases: tuple[str, ...] = ()  # other names a question may call the site by
    shifts: tuple[ShiftDef, ...] | None = None
    closures: tuple[ClosureDef, ...] = ()
    tariffs: tuple[TariffDef, ...] = ()
    emission_factors: tuple[EmissionFactorDef, ...] = ()
    budgets: tuple[BudgetDef, ...] = ()


# ------------------------------------------------------------------ JSON form


def _window_json(w: Window) -> dict[str, Any]:
    return {"days": list(w.days), "start": w.start, "end": w.end}


def _day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def profile_lists_json(profile: SiteProfile) -> dict[str, Any]:
    """The JSON stored in `sites.profile`; `shifts` only when declared."""
    out: dict[str, Any] = {
        "closures": [{"name": c.name, "start": c.start, "end": c.end} for c in profile.closures],
        "tariffs": [
            {
                "carrier": t.carrier,
                "name": t.name,
                "default_price": t.default_price,
                "demand_charge_per_kw": t.demand_charge_per_kw,
                "periods": [
                    {
                        "name": p.name,
                        "price": p.price,
                        **_window_json(p),
                        **({"except_holidays": True} if p.except_holidays else {}),
                    }
                    for p in t.periods
                ],
                "currency": t.currency,
                "valid_from": t.valid_from.isoformat() if t.valid_from else None,
                "valid_to": t.valid_to.isoformat() if t.valid_to else None,
            }
            for t in profile.tariffs
        ],
        "emission_factors": [
            {"carrier": f.carrier, "kg": f.kg_co2e_per_kwh, "source": f.source, "year": f.year}
            for f in profile.emission_factors
        ],
        "budgets": [
            {"carrier": b.carrier, "month": b.month, "year": b.year, "kwh": b.kwh, "cost": b.cost}
            for b in profile.budgets
        ],
    }
    if profile.aliases:
        out["aliases"] = list(profile.aliases)
    if profile.shifts is not None:
        out["shifts"] = [{"name": s.name, **_window_json(s)} for s in profile.shifts]
    return out


def _profile_from(row: Any) -> SiteProfile:
    data: dict[str, Any] = dict(row.profile or {})
    shifts = data.get("shifts")
    return SiteProfile(
        currency=row.currency,
        floor_area_m2=row.floor_area_m2,
        gas_calorific_value_kwh_per_m3=row.gas_calorific_value,
        aliases=tuple(data.get("aliases", ())),
        shifts=None
        if shifts is None
        else tuple(
            ShiftDef(days=tuple(s["days"]), start=s["start"], end=s["end"], name=s["name"])
            for s in shifts
        ),
        closures=tuple(
            ClosureDef(c["name"], c["start"], c["end"]) for c in data.get("closures", [])
        ),
        tariffs=tuple(
            TariffDef(
                carrier=t["carrier"],
                name=t["name"],
                default_price=float(t["default_price"]),
                demand_charge_per_kw=float(t.get("demand_charge_per_kw") or 0.0),
                periods=tuple(
                    TouPeriodDef(
                        days=tuple(p["days"]),
                        start=p["start"],
                        end=p["end"],
                        name=p["name"],
                        price=float(p["price"]),
                        except_holidays=bool(p.get("except_holidays", False)),
                    )
                    for p in t.get("periods", [])
                ),
                currency=t.get("currency"),
                valid_from=_day(t.get("valid_from")),
                valid_to=_day(t.get("valid_to")),
            )
            for t in data.get("tariffs", [])
        ),
        emission_factors=tuple(
            EmissionFactorDef(f["carrier"], float(f["kg"]), f["source"], f.get("year"))
            for f in data.get("emission_factors", [])
        ),
        budgets=tuple(
            BudgetDef(b["carrier"], b.get("month"), b.get("year"), b.get("kwh"), b.get("cost"))
            for b in data.get("budgets", [])
        ),
    )


_PROFILE_COLUMNS = (Site.currency, Site.floor_area_m2, Site.gas_calorific_value, Site.profile)


def get_profile(conn: Connection, site_id: int) -> SiteProfile:
    def read() -> SiteProfile:
        row = conn.execute(select(*_PROFILE_COLUMNS).where(Site.id == site_id)).first()
        if row is None:
            raise UnknownSite(f"no site with id {site_id}")
        return _profile_from(row)

    return memo.remembered(("profile", conn.engine, site_id), read)


def set_profile(conn: Connection, site_id: int, profile: SiteProfile) -> None:
    conn.execute(
        update(Site)
        .where(Site.id == site_id)
        .values(
            currency=profile.currency,
            floor_area_m2=profile.floor_area_m2,
            gas_calorific_value=profile.gas_calorific_value_kwh_per_m3,
            profile=profile_lists_json(profile),
        )
    )
