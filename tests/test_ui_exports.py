"""Downloads on the chat page in a real browser (Debian's chromium through Playwright): an
answer's table saved as CSV and as Excel from the button beside it, each compared with pandas
over the raw readings, and a monthly report asked for in the chat saved as PDF."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine

from chat_ui.app import UIHandle
from tests.test_agent_offline import raw
from tests.test_chat_ui import password_hash, settings, ui_app  # noqa: F401  (fixtures)
from tests.test_ui_browser import (  # noqa: F401  (fixtures)
    ANSWER_TIMEOUT_MS,
    ask,
    browser,
    expect,
    log_in,
    new_page,
    server,
    shot,
)

pytest.importorskip("playwright.sync_api")


def saved(page: object, link: object, folder: Path) -> Path:
    """Click a download link and return the file the browser saved (a report's PDF is a large
    `data:` link, which a loaded machine may take longer than the default 30 s to hand over)."""
    with page.expect_download(timeout=ANSWER_TIMEOUT_MS) as info:  # type: ignore[attr-defined]
        link.click()  # type: ignore[attr-defined]
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_a_table_is_downloaded_as_csv_and_excel_from_beside_it(
    server: UIHandle,  # noqa: F811
    new_page: object,  # noqa: F811
    demo_engine: Engine,
    tmp_path: Path,
) -> None:
    page = new_page()  # type: ignore[operator]
    log_in(page, server.url, "vic")
    ask(page, "chiller energy per hour on 2026-10-25")
    table = page.locator("#evidence-tables .ev-table").first
    expect(table.locator(".ev-downloads a")).to_have_count(2)
    shot(page, "table-downloads")
    kwh = raw(demo_engine, "chiller", "2026-10-25", "2026-10-26")
    hours = kwh.groupby(kwh.index // 3600 * 3600).sum()  # a 25-hour day: UTC hours

    csv = saved(page, table.get_by_role("link", name="CSV"), tmp_path)
    frame = pd.read_csv(csv)
    assert csv.suffix == ".csv" and len(frame) == len(hours) == 25
    assert frame.iloc[:, 1].to_numpy() == pytest.approx(hours.to_numpy(), abs=1e-3)
    assert list(frame.columns) == ["start", "chiller (kWh)"]
    offsets = [t[-6:] for t in frame.iloc[:, 0]]
    assert offsets.count("+02:00") == 3 and offsets.count("+01:00") == 22  # times with offsets

    xlsx = saved(page, table.get_by_role("link", name="XLSX"), tmp_path)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == list(frame.iloc[:, 0])
    assert [r[1] for r in rows[1:]] == pytest.approx(hours.to_list(), abs=1e-3)


def test_the_monthly_report_asked_for_in_the_chat_is_saved_as_pdf(
    server: UIHandle,  # noqa: F811
    new_page: object,  # noqa: F811
    tmp_path: Path,
) -> None:
    page = new_page()  # type: ignore[operator]
    log_in(page, server.url, "vic")
    answer = ask(page, "make me the October report")
    assert "Energy report October 2026" in answer
    report = page.locator("#evidence-tables .ev-report")
    expect(report.get_by_role("link")).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    # The PDF is read from the link itself (a `data:` URL with its file name in `download`):
    # inside the whole suite Chromium at times never starts the download of so large a link.
    link = report.get_by_role("link", name="Report (PDF)")
    assert link.get_attribute("download") == "energy-report-demo-plant-2026-10.pdf"
    media, _, data = (link.get_attribute("href") or "").partition(";base64,")
    assert media == "data:application/pdf"
    pdf = base64.b64decode(data)
    assert pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-1024:]
