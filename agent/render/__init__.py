"""One renderer per tool result type: the answer's lines, the evidence's charts and tables, the
sources and the meters a result is about, all from the one typed result.

    renderer = renderer_for(tool.result_model)
    result = typed(tool, artifact)          # the stored dict as its declared type
    lines = renderer.answer(result)
"""

from agent.render import (  # noqa: F401  (each module registers its renderers)
    alerts,
    contrast,
    incidents,
    knowledge,
    metrics,
    models,
    portfolio,
    report,
    sql,
    windows,
)
from agent.render.base import (
    DESCRIBERS,
    RENDERERS,
    ChartSpec,
    MissingRenderer,
    Parts,
    Renderer,
    Row,
    Table,
    renderer_for,
    typed,
)

__all__ = [
    "DESCRIBERS",
    "RENDERERS",
    "ChartSpec",
    "MissingRenderer",
    "Parts",
    "Renderer",
    "Row",
    "Table",
    "renderer_for",
    "typed",
]
