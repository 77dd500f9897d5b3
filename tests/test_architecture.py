"""The architecture DESIGN.md draws, checked on the source: imports point down the layers only,
tools read the time only from their context, and every tool is fully declared."""

from __future__ import annotations

import ast
import inspect
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from tools.base import Tool, ToolInput, ToolResult

ROOT = Path(__file__).resolve().parent.parent

# The front ends, named once: each is a package beside the others (the HTTP API will be `api`).
FRONT_ENDS = ("chat_ui", "slack_bot", "api")

# Top to bottom. A module may import its own package and the packages of lower layers, never a
# package of its own layer or of a higher one. The watcher (agent/watcher.py) sits in the agent
# layer: it imports only downwards and declares the notifier interface it is handed.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("ems_agent",),
    FRONT_ENDS,
    ("agent",),
    ("tools", "knowledge", "connectors"),
    ("store",),
    ("common",),
)
LEVEL = {package: level for level, packages in enumerate(LAYERS) for package in packages}
# Consumers of the product that sit outside the layers; no product package may import them,
# except the root's `eval` command, which runs the evals.
OUTSIDE = ("evals", "benchmarks", "tests")


def modules() -> Iterator[tuple[str, Path]]:
    for package in LEVEL:
        folder = ROOT / package
        if not folder.is_dir():
            continue  # a front end that does not exist yet
        for path in sorted(folder.rglob("*.py")):
            if "versions" not in path.parts:  # migration scripts are data for Alembic
                yield package, path


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """Every absolute import in the file, at any depth (TYPE_CHECKING and function bodies too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def test_every_product_package_has_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    unplaced = packages - set(LEVEL) - set(OUTSIDE)
    assert unplaced == set(), f"add {sorted(unplaced)} to LAYERS (or OUTSIDE) in this test"


def test_imports_point_down_the_layers_only() -> None:
    wrong = []
    for package, path in modules():
        for line, name in imported(path):
            target = name.split(".")[0]
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if target in OUTSIDE and not (package == "ems_agent" and target == "evals"):
                wrong.append(f"{where} (outside the product)")
            elif target == package or target not in LEVEL:
                continue
            elif LEVEL[target] == LEVEL[package]:
                wrong.append(f"{where} (a sibling in its own layer)")
            elif LEVEL[target] < LEVEL[package]:
                wrong.append(f"{where} (a higher layer)")
    assert wrong == []


def test_the_layer_check_catches_an_upward_import(tmp_path: Path) -> None:
    # The check above must be able to fail: an upward and a sibling import are both found.
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ems_agent.app import App\n"
        "def f() -> None:\n    import connectors.notify\n"
    )
    assert [name for _, name in imported(source)] == [
        "typing",
        "ems_agent.app",
        "connectors.notify",
    ]


CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("time", "time"), ("date", "today")}


def clock_calls(path: Path) -> list[str]:
    """Calls of the wall clock in a file: datetime.now(), time.time(), date.today() ..."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, node.func.attr) in CLOCK_CALLS:
                found.append(f"{path.name}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_tools_read_the_time_only_from_their_context() -> None:
    calls = [c for path in sorted((ROOT / "tools").rglob("*.py")) for c in clock_calls(path)]
    assert (ROOT / "tools" / "kpi.py").exists()  # the folder is really there to be read
    assert calls == [], "tools take the time from ctx.now (the turn context), never the clock"


def test_the_clock_check_finds_each_kind_of_call(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import datetime as dt, time\nfrom datetime import date, datetime\n"
        "a = datetime.now()\nb = dt.datetime.now()\nc = time.time()\nd = date.today()\n"
        "e = time.monotonic()\n"
    )
    assert [c.split()[-1] for c in clock_calls(probe)] == [
        "datetime.now()",
        "datetime.now()",
        "time.time()",
        "date.today()",
    ]


# ------------------------------------------------------------------ tool declarations


def registry() -> dict[str, Tool[typing.Any, typing.Any]]:
    from tools.registry import all_tools

    return all_tools()


def output_model(declared: Tool[typing.Any, typing.Any]) -> type[BaseModel]:
    return typing.get_type_hints(declared.fn)["return"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(registry()))
def test_every_tool_is_fully_declared(name: str) -> None:
    from agent.render import renderer_for

    declared = registry()[name]
    assert declared.description.strip() and "Args:" not in declared.description
    assert issubclass(declared.input_model, ToolInput)
    assert all(f.description for f in declared.input_model.model_fields.values())
    assert issubclass(output_model(declared), ToolResult)
    assert list(inspect.signature(declared.fn).parameters) == ["ctx", "args"]
    # One renderer per result type (answer text, charts, tables, sources), found by that type.
    renderer = renderer_for(declared.result_model)
    assert renderer.result is declared.result_model


def test_tools_are_discovered_from_the_package() -> None:
    from tools.registry import tool_modules

    declaring = {
        path.stem
        for path in (ROOT / "tools").glob("*.py")
        if any(line.startswith("@tool(") for line in path.read_text(encoding="utf-8").split("\n"))
    }
    assert {m.rsplit(".", 1)[-1] for m in tool_modules()} == declaring
    assert {t.fn.__module__.rsplit(".", 1)[-1] for t in registry().values()} == declaring
    assert {"query", "kpi", "anomaly", "sql"} <= declaring and "base" not in declaring


def test_the_command_line_lists_the_tools_as_the_registry_declares_them() -> None:
    # `ems-agent --help` lists the tools from their source, without importing them.
    from tools.registry import declared_tools

    declared = {name: t.description for name, t in registry().items()}
    assert declared_tools() == declared
