"""Roles: the plant-specific words of a question set ("compressor B", "the site supply meter", "the
late shift") resolved for one plant by its role file, so the same set can be asked of any plant.

A set's questions, tool arguments and truth specs write `{role}` or `{role:form}` where a plant's
meter, group, shift or wording belongs. A plant's role file says what each role is there:

```yaml
version: 1
site: demo-plant
roles:
  compressor_b:
    meter: compressor-2                # or meters: [...] (a group), shift: NAME, value: TEXT
    says: {alias: comp2, spaced: compressor 2}
  compressors:
    meters: [compressor-1, compressor-2]
    says: {name: compressors, phrase: the air compressors}
absent:                                # roles this plant does not have: their cases are skipped
  weather: no weather station
skip:                                  # single cases that make no sense on this plant
  sql-largest-line-a-reading: the line's meter is read daily
```

Resolution rules:

- A string that is exactly one placeholder without a form (`"{compressors}"`) in tool arguments
  or a truth spec stands for the role's value: a meter name, a list of names (flattened into a
  surrounding list), a shift name or a text.
- Anywhere else (the question, `mentions`, an SQL query, the middle of a string) a placeholder is
  replaced by text: `{role:form}` by that form of the role, `{role}` by its `name` form, else by
  its value when that is one name. A form the role file does not give is an error.
- A set may compute roles from the data (`computed:` truth specs, e.g. "the largest consumer in
  October"); their value is what the truth function returns on the plant's store.
- A placeholder naming a role that is neither defined, computed nor declared absent is an error
  naming the set, the case and the role. A case that names an absent role, or that the role file
  skips, is skipped and reported (never silently), and so are the cases after it in its thread,
  which follow up on it.
- A set without any role (its questions name one plant's meters, as a plant's own users would
  write them) is asked only on the site it declares (`site:`); on another plant it is refused.
- The set's clock moves with the plant: its `now` (and each case's) keeps its wall-clock time and
  date in the plant's time zone, so "yesterday" is the same date on every plant.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from evals.dataset import Case, Dataset, InvalidDataset, TruthSpec

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)(?::([a-z][a-z0-9_]*))?\}")
PLANTS = Path(__file__).parent / "plants"
DEMO_ROLES = PLANTS / "demo.roles.yaml"
# Fields of a case whose placeholders stand for values (meter names, lists), not words.
VALUE_FIELDS = ("args", "truth", "also")


class RoleError(InvalidDataset):
    """A role file that does not follow its schema, or a set naming a role no plant defines."""


class Role(BaseModel):
    """One role on one plant: what it is (a meter, several meters, a shift or a text) and how
    people there refer to it (`says`: form name -> words)."""

    model_config = ConfigDict(extra="forbid")

    meter: str | None = None
    meters: list[str] | None = Field(default=None, min_length=1)
    shift: str | None = None
    value: str | None = None
    says: dict[str, str] = Field(default_factory=dict)
    note: str | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Role:
        given = [k for k in ("meter", "meters", "shift", "value") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"a role is one thing; it gives {' and '.join(given)}")
        if not given and not self.says:
            raise ValueError("a role needs a meter, meters, a shift, a value or words (`says`)")
        return self

    @property
    def resolved(self) -> str | list[str] | None:
        """The role's value in tool arguments and truth specs."""
        if self.meters is not None:
            return list(self.meters)
        return self.meter or self.shift or self.value

    def text(self, form: str | None) -> str | None:
        """The words for `form` (None: the role's name), or None when the file gives none."""
        if form is not None:
            return self.says.get(form)
        if "name" in self.says:
            return self.says["name"]
        value = self.resolved
        return value if isinstance(value, str) else None


