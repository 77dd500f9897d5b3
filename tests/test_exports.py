"""Exports: `ems-agent export` (readings and rollups as CSV, Excel and Parquet) against pandas over
the raw rows, across a change of the clocks; an answer's tables as CSV and Excel against the
evidence they come from; `ems-agent report`; and bad input refused in words."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from agent.evidence import evidence_from_calls
from agent.export import NoSuchTable, answer_file, headers, local_cell
from chat_ui.chat import tables_html
from connectors.exporter import safe_name
from ems_agent.cli import app
from ems_agent.context import TurnContexts, fixed_clock
from store import catalog, queries
from store.engine import make_engine
from tools.query import query_metric

TZ = ZoneInfo("Europe/Berlin")
NOW = "2026-11-05T12:00"
runner = CliRunner()


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Path:
    path = tmp_path_factory.mktemp("exports") / "demo.db"
    shutil.copyfile(demo_template, path)
    return path


@pytest.fixture(autouse=True)
def _the_demo(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMS_DATABASE_URL", f"sqlite:///{store_path}")


@pytest.fixture
def engine(store_path: Path) -> Engine:
    return make_engine(f"sqlite:///{store_path}")


def export(tmp_path: Path, *args: str, ok: bool = True) -> tuple[dict, Path]:
    fmt = args[args.index("--format") + 1] if "--format" in args else "csv"
    target = tmp_path / f"out.{fmt}"
    result = runner.invoke(app, ["export", *args, "--now", NOW, "-o", str(target), "--json"])
    if not ok:
        assert result.exit_code == 1, result.stdout
        return {"error": result.stderr}, target
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), target


def raw(engine: Engine, meter: str, start: str, end: str, metric: str = "energy") -> pd.Series:
    """A series' raw readings in [start, end) (local dates), indexed by local time."""
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
        m = catalog.resolve_meter(conn, site.id, meter)
        series = catalog.get_series(conn, m.id, metric)
        lo, hi = (int(pd.Timestamp(d, tz=TZ).timestamp()) for d in (start, end))
        rows = queries.readings(conn, series.id, lo, hi)
    index = pd.to_datetime(rows["ts"], unit="s", utc=True).dt.tz_convert(TZ)
    return pd.Series(rows["value"].to_numpy(), index=index)


def hour_of(series: pd.Series) -> pd.DatetimeIndex:
    """Each reading's local hour; floored in UTC, since a local 02:00 is ambiguous the night the
    clocks go back (Berlin's offsets are whole hours, so the hours are the same)."""
    index = pd.DatetimeIndex(series.index)
    return index.tz_convert("UTC").floor("h").tz_convert(TZ)


def test_raw_readings_as_csv_keep_both_hours_of_the_night_the_clocks_go_back(
    engine: Engine, tmp_path: Path
) -> None:
    made, path = export(tmp_path, "--meter", "main-incomer", "--period", "2026-10-25")
    frame = pd.read_csv(path)
    expected = raw(engine, "main-incomer", "2026-10-25", "2026-10-26")
    assert list(frame.columns) == ["time (Europe/Berlin)", "energy (kWh)"]
    assert made["rows"] == len(frame) == len(expected) == 100  # a 25-hour day
    assert list(frame["time (Europe/Berlin)"]) == [t.isoformat() for t in expected.index]
    assert frame["energy (kWh)"].to_numpy() == pytest.approx(expected.to_numpy())
    twice = frame[frame["time (Europe/Berlin)"].str.startswith("2026-10-25T02:30")]
    assert list(twice["time (Europe/Berlin)"].str[-6:]) == ["+02:00", "+01:00"]


def test_hourly_rollups_as_excel_equal_pandas_over_the_raw_rows(
    engine: Engine, tmp_path: Path
) -> None:
    args = ("--meter", "compressor-1", "--period", "2026-10-25", "--grain", "hour")
    made, path = export(tmp_path, *args, "--format", "xlsx")
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "time (Europe/Berlin)",
        "readings",
        "sum (kWh)",
        "min (kWh)",
        "max (kWh)",
        "mean (kWh)",
    )
    expected = raw(engine, "compressor-1", "2026-10-25", "2026-10-26")
    hours = expected.groupby(hour_of(expected)).agg(["count", "sum", "min", "max"])
    assert made["rows"] == len(rows) - 1 == len(hours) == 25
    for row, (start, want) in zip(rows[1:], hours.iterrows(), strict=True):
        assert row[0] == start.isoformat()
        assert row[1] == want["count"]
        assert row[2:5] == pytest.approx((want["sum"], want["min"], want["max"]))
        assert row[5] == pytest.approx(want["sum"] / want["count"])


