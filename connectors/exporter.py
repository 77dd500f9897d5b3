"""Exports of meter data and of tables as files: a series' readings or rollups (15 minutes to
months, on the site's local boundaries) and any table, as CSV, Excel or Parquet, with times in
the site's zone with their UTC offset and units in the headers.

The importer's counterpart: a CSV written here is a long file the importer reads back. Times in
CSV and Excel are ISO 8601 text with the offset (`2026-10-25T02:30:00+01:00`), which keeps the
two 02:30 of a night the clocks go back apart; Parquet keeps them as zone-aware timestamps.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from common.errors import EMSError, NotConfigured
from common.timeutil import midnights, zone

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Connection

    from store.catalog import SeriesRef

Grain = Literal["raw", "15min", "hour", "day", "week", "month"]
FileFormat = Literal["csv", "xlsx", "parquet"]
GRAINS: tuple[Grain, ...] = ("raw", "15min", "hour", "day", "week", "month")
FORMATS: tuple[FileFormat, ...] = ("csv", "xlsx", "parquet")
STORED = {"15min": 900, "hour": 3600, "day": 86400, "week": 86400, "month": 86400}
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


class UnknownExportFormat(EMSError):
    """A file format or grain the exports do not write."""


class ParquetUnavailable(NotConfigured):
    """Parquet was asked for, but pyarrow (which pandas writes Parquet with) is not installed."""


@dataclass(frozen=True)
class ExportFile:
    """An exported file: its name, media type, bytes and how many rows it holds."""

    filename: str
    media_type: str
    content: bytes
    rows: int


def check_choice(fmt: str, grain: str | None = None) -> None:
    """Refuse a format or grain the exports do not know, naming those they do."""
    if fmt not in FORMATS:
        raise UnknownExportFormat(f"no export format {fmt!r}; use {', '.join(FORMATS)}")
    if grain is not None and grain not in GRAINS:
        raise UnknownExportFormat(f"no grain {grain!r}; use {', '.join(GRAINS)}")


# ------------------------------------------------------------------ series


def series_frame(
    conn: Connection, series: SeriesRef, grain: str, start: int, end: int, tz: str
) -> pd.DataFrame:
    """A series over [start, end) as a table: raw readings (time, value) or per local bucket
    the readings counted, their sum, min, max and mean, each numeric header with its unit."""
    from store import queries

    check_choice("csv", grain)
    unit = series.unit
    if grain == "raw":
        raw = queries.readings(conn, series.id, start, end)
        return _with_time(raw["ts"], tz, {f"{series.metric} ({unit})": raw["value"]})
    frame = queries.rollups(conn, [series.id], STORED[grain], start, end, tz=tz)
    if grain in ("week", "month"):
        frame = _coarsen(frame, grain, tz)
    columns = {
        "readings": frame["n"],
        f"sum ({unit})": frame["sum"],
        f"min ({unit})": frame["min"],
        f"max ({unit})": frame["max"],
        f"mean ({unit})": frame["sum"] / frame["n"],
    }
    return _with_time(frame["bucket"], tz, columns)


def _with_time(ts: Any, tz: str, columns: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd

    local = pd.to_datetime(ts.to_numpy(), unit="s", utc=True).tz_convert(zone(tz))
    frame = pd.DataFrame({f"time ({tz})": local})
    for name, values in columns.items():
        frame[name] = values.to_numpy()
    return frame


def _coarsen(frame: pd.DataFrame, grain: str, tz: str) -> pd.DataFrame:
    """Day rollups folded into local weeks (from Monday) or calendar months."""
    import pandas as pd

    if frame.empty:
        return frame
    days = pd.to_datetime(frame["bucket"], unit="s", utc=True).dt.tz_convert(tz)
    naive = days.dt.tz_localize(None).dt.normalize()
    if grain == "week":
        keys = naive - pd.to_timedelta(naive.dt.day_of_week, unit="D")
    else:
        keys = naive.dt.to_period("M").dt.start_time
    grouped = (
        frame.assign(key=keys)
        .groupby("key", as_index=False)
        .agg(n=("n", "sum"), sum=("sum", "sum"), min=("min", "min"), max=("max", "max"))
    )
    grouped["bucket"] = midnights(pd.DatetimeIndex(grouped["key"]), tz).as_unit("s").asi8
    return grouped


# ------------------------------------------------------------------ files


def frame_file(frame: pd.DataFrame, fmt: str, stem: str, sheet: str = "data") -> ExportFile:
    """One table as a CSV, Excel or Parquet file."""
    check_choice(fmt)
    if fmt == "parquet":
        content = _parquet(frame)
    elif fmt == "xlsx":
        content = workbook([(sheet, frame)])
    else:
        content = _text(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")
    return ExportFile(f"{safe_name(stem)}.{fmt}", MEDIA[fmt], content, len(frame))


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Time columns as ISO 8601 text with the offset; other columns as they are."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if str(column.dtype).startswith("datetime64") and getattr(column.dt, "tz", None):
            out[name] = [t.isoformat() for t in column]
    return out


def _parquet(frame: pd.DataFrame) -> bytes:
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None:  # pandas writes Parquet with it
        raise ParquetUnavailable(
            "Parquet needs pyarrow (`pip install pyarrow`); or export csv or xlsx"
        )
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def workbook(sheets: Sequence[tuple[str, pd.DataFrame]]) -> bytes:
    """An Excel workbook with one sheet per table (names made unique and valid for Excel)."""
    import pandas as pd

    buffer = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for title, frame in sheets:
            name = _sheet_name(title, used)
            _text(frame).to_excel(writer, sheet_name=name, index=False)
            _fit_columns(writer.sheets[name])
    return buffer.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    base = SHEET_NAME.sub(" ", title).strip()[:28] or "table"
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base[:25]} ({n})", n + 1
    used.add(name.lower())
    return name


def _fit_columns(sheet: Any) -> None:
    """Columns as wide as their header (a person opening the file reads the units)."""
    for cells in sheet.iter_cols(min_row=1, max_row=1):
        cell = cells[0]
        sheet.column_dimensions[cell.column_letter].width = max(10, len(str(cell.value)) + 2)


def safe_name(stem: str) -> str:
    """A file name's stem with only letters, digits, dots, dashes and underscores."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") or "export"


def local_iso(moment: datetime, tz: str) -> str:
    """A moment in the site's zone, ISO 8601 with the offset."""
    return moment.astimezone(zone(tz)).isoformat()