class RoleFile(BaseModel):
    """A plant's roles: the site they belong to, each role, the roles it lacks and the cases
    that make no sense there."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    site: str
    plant_file: str | None = Field(default=None, description="the plant file, relative")
    roles: dict[str, Role]
    absent: dict[str, str] = Field(default_factory=dict, description="role -> why it is absent")
    skip: dict[str, str] = Field(default_factory=dict, description="case id -> why it is skipped")

    @model_validator(mode="after")
    def _disjoint(self) -> RoleFile:
        both = sorted(set(self.roles) & set(self.absent))
        if both:
            raise ValueError(f"roles both defined and absent: {', '.join(both)}")
        return self


def roles_for(plant_file: Path) -> Path | None:
    """A plant file's role file: NAME.roles.yaml beside it, else in evals/plants, else the
    role file in evals/plants whose `plant_file` is this file."""
    name = f"{plant_file.stem}.roles.yaml"
    for path in (plant_file.with_name(name), PLANTS / name):
        if path.exists():
            return path
    for path in sorted(PLANTS.glob("*.roles.yaml")):
        declared = load_roles(path).plant_file
        if declared and (path.parent / declared).resolve() == plant_file.resolve():
            return path
    return None


def load_roles(path: Path) -> RoleFile:
    """Read and check a role file; errors name the file and the key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RoleError(f"{path}: cannot read the role file: {exc}") from None
    try:
        return RoleFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
        )
        raise RoleError(f"{path}: {problems}") from None


@dataclass(frozen=True)
class Skipped:
    """A case left out on a plant, and why."""

    case_id: str
    category: str
    reason: str


@dataclass(frozen=True)
class ResolvedSet:
    """A set resolved for one plant: the cases to ask and the cases skipped there."""

    dataset: Dataset
    skipped: list[Skipped]


class AbsentRole(Exception):
    """A placeholder named a role the plant does not have: its case is skipped there."""

    def __init__(self, role: str, why: str) -> None:
        super().__init__(role)
        self.reason = f"the plant has no {role} ({why})"


class Resolver:
    """Resolves placeholders against one plant's roles and a set's computed roles."""

    def __init__(self, roles: RoleFile) -> None:
        self.roles = dict(roles.roles)
        self.absent = dict(roles.absent)

    def add(self, name: str, value: str | list[str]) -> None:
        """A computed role: its value on this plant."""
        self.roles[name] = Role(value=value) if isinstance(value, str) else Role(meters=value)

    def role(self, name: str, where: str) -> Role:
        if name in self.roles:
            return self.roles[name]
        if name in self.absent:
            raise AbsentRole(name, self.absent[name])
        known = ", ".join(sorted(set(self.roles) | set(self.absent)))
        raise RoleError(f"{where}: unknown role {name!r}; the plant's roles are: {known}")

    def text(self, item: Any, where: str) -> Any:
        """Resolve every placeholder of a structure as words."""
        if isinstance(item, list):
            return [self.text(element, where) for element in item]
        if isinstance(item, dict):
            return {k: self.text(v, where) for k, v in item.items()}
        if not isinstance(item, str):
            return item

        def one(match: re.Match[str]) -> str:
            name, form = match.group(1), match.group(2)
            words = self.role(name, where).text(form)
            if words is None:
                wanted = f"form {form!r}" if form else "'name' form (it is not one name)"
                raise RoleError(f"{where}: role {name!r} has no {wanted} in the role file")
            return words

        return PLACEHOLDER.sub(one, item)

    def value(self, item: Any, where: str) -> Any:
        """Resolve a structured value: whole placeholders become role values, lists flatten."""
        if isinstance(item, str):
            whole = PLACEHOLDER.fullmatch(item)
            if whole and whole.group(2) is None:
                resolved = self.role(whole.group(1), where).resolved
                return self.text(item, where) if resolved is None else resolved
            return self.text(item, where)
        if isinstance(item, list):
            out: list[Any] = []
            for element in item:
                got = self.value(element, where)
                flatten = isinstance(got, list) and not isinstance(element, list)
                out.extend(got if flatten else [got])
            return out
        if isinstance(item, dict):
            return {k: self.value(v, where) for k, v in item.items()}
        return item


def _texts(item: Any) -> Any:
    """Every string in a nested structure (to find the placeholders a case uses)."""
    if isinstance(item, str):
        yield item
    elif isinstance(item, list):
        for element in item:
            yield from _texts(element)
    elif isinstance(item, dict):
        for element in item.values():
            yield from _texts(element)


def roles_used(data: Any) -> set[str]:
    """Names of the roles a case (or any structure) refers to."""
    return {m.group(1) for text in _texts(data) for m in PLACEHOLDER.finditer(text)}


