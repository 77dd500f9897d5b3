"""The monthly report on the watcher's schedule: on the site's first working day of a month
(weekends, public holidays and its closures are not working days) the previous month's report
goes, as a PDF, to every notifier that sends reports (e-mail, Slack).

What was sent is kept in the store per month and channel, so a restarted watcher never sends a
month twice to one channel, a run after a missed first working day still sends it (until the
month ends), and a channel that failed is tried again on a later run, at most once an hour.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from dateutil.relativedelta import relativedelta

from common.errors import EMSError, InsufficientData
from common.notices import Delivery, ReportNotice
from store import incidents as state_store

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from agent.context import MakeContext
    from agent.report import ReportFile
    from tools.base import ToolContext
    from tools.report import MonthlyReport

log = logging.getLogger(__name__)

SEND_HOUR = 6  # local: by then the last night of the month has arrived from the meters
RETRY_S = 3600  # a failed channel is tried again on the first run an hour later
SEARCH_DAYS = 31


@runtime_checkable
class ReportNotifier(Protocol):
    """What the monthly send needs of a notifier (e-mail, Slack: connectors/notify)."""

    name: str

    def send_report(self, notice: ReportNotice) -> Delivery:
        """Deliver the report; never raises for delivery failures."""
        ...


def first_working_day(month: date, closed: frozenset[date]) -> date:
    """The first day of `month` that is neither a weekend nor a closed day (its last day if
    the whole month is closed)."""
    day = month
    for _ in range(SEARCH_DAYS):
        if day.weekday() < 5 and day not in closed:
            return day
        following = day + timedelta(days=1)
        if following.month != month.month:
            return day
        day = following
    return day


def _pdf(report: MonthlyReport) -> ReportFile:
    from agent.report import report_file

    return report_file(report, "pdf")


@dataclass
class MonthlyReports:
    """Sends a site's monthly report through the notifiers that send reports."""

    engine: Engine
    contexts: MakeContext
    notifiers: Sequence[object]
    render: Callable[[MonthlyReport], ReportFile] = _pdf
    senders: list[ReportNotifier] = field(init=False)
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.senders = [n for n in self.notifiers if isinstance(n, ReportNotifier)]
        site = self.contexts.current_site()
        if site is None:  # the watcher sends it, and watches one site
            from common.errors import NoSite

            raise NoSite()
        self.key = f"monthly_report:{site.name}"

    def due_month(self, ctx: ToolContext) -> date | None:
        """The month whose report is due at ctx.now (its first day), or None before the first
        working day's SEND_HOUR."""
        from tools.calendar import closed_days

        now = ctx.now
        this = now.date().replace(day=1)
        closed = closed_days(ctx.site, ctx.config, [this.year])
        first = first_working_day(this, closed)
        if (now.date(), now.hour) < (first, SEND_HOUR):
            return None
        return this - relativedelta(months=1)

    def run(self, ctx: ToolContext) -> list[dict[str, Any]]:
        """Send the due report to each channel that has not had it; what was sent, failed or
        skipped comes back as records (and is kept in the store)."""
        month = self.due_month(ctx) if self.senders else None
        if month is None:
            return []
        label = f"{month:%Y-%m}"
        state = self._state(label)
        waiting = [n for n in self.senders if n.name not in state["sent"]]
        if state.get("skipped") or not waiting or not self._may_try(state, ctx.now):
            return []
        state["last_attempt"] = ctx.now.isoformat()
        try:
            notice = self._notice(ctx, label)
        except InsufficientData as exc:  # nothing to report: said once, not tried again
            state["skipped"] = str(exc)
            self._save(state)
            return [self._record("skipped", label, "report", False, str(exc))]
        except EMSError as exc:
            self._save(state)
            return [self._record("failed", label, "report", False, str(exc))]
        return [self._send(n, notice, state) for n in waiting]

    # ------------------------------------------------------------------ parts

    def _state(self, label: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            saved = state_store.get_state(conn, self.key) or {}
        if saved.get("month") != label:  # a new month starts with nothing sent
            return {"month": label, "sent": {}}
        return saved

    def _save(self, state: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            state_store.put_state(conn, self.key, state)

    def _may_try(self, state: dict[str, Any], now: datetime) -> bool:
        last = state.get("last_attempt")
        return last is None or (now - datetime.fromisoformat(last)).total_seconds() >= RETRY_S

    def _notice(self, ctx: ToolContext, label: str) -> ReportNotice:
        from tools.report import monthly_report

        report = monthly_report(ctx, {"month": label})
        file = self.render(report)
        return ReportNotice(
            site=report.site,
            month=report.month,
            title=report.title,
            summary="\n".join(report.summary.splitlines()[1:]),
            filename=file.filename,
            media_type=file.media_type,
            content=file.content,
        )

    def _send(
        self, notifier: ReportNotifier, notice: ReportNotice, state: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            delivery = notifier.send_report(notice)
            ok, detail = delivery.ok, delivery.detail
        except Exception as exc:  # a broken notifier must not stop the others or the run
            log.warning("notifier %s failed on the %s report", notifier.name, notice.month)
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        if ok:
            state["sent"][notifier.name] = detail
        self._save(state)  # at once: a crash after this send never repeats it
        return self._record("monthly_report", notice.month, notifier.name, ok, detail)

    @staticmethod
    def _record(event: str, month: str, name: str, ok: bool, detail: str) -> dict[str, Any]:
        return {"event": event, "month": month, "notifier": name, "ok": ok, "detail": detail}
