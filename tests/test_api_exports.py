"""The API's exports and monthly reports, served on 127.0.0.1 and called with httpx: a meter's
rollups as CSV against pandas over the raw readings, an answer's tables against the evidence
/ask returned, the report's PDF read back with pdftotext, and bad input answered in words."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import text

from agent.evidence import evidence_from_calls
from agent.export import headers
from tests.api_fixtures import Served, served_fixture  # noqa: F401  (fixture)
from tests.conftest import need_server

TZ = "Europe/Berlin"


def raw_hours(served: Served, meter: str, day: str) -> pd.Series:
    """The meter's energy per local hour of one day, from the raw readings (by UTC hour, as a
    local 02:00 is ambiguous the night the clocks go back)."""
    query = text(
        "SELECT r.ts, r.value FROM readings r JOIN series s ON s.id = r.series_id "
        "JOIN meters m ON m.id = s.meter_id WHERE m.name = :meter AND s.metric = 'energy' "
        "AND r.ts >= :lo AND r.ts < :hi"
    )
    start = pd.Timestamp(day)
    lo, hi = (int(t.tz_localize(TZ).timestamp()) for t in (start, start + pd.Timedelta(days=1)))
    with served.app.engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query, {"meter": meter, "lo": lo, "hi": hi}).all())
    hours = pd.to_datetime(frame["ts"] // 3600 * 3600, unit="s", utc=True).dt.tz_convert(TZ)
    return frame.groupby(hours)["value"].sum()


def test_hourly_rollups_as_csv_match_the_raw_readings(served: Served) -> None:
    params = {"meter": "chiller", "period": "2026-10-25", "grain": "hour", "format": "csv"}
    with served.client() as client:
        answer = client.get("/api/v1/export", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="chiller-energy-hour.csv"' in answer.headers["content-disposition"]
    frame = pd.read_csv(io.BytesIO(answer.content))
    expected = raw_hours(served, "chiller", "2026-10-25")
    assert list(frame.columns)[:3] == ["time (Europe/Berlin)", "readings", "sum (kWh)"]
    assert list(frame["time (Europe/Berlin)"]) == [t.isoformat() for t in expected.index]
    assert frame["sum (kWh)"].to_numpy() == pytest.approx(expected.to_numpy())


def test_an_answers_tables_are_the_evidence_ask_returned(served: Served) -> None:
    with served.client() as client:
        asked = client.post(
            "/api/v1/ask", json={"question": "chiller and offices energy per hour on 2026-10-25"}
        ).json()
        calls = asked["tool_calls"]
        book = client.post("/api/v1/export/answer", json={"tool_calls": calls, "format": "xlsx"})
        one = client.post(
            "/api/v1/export/answer", json={"tool_calls": calls, "format": "csv", "table": 0}
        )
        several = client.post("/api/v1/export/answer", json={"tool_calls": calls, "format": "csv"})
    tables = evidence_from_calls(calls).tables
    assert book.status_code == one.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(book.content))
    assert len(workbook.worksheets) == len(tables) == 2
    for sheet, table in zip(workbook.worksheets, tables, strict=True):
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == headers(table) and len(rows) - 1 == len(table[2])
    frame = pd.read_csv(io.BytesIO(one.content))
    expected = raw_hours(served, "chiller", "2026-10-25")
    assert frame["chiller (kWh)"].to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-3)
    assert several.status_code == 422
    assert "a CSV file holds one table and this answer has 2" in several.json()["detail"]


def test_the_report_pdf_read_back_carries_the_tools_figures(served: Served, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        need_server("pdftotext (Debian's poppler-utils) is not installed")
    with served.client() as client:
        pdf = client.get("/api/v1/reports", params={"month": "2026-10"})
        figures = client.get("/api/v1/reports", params={"month": "2026-10", "format": "json"})
        energy = client.post(
            "/api/v1/tools/compute_kpi",
            json={"kpi": "energy", "meter": "main-incomer", "period": "2026-10"},
        ).json()
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    done = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True
    )
    assert "Energy report October 2026: demo-plant" in done.stdout
    assert f"{energy['value']:,.0f}" in done.stdout
    assert figures.json()["carriers"][0]["energy_kwh"] == pytest.approx(energy["value"])


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("/api/v1/export", {"meter": "pump-99", "period": "2026-10"}, 404, "pump-99"),
        ("/api/v1/export", {"meter": "chiller", "period": "fortnight"}, 422, "fortnight"),
        ("/api/v1/export", {"meter": "chiller", "period": "2026-10", "format": "xls"}, 422, "xls"),
        ("/api/v1/export", {"meter": "chiller", "period": "2024-03"}, 422, "no energy readings"),
        ("/api/v1/reports", {"month": "2027-01"}, 422, "January 2027 has not begun yet"),
        ("/api/v1/reports", {"month": "2026-13"}, 422, "month 13, which does not exist"),
        ("/api/v1/reports", {"month": "2026-10", "format": "docx"}, 422, "'pdf', 'html' or 'json'"),
    ],
)
def test_bad_input_is_answered_in_words(
    served: Served, path: str, params: dict[str, str], status: int, words: str
) -> None:
    with served.client() as client:
        answer = client.get(path, params=params)
    assert answer.status_code == status, answer.text
    assert words in answer.text