def moved_clock(moment: datetime, source_tz: str, target_tz: str) -> datetime:
    """The same local wall-clock time (and date) in another time zone."""
    local = moment.astimezone(ZoneInfo(source_tz)).replace(tzinfo=None)
    return local.replace(tzinfo=ZoneInfo(target_tz))


def _with_site(spec: dict[str, Any], site: str) -> dict[str, Any]:
    return spec if "site" in spec else {**spec, "site": site}


def _resolve_case(case: Case, resolver: Resolver, where: str, site: str) -> dict[str, Any]:
    data = case.model_dump(mode="python", exclude_unset=True)
    expect = data.get("expect", {})
    for key, value in list(expect.items()):
        resolve = resolver.value if key in VALUE_FIELDS else resolver.text
        expect[key] = resolve(value, where)
    if expect.get("truth"):
        expect["truth"] = _with_site(expect["truth"], site)
    if "also" in expect:
        expect["also"] = [_with_site(spec, site) for spec in expect["also"]]
    data["question"] = resolver.text(case.question, where)
    return data


Evaluate = Callable[[TruthSpec], object]


def _computed(dataset: Dataset, resolver: Resolver, site: str, evaluate: Evaluate | None) -> None:
    """Add the set's computed roles to the resolver (absent when they name an absent role)."""
    for name, spec in dataset.computed.items():
        where = f"set {dataset.name!r} computed role {name!r}"
        try:
            raw = _with_site(resolver.value(spec.model_dump(exclude_unset=True), where), site)
        except AbsentRole as exc:
            resolver.absent[name] = exc.reason
            continue
        if evaluate is None:
            resolver.add(name, f"<{name}>")
            continue
        value = evaluate(TruthSpec.model_validate(raw))
        if not isinstance(value, str | list):
            raise RoleError(f"{where}: {spec.fn!r} gave {value!r}, not a meter name")
        resolver.add(name, value if isinstance(value, str) else [str(v) for v in value])


def resolve_set(
    dataset: Dataset, roles: RoleFile, timezone: str, evaluate: Evaluate | None = None
) -> ResolvedSet:
    """The set for one plant: placeholders resolved, the clock moved to the plant's time zone,
    cases naming absent roles (and their thread's later cases) skipped. `evaluate` computes
    the set's computed roles on the plant's store (without it they resolve to '<name>', which
    is enough to check that every case resolves). A set without roles names one site's meters
    and is refused on any other site."""
    concrete = not dataset.computed and not roles_used([c.model_dump() for c in dataset.cases])
    if dataset.site != roles.site and concrete:
        raise RoleError(
            f"set {dataset.name!r} names the meters of {dataset.site!r} and no roles, so it "
            f"cannot be asked on {roles.site!r}; run it on its own plant"
        )
    resolver = Resolver(roles)
    _computed(dataset, resolver, roles.site, evaluate)
    cases: list[dict[str, Any]] = []
    skipped: list[Skipped] = []
    broken: dict[str, str] = {}
    for case in dataset.cases:
        where = f"set {dataset.name!r} case {case.id!r}"
        reason = roles.skip.get(case.id) or broken.get(case.thread_id)
        if reason is None:
            try:
                data = _resolve_case(case, resolver, where, roles.site)
            except AbsentRole as exc:
                reason = exc.reason
        if reason is not None:
            skipped.append(Skipped(case.id, case.category, reason))
            if case.thread:
                broken.setdefault(case.thread, f"follows skipped case {case.id!r}: {reason}")
            continue
        if case.now is not None:
            data["now"] = moved_clock(case.now, dataset.timezone, timezone)
        cases.append(data)
    try:
        resolved = Dataset.model_validate(
            {
                "name": dataset.name,
                "now": moved_clock(dataset.now, dataset.timezone, timezone),
                "site": roles.site,
                "timezone": timezone,
                "cases": cases,
            }
        )
    except ValidationError as exc:
        raise RoleError(f"set {dataset.name!r} resolved for {roles.site}: {exc}") from None
    return ResolvedSet(resolved, skipped)
