"""Units of measure: the fixed set the store accepts, dimensions, conversion to canonical units."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from common.errors import UnknownUnit


class Dimension(StrEnum):
    ENERGY = "energy"
    POWER = "power"
    VOLUME = "volume"
    FLOW = "flow"
    TEMPERATURE = "temperature"
    COUNT = "count"
    MASS = "mass"
    PRESSURE = "pressure"
    RATIO = "ratio"


class MeterKind(StrEnum):
    """What a meter measures; decides which units and ranges make sense for it."""

    ELECTRICITY = "electricity"
    GAS = "gas"
    WATER = "water"
    COMPRESSED_AIR = "compressed_air"
    STEAM = "steam"
    HEAT = "heat"
    PRODUCTION = "production"
    WEATHER = "weather"
    DRIVER = "driver"  # any other variable that explains consumption (occupancy, a level)


@dataclass(frozen=True)
class UnitInfo:
    symbol: str
    dimension: Dimension
    factor: float  # multiply by this to reach the dimension's canonical unit
    offset: float = 0.0  # added after the factor (only temperatures need it)


# Canonical unit per dimension: what the store keeps.
CANONICAL: dict[Dimension, str] = {
    Dimension.ENERGY: "kWh",
    Dimension.POWER: "kW",
    Dimension.VOLUME: "m3",
    Dimension.FLOW: "m3/h",
    Dimension.TEMPERATURE: "degC",
    Dimension.COUNT: "unit",
    Dimension.MASS: "kg",
    Dimension.PRESSURE: "bar",
    Dimension.RATIO: "%",
}

_UNITS: tuple[UnitInfo, ...] = (
    UnitInfo("Wh", Dimension.ENERGY, 0.001),
    UnitInfo("kWh", Dimension.ENERGY, 1.0),
    UnitInfo("MWh", Dimension.ENERGY, 1000.0),
    UnitInfo("GWh", Dimension.ENERGY, 1_000_000.0),
    UnitInfo("MJ", Dimension.ENERGY, 1 / 3.6),
    UnitInfo("GJ", Dimension.ENERGY, 1000 / 3.6),
    UnitInfo("therm", Dimension.ENERGY, 29.3071),
    UnitInfo("W", Dimension.POWER, 0.001),
    UnitInfo("kW", Dimension.POWER, 1.0),
    UnitInfo("MW", Dimension.POWER, 1000.0),
    UnitInfo("m3", Dimension.VOLUME, 1.0),
    UnitInfo("L", Dimension.VOLUME, 0.001),
    UnitInfo("Nm3", Dimension.VOLUME, 1.0),
    UnitInfo("m3/h", Dimension.FLOW, 1.0),
    UnitInfo("L/s", Dimension.FLOW, 3.6),
    UnitInfo("L/min", Dimension.FLOW, 0.06),
    UnitInfo("Nm3/h", Dimension.FLOW, 1.0),
    UnitInfo("degC", Dimension.TEMPERATURE, 1.0),
    UnitInfo("degF", Dimension.TEMPERATURE, 5 / 9, -32 * 5 / 9),
    UnitInfo("K", Dimension.TEMPERATURE, 1.0, -273.15),
    UnitInfo("unit", Dimension.COUNT, 1.0),
    UnitInfo("kg", Dimension.MASS, 1.0),
    UnitInfo("t", Dimension.MASS, 1000.0),
    UnitInfo("bar", Dimension.PRESSURE, 1.0),
    UnitInfo("kPa", Dimension.PRESSURE, 0.01),
    UnitInfo("psi", Dimension.PRESSURE, 0.0689476),
    UnitInfo("%", Dimension.RATIO, 1.0),
)

# Spellings seen in BMS and spreadsheet exports, all mapped to one symbol.
_ALIASES: dict[str, str] = {
    "kwh": "kWh",
    "wh": "Wh",
    "mwh": "MWh",
    "gwh": "GWh",
    "mj": "MJ",
    "gj": "GJ",
    "therms": "therm",
    "thm": "therm",
    "w": "W",
    "kw": "kW",
    "mw": "MW",
    "m3": "m3",
    "m³": "m3",
    "m^3": "m3",
    "cbm": "m3",
    "l": "L",
    "litre": "L",
    "liter": "L",
    "litres": "L",
    "liters": "L",
    "nm3": "Nm3",
    "nm³": "Nm3",
    "m3/h": "m3/h",
    "m³/h": "m3/h",
    "l/s": "L/s",
    "l/min": "L/min",
    "nm3/h": "Nm3/h",
    "nm³/h": "Nm3/h",
    "degc": "degC",
    "°c": "degC",
    "c": "degC",
    "celsius": "degC",
    "degf": "degF",
    "°f": "degF",
    "f": "degF",
    "fahrenheit": "degF",
    "k": "K",
    "kelvin": "K",
    "unit": "unit",
    "units": "unit",
    "pcs": "unit",
    "pieces": "unit",
    "count": "unit",
    "kg": "kg",
    "t": "t",
    "tonne": "t",
    "tonnes": "t",
    "bar": "bar",
    "kpa": "kPa",
    "psi": "psi",
    "%": "%",
    "percent": "%",
}

UNITS: dict[str, UnitInfo] = {u.symbol: u for u in _UNITS}


def parse_unit(text: str) -> UnitInfo:
    """Return the unit for a symbol as people write it ('kWh', 'kwh', '°C', 'm³').

    Raises UnknownUnit naming the text and the accepted symbols.
    """
    key = text.strip()
    if key in UNITS:
        return UNITS[key]
    symbol = _ALIASES.get(key.lower())
    if symbol is None:
        known = ", ".join(sorted(UNITS))
        raise UnknownUnit(f"unknown unit {text!r}; known units: {known}")
    return UNITS[symbol]


def is_unit(text: str) -> bool:
    """Whether `text` is a unit as `parse_unit` reads it, without building its error."""
    key = text.strip()
    return key in UNITS or key.lower() in _ALIASES


def canonical_unit(unit: UnitInfo) -> str:
    return CANONICAL[unit.dimension]


def to_canonical(value: float, unit: UnitInfo) -> float:
    return value * unit.factor + unit.offset


# Which dimension each standard metric must have. Metrics not listed accept any known unit.
METRIC_DIMENSIONS: dict[str, Dimension] = {
    "energy": Dimension.ENERGY,
    "power": Dimension.POWER,
    "demand": Dimension.POWER,
    "production": Dimension.COUNT,
    "outdoor_temperature": Dimension.TEMPERATURE,
    "temperature": Dimension.TEMPERATURE,
    "supply_temperature": Dimension.TEMPERATURE,
    "return_temperature": Dimension.TEMPERATURE,
    "volume": Dimension.VOLUME,
    "flow": Dimension.FLOW,
    "pressure": Dimension.PRESSURE,
    "occupancy": Dimension.RATIO,
}

# Metrics whose readings are amounts per interval (summed over time); the rest are sampled
# levels (averaged).
ADDITIVE_METRICS = frozenset({"energy", "production", "volume"})

# Units a metric gets when a reading names none.
DEFAULT_UNIT: dict[str, str] = {
    "energy": "kWh",
    "power": "kW",
    "demand": "kW",
    "production": "unit",
    "outdoor_temperature": "degC",
    "temperature": "degC",
    "supply_temperature": "degC",
    "return_temperature": "degC",
    "volume": "m3",
    "flow": "m3/h",
    "pressure": "bar",
    "occupancy": "%",
}


def check_metric_unit(metric: str, unit: UnitInfo) -> None:
    """Raise UnknownUnit when a unit cannot measure the metric (kW for an energy series, say)."""
    expected = METRIC_DIMENSIONS.get(metric)
    if expected is not None and unit.dimension != expected:
        raise UnknownUnit(
            f"unit {unit.symbol!r} measures {unit.dimension.value}, "
            f"but metric {metric!r} needs a unit of {expected.value} "
            f"such as {CANONICAL[expected]!r}"
        )
