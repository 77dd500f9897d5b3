"""The page's parts without a browser: time ranges and drill-down, the live refresh of the
Meters tab, incident rows as the watcher writes them, and the charts of single days, hour-of-day
profiles and periods written as dates. Figures are checked against pandas over the raw rows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import gradio as gr
import numpy as np
import pytest
from sqlalchemy import Engine

from agent.evidence import evidence_from_calls
from chat_ui import triage
from chat_ui.charts import figure
from chat_ui.page import Page
from chat_ui.panels import run_tool
from chat_ui.ranges import BadRange, Range, custom, drill, preset
from ems_agent.app import App, build_agent, ui_deps
from ems_agent.context import fixed_clock
from ems_agent.settings import Settings
from store import catalog
from store.writes import write_readings
from tests.test_agent_offline import TZ, raw
from tests.test_chat_ui import (  # noqa: F401  (fixtures)
    NOW,
    password_hash,
    settings,
    ui_app,
)
from tests.test_watcher import make_watcher
from tools.base import ToolContext

# ------------------------------------------------------------------ ranges


def test_presets_are_local_spans_that_end_now() -> None:
    today = preset("today", NOW)
    assert (today.start, today.end, today.grain) == (datetime(2026, 11, 4, tzinfo=TZ), NOW, "hour")
    week = preset("last_week", NOW)
    assert (week.start.date().isoformat(), week.end.date().isoformat()) == (
        "2026-10-26",
        "2026-11-02",
    )
    assert week.grain == "day" and week.period == "2026-10-26T00:00..2026-11-02T00:00"
    last_month = preset("last_month", NOW)
    assert (last_month.start.day, last_month.start.month, last_month.end.month) == (1, 10, 11)
    assert preset("year_to_date", NOW).grain == "month"
    assert Range.of_key(week.key()) == week
    leap = Range(datetime(2028, 2, 29, tzinfo=TZ), datetime(2028, 3, 1, tzinfo=TZ), "d", "hour")
    assert leap.year_before().start == datetime(2027, 2, 28, tzinfo=TZ)


@pytest.mark.parametrize(
    ("first", "last", "said"),
    [
        ("2026-11-xx", "2026-11-02", "write the days as YYYY-MM-DD"),
        ("", "2026-11-02", "write the days as YYYY-MM-DD"),
        ("2026-11-03", "2026-11-01", "ends (2026-11-01) before it starts (2026-11-03)"),
        ("2026-12-01", "2026-12-02", "2026-12-01 is in the future"),
    ],
)
def test_a_bad_custom_range_is_named(first: str, last: str, said: str) -> None:
    with pytest.raises(BadRange, match=re.escape(said)):
        custom(first, last, NOW)
    with pytest.raises(BadRange, match="no time range called 'fortnight'"):
        preset("fortnight", NOW)


def test_custom_days_are_whole_and_cut_at_now() -> None:
    span = custom("2026-11-02", "2026-11-04", NOW)
    assert (span.start, span.end, span.label) == (
        datetime(2026, 11, 2, tzinfo=TZ),
        NOW,
        "2 Nov 2026 to 4 Nov 2026",
    )
    assert custom("2026-10-28", "2026-10-28", NOW).grain == "hour"


def test_a_bar_drills_one_grain_down_within_its_range() -> None:
    year = preset("year_to_date", NOW)
    october = drill(year, datetime(2026, 10, 1, tzinfo=TZ))
    assert october is not None and (october.grain, october.label) == ("day", "October 2026")
    assert october.end == datetime(2026, 11, 1, tzinfo=TZ)
    november = drill(year, datetime(2026, 11, 1, tzinfo=TZ))
    assert november is not None and november.end == NOW  # never past now
    day = drill(october, datetime(2026, 10, 28, tzinfo=TZ))
    assert day is not None and (day.grain, day.end) == ("hour", datetime(2026, 10, 29, tzinfo=TZ))
    hour = drill(day, datetime(2026, 10, 28, 9, tzinfo=TZ))
    assert hour is not None and (hour.grain, hour.end - hour.start) == ("15min", timedelta(hours=1))
    assert drill(hour, hour.start) is None


# ------------------------------------------------------------------ the live Meters tab


def put(engine: Engine, meter: str, at: datetime, kwh: float) -> None:
    """One quarter-hour reading arriving as the ingestor would store it."""
    with engine.begin() as conn:
        site = catalog.get_site(conn, "demo-plant")
        sid = catalog.ensure_series(conn, site.id, meter, "energy", "kWh").id
        stamp = np.array([int(at.timestamp())], dtype=np.int64)
        write_readings(conn, sid, stamp, np.array([kwh]), "Europe/Berlin")


def test_the_meters_tab_follows_new_readings_without_a_refresh(
    settings: Settings,  # noqa: F811
    demo_engine: Engine,
) -> None:
    # Just after midnight, before the first quarter-hour of the day has arrived.
    now = datetime(2026, 11, 5, 0, 20, tzinfo=TZ)
    page = Page(ui_deps(App(settings, fixed_clock(now))))
    olga = gr.Request(username="olga")
    ctx = page.ctx(olga)
    key, seen = preset("today", now).key(), page.slot(ctx)
    assert page.tick(key, seen, olga) == (gr.skip(),) * 4  # nothing new: nothing redrawn
    before = page.meters_view(ctx, Range.of_key(key))
    assert 'data-meter="compressor-1"' in before
    put(demo_engine, "compressor-1", datetime(2026, 11, 5, 0, 0, tzinfo=TZ), 7.5)
    span, _overview, meters, newer = page.tick(key, seen, olga)
    assert newer != seen and span == key
    today = raw(demo_engine, "compressor-1", "2026-11-05T00:00", "2026-11-05T00:15").sum()
    card = meters.split('data-meter="compressor-1"')[1].split('class="meter-card')[0]
    assert f"{today:,.1f} kWh" in card and today == 7.5
    assert page.tick(key, newer, olga) == (gr.skip(),) * 4
    # A quarter-hour later the rolling range moves on with the clock, new readings or not.
    later = Page(ui_deps(App(settings, fixed_clock(now + timedelta(minutes=15)))))
    moved, *_ = later.tick(key, newer, olga)
    assert Range.of_key(moved).end == now + timedelta(minutes=15)


# ------------------------------------------------------------------ incidents as written


@pytest.fixture
def watched(demo_engine: Engine) -> Engine:
    """The demo plant after the watcher has looked at late September, as on a live site."""
    for day in range(20, 31, 5):
        make_watcher(demo_engine).run_once(datetime(2026, 9, day, tzinfo=TZ))
    return demo_engine


def test_incident_rows_say_their_sources_once_and_offer_no_command(
    ui_app: App,  # noqa: F811
    watched: Engine,
) -> None:
    ctx = build_agent(ui_app, role="operator").context(user="olga", role="operator")
    found = triage.listing(ctx, triage.Filters(state="all"))
    assert found.total == len(found.incidents) > 0
    html = triage.listing_html(found)
    rows = html.split("<details")[1:]
    assert len(rows) == found.total and all(" open>" not in r.split(">")[0] for r in rows)
    for row in rows:
        assert row.count("Sources") == 1, row  # the summary's own list, not a second one
        assert "Next steps" in row and "ems-agent" not in row and "<code>" not in row


# ------------------------------------------------------------------ charts


def tool_chart(ctx: ToolContext, name: str, args: dict[str, object]) -> object:
    result = run_tool(ctx, name, args)
    charts = evidence_from_calls([{"name": name, "args": args, "result": result}]).charts
    return charts, figure(charts)


def test_a_single_day_draws_a_bar_labelled_with_its_date(ui_app: App, demo_engine: Engine) -> None:  # noqa: F811
    ctx = build_agent(ui_app).context()
    args = {"meters": ["main-incomer"], "period": "2026-11-02", "grain": "day"}
    _, fig = tool_chart(ctx, "query_metric", args)
    (bar,) = [t for t in fig.data if t.type == "bar"]  # type: ignore[attr-defined]
    assert list(bar.x) == ["2 Nov 2026"]
    day = raw(demo_engine, "main-incomer", "2026-11-02", "2026-11-03").sum()
    assert list(bar.y) == pytest.approx([day])


def test_an_hour_of_day_profile_is_called_average_power(ui_app: App, demo_engine: Engine) -> None:  # noqa: F811
    ctx = build_agent(ui_app).context()
    args = {"meter": "compressor-1", "period": "2026-11-03", "by": "hour_of_day"}
    (chart,), _ = tool_chart(ctx, "split_consumption", args)
    assert chart.unit == "kW" and "average power by hour of day" in chart.title
    assert "energy" not in chart.title
    (values,) = chart.series.values()
    # A single day: the average power of an hour is that hour's kWh.
    hours = [
        raw(demo_engine, "compressor-1", f"2026-11-03T{h:02}:00", f"2026-11-03T{h:02}:59").sum()
        for h in range(24)
    ]
    assert values == pytest.approx(hours, rel=1e-6)


def test_a_period_written_as_dates_is_titled_by_its_days(ui_app: App) -> None:  # noqa: F811
    ctx = build_agent(ui_app).context()
    args = {"meters": ["compressor-1"], "period": "2026-11-02T19:23..2026-11-03T08:00"}
    charts, _ = tool_chart(ctx, "query_metric", {**args, "grain": "hour"})
    titles = [c.title for c in charts]
    assert titles and all("t19:23" not in t and "2026-11-02" not in t for t in titles)
    assert all("2 Nov 2026 19:23 to 3 Nov 2026 08:00" in t for t in titles), titles
