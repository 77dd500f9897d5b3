"""The plant file: one pydantic schema for a site's declared catalogue, read from YAML or TOML
with each problem named by its YAML line or TOML key path.

A plant file declares a site (time zone, holiday calendar, currency, shifts, closures, tariffs,
emission factors, budgets) and its meters (carrier, unit, tree, aliases, groups, floor area,
series, explicit production links). Keys a meter or the site leaves out are left as the store
has them: a file can declare a whole plant or only fix one meter's parent. The cross-checks
between entries live in `connectors.catalog_checks`; applying a file is `connectors.catalog_sync`.

YAML is read with the YAML 1.2 core scalars, so `start: 22:00` stays a time of day rather than
YAML 1.1's 1320 minutes, and `country: NO` stays Norway rather than `false`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from common import intervals
from common.errors import EMSError
from common.units import MeterKind, canonical_unit, parse_unit

CARRIERS = tuple(k.value for k in MeterKind)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class InvalidPlantFile(EMSError):
    """A plant file (or a catalogue change) that does not validate; each problem names the line
    or key it is about. Nothing is written when this is raised."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        head = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"{head}, nothing changed:\n" + "\n".join(f"  {p}" for p in problems))


# ------------------------------------------------------------------ value types


def _carrier(value: Any) -> str:
    if isinstance(value, str):
        key = re.sub(r"[\s-]+", "_", value.strip().lower())
        if key in CARRIERS:
            return key
    raise ValueError(f"unknown carrier {value!r}; carriers are: {', '.join(CARRIERS)}")


def _days(value: Any) -> list[int]:
    """Days as names ('mon', 'monday'), 0..6 (0 = Monday) or ranges ('mon-fri')."""
    items = value if isinstance(value, list) else [value]
    out: list[int] = []
    for item in items:
        if isinstance(item, str) and "-" in item:
            first, _, last = item.partition("-")
            a, b = _day(first), _day(last)
            out.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            out.append(_day(item))
    if not out:
        raise ValueError("no days given; write them as [mon, tue, ...] or ['mon-fri']")
    return sorted(set(out))


def _day(item: Any) -> int:
    if isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 6:
        return item
    if isinstance(item, str):
        key = item.strip().lower()
        for i, name in enumerate(DAY_NAMES):
            if key == name or (len(key) > 3 and key.startswith(name) and key.endswith("day")):
                return i
    raise ValueError(f"{item!r} is not a day; days are mon..sun or 0..6 (0 = Monday)")


def days_text(days: Sequence[int]) -> str:
    """[0, 1, 2, 3, 4, 6] -> 'mon-fri,sun'."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" if len(r) > 2 else ",".join(DAY_NAMES[d] for d in r)
        for r in runs
    )


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _clock(value: Any) -> str:
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, str):
        text = value.strip()
        if text == "24:00":
            return text
        match = _CLOCK.match(text)
        if match:
            return f"{int(match[1]):02d}:{match[2]}"
    raise ValueError(f"{value!r} is not a time of day such as '06:00' (HH:MM; '24:00' as an end)")


_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def _closure_day(value: Any) -> str:
    """A closure bound: a date (one-off) or 'MM-DD' (every year)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        match = _MONTH_DAY.match(text)
        if match:
            month, day = int(match[1]), int(match[2])
            try:
                date(2024, month, day)  # a leap year: 02-29 is a valid recurring day
            except ValueError:
                raise ValueError(f"{value!r} is no day of the year (MM-DD)") from None
            return f"{month:02d}-{day:02d}"
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise ValueError(f"{value!r} is neither a date (2026-07-30) nor a day of every year (12-24)")


