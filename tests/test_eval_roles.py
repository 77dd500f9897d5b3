"""Role templates: a set's plant words resolved per plant by its role file, unknown roles named,
absent roles skipped (with their thread), every templated set resolving on the demo."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from connectors.catalog_file import CARRIERS, read_plant
from evals.dataset import Dataset, TruthSpec, load_dataset
from evals.roles import (
    DEMO_ROLES,
    PLANTS,
    VALUE_FIELDS,
    RoleError,
    RoleFile,
    load_roles,
    moved_clock,
    resolve_set,
    roles_for,
    roles_used,
)
from evals.runner import INCIDENT_TEMPLATES, INCIDENTS, SETS, incident_rows

ROLES = RoleFile.model_validate(
    {
        "site": "north",
        "roles": {
            "pump": {"meter": "P-101", "says": {"short": "the pump"}},
            "pumps": {"meters": ["P-101", "P-102"], "says": {"phrase": "the pumps"}},
            "day_shift": {"shift": "Tag"},
        },
        "absent": {"chiller": "no cooling on site"},
        "skip": {"skipped-by-file": "makes no sense here"},
    }
)


def dataset(*cases: dict[str, Any], **fields: Any) -> Dataset:
    base = {"name": "t", "now": "2026-11-05T00:00:00+01:00", "timezone": "Europe/Berlin"}
    filled = [{"category": "energy", "expect": {}, **c} for c in cases]
    return Dataset.model_validate({**base, **fields, "cases": filled})


def energy_case(case_id: str, question: str, meter: str, **extra: Any) -> dict[str, Any]:
    expect = {
        "tool": "query_metric",
        "args": {"meters": [meter], "period": "2026-11-04"},
        "truth": {"fn": "energy", "meter": meter, "period": "2026-11-04"},
    }
    return {"id": case_id, "question": question, "expect": expect, **extra}


def test_placeholders_become_values_in_arguments_and_words_in_questions() -> None:
    sets = dataset(
        energy_case("one", "How much did {pump:short} use? ({pump})", "{pump}"),
        energy_case("group", "What did {pumps:phrase} use?", "{pumps}"),
        {
            "id": "shift",
            "question": "the {day_shift} shift",
            "category": "split",
            "expect": {
                "tool": "split_consumption",
                "truth": {"fn": "shift_energy", "shift": "{day_shift}", "meter": "{pump}"},
                "mentions": ["{pump}", "{pumps:phrase}"],
            },
        },
    )
    resolved = resolve_set(sets, ROLES, "America/Chicago")
    one, group, shift = resolved.dataset.cases
    assert one.question == "How much did the pump use? (P-101)"
    assert one.expect.args["meters"] == ["P-101"]
    assert one.expect.truth is not None and one.expect.truth.meter == "P-101"
    assert one.expect.truth.site == "north"  # truth is computed on the plant's site
    assert group.question == "What did the pumps use?"
    assert group.expect.args["meters"] == ["P-101", "P-102"]  # a group flattens into the list
    assert group.expect.truth is not None and group.expect.truth.meter == ["P-101", "P-102"]
    assert shift.question == "the Tag shift"
    assert shift.expect.truth is not None and shift.expect.truth.shift == "Tag"
    assert shift.expect.mentions == ["P-101", "the pumps"]
    assert resolved.dataset.site == "north" and resolved.skipped == []


def test_an_unknown_role_names_the_set_the_case_and_the_role() -> None:
    sets = dataset(energy_case("bad-one", "How much did {compressor} use?", "{compressor}"))
    with pytest.raises(RoleError, match=r"set 't' case 'bad-one': unknown role 'compressor'"):
        resolve_set(sets, ROLES, "UTC")


def test_a_missing_form_names_the_role_and_the_form() -> None:
    sets = dataset(energy_case("c1", "How much did {pump:typo} use?", "{pump}"))
    with pytest.raises(RoleError, match=r"case 'c1': role 'pump' has no form 'typo'"):
        resolve_set(sets, ROLES, "UTC")
    words = dataset(energy_case("c2", "How much did {pumps} use?", "{pumps}"))
    with pytest.raises(RoleError, match=r"role 'pumps' has no 'name' form"):
        resolve_set(words, ROLES, "UTC")


def test_absent_roles_and_listed_cases_are_skipped_with_their_threads() -> None:
    sets = dataset(
        energy_case("asks-chiller", "chiller energy?", "{chiller}", thread="t1"),
        {"id": "follow-up", "question": "and the day before?", "thread": "t1", "expect": {}},
        energy_case("skipped-by-file", "pump?", "{pump}"),
        energy_case("kept", "pump?", "{pump}"),
    )
    resolved = resolve_set(sets, ROLES, "UTC")
    assert [c.id for c in resolved.dataset.cases] == ["kept"]
    reasons = {s.case_id: s.reason for s in resolved.skipped}
    assert reasons["asks-chiller"] == "the plant has no chiller (no cooling on site)"
    assert reasons["follow-up"].startswith("follows skipped case 'asks-chiller'")
    assert reasons["skipped-by-file"] == "makes no sense here"


def test_the_clock_keeps_its_wall_time_in_the_plants_zone() -> None:
    sets = dataset(
        energy_case("own", "pump?", "{pump}", now="2026-10-01T09:00:00+02:00"),
        energy_case("set", "pump?", "{pump}"),
    )
    resolved = resolve_set(sets, ROLES, "America/Sao_Paulo").dataset
    zone = ZoneInfo("America/Sao_Paulo")
    assert resolved.now == datetime(2026, 11, 5, 0, 0, tzinfo=zone)
    assert resolved.cases[0].now == datetime(2026, 10, 1, 9, 0, tzinfo=zone)
    assert resolved.timezone == "America/Sao_Paulo"
    assert moved_clock(resolved.now, "America/Sao_Paulo", "UTC").hour == 0


def test_computed_roles_take_the_value_the_truth_gives() -> None:
    sets = dataset(
        energy_case("top", "how did it do?", "{top}"),
        computed={"top": {"fn": "top_meter", "period": "2026-10-01..2026-10-31"}},
    )
    asked: list[TruthSpec] = []

    def evaluate(spec: TruthSpec) -> str:
        asked.append(spec)
        return "P-102"

    resolved = resolve_set(sets, ROLES, "UTC", evaluate).dataset
    assert resolved.cases[0].expect.args["meters"] == ["P-102"]
    assert [(s.fn, s.site, s.period) for s in asked] == [
        ("top_meter", "north", "2026-10-01..2026-10-31")
    ]


def test_a_bad_role_file_is_named_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "x.roles.yaml"
    path.write_text(yaml.safe_dump({"site": "s", "roles": {"a": {"meter": "m", "meters": ["m"]}}}))
    with pytest.raises(RoleError, match=r"x.roles.yaml: roles.a: .*gives meter and meters"):
        load_roles(path)
    path.write_text(
        yaml.safe_dump({"site": "s", "roles": {"a": {"meter": "m"}}, "absent": {"a": ""}})
    )
    with pytest.raises(RoleError, match="both defined and absent: a"):
        load_roles(path)
    path.write_text("site: [")
    with pytest.raises(RoleError, match="cannot read the role file"):
        load_roles(path)


@pytest.mark.parametrize("name", SETS)
def test_every_templated_case_resolves_on_the_demo(name: str) -> None:
    template = load_dataset(name)
    resolved = resolve_set(template, load_roles(DEMO_ROLES), "Europe/Berlin")
    assert resolved.skipped == []
    assert len(resolved.dataset.cases) == len(template.cases)
    for case in resolved.dataset.cases:
        assert roles_used(case.model_dump(mode="json")) == set(), case.id


def _strings(item: Any) -> Iterator[str]:
    if isinstance(item, str):
        yield item
    elif isinstance(item, list | tuple):
        for element in item:
            yield from _strings(element)
    elif isinstance(item, dict):
        for element in item.values():
            yield from _strings(element)


def _demo_meters() -> set[str]:
    plant_file = load_roles(DEMO_ROLES).plant_file
    assert plant_file is not None
    meters = read_plant((DEMO_ROLES.parent / plant_file).resolve()).plant.meters
    return {m.name for m in meters if m.name not in CARRIERS}


def _literal_demo_meters(template: Dataset, demo: set[str]) -> list[str]:
    """Demo meter names a set writes itself: in tool arguments and truths (exactly, or quoted
    in SQL), and in questions and expected words where the name cannot be a plain word."""
    distinctive = {name.lower() for name in demo if re.search(r"[-\d]", name)}
    found = []
    specs = [spec.model_dump(mode="json") for spec in template.computed.values()]
    for text in _strings(specs):
        found += [f"computed: {n}" for n in demo if text == n or f"'{n}'" in text]
    for case in template.cases:
        expect = case.expect.model_dump(mode="json", exclude_unset=True)
        for text in _strings([expect.get(key) for key in VALUE_FIELDS]):
            found += [f"{case.id}: {n}" for n in demo if text == n or f"'{n}'" in text]
        words = [case.question, *(v for k, v in expect.items() if k not in VALUE_FIELDS)]
        for text in _strings(words):
            tokens = set(re.findall(r"[\w-]+", text.lower()))
            found += [f"{case.id}: {n!r} in {text!r}" for n in sorted(distinctive & tokens)]
    return found


@pytest.mark.parametrize("name", SETS)
def test_sets_name_meters_only_through_roles(name: str) -> None:
    """A meter name written into a set would be asked of every plant: sets name meters through
    roles (a case merged in with a demo name fails here, not on the next plant)."""
    demo = _demo_meters()
    assert {"main-incomer", "compressor-2"} <= demo  # the check has names to look for
    found = _literal_demo_meters(load_dataset(name), demo)
    assert not found, "demo meter names written into the set:\n" + "\n".join(found)


def test_literal_demo_meters_are_found() -> None:
    sets = dataset(
        energy_case("arg", "How much did {pump} use?", "main-incomer"),
        energy_case("words", "how much did Compressor-2 use?", "{pump}"),
        energy_case("fine", "what did the boiler house use?", "{pump}"),
        {
            "id": "sql",
            "question": "count",
            "expect": {"truth": {"fn": "sql", "query": "SELECT 1 WHERE name = 'chiller'"}},
        },
    )
    found = _literal_demo_meters(sets, _demo_meters())
    assert sorted(f.split(":")[0] for f in found) == ["arg", "arg", "sql", "words"]


def _role_files() -> list[Path]:
    return sorted(PLANTS.glob("*.roles.yaml"))


@pytest.mark.parametrize("path", _role_files(), ids=lambda p: p.name)
def test_role_files_name_the_meters_and_shifts_of_their_plant(path: Path) -> None:
    """Each role file resolves every set, and its meters and shifts are its plant file's."""
    roles = load_roles(path)
    assert roles.plant_file is not None
    plant_path = (path.parent / roles.plant_file).resolve()
    if not plant_path.exists():
        pytest.skip(f"{plant_path.name} is not in this tree")
    plant = read_plant(plant_path).plant
    assert plant.site.name == roles.site
    meters = {m.name for m in plant.meters}
    shifts = {s.name for s in plant.site.shifts or []}
    for name, role in roles.roles.items():
        named = ([role.meter] if role.meter else []) + (role.meters or [])
        assert set(named) <= meters, name
        assert role.shift is None or role.shift in shifts, name
    case_ids: set[str] = set()
    for name in SETS:
        template = load_dataset(name)
        resolved = resolve_set(template, roles, plant.site.timezone)
        assert {s.case_id for s in resolved.skipped} <= set(roles.skip), name
        case_ids |= {case.id for case in template.cases}
    assert set(roles.skip) <= case_ids, "a skip entry names no case of any set"
    assert roles_for(plant_path) == path  # `eval --plant FILE` finds its role file


def test_the_fixed_incidents_land_on_each_plants_meters() -> None:
    assert [row[1] for row in INCIDENTS] == [
        "chiller",
        "compressor-2",
        "offices",
        "compressor-1",
        "boiler",
        "line-a",
    ]
    assert INCIDENTS[1][14].endswith("quick couplings on line B; couplings replaced.")
    assert INCIDENTS[0][10] == "chiller: consumption above expected since 2026-08-03 00:00"
    north = RoleFile.model_validate(
        {
            "site": "north",
            "roles": {
                "cooling": {"meter": "CH-1"},
                "compressor_b": {"meter": "AC-2"},
                "line_b": {"meter": "L2", "says": {"spaced": "line 2"}},
            },
            "absent": {r: "none" for r in ("office", "compressor_a", "gas_boiler", "line_a")},
        }
    )
    rows = incident_rows(north)
    assert [(row[0], row[1]) for row in rows] == [(1, "CH-1"), (2, "AC-2")]
    assert "AC-2 drew about 18 kW more" in rows[1][11]
    assert rows[1][7:10] == INCIDENT_TEMPLATES[1][7:10]  # the same impact on every plant
