"""The monthly energy report: the `monthly_report` tool's result made through a turn's context,
and drawn as HTML or PDF (`report_file`) for the command line, the API, the page and the
watcher's monthly send.

It lives in the agent layer beside the evidence and answers, as one more rendering of a typed
tool result: the watcher (agent/watcher.py) sends it and the front ends serve it, so both reach
it by importing downward; the figures come only from the tools."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from common.errors import EMSError

if TYPE_CHECKING:
    from agent.context import MakeContext
    from tools.report import MonthlyReport

Format = Literal["html", "pdf", "json"]
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}


class UnknownFormat(EMSError):
    """A report format other than html, pdf or json."""


@dataclass(frozen=True)
class ReportFile:
    """A rendered report: what to call the file, its media type and its bytes."""

    filename: str
    media_type: str
    content: bytes


def make_report(
    contexts: MakeContext, month: str, *, user: str, role: str = "viewer"
) -> MonthlyReport:
    """The month's report from the `monthly_report` tool, run with a context of this turn."""
    from tools.report import monthly_report

    return monthly_report(contexts(user=user, role=role), {"month": month})


def report_file(report: MonthlyReport, fmt: str) -> ReportFile:
    """The report as an HTML, PDF or JSON file."""
    import json

    from agent.report.html import render_html

    if fmt not in MEDIA:
        raise UnknownFormat(f"no report format {fmt!r}; use html, pdf or json")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", f"energy-report-{report.site}-{report.month}")
    if fmt == "json":
        content = json.dumps(report.to_json(), indent=2, ensure_ascii=False).encode("utf-8")
    elif fmt == "html":
        content = render_html(report).encode("utf-8")
    else:
        from agent.report.pdf import html_to_pdf

        content = html_to_pdf(render_html(report))
    return ReportFile(f"{stem}.{fmt}", MEDIA[fmt], content)
