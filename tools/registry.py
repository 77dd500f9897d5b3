"""The registry of every tool the agent, the CLI and the watcher may call, found by discovering
the modules of the `tools` package (a module declares its tools with `@tool`)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.base import Tool

PACKAGE = Path(__file__).parent


_DECORATOR = re.compile(r"^@tool\(", re.MULTILINE)


def _source(module: str) -> str:
    return (PACKAGE / f"{module.rsplit('.', 1)[-1]}.py").read_text(encoding="utf-8")


def tool_modules() -> list[str]:
    """The modules of the tools package that declare tools (with `@tool`), by dotted name.

    Helper modules (period parsing, the M&V statistics, CalTRACK) are left to the tool modules
    that use them, so a question that needs none of them does not load SciPy."""
    found = (m.name for m in pkgutil.iter_modules([str(PACKAGE)], "tools.") if not m.ispkg)
    return sorted(name for name in found if _DECORATOR.search(_source(name)))


def all_tools() -> dict[str, Tool[Any, Any]]:
    """Import every tool module (each registers its tools on import) and return the registry."""
    from tools.base import REGISTRY

    for module in tool_modules():
        importlib.import_module(module)
    return REGISTRY


_DOC_OPEN = re.compile(r"\)\s*(?:->[^:]*)?:\s*\n\s*[rRuU]?(\"\"\"|\'\'\')")


def declared_tools() -> dict[str, str]:
    """Each tool's name and description, read from the source without importing the modules.

    The command line lists the tools in `--help` from this, so listing them does not load
    pandas, SciPy or scikit-learn; a test checks it agrees with the registry. Only the
    decorator, signature and docstring of each tool are parsed, which keeps it to a few
    milliseconds. Running a tool imports its module as usual.
    """
    found: dict[str, str] = {}
    for module in tool_modules():
        source = _source(module)
        for match in _DECORATOR.finditer(source):
            opened = _DOC_OPEN.search(source, match.start())
            if opened is None:
                continue
            end = source.find(opened.group(1), opened.end()) + 3
            node = ast.parse(source[match.start() : end]).body[0]
            assert isinstance(node, ast.FunctionDef)
            name = _named(node.decorator_list[0]) or node.name
            found[name] = inspect.cleandoc(ast.get_docstring(node) or "")
    return found


def _named(decorator: ast.expr) -> str | None:
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
    return None
