"""Evidence of an answer from real replies of the offline agent on the demo plant: chart and
table values checked against pandas over the raw readings, not against the tools."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from agent.evidence import ChartSpec, evidence, evidence_from_calls, period_text
from agent.loop import Agent
from agent.memory import sqlite_memory
from agent.models import Backend
from agent.offline.model import MODEL_NAME, OfflinePlanner
from ems_agent.context import TurnContexts, fixed_clock
from store import catalog
from tests.test_agent_offline import TZ, offline_agent, raw
from tools.registry import all_tools

NOW = datetime(2026, 11, 5, 18, 0, tzinfo=TZ)


@pytest.fixture
def agent(demo_engine: Engine, tmp_path: Path) -> Agent:
    return offline_agent(demo_engine, tmp_path / "threads.db", NOW)


def local_index(series: pd.Series) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(series.index, unit="s", utc=True)).tz_convert(TZ)


def daily(series: pd.Series) -> pd.Series:
    local = local_index(series)
    return series.groupby(local.date).sum()


def only(charts: list[ChartSpec], kind: str) -> ChartSpec:
    matching = [c for c in charts if c.kind == kind]
    assert len(matching) == 1, charts
    return matching[0]


def test_peak_demand_is_a_line_of_quarter_hour_kw(agent: Agent, demo_engine: Engine) -> None:
    reply = agent.ask("What was compressor-2's peak demand last week?")
    ev = evidence(reply)
    kwh = raw(demo_engine, "compressor-2", "2026-10-26", "2026-11-02")
    chart = only(ev.charts, "line")
    assert chart.unit == "kW" and "compressor-2" in chart.title and "26 Oct 2026" in chart.title
    assert list(chart.series) == ["compressor-2"]
    assert len(chart.x) == len(kwh) == 7 * 96
    assert chart.series["compressor-2"] == pytest.approx(list(kwh.to_numpy() * 4))
    moments = [datetime.fromisoformat(t) for t in chart.x]
    assert moments == [datetime.fromtimestamp(int(t), TZ) for t in kwh.index]
    _, columns, rows = ev.tables[0]
    assert columns == ["quantity", "value", "unit"]
    assert rows[0][0] == "peak demand" and rows[0][2] == "kW"
    assert rows[0][1] == pytest.approx(kwh.max() * 4, abs=1e-3)
    assert ev.tool_calls == [c.to_json() for c in reply.tool_calls]
    assert ev.citations == []


def test_daily_series_of_two_meters(agent: Agent, demo_engine: Engine) -> None:
    ev = evidence(agent.ask("daily energy of compressor-1 and compressor-2 last week"))
    chart = only(ev.charts, "line")
    assert chart.unit == "kWh" and set(chart.series) == {"compressor-1", "compressor-2"}
    assert [datetime.fromisoformat(t).date().isoformat() for t in chart.x] == [
        f"2026-10-{d}" for d in range(26, 32)
    ] + ["2026-11-01"]
    for meter in chart.series:
        expected = daily(raw(demo_engine, meter, "2026-10-26", "2026-11-02"))
        assert chart.series[meter] == pytest.approx(list(expected.to_numpy()))
    # the series as a table (start, one column per meter) and the totals with coverage
    series_table, totals = ev.tables
    assert series_table[1][0] == "start" and len(series_table[2]) == 7
    by_meter = {row[0]: row for row in totals[2]}
    expected_total = raw(demo_engine, "compressor-1", "2026-10-26", "2026-11-02").sum()
    assert by_meter["compressor-1"][1] == pytest.approx(expected_total, abs=1e-3)
    assert by_meter["compressor-1"][3] == 100.0


def test_hourly_series_across_the_clock_change_stays_in_time_order(agent: Agent) -> None:
    # Summer time ended at 03:00 on Sunday 25 October 2026: 02:00-03:00 happened twice.
    ev = evidence(agent.ask("hourly energy of the chiller from 24 to 25 October 2026"))
    chart = only(ev.charts, "line")
    moments = [datetime.fromisoformat(t) for t in chart.x]
    assert moments == sorted(moments) and len(set(moments)) == len(moments)
    assert len(chart.x) == 49  # 24 hours and the 25 of the long day


def test_comparison_is_bars_of_both_periods(agent: Agent, demo_engine: Engine) -> None:
    ev = evidence(agent.ask("Did the chiller use more in October than in September?"))
    chart = only(ev.charts, "bar")
    october = raw(demo_engine, "chiller", "2026-10-01", "2026-11-01").sum()
    september = raw(demo_engine, "chiller", "2026-09-01", "2026-10-01").sum()
    assert chart.x == ["chiller"]
    # Periods written as dates ('2026-10') are named by the days they cover.
    assert chart.series == {
        "1 Oct 2026 to 31 Oct 2026": [pytest.approx(october)],
        "1 Sep 2026 to 30 Sep 2026": [pytest.approx(september)],
    }
    row = ev.tables[0][2][0]
    assert row[4] == pytest.approx(100 * (october / september - 1), abs=0.05)


def test_ranking_bars_match_raw_totals(agent: Agent, demo_engine: Engine) -> None:
    ev = evidence(agent.ask("top 5 consumers last month"))
    chart = only(ev.charts, "bar")
    expected = {m: raw(demo_engine, m, "2026-10-01", "2026-11-01").sum() for m in chart.x}
    assert len(chart.x) == 5
    assert chart.series["energy"] == pytest.approx([expected[m] for m in chart.x])
    values = [float(v or 0) for v in chart.series["energy"]]
    assert values == sorted(values, reverse=True)
    assert "main-incomer" not in chart.x


def test_split_by_shift_matches_the_shift_calendar(agent: Agent, demo_engine: Engine) -> None:
    ev = evidence(agent.ask("energy of line-a by shift last week"))
    chart = only(ev.charts, "bar")
    kwh = raw(demo_engine, "line-a", "2026-10-26", "2026-11-02")
    local = local_index(kwh)
    hour, weekday = local.hour, local.day_of_week

    def shift(h: int, d: int) -> str:
        if d < 5 and 6 <= h < 14:
            return "early"
        if d < 5 and 14 <= h < 22:
            return "late"
        return "saturday" if d == 5 and 6 <= h < 12 else "off-shift"

    labels = [shift(h, d) for h, d in zip(hour, weekday, strict=True)]
    expected = kwh.groupby(labels).sum()
    assert sorted(chart.x) == sorted(expected.index)
    assert chart.series["line-a"] == pytest.approx([expected[p] for p in chart.x])


def test_baseline_chart_shows_actual_days(agent: Agent, demo_engine: Engine) -> None:
    ev = evidence(agent.ask("is the chiller above its baseline this month?"))
    actual_chart, cusum = ev.charts
    expected = daily(raw(demo_engine, "chiller", "2026-11-01", "2026-11-05"))
    assert actual_chart.x == [d.isoformat() for d in expected.index]
    assert actual_chart.series["actual"] == pytest.approx(list(expected.to_numpy()))
    base = actual_chart.series["baseline"]
    running = pd.Series(expected.to_numpy() - pd.Series(base).to_numpy()).cumsum()
    assert cusum.series["CUSUM"] == pytest.approx(list(running))
    rows = {r[0]: r[1] for r in ev.tables[0][2] if r[2] == "kWh"}
    assert rows["actual"] == pytest.approx(expected.sum(), abs=1e-3)


def test_coverage_shows_the_offices_outage(agent: Agent, demo_engine: Engine) -> None:
    ev = evidence(agent.ask("are we missing data on 8 October 2026?"))
    chart = only(ev.charts, "bar")
    assert chart.unit == "%"
    offices = raw(demo_engine, "offices", "2026-10-08", "2026-10-09")
    share = dict(zip(chart.x, chart.series["coverage"], strict=True))
    assert share["offices"] == pytest.approx(100 * len(offices) / 96)
    gaps = next(t for t in ev.tables if t[0].startswith("gaps"))
    assert [g[0] for g in gaps[2]] == ["offices"]
    assert gaps[2][0][1].startswith("2026-10-08T04:00") and gaps[2][0][3] == 8.0


def test_forecast_has_its_range(agent: Agent) -> None:
    ev = evidence(agent.ask("forecast compressor-1 for the next 24 hours"))
    chart = only(ev.charts, "line")
    assert len(chart.x) == 96 and chart.x[0].startswith("2026-11-05T18:00")
    low, mid, high = (chart.series[k] for k in ("low (10 %)", "expected", "high (90 %)"))
    assert all(a <= b <= c for a, b, c in zip(low, mid, high, strict=True))  # type: ignore[operator]


def test_sql_rows_become_a_table(agent: Agent) -> None:
    ev = evidence(agent.ask("run sql: SELECT name, kind FROM meters ORDER BY name LIMIT 3"))
    title, columns, rows = ev.tables[0]
    assert columns == ["name", "kind"] and len(rows) == 3 and ev.charts == []
    assert "3 rows" in title


def test_a_failed_call_draws_nothing_but_is_listed(agent: Agent) -> None:
    # a year before the history starts: the call is made and fails (an unknown meter is asked
    # back before any call, so it no longer makes one)
    reply = agent.ask("energy of the chiller in 2019")
    ev = evidence(reply)
    assert ev.charts == [] and ev.tables == [] and ev.empty
    assert "error" in ev.tool_calls[0]["result"]


def test_a_refused_write_draws_nothing(agent: Agent) -> None:
    ev = evidence(agent.ask("alert me when the chiller demand exceeds 200 kW", role="viewer"))
    assert ev.charts == [] and ev.tables == []


def test_citations_from_knowledge_and_incidents_are_kept_once() -> None:
    passage = {
        "text": "Listen with the ultrasonic detector ...",
        "citation": "Compressed-air leaks runbook § Leak survey (runbooks/compressed-air-leaks.md)",
        "source": "runbooks/compressed-air-leaks.md",
        "title": "Compressed-air leaks runbook",
        "section": "Leak survey",
        "page": None,
        "score": 0.82,
        "collection": "documents",
        "incident_id": None,
    }
    calls = [
        {
            "name": "search_knowledge",
            "args": {"query": "air leak"},
            "result": {
                "query": "air leak",
                "collection": "all",
                "passages": [passage, passage],
                "library": [],
                "source": "chroma",
            },
        },
        {
            "name": "get_incident",
            "args": {"incident_id": 4},
            "result": {
                "id": 4,
                "site": "plant",
                "meter": "press",
                "kind": "consumption_high",
                "severity": "warning",
                "state": "open",
                "title": "Leak",
                "start": "2026-09-08T18:00:00+02:00",
                "end": None,
                "extra_kwh": None,
                "cost": None,
                "currency": "EUR",
                "co2_kg": None,
                "summary": None,
                "resolution": None,
                "acknowledged_by": None,
                "citations": ["Incident #2 (incident:2)"],
            },
        },
    ]
    ev = evidence_from_calls(calls)
    assert ev.citations == [passage["citation"], "Incident #2 (incident:2)"]
    assert ev.tables[0][2][0] == [
        "Compressed-air leaks runbook",
        "Leak survey",
        passage["source"],
        0.82,
    ]
    assert ev.tables[1][2][0][0] == 4


def test_an_unknown_result_shape_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = [
        {"name": "compute_kpi", "args": {}, "result": {"kpi": "energy"}},
        {"name": "some_new_tool", "args": {}, "result": {"x": 1}},
        {"name": "rank_meters", "args": {}, "result": "not a dict"},
    ]
    with caplog.at_level(logging.WARNING, logger="agent.evidence"):
        ev = evidence_from_calls(calls)
    assert ev.charts == [] and ev.tables == [] and len(ev.tool_calls) == 3
    assert "compute_kpi" in caplog.text


def test_period_text() -> None:
    week = {"start": "2026-10-26T00:00:00+01:00", "end": "2026-11-02T00:00:00+01:00"}
    assert period_text(week | {"label": "last week"}) == "last week (26 Oct 2026 to 1 Nov 2026)"
    day = {"start": "2026-11-04T00:00:00+01:00", "end": "2026-11-05T00:00:00+01:00", "label": ""}
    assert period_text(day) == "4 Nov 2026"


def test_citations_of_a_real_knowledge_search(demo_engine: Engine, tmp_path: Path) -> None:
    from ems_agent.settings import load_settings
    from ems_agent.slices import knowledge_settings
    from knowledge.store import open_knowledge

    library = Path(__file__).resolve().parent.parent / "knowledge" / "library"
    runbook = library / "runbooks" / "compressed-air-leaks.md"
    store = open_knowledge(knowledge_settings(load_settings()))
    store.add_paths([runbook])
    with demo_engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    agent = Agent(
        Backend(OfflinePlanner(), MODEL_NAME, None),
        all_tools(),
        sqlite_memory(tmp_path / "threads.db"),
        TurnContexts(demo_engine, site, clock=fixed_clock(NOW), knowledge=store),
    )
    reply = agent.ask("How do we find compressed-air leaks?")
    ev = evidence(reply)
    passages = reply.tool_calls[0].result["passages"]
    assert ev.citations and len(ev.citations) == len({p["citation"] for p in passages})
    text = runbook.read_text()
    for citation in ev.citations:
        assert (
            citation.endswith("(compressed-air-leaks.md)") or "compressed-air-leaks.md" in citation
        )
        heading = citation.split(" § ")[-1].split(" (")[0].split(" > ")[-1]
        assert heading in text or citation.startswith("Compressed-air leaks runbook (")
    assert all(c in reply.answer for c in ev.citations[:1])