def test_monthly_rollups_as_parquet_keep_zone_aware_times(engine: Engine, tmp_path: Path) -> None:
    args = ("--meter", "boiler", "--period", "2026-09..2026-10", "--grain", "month")
    _, path = export(tmp_path, *args, "--format", "parquet")
    frame = pd.read_parquet(path)
    assert str(frame["time (Europe/Berlin)"].dt.tz) == "Europe/Berlin"
    expected = raw(engine, "boiler", "2026-09-01", "2026-11-01")
    months = expected.groupby(expected.index.strftime("%Y-%m")).sum()
    assert list(frame["time (Europe/Berlin)"].dt.strftime("%Y-%m-%d %z")) == [
        "2026-09-01 +0200",
        "2026-10-01 +0200",
    ]
    assert frame["sum (kWh)"].to_numpy() == pytest.approx(months.to_numpy())


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--meter", "no-such-meter", "--period", "2026-10"), "no meter named 'no-such-meter'"),
        (("--meter", "boiler", "--period", "2024-03"), "no energy readings of boiler"),
        (("--meter", "boiler", "--period", "2026-10", "--format", "xls"), "no export format 'xls'"),
        (("--meter", "boiler", "--period", "2026-10", "--grain", "year"), "no grain 'year'"),
        (("--meter", "boiler", "--period", "fortnight"), "cannot read period 'fortnight'"),
    ],
)
def test_bad_exports_are_refused_in_words(
    tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    made, path = export(tmp_path, *args, ok=False)
    assert words in " ".join(made["error"].split())
    assert not path.exists()


# ------------------------------------------------------------------ an answer's tables


def answer(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    ctx = TurnContexts(engine, site, clock=fixed_clock(pd.Timestamp(NOW, tz=TZ).to_pydatetime()))(
        user="test", role="viewer"
    )
    args = {"meters": ["chiller", "offices"], "period": "2026-10-25", "grain": "hour"}
    return [{"name": "query_metric", "args": args, "result": query_metric(ctx, args).to_json()}]


def test_an_answers_table_as_csv_is_the_table_the_page_shows(engine: Engine) -> None:
    tables = evidence_from_calls(answer(engine)).tables
    title, columns, rows = tables[0]
    file = answer_file(tables, "csv", "Europe/Berlin", index=0)
    frame = pd.read_csv(io.BytesIO(file.content), dtype={"start": str})
    # the title's unit goes with each meter's column, since a file's columns travel alone
    assert columns == ["start", "chiller", "offices"] and title.endswith("(kWh)")
    assert list(frame.columns) == ["start", "chiller (kWh)", "offices (kWh)"]
    assert len(frame) == len(rows) == 25
    assert list(frame["start"]) == [r[0] for r in rows]
    expected = raw(engine, "chiller", "2026-10-25", "2026-10-26")
    by_hour = expected.groupby(hour_of(expected)).sum().round(3)
    assert frame["chiller (kWh)"].to_numpy() == pytest.approx(by_hour.to_numpy())
    assert "kWh" in title and file.filename.endswith(".csv")


def test_an_answer_as_excel_has_a_sheet_per_table_with_units(engine: Engine) -> None:
    tables = evidence_from_calls(answer(engine)).tables
    file = answer_file(tables, "xlsx", "Europe/Berlin")
    book = openpyxl.load_workbook(io.BytesIO(file.content))
    assert len(book.sheetnames) == len(tables) == 2
    totals = list(book.worksheets[1].iter_rows(values_only=True))
    assert totals[0] == ("meter", "energy (kWh)", "readings", "coverage %")
    assert file.rows == sum(len(t[2]) for t in tables)


def test_times_in_an_answer_are_given_in_the_sites_zone() -> None:
    assert local_cell("2026-10-25T01:30:00+00:00", "Europe/Berlin") == "2026-10-25T02:30:00+01:00"
    assert local_cell("2026-10-25T00:30:00Z", "Europe/Berlin") == "2026-10-25T02:30:00+02:00"
    assert local_cell("2026-10-25", "Europe/Berlin") == "2026-10-25"  # a day stays a day
    assert local_cell(12.5, "Europe/Berlin") == 12.5


def test_answer_exports_that_cannot_be_made_say_why(engine: Engine) -> None:
    tables = evidence_from_calls(answer(engine)).tables
    with pytest.raises(NoSuchTable, match="holds one table and this answer has 2"):
        answer_file(tables, "csv", "UTC")
    with pytest.raises(NoSuchTable, match="table 5 is not one of them"):
        answer_file(tables, "xlsx", "UTC", index=5)
    with pytest.raises(NoSuchTable, match="no tables"):
        answer_file([], "xlsx", "UTC")
    with pytest.raises(NoSuchTable, match="csv or xlsx"):
        answer_file(tables, "parquet", "UTC", index=0)


# ------------------------------------------------------------------ the report command


def test_the_report_command_writes_the_pdf(tmp_path: Path) -> None:
    target = tmp_path / "october.pdf"
    result = runner.invoke(
        app, ["report", "--month", "2026-10", "--now", NOW, "-o", str(target), "--json"]
    )
    assert result.exit_code == 0, result.stderr
    made = json.loads(result.stdout)
    assert made["file"] == str(target) and made["month"] == "2026-10"
    assert target.read_bytes().startswith(b"%PDF")
    assert "electricity:" in made["summary"]


def test_the_report_command_refuses_a_month_without_data(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--month", "2026-02", "--now", NOW])
    assert result.exit_code == 1
    assert "no energy readings at demo-plant in February 2026" in " ".join(result.stderr.split())


# ------------------------------------------------------------------ the page's download links


def links(page_html: str) -> dict[str, bytes]:
    """The page's download links: file name -> the bytes the browser would save."""
    found = re.findall(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', page_html)
    return {name: base64.b64decode(data) for name, data in found}


def test_the_page_offers_each_table_as_csv_and_excel_beside_it(engine: Engine) -> None:
    ev = evidence_from_calls(answer(engine))
    files = links(tables_html(ev))
    assert len(files) == 2 * len(ev.tables) == 4
    for title, columns, rows in ev.tables:
        (csv,) = (v for k, v in files.items() if k.endswith(".csv") and safe_name(title) in k)
        frame = pd.read_csv(io.BytesIO(csv), dtype=str, keep_default_na=False)
        assert list(frame.columns) == headers((title, columns, rows))
        assert all("kWh" in c for c in frame.columns[1:]) or "kWh" not in title
        assert frame.to_numpy().tolist() == [["" if v is None else str(v) for v in r] for r in rows]
    (xlsx,) = (v for k, v in files.items() if k.endswith(".xlsx") and "by-hour" in k)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    cells = list(sheet.iter_rows(values_only=True))
    expected = raw(engine, "chiller", "2026-10-25", "2026-10-26")
    by_hour = expected.groupby(hour_of(expected)).sum()
    assert [c[1] for c in cells[1:]] == pytest.approx(by_hour.to_list(), abs=1e-3)
    assert [c[0] for c in cells[1:]] == [t.isoformat() for t in by_hour.index]


def test_a_report_answer_offers_its_pdf_and_html(engine: Engine) -> None:
    from tools.report import monthly_report

    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    clock = fixed_clock(pd.Timestamp(NOW, tz=TZ).to_pydatetime())
    ctx = TurnContexts(engine, site, clock=clock)(user="test", role="viewer")
    made = monthly_report(ctx, {"month": "2026-10"}).to_json()
    calls = [{"name": "monthly_report", "args": {"month": "2026-10"}, "result": made}]
    files = links(tables_html(evidence_from_calls(calls)))
    pdf = files["energy-report-demo-plant-2026-10.pdf"]
    assert pdf.startswith(b"%PDF")
    assert "Energy report October 2026" in files["energy-report-demo-plant-2026-10.html"].decode()
    # and each of its tables as CSV and Excel
    assert sum(name.endswith(".csv") for name in files) == len(evidence_from_calls(calls).tables)
