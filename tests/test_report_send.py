"""The monthly report on the watcher's schedule, sent through a real SMTP server (aiosmtpd) and
a recording Slack Web API on 127.0.0.1: due on the site's first working day from 06:00, sent
once per month and channel (also after a restart), a failed channel tried again an hour later,
and the figures in the mail the tools' own."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from agent.report.monthly import MonthlyReports, first_working_day
from connectors.notify.slack import SlackIncidentNotifier, web_client
from ems_agent.context import TurnContexts, fixed_clock
from store import catalog
from tests.test_notify import SmtpServer, smtp_server  # noqa: F401  (fixture)
from tests.test_slack import SlackAPI, slack_api  # noqa: F401  (fixture)
from tools.base import ToolContext
from tools.kpi import compute_kpi

TZ = ZoneInfo("Europe/Berlin")
CHANNEL = "C0REPORTS"


def at(engine: Engine, moment: datetime) -> ToolContext:
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    return TurnContexts(engine, site, clock=fixed_clock(moment))(user="watcher", role="operator")


def sender(engine: Engine, smtp: SmtpServer, slack: SlackAPI) -> MonthlyReports:
    """The watcher's monthly send with an e-mail and a Slack notifier (and a webhook-like one)."""
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    contexts = TurnContexts(engine, site)
    notifiers = [
        smtp.notifier(["energy@plant.example"]),
        SlackIncidentNotifier(web_client("xoxb-report", slack.url), CHANNEL),
        object(),  # a notifier that sends no reports (a webhook) is left out
    ]
    return MonthlyReports(engine, contexts, notifiers)


def test_the_first_working_day_skips_weekends_and_closures() -> None:
    assert first_working_day(date(2026, 11, 1), frozenset()) == date(2026, 11, 2)  # a Sunday
    closed = frozenset({date(2026, 6, 1)})
    assert first_working_day(date(2026, 6, 1), closed) == date(2026, 6, 2)


def test_octobers_report_goes_once_by_mail_and_to_slack_on_the_first_working_day(
    demo_engine: Engine,
    smtp_server: SmtpServer,  # noqa: F811
    slack_api: SlackAPI,  # noqa: F811
) -> None:
    monthly = sender(demo_engine, smtp_server, slack_api)
    assert monthly.run(at(demo_engine, datetime(2026, 11, 1, 12, tzinfo=TZ))) == []  # Sunday
    assert monthly.run(at(demo_engine, datetime(2026, 11, 2, 5, tzinfo=TZ))) == []  # too early
    records = monthly.run(at(demo_engine, datetime(2026, 11, 2, 7, tzinfo=TZ)))
    assert [(r["notifier"], r["month"], r["ok"]) for r in records] == [
        ("email", "2026-10", True),
        ("slack", "2026-10", True),
    ]

    [(_, rcpt, message)] = smtp_server.mailbox.messages
    assert rcpt == ["energy@plant.example"]
    assert message["Subject"] == "[report] Energy report October 2026: demo-plant"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "energy-report-demo-plant-2026-10.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    body = message.get_body(("plain",))
    assert body is not None
    ctx = at(demo_engine, datetime(2026, 11, 2, 7, tzinfo=TZ))
    energy = compute_kpi(ctx, {"kpi": "energy", "meter": "main-incomer", "period": "2026-10"})
    assert f"electricity: {energy.value:,.0f} kWh" in body.get_content()

    [done] = slack_api.of("files.completeUploadExternal")
    assert done.args["channel_id"] == CHANNEL
    assert "Energy report October 2026" in done.args["initial_comment"]
    [uploaded] = slack_api.of("upload")
    assert uploaded.body == attachment.get_content()

    # later the same day, and after a restart: nothing is sent twice
    assert monthly.run(at(demo_engine, datetime(2026, 11, 2, 9, tzinfo=TZ))) == []
    again = sender(demo_engine, smtp_server, slack_api)
    assert again.run(at(demo_engine, datetime(2026, 11, 3, 9, tzinfo=TZ))) == []
    assert len(smtp_server.mailbox.messages) == 1
    assert len(slack_api.of("files.completeUploadExternal")) == 1


def test_a_channel_that_failed_is_tried_again_an_hour_later_and_alone(
    demo_engine: Engine,
    smtp_server: SmtpServer,  # noqa: F811
    slack_api: SlackAPI,  # noqa: F811
) -> None:
    slack_api.errors["files.getUploadURLExternal"] = ["not_in_channel"]
    monthly = sender(demo_engine, smtp_server, slack_api)
    first = monthly.run(at(demo_engine, datetime(2026, 11, 2, 7, tzinfo=TZ)))
    assert [(r["notifier"], r["ok"]) for r in first] == [("email", True), ("slack", False)]
    assert "not a member of C0REPORTS" in first[1]["detail"]
    assert monthly.run(at(demo_engine, datetime(2026, 11, 2, 7, 30, tzinfo=TZ))) == []
    later = monthly.run(at(demo_engine, datetime(2026, 11, 2, 8, 1, tzinfo=TZ)))
    assert [(r["notifier"], r["ok"]) for r in later] == [("slack", True)]
    assert len(smtp_server.mailbox.messages) == 1  # the mail went once


def test_a_month_without_data_is_said_once_and_not_tried_again(
    demo_engine: Engine,
    smtp_server: SmtpServer,  # noqa: F811
    slack_api: SlackAPI,  # noqa: F811
) -> None:
    monthly = sender(demo_engine, smtp_server, slack_api)
    # March 2026's report is due on 2 March; the demo's history starts in late August
    records = monthly.run(at(demo_engine, datetime(2026, 3, 2, 7, tzinfo=TZ)))
    assert [(r["event"], r["ok"]) for r in records] == [("skipped", False)]
    assert "no energy readings at demo-plant in February 2026" in " ".join(
        records[0]["detail"].split()
    )
    assert monthly.run(at(demo_engine, datetime(2026, 3, 3, 9, tzinfo=TZ))) == []
    assert smtp_server.mailbox.messages == [] and slack_api.of("chat.postMessage") == []


@pytest.mark.parametrize("moment", [datetime(2026, 11, 20, 9, tzinfo=TZ)])
def test_a_late_run_in_the_month_still_sends_it(
    demo_engine: Engine,
    smtp_server: SmtpServer,  # noqa: F811
    slack_api: SlackAPI,  # noqa: F811
    moment: datetime,
) -> None:
    records = sender(demo_engine, smtp_server, slack_api).run(at(demo_engine, moment))
    assert [(r["notifier"], r["month"], r["ok"]) for r in records] == [
        ("email", "2026-10", True),
        ("slack", "2026-10", True),
    ]
