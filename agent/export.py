"""An answer's tables as files to download: one table as CSV, or every table (one sheet each) as
an Excel workbook, from the answer's evidence, with times in the site's zone with their offset
and the units the tables' headers carry. The chat page's buttons and the API both use this."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from common.errors import EMSError
from common.timeutil import zone
from connectors.exporter import MEDIA, ExportFile, frame_file, safe_name, workbook

if TYPE_CHECKING:
    import pandas as pd

    from agent.evidence import Table

ANSWER_FORMATS = ("csv", "xlsx")
_UNIT = re.compile(r"\(([^()]+)\)\s*$")  # "energy by hour (kWh)"
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)")


class NoSuchTable(EMSError):
    """An export named a table the answer does not have, or an answer without tables."""


def local_cell(value: Any, tz: str | None) -> Any:
    """A cell with any time in it given in the site's zone with its offset; times without an
    offset (and everything else) are left as they are, and so is every cell when `tz` is None
    (the tools already write times in the site's zone)."""
    if tz is None:
        return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(zone(tz)).isoformat()
    if isinstance(value, str) and _MOMENT.fullmatch(value):
        return datetime.fromisoformat(value).astimezone(zone(tz)).isoformat()
    return value


def headers(table: Table) -> list[str]:
    """The table's column names, each numeric column with its unit: a table whose title ends
    in its unit ("energy by hour (kWh)") has columns named for meters, and a file's columns
    travel without the title."""
    title, columns, rows = table
    unit = _title_unit(title)
    if unit is None:
        return list(columns)
    named = []
    for i, column in enumerate(columns):
        values = [row[i] for row in rows if i < len(row) and row[i] is not None]
        numeric = bool(values) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values
        )
        named.append(f"{column} ({unit})" if numeric and "(" not in column else column)
    return named


def _title_unit(title: str) -> str | None:
    """The unit a title ends with: a unit of measure or a currency code, not "(25 Oct 2026)"."""
    from common.errors import UnknownUnit
    from common.units import parse_unit

    found = _UNIT.search(title)
    if found is None:
        return None
    text = found.group(1).strip()
    if re.fullmatch(r"[A-Z]{3}", text):
        return text
    try:
        parse_unit(text)
    except UnknownUnit:
        return None
    return text


def table_frame(table: Table, tz: str | None) -> pd.DataFrame:
    """One evidence table as a data frame, units in the numeric columns' names."""
    import pandas as pd

    cells = [[local_cell(v, tz) for v in row] for row in table[2]]
    return pd.DataFrame(cells, columns=pd.Index(headers(table), dtype=object))


def _chosen(tables: Sequence[Table], index: int | None) -> list[Table]:
    if not tables:
        raise NoSuchTable("this answer has no tables to export")
    if index is None:
        return list(tables)
    if not 0 <= index < len(tables):
        raise NoSuchTable(
            f"this answer has {len(tables)} table{'s' if len(tables) > 1 else ''}; "
            f"table {index} is not one of them (0 to {len(tables) - 1})"
        )
    return [tables[index]]


def answer_file(
    tables: Sequence[Table],
    fmt: str,
    tz: str | None,
    *,
    index: int | None = None,
    stem: str = "answer",
) -> ExportFile:
    """The answer's tables as a file: CSV holds one table (`index`, or the only one); Excel
    holds the table asked for, or all of them, one sheet each."""
    if fmt not in ANSWER_FORMATS:
        raise NoSuchTable(f"an answer's tables export as csv or xlsx, not {fmt!r}")
    chosen = _chosen(tables, index)
    if fmt == "csv":
        if len(chosen) > 1:
            raise NoSuchTable(
                f"a CSV file holds one table and this answer has {len(chosen)}: name one "
                f"(0 to {len(chosen) - 1}), or export xlsx for all of them"
            )
        title = chosen[0][0]
        return frame_file(table_frame(chosen[0], tz), "csv", f"{stem}-{title}")
    sheets = [(t[0], table_frame(t, tz)) for t in chosen]
    name = f"{stem}-{chosen[0][0]}" if len(chosen) == 1 else stem
    rows = sum(len(t[2]) for t in chosen)
    return ExportFile(f"{safe_name(name)}.xlsx", MEDIA["xlsx"], workbook(sheets), rows)
