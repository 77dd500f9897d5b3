"""The registry of every tool the agent, the CLI and the watcher may call."""

from __future__ import annotations

import importlib
from typing import Any

from tools.base import REGISTRY, Tool

MODULES = (
    "query",
    "kpi",
    "compare",
    "split",
    "coverage",
    "sql",
    "baseline",
    "anomaly",
    "alerts",
    "forecast",
    "incidents",
    "knowledge",
)


def all_tools() -> dict[str, Tool[Any, Any]]:
    """Import every tool module (each registers its tools on import) and return the registry."""
    for module in MODULES:
        importlib.import_module(f"tools.{module}")
    return REGISTRY