def _unit(value: Any) -> str:
    """Any known unit; kept as the canonical unit of its dimension, as the store keeps it."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a unit such as 'kWh'")
    try:
        info = parse_unit(value)
    except EMSError as exc:
        raise ValueError(str(exc)) from None
    return canonical_unit(info)


def _interval(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an interval such as '15min'")
    return intervals.Interval.parse(value).text()


def _upper(length: int, what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if isinstance(value, str) and re.fullmatch(rf"[A-Za-z]{{{length}}}", value.strip()):
            return value.strip().upper()
        raise ValueError(f"{value!r} is not {what}")

    return check


def _name(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a name must be a non-empty text")
    return value.strip()


def _month(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value.strip()):
        return value.strip()
    raise ValueError(f"{value!r} is not a month such as '2026-11'")


def _holiday_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(
        f"except_holidays is true (the period does not hold on the site's public holidays) "
        f"or false, not {value!r}"
    )


Carrier = Annotated[str, BeforeValidator(_carrier)]
Days = Annotated[list[int], BeforeValidator(_days)]
Clock = Annotated[str, BeforeValidator(_clock)]
ClosureDay = Annotated[str, BeforeValidator(_closure_day)]
Unit = Annotated[str, BeforeValidator(_unit)]
Interval = Annotated[str, BeforeValidator(_interval)]
Currency = Annotated[str, BeforeValidator(_upper(3, "a currency code such as 'EUR'"))]
Country = Annotated[str, BeforeValidator(_upper(2, "an ISO 3166 country code such as 'DE'"))]
Name = Annotated[str, BeforeValidator(_name), Field(max_length=100)]
Month = Annotated[str, BeforeValidator(_month)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


# ------------------------------------------------------------------ the schema


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ShiftSpec(_Model):
    name: Name
    days: Days
    start: Clock
    end: Clock


class ClosureSpec(_Model):
    name: Name
    start: ClosureDay = Field(alias="from")
    end: ClosureDay = Field(alias="to")


class TouPeriodSpec(_Model):
    name: Name = "peak"
    days: Days
    start: Clock
    end: Clock
    price: NonNegative
    # true: the period does not hold on the site's public holidays (its country and region)
    except_holidays: Annotated[bool, BeforeValidator(_holiday_flag)] = False


class TariffSpec(_Model):
    carrier: Carrier
    name: Name
    currency: Currency | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    default_price: NonNegative
    demand_charge_per_kw: NonNegative = 0.0
    periods: list[TouPeriodSpec] = Field(default_factory=list)


class EmissionFactorSpec(_Model):
    carrier: Carrier
    kg_co2e_per_kwh: NonNegative
    source: Name
    year: Annotated[int, Field(ge=1900, le=2200)] | None = None


class BudgetSpec(_Model):
    carrier: Carrier
    month: Month | None = None
    year: Annotated[int, Field(ge=1900, le=2200)] | None = None
    kwh: NonNegative | None = None
    cost: NonNegative | None = None


class SiteSpec(_Model):
    name: Name
    timezone: str
    aliases: list[Name] = Field(default_factory=list)  # other names a question may use
    country: Country | None = None
    region: str | None = None
    currency: Currency | None = None
    floor_area_m2: Positive | None = None
    gas_calorific_value_kwh_per_m3: Positive | None = None
    shifts: list[ShiftSpec] | None = None
    closures: list[ClosureSpec] = Field(default_factory=list)
    tariffs: list[TariffSpec] = Field(default_factory=list)
    emission_factors: list[EmissionFactorSpec] = Field(default_factory=list)
    budgets: list[BudgetSpec] = Field(default_factory=list)


class SeriesSpec(_Model):
    metric: Name
    unit: Unit | None = None
    interval: Interval | None = None


class MeterSpec(_Model):
    name: Name
    carrier: Carrier | None = None
    unit: Unit | None = None
    description: str | None = None
    aliases: list[Name] = Field(default_factory=list)
    groups: list[Name] = Field(default_factory=list)
    parent: Name | None = None
    floor_area_m2: Positive | None = None
    production: list[Name] = Field(default_factory=list)
    series: list[SeriesSpec] | None = None

    def given(self, key: str) -> bool:
        """Whether the file sets this key (keys left out leave the store's value alone)."""
        return key in self.model_fields_set


class PlantFile(_Model):
    version: Literal[1]
    site: SiteSpec
    meters: list[MeterSpec] = Field(default_factory=list)


# ------------------------------------------------------------------ where problems are

Path_ = tuple[str | int, ...]


def dotted(path: Path_) -> str:
    """('meters', 3, 'parent') -> 'meters[3].parent'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass(frozen=True)
class Problem:
    path: Path_
    message: str


@dataclass
class PlantSource:
    """Where a plant document came from: its name, and the line of each key (YAML only)."""

    name: str
    lines: dict[Path_, int] = field(default_factory=dict)
    # Keys given on a command line: the option that set each path ("--parent").
    options: dict[Path_, str] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return None

    def describe(self, problem: Problem) -> str:
        for cut in range(len(problem.path), 0, -1):
            if problem.path[:cut] in self.options:
                return f"{self.options[problem.path[:cut]]}: {problem.message}"
        line = self.line_of(problem.path)
        where = f" line {line}" if line is not None else ""
        key = f" ({dotted(problem.path)})" if problem.path else ""
        return f"{self.name}{where}{key}: {problem.message}"

    def sort_key(self, problem: Problem) -> tuple[int, str]:
        return (self.line_of(problem.path) or 0, dotted(problem.path))

    def fail(self, problems: list[Problem]) -> InvalidPlantFile:
        ordered = sorted(problems, key=self.sort_key)
        return InvalidPlantFile([self.describe(p) for p in ordered])


@dataclass(frozen=True)
class PlantDocument:
    plant: PlantFile
    source: PlantSource


# ------------------------------------------------------------------ YAML and TOML


class _Loader(yaml.SafeLoader):
    """Safe YAML with the YAML 1.2 core schema's booleans, integers and floats."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":bool", ":int", ":float"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)


def _yaml_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int], dup: list[Problem]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                dup.append(Problem((*path, key), f"key {key!r} is given twice"))
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _yaml_lines(value_node, (*path, key), lines, dup)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _yaml_lines(item, (*path, i), lines, dup)


