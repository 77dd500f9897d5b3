"""Downloads on the page, beside what they hold: each evidence table as CSV and Excel, and a
monthly report answer's PDF and HTML, as `data:` links the browser saves without a further
request, made from the same evidence the page shows, so the file and the table agree."""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from agent.evidence import Table
from agent.export import answer_file
from common.errors import EMSError

log = logging.getLogger(__name__)

# A table longer than this gets no page link (its file would weigh on every answer shown);
# `POST /api/v1/export/answer` makes any size.
PAGE_ROWS = 20_000
LINKS = 'style="display:flex;gap:.6em;font-size:.85em;margin:.2em 0"'


class _File(Protocol):
    @property
    def filename(self) -> str: ...
    @property
    def media_type(self) -> str: ...
    @property
    def content(self) -> bytes: ...


def _link(file: _File, label: str, what: str) -> str:
    media = file.media_type.split(";")[0]
    data = base64.b64encode(file.content).decode("ascii")
    return (
        f'<a class="ev-download" download="{html.escape(file.filename)}" '
        f'href="data:{media};base64,{data}" title="Download {html.escape(what)}">{label}</a>'
    )


def table_links(table: Table) -> str:
    """CSV and Excel links for one evidence table (its times as the tools wrote them, in the
    site's zone with their offset; its units in the headers)."""
    if len(table[2]) > PAGE_ROWS:
        return ""
    links = [
        _link(answer_file([table], fmt, None), fmt.upper(), table[0]) for fmt in ("csv", "xlsx")
    ]
    return f'<div class="ev-downloads" {LINKS}>{"".join(links)}</div>'


def report_links(tool_calls: Sequence[dict[str, Any]]) -> str:
    """PDF and HTML links for the monthly report an answer made, if it made one."""
    from agent.report import report_file
    from tools.report import MonthlyReport

    made = [
        c["result"]
        for c in tool_calls
        if c.get("name") == "monthly_report"
        and isinstance(c.get("result"), dict)
        and "error" not in c["result"]
    ]
    if not made:
        return ""
    report = MonthlyReport.model_validate(made[-1])
    links = [_link(report_file(report, "html"), "Report (HTML)", report.title)]
    try:
        links.insert(0, _link(report_file(report, "pdf"), "Report (PDF)", report.title))
    except EMSError as exc:  # no PDF library here: the HTML still serves, and says why
        log.warning("no PDF of the report on the page: %s", exc)
        links.append(f'<span class="panel-note">{html.escape(str(exc))}</span>')
    return f'<div class="ev-downloads ev-report" {LINKS}>{"".join(links)}</div>'
