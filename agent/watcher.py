"""The watcher: anomaly detection and alert rules on new data, on a schedule, turned into
incidents that are opened, updated and resolved, summarised, indexed and notified.

Each run scores the days since the previous run (with a week before them, so slow drifts show)
and evaluates the alert rules, then, in one transaction, folds the events into incidents (one
per meter and kind for overlapping or adjacent periods), resolves the ones that stayed quiet,
and moves its high-water mark. A re-scored incident keeps its history: each material change of
its figures is a timeline entry with the old and new values, and what a person did (an
acknowledgement, a note, a resolution) is never changed or undone by the watcher.

Only then are the changed incidents summarised and notified; what still has to be sent is kept
on the incident (`pending`), so a crash or a restart loses no notice and re-running a window
never opens an incident twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, Engine

from agent.segments import (
    MERGE_GAP_S,
    RANK,
    Segment,
    after,
    clusters,
    continues,
    merge_segments,
    segment,
    total,
    ts,
    worst,
)
from common.errors import EMSError
from common.notices import Delivery, IncidentNotice
from store import catalog, intervals, queries
from store import incidents as store
from store.catalog import MeterRef, SiteRef
from store.rollups import day_range
from store.sites import missing_site
from tools.alerts import AlertOut, evaluate_rules, list_alerts
from tools.anomaly import Event, detect_anomalies
from tools.base import AnalyticsConfig, ToolContext
from tools.events import kind_words
from tools.incidents import IncidentOut, incident_out, reindex

if TYPE_CHECKING:
    from apscheduler.schedulers.background import (
        BackgroundScheduler,
    )

    from agent.context import MakeContext
    from agent.report.monthly import MonthlyReports
    from agent.summary import Knowledge, Summariser

log = logging.getLogger(__name__)

DAY = 86400
LOOKBACK_DAYS = 7  # days re-scored before the new data: a drift needs a week to show
FIRST_RUN_DAYS = 1  # a first run treats the last day as new
MAX_SCAN_DAYS = 35  # a watcher that was down longer catches up on this much only
SETTLE_S = LOOKBACK_DAYS * DAY  # quiet this long, past the re-scored days: resolved
GROWTH = 1.5  # an incident's extra energy must grow by this factor ...
GROWTH_MIN_KWH = 50.0  # ... and by this much to be notified again
RESTATED = 0.10  # extra kWh or cost this far from what the timeline last said: a new entry
__all__ = ["SETTLE_S", "Segment", "WatchReport", "Watcher", "clusters", "merge_segments"]


class Notifier(Protocol):
    """What the watcher needs of a notifier (webhook, e-mail, Slack: connectors/notify)."""

    name: str

    def send(self, notice: IncidentNotice) -> Delivery:
        """Deliver the notice; never raises for delivery failures."""
        ...


@dataclass
class WatchReport:
    """What one run did, as data for the CLI, logs and tests."""

    site: str
    now: str
    window: dict[str, str]
    events: int = 0
    alerts: int = 0
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    summarised: list[int] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "now": self.now,
            "window": self.window,
            "events": self.events,
            "alerts": self.alerts,
            "opened": self.opened,
            "updated": self.updated,
            "resolved": self.resolved,
            "summarised": self.summarised,
            "notices": self.notices,
            "problems": self.problems,
            "caveats": self.caveats,
            "seconds": round(self.seconds, 3),
        }


def title(meter: str | None, kind: str, start: int, tz: str, extra: str = "") -> str:
    """A short title: meter, what, since when."""
    since = datetime.fromtimestamp(start, UTC).astimezone(_zone(tz))
    what = kind_words()[kind].title
    return f"{meter or 'site'}: {what}{extra} since {since:%Y-%m-%d %H:%M}"


def _zone(tz: str) -> Any:
    from common.timeutil import zone

    return zone(tz)


def _next_pending(current: str | None, wanted: str) -> str:
    """An unsent "opened" notice stays "opened"; a resolution outranks an update."""
    order = ("refresh", "updated", "resolved", "opened")
    if current is None:
        return wanted
    return max(current, wanted, key=order.index)


@dataclass(frozen=True)
class _Figures:
    start: int
    end: int
    severity: str
    extra_kwh: float | None
    cost: float | None
    co2_kg: float | None


class Watcher:
    """Watches one site: call `run_once(now)`, or `schedule()` for a background scheduler."""

    def __init__(
        self,
        engine: Engine,
        contexts: MakeContext,
        knowledge: Knowledge | None,
        notifiers: Sequence[Notifier],
        summariser: Summariser,
        monthly: MonthlyReports | None = None,
    ) -> None:
        self.engine = engine
        self.monthly = monthly  # sends the monthly report on the first working day
        self.contexts = contexts
        site = contexts.current_site()
        if site is None:
            with engine.connect() as conn:
                raise missing_site(conn)
        self.site: SiteRef = site
        self.knowledge = knowledge
        self.notifiers = list(notifiers)
        self.summariser = summariser
        self.state_key = f"watcher:{self.site.name}"
        self.last_report: WatchReport | None = None

    def context(self, now: datetime | None = None) -> ToolContext:
        """The tools' context of a run: the watcher acts as an operator, at `now` or the clock's."""
        return self.contexts(user="watcher", role="operator", now=now)

    def now(self) -> datetime:
        return self.context().now

    # ------------------------------------------------------------------ one run

    def run_once(self, now: datetime | None = None, *, send_reports: bool = True) -> WatchReport:
        """Score the data since the last run, fold it into incidents, summarise and notify;
        send the monthly report when it is due (not while catching up on history)."""
        started = time.perf_counter()
        ctx = self.context(now)
        moment = ctx.now
        now_ts = int(moment.timestamp())
        with self.engine.connect() as conn:
            state = store.get_state(conn, self.state_key) or {}
        since = int(state.get("until", now_ts - FIRST_RUN_DAYS * DAY))
        scan_lo = day_range(min(since, now_ts) - LOOKBACK_DAYS * DAY, now_ts, self.site.timezone)[0]
        scan_lo = max(scan_lo, now_ts - MAX_SCAN_DAYS * DAY)
        report = WatchReport(
            self.site.name,
            moment.isoformat(),
            {"start": _iso(scan_lo, self.site.timezone), "end": moment.isoformat()},
        )
        if since < scan_lo:
            report.caveats.append(
                f"the watcher was idle since {_iso(since, self.site.timezone)}; only the last "
                f"{MAX_SCAN_DAYS} days were checked"
            )
        with self.engine.begin() as conn:
            # Series that arrived without a declared interval (MQTT) get one from their
            # readings here, on the watcher's schedule rather than on the ingestion path.
            intervals.record_inferred(conn, self.site.id, self.site.timezone)
        events = self._detect(ctx, scan_lo, report)
        alerts = self._alerts(ctx, min(since, now_ts), scan_lo, now_ts, report)
        with self.engine.begin() as conn:
            meters = {m.name: m for m in catalog.list_meters(conn, self.site.id)}
            self._fold_events(conn, ctx, meters, events, scan_lo, report)
            self._fold_alerts(conn, ctx, meters, alerts, report)
            self._settle(conn, now_ts, report)
            store.put_state(
                conn,
                self.state_key,
                {"until": max(now_ts, int(state.get("until", 0))), "last_run": moment.isoformat()},
            )
        self._deliver(ctx, report)
        if send_reports:
            self._monthly_report(ctx, report)
        report.seconds = time.perf_counter() - started
        self.last_report = report
        return report

    def _detect(self, ctx: ToolContext, lo: int, report: WatchReport) -> list[Event]:
        period = f"since {_iso(lo, self.site.timezone)}"
        try:
            result = detect_anomalies(ctx, {"period": period})
        except EMSError as exc:
            report.problems.append(f"anomaly detection: {exc}")
            return []
        report.events = len(result.events)
        report.caveats += result.caveats
        return result.events

    def _alerts(
        self, ctx: ToolContext, since: int, lo: int, now_ts: int, report: WatchReport
    ) -> list[AlertOut]:
        """Evaluate the rules on the new windows; return every alert of the scanned span."""
        try:
            evaluate_rules(ctx, since, now_ts // 900 * 900)
            alerts = list_alerts(ctx, {"state": "all"}).alerts
        except EMSError as exc:
            report.problems.append(f"alert rules: {exc}")
            return []
        recent = [a for a in alerts if a.end is None or ts(a.end) >= lo]
        report.alerts = len(recent)
        return recent

    # ------------------------------------------------------------------ incidents

    def _figures(
        self, config: AnalyticsConfig, meter: MeterRef | None, segments: Sequence[Segment]
    ) -> _Figures:
        extra = total([s.extra_kwh for s in segments])
        factor = config.emission_factors.get(meter.kind) if meter else None
        return _Figures(
            start=min(s.start for s in segments),
            end=max(s.end for s in segments),
            severity=worst([s.severity for s in segments]),
            extra_kwh=extra,
            cost=total([s.cost for s in segments]),
            co2_kg=extra * factor if extra is not None and factor is not None else None,
        )

    def _fold_events(
        self,
        conn: Connection,
        ctx: ToolContext,
        meters: dict[str, MeterRef],
        events: Sequence[Event],
        scan_lo: int,
        report: WatchReport,
    ) -> None:
        by_key: dict[tuple[str, str], list[Segment]] = {}
        for event in events:
            by_key.setdefault((event.meter, event.kind), []).append(segment(event))
        for (name, kind), segments in sorted(by_key.items()):
            meter = meters.get(name)
            if meter is None:  # a meter removed while the run was scoring it
                continue
            for group in clusters(segments):
                self._fold_cluster(conn, ctx, meter, kind, group, scan_lo, report)

    def _fold_cluster(
        self,
        conn: Connection,
        ctx: ToolContext,
        meter: MeterRef,
        kind: str,
        group: list[Segment],
        scan_lo: int,
        report: WatchReport,
    ) -> None:
        lo, hi = min(s.start for s in group), max(s.end for s in group)
        near = store.nearby(conn, self.site.id, meter.id, kind, lo, hi, MERGE_GAP_S)
        # What overlaps a resolved incident was accounted for there; only what comes after
        # it belongs to an open incident or a new one.
        closed = max((r.end_ts or r.start_ts for r in near if r.state == "resolved"), default=None)
        if closed is not None:
            group = [s if s.start >= closed else after(s, closed) for s in group]
            group = [s for s in group if s.end > s.start and continues(s, closed)]
        if not group:
            return
        active = [r for r in near if r.state != "resolved"]
        if active:
            self._grow(conn, ctx, active[-1], meter, group, scan_lo, report)
        else:
            self._open(conn, ctx, meter, kind, group, report)

    def _open(
        self,
        conn: Connection,
        ctx: ToolContext,
        meter: MeterRef,
        kind: str,
        segments: list[Segment],
        report: WatchReport,
    ) -> None:
        fig = self._figures(ctx.config, meter, segments)
        new = store.NewIncident(
            meter_id=meter.id,
            kind=kind,
            severity=fig.severity,
            start_ts=fig.start,
            end_ts=fig.end,
            title=title(meter.name, kind, fig.start, self.site.timezone),
            dedup_key=f"{meter.id}:{kind}:{fig.start}",
            extra_kwh=fig.extra_kwh,
            cost=fig.cost,
            co2_kg=fig.co2_kg,
            currency=ctx.config.tariffs["electricity"].currency,
            details={"segments": [s.to_json() for s in segments], "source": "anomaly"},
        )
        incident_id, created = store.insert_incident(conn, self.site.id, new)
        if created:
            report.opened.append(incident_id)

    def _grow(
        self,
        conn: Connection,
        ctx: ToolContext,
        row: store.IncidentRow,
        meter: MeterRef,
        group: list[Segment],
        scan_lo: int,
        report: WatchReport,
    ) -> None:
        """Fold a re-scored group into an active incident: its figures follow the new scoring,
        a material change is recorded in its timeline, and its state is left alone."""
        stored = [Segment.of(s) for s in row.details.get("segments", [])]
        segments = merge_segments(stored, group, scan_lo)
        if segments == stored:
            return
        fig = self._figures(ctx.config, meter, segments)
        change = self._change(row, fig)
        figures = {
            "start_ts": fig.start,
            "end_ts": fig.end,
            "severity": fig.severity,
            "extra_kwh": fig.extra_kwh,
            "cost": fig.cost,
            "co2_kg": fig.co2_kg,
        }
        if _restated(store.recorded_figures(row), figures):
            tz = self.site.timezone
            note = f"re-scored the data from {_iso(scan_lo, tz)} to {ctx.now.isoformat()}"
            store.record_reassessment(conn, row, store.WATCHER, figures, note)
        store.change_incident(
            conn,
            row.id,
            **figures,
            title=title(meter.name, row.kind, fig.start, self.site.timezone),
            details={**row.details, "segments": [s.to_json() for s in segments]},
            **({"pending": _next_pending(row.pending, change)} if change else {}),
        )
        if change == "updated" and row.id not in report.opened:
            report.updated.append(row.id)

    def _change(self, row: store.IncidentRow, fig: _Figures) -> str | None:
        """'updated' when people should hear of it again (severity rose, the extra energy grew
        by a lot), 'refresh' when only the summary should follow, None for small changes."""
        told = row.details.get("notified") or {}
        told_rank = RANK.get(told.get("severity", row.severity), 0)
        told_kwh = abs(told.get("extra_kwh") or 0.0)
        kwh = abs(fig.extra_kwh or 0.0)
        if RANK.get(fig.severity, 0) > told_rank:
            return "updated"
        if kwh >= GROWTH * told_kwh and kwh - told_kwh >= GROWTH_MIN_KWH:
            return "updated"
        moved = abs(fig.end - (row.end_ts or fig.end)) >= 3600 or fig.start != row.start_ts
        old_kwh = abs(row.extra_kwh or 0.0)
        if moved or abs(kwh - old_kwh) > 0.05 * max(old_kwh, 1.0) or fig.severity != row.severity:
            return "refresh"
        return None

    def _fold_alerts(
        self,
        conn: Connection,
        ctx: ToolContext,
        meters: dict[str, MeterRef],
        alerts: Sequence[AlertOut],
        report: WatchReport,
    ) -> None:
        """One incident per alert episode, keyed by the alert's id."""
        for alert in alerts:
            row = store.by_key(conn, self.site.id, f"alert:{alert.id}")
            if row is None:
                self._open_alert(conn, ctx, meters.get(alert.meter), alert, report)
            elif row.state != "resolved":
                self._follow_alert(conn, row, alert, report)

    def _alert_facts(self, alert: AlertOut) -> tuple[str, dict[str, Any]]:
        peak = f" ({alert.rule}: peak {alert.peak_value:g} {alert.unit})"
        name = title(alert.meter, "alert_rule", ts(alert.start), self.site.timezone, peak)
        return name, {
            "alert_id": alert.id,
            "rule_id": alert.rule_id,
            "peak_value": alert.peak_value,
        }

    def _open_alert(
        self,
        conn: Connection,
        ctx: ToolContext,
        meter: MeterRef | None,
        alert: AlertOut,
        report: WatchReport,
    ) -> None:
        name, facts = self._alert_facts(alert)
        new = store.NewIncident(
            meter_id=meter.id if meter else None,
            kind="alert_rule",
            severity=alert.severity,
            start_ts=ts(alert.start),
            end_ts=ts(alert.end) if alert.end else None,
            title=name,
            dedup_key=f"alert:{alert.id}",
            currency=ctx.config.tariffs["electricity"].currency,
            details={"source": "alert", "unit": alert.unit, **facts},
        )
        incident_id, created = store.insert_incident(conn, self.site.id, new)
        if created:
            report.opened.append(incident_id)

    def _follow_alert(
        self, conn: Connection, row: store.IncidentRow, alert: AlertOut, report: WatchReport
    ) -> None:
        """An alert resolved by a person resolves its incident; a new peak or end refreshes it."""
        if alert.state == "resolved":
            note = alert.note or f"alert #{alert.id} was resolved"
            pending = _next_pending(row.pending, "resolved")
            store.resolve(conn, self.site.id, row.id, "watcher", note, pending=pending)
            report.resolved.append(row.id)
            return
        end = ts(alert.end) if alert.end else None
        if (row.end_ts, row.details.get("peak_value")) != (end, alert.peak_value):
            name, facts = self._alert_facts(alert)
            note = f"alert #{alert.id}: peak {alert.peak_value:g} {alert.unit}"
            store.record_reassessment(conn, row, store.WATCHER, {"end_ts": end}, note)
            store.change_incident(
                conn,
                row.id,
                end_ts=end,
                title=name,
                details={**row.details, **facts},
                pending=_next_pending(row.pending, "refresh"),
            )

    def _settle(self, conn: Connection, now_ts: int, report: WatchReport) -> None:
        """Resolve open incidents whose condition has not come back for SETTLE_S of data. One a
        person acknowledged is theirs to resolve: the quiet spell goes in its timeline instead."""
        for row in store.list_incidents(conn, self.site.id, limit=None):
            if row.end_ts is None or now_ts - row.end_ts < SETTLE_S:
                continue
            after = _iso(row.end_ts, self.site.timezone)
            quiet = f"no recurrence for {SETTLE_S // 3600} h after {after}"
            if row.state == "acknowledged":
                if row.details.get("quiet_after") != row.end_ts:
                    note = f"{quiet}; left for {row.acknowledged_by} to resolve"
                    store.record(conn, row.id, store.WATCHER, "quiet", note=note)
                    details = {**row.details, "quiet_after": row.end_ts}
                    store.change_incident(conn, row.id, details=details)
                continue
            pending = _next_pending(row.pending, "resolved")
            note = f"resolved by the watcher: {quiet}"
            store.resolve(conn, self.site.id, row.id, store.WATCHER, note, pending=pending)
            report.resolved.append(row.id)

    # ------------------------------------------------------------------ summaries and notices

    def _deliver(self, ctx: ToolContext, report: WatchReport) -> None:
        """Summarise, index and notify every incident with something pending."""
        with self.engine.connect() as conn:
            pending = store.with_pending(conn, self.site.id)
            meters = {m.id: m for m in catalog.list_meters(conn, self.site.id)}
        for row in pending:
            meter = meters.get(row.meter_id) if row.meter_id is not None else None
            self._deliver_one(ctx, row, meter, report)

    def _deliver_one(
        self, ctx: ToolContext, row: store.IncidentRow, meter: MeterRef | None, report: WatchReport
    ) -> None:
        summary = self.summariser.summarise(incident_out(ctx, row), meter, ctx.config)
        report.summarised.append(row.id)
        problems = [f"summary: {p}" for p in summary.problems]
        with self.engine.begin() as conn:
            # Read again: a person may have changed the incident while the summary was written.
            current = store.get_incident(conn, self.site.id, row.id)
            cited = {"citations": summary.citations, "summary_model": summary.model}
            details = {**current.details, **cited}
            store.change_incident(conn, row.id, summary=summary.markdown, details=details)
            current = store.get_incident(conn, self.site.id, row.id)
        out = incident_out(ctx, current)
        # reindex keeps its own failure on the incident; the report gets it too.
        indexing = reindex(ctx, self.knowledge, out)
        notify = row.pending in ("opened", "updated", "resolved")
        deliveries = self._notify(self._notice(str(row.pending), out), report) if notify else []
        problems += [f"{d['notifier']}: {d['detail']}" for d in deliveries if not d["ok"]]
        report.problems += [f"incident #{row.id}: {p}" for p in [*problems, indexing] if p]
        with self.engine.begin() as conn:
            current = store.get_incident(conn, self.site.id, row.id)
            details = dict(current.details)
            if notify:
                details["notified"] = {"severity": current.severity, "extra_kwh": current.extra_kwh}
                details["deliveries"] = [*details.get("deliveries", []), *deliveries][-20:]
            details["problems"] = [*details.get("problems", []), *problems][-20:]
            # A change that landed meanwhile keeps its own pending notice.
            still = current.pending if current.pending != row.pending else None
            store.change_incident(conn, row.id, details=details, pending=still)

    def _monthly_report(self, ctx: ToolContext, report: WatchReport) -> None:
        """The month's report, when due; its failures are the run's problems, never its end."""
        if self.monthly is None:
            return
        try:
            records = self.monthly.run(ctx)
        except Exception as exc:  # the incidents are stored; a report bug must not undo the run
            log.exception("the monthly report failed")
            records = [{"event": "monthly_report", "ok": False, "detail": repr(exc)}]
        report.notices += records
        report.problems += [
            f"monthly report: {r.get('notifier', '')} {r['detail']}".strip()
            for r in records
            if not r["ok"]
        ]

    def _notice(self, event: str, out: IncidentOut) -> IncidentNotice:
        return IncidentNotice(
            event=event,  # type: ignore[arg-type]
            incident_id=out.id,
            site=out.site,
            title=out.title,
            severity=out.severity,
            state=out.state,
            meter=out.meter,
            start=out.start,
            end=out.end,
            extra_kwh=out.extra_kwh,
            cost=out.cost,
            currency=out.currency,
            co2_kg=out.co2_kg,
            summary=out.summary or out.title,
            citations=tuple(out.citations),
        )

    def _notify(self, notice: IncidentNotice, report: WatchReport) -> list[dict[str, Any]]:
        sent = []
        for notifier in self.notifiers:
            name = getattr(notifier, "name", type(notifier).__name__)
            try:
                delivery = notifier.send(notice)
                record = {"notifier": name, "ok": delivery.ok, "detail": delivery.detail}
            except Exception as exc:  # a broken notifier must not stop the others or the run
                log.warning(
                    "notifier %s failed on incident #%s", name, notice.incident_id, exc_info=True
                )
                record = {"notifier": name, "ok": False, "detail": f"{type(exc).__name__}: {exc}"}
            record |= {"event": notice.event, "incident_id": notice.incident_id}
            sent.append(record)
            report.notices.append(record)
        return sent

    # ------------------------------------------------------------------ catching up

    def has_run(self) -> bool:
        """Whether this site was watched before (its high-water mark is in the store)."""
        with self.engine.connect() as conn:
            return store.get_state(conn, self.state_key) is not None

    def catch_up(
        self,
        start: datetime,
        end: datetime,
        *,
        step_days: int = 7,
        progress: Callable[[str, int, int], None] | None = None,
        stop: threading.Event | None = None,
    ) -> list[WatchReport]:
        """Watch history from `start` to `end` as if the watcher had run every `step_days`:
        for a first start on data that was imported or simulated before anyone watched it.

        Each step is an ordinary run (restart-safe, never opening an incident twice), so a
        catch-up that is stopped halfway (`stop` is checked between steps) goes on from where
        it stopped."""
        if end <= start:
            raise EMSError(f"nothing to catch up on: {start:%Y-%m-%d} is not before {end:%Y-%m-%d}")
        step = step_days * DAY
        last = int(end.timestamp())
        with self.engine.connect() as conn:
            # Weeks before the first reading hold nothing to watch.
            ids = [s.id for _, s in catalog.list_series(conn, self.site.id)]
            firsts = [st.first_ts for st in queries.series_stats(conn, ids).values() if st.first_ts]
            first = max(int(start.timestamp()), min(firsts, default=last))
            done = int((store.get_state(conn, self.state_key) or {}).get("until", first))
        stops = [*range(max(first, done) + step, last, step), last]
        reports = []
        for i, stop_ts in enumerate(stops, start=1):
            if stop is not None and stop.is_set():
                break
            moment = datetime.fromtimestamp(stop_ts, end.tzinfo or UTC)
            reports.append(self.run_once(moment, send_reports=False))
            if progress is not None:
                progress("watching", i, len(stops))
        return reports

    # ------------------------------------------------------------------ schedule

    def run_scheduled(self, on_report: Callable[[WatchReport], None] | None = None) -> None:
        """One scheduled run: expected errors are logged and the schedule goes on."""
        try:
            report = self.run_once()
        except EMSError as exc:
            log.error("watcher run failed: %s", exc)
            return
        if on_report is not None:
            on_report(report)

    def schedule(
        self,
        interval_s: float,
        on_report: Callable[[WatchReport], None] | None = None,
        *,
        start_now: bool = True,
    ) -> BackgroundScheduler:
        """A started background scheduler running this watcher every interval_s seconds;
        a run that is still going when the next is due is not started twice."""
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone=UTC)
        # Without next_run_time the first run waits one interval (None would pause the job).
        first = {"next_run_time": datetime.now(UTC)} if start_now else {}
        scheduler.add_job(
            self.run_scheduled,
            "interval",
            seconds=interval_s,
            kwargs={"on_report": on_report},
            id=self.state_key,
            max_instances=1,
            coalesce=True,
            **first,
        )
        scheduler.start()
        return scheduler


def _iso(epoch: int, tz: str) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(_zone(tz)).isoformat()


def _restated(said: dict[str, Any], now: dict[str, Any]) -> bool:
    """Whether re-scored figures differ materially from what the incident's timeline last said:
    another start or severity, or extra energy or cost more than RESTATED away. An ongoing
    incident whose end moves on is not a re-assessment until its figures move too."""
    if said["start_ts"] != now["start_ts"] or said["severity"] != now["severity"]:
        return True
    for key in ("extra_kwh", "cost"):
        old, new = said.get(key), now.get(key)
        if (old is None) != (new is None):
            return True
        if old is not None and new is not None and abs(new - old) > RESTATED * max(abs(old), 1.0):
            return True
    return False