def _read_yaml(text: str, source: PlantSource) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicates: list[Problem] = []
        _yaml_lines(node, (), source.lines, duplicates)
        if duplicates:
            raise source.fail(duplicates)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise InvalidPlantFile([f"{source.name}{where}: not valid YAML: {reason}"]) from None
    finally:
        loader.dispose()


def _read_toml(text: str, source: PlantSource) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidPlantFile([f"{source.name}: not valid TOML: {exc}"]) from None


def read_plant(path: Path) -> PlantDocument:
    """Read and validate a plant file (.yaml, .yml or .toml). Raises InvalidPlantFile listing
    every problem with its line (YAML) or key path (TOML)."""
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".toml"):
        raise InvalidPlantFile([f"{path.name}: a plant file is .yaml, .yml or .toml"])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidPlantFile([f"{path.name}: cannot read it ({exc})"]) from None
    return parse_plant(text, path.name, "toml" if suffix == ".toml" else "yaml")


def parse_plant(text: str, name: str, fmt: Literal["yaml", "toml"]) -> PlantDocument:
    source = PlantSource(name)
    data = _read_toml(text, source) if fmt == "toml" else _read_yaml(text, source)
    if data is None:
        raise InvalidPlantFile([f"{name}: the file is empty; a plant file starts with version: 1"])
    return validate_plant(data, source)


def validate_plant(data: Any, source: PlantSource) -> PlantDocument:
    """The schema's checks on already-parsed data (a dict as YAML or TOML give it)."""
    if not isinstance(data, Mapping):
        raise InvalidPlantFile(
            [f"{source.name}: a plant file is a mapping with version, site and meters"]
        )
    try:
        plant = PlantFile.model_validate(dict(data))
    except ValidationError as exc:
        raise source.fail([_problem(error, data) for error in exc.errors()]) from None
    return PlantDocument(plant, source)


def _problem(error: ErrorDetails, data: Any) -> Problem:
    """A pydantic error as a Problem on the path the data really has (union members dropped)."""
    path: list[str | int] = []
    node: Any = data
    loc = list(error["loc"])
    for i, part in enumerate(loc):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif i == len(loc) - 1 and isinstance(part, str) and error["type"] == "missing":
            pass
        else:
            break
        path.append(part)
    return Problem(tuple(path), _subject(tuple(path), data) + _message(error))


def _subject(path: Path_, data: Any) -> str:
    """ "tariff 'Tarifa A4' period 'ponta': " for a problem inside a tariff's period (its path
    names them by index only), else nothing."""
    if path[:2] != ("site", "tariffs") or len(path) < 6 or path[3] != "periods":
        return ""
    try:
        tariff = data["site"]["tariffs"][path[2]]
        period = tariff["periods"][path[4]]
        return f"tariff {tariff.get('name')!r} period {period.get('name', 'peak')!r}: "
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key {error['loc'][-1]!r}"
    if kind == "missing":
        return f"missing key {error['loc'][-1]!r}"
    if kind == "literal_error" and error["loc"] == ("version",):
        return "this product reads plant files of version 1 (write version: 1)"
    message = error["msg"]
    return message.removeprefix("Value error, ")


# ------------------------------------------------------------------ writing


class _FlowList(list[Any]):
    """A list written on one line: [mon, tue, wed]."""


class _FlowMap(dict[str, Any]):
    """A small mapping written on one line: {metric: energy, unit: kWh}."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _FlowList,
    lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True),
)
_Dumper.add_representer(
    _FlowMap,
    lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True),
)

# Lists of small records written one record per line; the rest is block style.
_FLOW_ITEMS = {"shifts", "closures", "periods", "emission_factors", "budgets", "series"}


def _styled(value: Any, key: str | None = None) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 12500, not 12500.0
    if isinstance(value, dict):
        items = {k: _styled(v, k) for k, v in value.items()}
        return items
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return _FlowList(value)
        if key in _FLOW_ITEMS:
            return [_FlowMap({k: _styled(v, k) for k, v in item.items()}) for item in value]
        return [_styled(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def dump_plant(data: Mapping[str, Any], fmt: Literal["yaml", "toml"]) -> str:
    """Plant-file data (as `connectors.catalog_sync.export_plant` gives it) as YAML or TOML."""
    if fmt == "toml":
        import tomlkit

        return tomlkit.dumps(_plain(_styled(dict(data))))
    return yaml.dump(
        _styled(dict(data)),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
