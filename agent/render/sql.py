"""The renderer of read-only SQL results: the rows as a table, in the answer and the evidence."""

from __future__ import annotations

from agent.render.base import Parts, Renderer, renders
from agent.render.text import number
from tools.sql import SqlResult

SHOWN = 20


@renders(SqlResult)
class SqlRenderer(Renderer[SqlResult]):
    def answer(self, r: SqlResult) -> list[str]:
        lines = [f"{r.row_count} row(s){' (truncated)' if r.truncated else ''}:"]
        lines.append("| " + " | ".join(map(str, r.columns)) + " |")
        lines.append("|" + "---|" * len(r.columns))
        for row in r.rows[:SHOWN]:
            cells = (number(v) if isinstance(v, float) else str(v) for v in row)
            lines.append("| " + " | ".join(cells) + " |")
        return [*lines, f"Source: read-only SQL `{r.sql}`."]

    def sources(self, r: SqlResult) -> list[str]:
        return [f"read-only SQL: {r.sql}"]

    def subjects(self, r: SqlResult) -> list[str]:
        return []

    def evidence(self, r: SqlResult, out: Parts) -> None:
        title = f"query result ({r.row_count} rows{', truncated' if r.truncated else ''})"
        out.tables.append((title, list(r.columns), [list(row) for row in r.rows]))
