"""The monthly report on the demo plant: its figures against pandas over the raw readings and
against the tools, its PDF read back with pdftotext, its baselines and incidents, and bad input
(months that cannot be read, have not begun or hold no data) refused in words."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Engine

from agent.report import report_file
from common.errors import InsufficientData
from ems_agent.context import TurnContexts, fixed_clock
from store import catalog, queries
from store import incidents as incident_store
from tests.conftest import need_server
from tests.test_agent_offline import offline_agent
from tools.base import ToolContext
from tools.baseline import energy_baseline
from tools.kpi import compute_kpi
from tools.months import InvalidMonth, parse_month
from tools.report import MonthlyReport, monthly_report

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 5, 12, 0, tzinfo=TZ)  # the demo's history ends 2026-11-05
OCTOBER = (datetime(2026, 10, 1, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ))


def context(engine: Engine, now: datetime = NOW) -> ToolContext:
    with engine.connect() as conn:
        site = catalog.get_site(conn, "demo-plant")
    return TurnContexts(engine, site, clock=fixed_clock(now))(user="test", role="viewer")


def raw_month(engine: Engine, meter: str) -> pd.Series:
    """The meter's raw 15-minute energy in October 2026, indexed by local time."""
    ctx = context(engine)
    with engine.connect() as conn:
        m = catalog.resolve_meter(conn, ctx.site.id, meter)
        series = catalog.get_series(conn, m.id, "energy")
        lo, hi = (int(t.timestamp()) for t in OCTOBER)
        raw = queries.readings(conn, series.id, lo, hi)
    index = pd.to_datetime(raw["ts"], unit="s", utc=True).dt.tz_convert(TZ)
    return pd.Series(raw["value"].to_numpy(), index=index)


@pytest.fixture(scope="module")
def october(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path
) -> tuple[Engine, MonthlyReport]:
    """October 2026 on a copy of the demo plant, with a baseline fitted on September and two
    incidents: one inside October and one after it."""
    from store.engine import make_engine

    path = tmp_path_factory.mktemp("report") / "demo.db"
    shutil.copyfile(demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    ctx = context(engine)
    energy_baseline(ctx, {"meter": "main-incomer", "baseline": "2026-08-28..2026-09-30"})
    with engine.begin() as conn:
        meter = catalog.resolve_meter(conn, ctx.site.id, "compressor-1")
        for key, start, cost in (("in", OCTOBER[0], 123.45), ("after", NOW, 99.0)):
            incident_store.insert_incident(
                conn,
                ctx.site.id,
                incident_store.NewIncident(
                    meter_id=meter.id,
                    kind="consumption_high",
                    severity="warning",
                    start_ts=int(start.timestamp()) + 86400 * 3,
                    end_ts=int(start.timestamp()) + 86400 * 4,
                    title=f"compressor-1: test incident {key}",
                    dedup_key=f"test:{key}",
                    extra_kwh=cost * 4,
                    cost=cost,
                    currency="EUR",
                ),
            )
    return engine, monthly_report(ctx, {"month": "2026-10"})


def test_energy_peak_and_co2_agree_with_pandas_over_the_raw_readings(
    october: tuple[Engine, MonthlyReport],
) -> None:
    engine, report = october
    by_meter = {m.meter: m for m in report.meters}
    for name in ("main-incomer", "compressor-1", "line-a", "boiler"):
        raw = raw_month(engine, name)
        row = by_meter[name]
        assert row.energy_kwh == pytest.approx(raw.sum(), rel=1e-9)
        # 15-minute demand window: the highest quarter-hour's kWh x 4, and when it started
        assert row.peak_kw == pytest.approx(raw.max() * 4, rel=1e-9)
        assert row.peak_at == raw.idxmax().isoformat()
        assert row.load_factor == pytest.approx(raw.mean() * 4 / (raw.max() * 4), rel=1e-9)
    factor = {"electricity": 0.38, "gas": 0.201}  # the demo plant file's factors
    for row in report.meters:
        assert row.co2_kg == pytest.approx(row.energy_kwh * factor[row.carrier], rel=1e-9)


def test_carriers_add_up_the_top_of_each_tree_and_the_meters_follow_it(
    october: tuple[Engine, MonthlyReport],
) -> None:
    engine, report = october
    electricity = next(c for c in report.carriers if c.carrier == "electricity")
    assert electricity.meters == ["main-incomer"]
    assert electricity.energy_kwh == pytest.approx(raw_month(engine, "main-incomer").sum())
    order = [m.meter for m in report.meters]
    assert order.index("main-incomer") < order.index("compressor-1")
    assert {m.meter: m.parent for m in report.meters}["compressor-1"] == "main-incomer"
    assert {m.meter: m.depth for m in report.meters}["line-a"] == 1
    daily = {d.day: d.kwh for d in electricity.daily}
    raw = raw_month(engine, "main-incomer")
    by_day = raw.groupby(raw.index.date).sum()
    assert daily["2026-10-25"] == pytest.approx(by_day[date(2026, 10, 25)])  # a 25-hour day
    assert len(daily) == 31


def test_cost_and_sec_are_the_kpi_tools_own(october: tuple[Engine, MonthlyReport]) -> None:
    engine, report = october
    ctx = context(engine)
    by_meter = {m.meter: m for m in report.meters}
    for name in ("main-incomer", "line-a", "boiler"):
        cost = compute_kpi(ctx, {"kpi": "cost", "meter": name, "period": "2026-10"})
        assert by_meter[name].cost == pytest.approx(cost.value)
        assert by_meter[name].currency == cost.details["currency"] == "EUR"
    sec = compute_kpi(ctx, {"kpi": "sec", "meter": "line-a", "period": "2026-10"})
    assert by_meter["line-a"].sec_kwh_per_unit == pytest.approx(sec.value)
    # Only meters whose production the catalogue names have an SEC
    assert by_meter["compressor-1"].sec_kwh_per_unit is None
    assert not any("sec" in n for n in by_meter["compressor-1"].notes)


def test_the_month_is_compared_with_the_current_baseline(
    october: tuple[Engine, MonthlyReport],
) -> None:
    engine, report = october
    (enpi,) = report.enpi
    assert (enpi.meter, enpi.baseline_version) == ("main-incomer", 1)
    again = energy_baseline(
        context(engine),
        {"meter": "main-incomer", "baseline": "2026-08-28..2026-09-30", "reporting": "2026-10"},
    )
    assert again.deviation is not None
    assert enpi.expected_kwh == pytest.approx(again.deviation.expected_kwh)
    assert enpi.actual_kwh == pytest.approx(again.deviation.actual_kwh)
    assert enpi.uncertainty_kwh == pytest.approx(again.deviation.uncertainty_kwh)
    assert (enpi.r2, enpi.cv_rmse_percent) == pytest.approx((again.r2, again.cv_rmse_percent))
    assert enpi.enpi == pytest.approx(enpi.actual_kwh / enpi.expected_kwh)


def test_incidents_of_the_month_with_their_cost(october: tuple[Engine, MonthlyReport]) -> None:
    _, report = october
    assert [i.title for i in report.incidents] == ["compressor-1: test incident in"]
    assert report.incidents_cost == pytest.approx(123.45)


def test_without_last_year_the_report_says_so(october: tuple[Engine, MonthlyReport]) -> None:
    _, report = october
    assert all(m.last_year_kwh is None and m.change_percent is None for m in report.meters)
    assert any("2025-10" in c for c in report.caveats)
    assert report.complete and report.downloads["pdf"].startswith("/api/v1/reports?")


def test_two_supplies_of_a_carrier_are_each_named_beside_their_sum(
    tmp_path: Path, demo_template: Path
) -> None:
    """A building on its own utility connection is a second top of the electricity tree: the
    summary gives the sum and each supply's own figure, both as pandas sums of the raw rows."""
    from store.engine import make_engine

    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    ctx = context(engine)
    with engine.begin() as conn:
        offices = catalog.resolve_meter(conn, ctx.site.id, "offices")
        catalog.update_meter(conn, offices.id, parent_id=None)
    report = monthly_report(ctx, {"month": "2026-10"})
    main, own = raw_month(engine, "main-incomer").sum(), raw_month(engine, "offices").sum()
    line = next(x for x in report.summary.splitlines() if x.startswith("electricity:"))
    assert f"electricity: main-incomer {main:,.0f} kWh + offices {own:,.0f} kWh = " in line
    assert f"= {main + own:,.0f} kWh (" in line
    gas = next(x for x in report.summary.splitlines() if x.startswith("gas:"))
    assert "+" not in gas.split("(")[0] and "boiler" not in gas  # one supply: just its sum


def pdf_text(pdf: bytes, folder: Path) -> str:
    if shutil.which("pdftotext") is None:
        need_server("pdftotext (Debian's poppler-utils) is not installed")
    path = folder / "report.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_the_pdf_read_back_carries_the_tools_figures(
    october: tuple[Engine, MonthlyReport], tmp_path: Path
) -> None:
    engine, report = october
    file = report_file(report, "pdf")
    assert file.content.startswith(b"%PDF") and file.filename.endswith("2026-10.pdf")
    text = pdf_text(file.content, tmp_path)
    ctx = context(engine)
    assert "Energy report October 2026: demo-plant" in text
    for name in ("main-incomer", "compressor-1", "boiler"):
        # The first row that starts with the meter is its row of the carrier's table.
        line = next(ln for ln in text.splitlines() if re.match(rf"\s*{name}\s+[\d,]+\s", ln))
        numbers = re.findall(r"-?[\d,]+\.?\d*", line.split(name, 1)[1])
        energy = compute_kpi(ctx, {"kpi": "energy", "meter": name, "period": "2026-10"}).value
        cost = compute_kpi(ctx, {"kpi": "cost", "meter": name, "period": "2026-10"}).value
        load = compute_kpi(ctx, {"kpi": "load_factor", "meter": name, "period": "2026-10"})
        assert numbers[0] == f"{energy:,.0f}"
        assert f"{cost:,.2f}" in numbers
        assert f"{load.details['peak_kw']:,.1f}" in numbers
        assert f"{load.value:.3f}" in numbers
    assert "123.45" in text  # the incident's cost
    assert f"{report.enpi[0].expected_kwh:,.0f}" in text


def test_the_html_report_stands_on_its_own(october: tuple[Engine, MonthlyReport]) -> None:
    _, report = october
    html = report_file(report, "html").content.decode()
    assert html.startswith("<!DOCTYPE html>") and html.count("data:image/png;base64,") >= 3
    assert "http://" not in html and "https://" not in html  # nothing fetched when it opens


def test_a_running_month_is_reported_with_a_caveat(demo_engine: Engine) -> None:
    report = monthly_report(context(demo_engine), {"month": "this month"})
    assert report.month == "2026-11" and not report.complete
    assert any("not over" in c for c in report.caveats)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026-13", "month 13, which does not exist"),
        ("Brumaire", "cannot read the month 'Brumaire'"),
        ("2027-01", "January 2027 has not begun yet"),
    ],
)
def test_months_that_cannot_be_reported_are_refused_in_words(
    demo_engine: Engine, text: str, words: str
) -> None:
    with pytest.raises(InvalidMonth, match=words):
        monthly_report(context(demo_engine), {"month": text})


def test_a_month_without_data_names_the_months_that_have_some(demo_engine: Engine) -> None:
    with pytest.raises(InsufficientData, match="no energy readings at demo-plant in March 2026"):
        monthly_report(context(demo_engine), {"month": "2026-03"})


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("2025-11", date(2025, 11, 1)),
        ("last month", date(2026, 2, 1)),
        ("this month", date(2026, 3, 1)),
        ("November", date(2025, 11, 1)),
        ("march", date(2026, 3, 1)),
        ("Nov 2024", date(2024, 11, 1)),
        ("2025 december", date(2025, 12, 1)),
    ],
)
def test_months_as_people_name_them(text: str, first: date) -> None:
    assert parse_month(text, date(2026, 3, 15)) == first


# ------------------------------------------------------------------ asked in the chat


@pytest.mark.parametrize(
    ("question", "month"),
    [
        ("make me the October report", "2026-10"),  # the reader names the month it read
        ("the monthly energy report for 2026-09 please", "2026-09"),
        ("can I get last month's report?", "last month"),
    ],
)
def test_the_agent_makes_the_report_asked_for(
    demo_engine: Engine, tmp_path: Path, question: str, month: str
) -> None:
    reply = offline_agent(demo_engine, tmp_path / "threads.db", NOW).ask(question)
    assert reply.outcome == "answer", reply.answer
    assert [(c.name, c.args) for c in reply.tool_calls] == [("monthly_report", {"month": month})]
    label = "2026-09" if month == "2026-09" else "2026-10"
    ctx = context(demo_engine)
    energy = compute_kpi(ctx, {"kpi": "energy", "meter": "main-incomer", "period": label}).value
    assert f"electricity: {energy:,.0f} kWh" in reply.answer
    assert f"/api/v1/reports?site=demo-plant&month={label}&format=pdf" in reply.answer


def test_the_agent_says_why_a_future_months_report_cannot_be_made(
    demo_engine: Engine, tmp_path: Path
) -> None:
    reply = offline_agent(demo_engine, tmp_path / "threads.db", NOW).ask(
        "make me the December report"
    )
    # "December" without a year is the latest that has begun: December 2025, before the data
    assert "no energy readings at demo-plant in December 2025" in reply.answer
    assert reply.outcome == "refuse", reply.answer
    reply = offline_agent(demo_engine, tmp_path / "more.db", NOW).ask(
        "make me the monthly report for 2027-01"
    )
    assert "January 2027 has not begun yet" in reply.answer
    assert reply.outcome == "refuse", reply.answer


# ------------------------------------------------------------------ the store's baselines


def test_current_baselines_are_each_meters_latest_version_at_its_site(engine: Engine) -> None:
    """On SQLite and PostgreSQL: the latest version per meter of the named baseline, and
    nothing of another site or of another baseline name."""
    from store.baselines import current_baselines
    from store.schema import BaselineModel

    with engine.begin() as conn:
        here = catalog.ensure_site(conn, "here", "Europe/Berlin")
        there = catalog.ensure_site(conn, "there", "UTC")
        a = catalog.ensure_meter(conn, here.id, "a")
        b = catalog.ensure_meter(conn, here.id, "b")
        c = catalog.ensure_meter(conn, there.id, "c")
        fits = [(a, "default", 1, 0.7), (a, "default", 2, 0.9), (b, "default", 1, 0.8)]
        fits += [(b, "winter", 3, 0.5), (c, "default", 4, 0.6)]
        for meter, name, version, r2 in fits:
            conn.execute(
                BaselineModel.__table__.insert().values(
                    meter_id=meter.id,
                    name=name,
                    version=version,
                    model_type="ols",
                    grain="day",
                    start_ts=0,
                    end_ts=86400 * version,
                    drivers=["temperature"],
                    parameters={},
                    metrics={"r2": r2},
                )
            )
    with engine.connect() as conn:
        found = current_baselines(conn, here.id)
    assert {m: (s.version, s.metrics["r2"]) for m, s in found.items()} == {
        a.id: (2, 0.9),
        b.id: (1, 0.8),
    }
    assert found[a.id].drivers == ("temperature",) and found[a.id].end_ts == 86400 * 2


def _last_november(engine: Engine, days: float) -> pd.Series:
    """Readings of main-incomer for the last `days` days before 5 Nov 2025 12:00 (the test plant's
    history starts in the summer of 2026), written through the store's own write path."""
    from store.writes import write_readings

    end = datetime(2025, 11, 5, 12, tzinfo=TZ)
    index = pd.date_range(end=end, periods=int(days * 96) + 1, freq="15min", inclusive="left")
    values = pd.Series(10.0 + (index.hour.to_numpy() % 7), index=index)
    ctx = context(engine)
    with engine.begin() as conn:
        m = catalog.resolve_meter(conn, ctx.site.id, "main-incomer")
        series = catalog.get_series(conn, m.id, "energy")
        ts = index.as_unit("s").asi8.astype("int64")
        write_readings(conn, series.id, ts, values.to_numpy(dtype="float64"), "Europe/Berlin")
    return values


def test_a_running_month_is_set_against_the_same_days_of_last_year(demo_engine: Engine) -> None:
    """On 5 Nov 12:00 the month so far is compared with 1-5 Nov 12:00 a year before, never with
    the whole of last November; with readings on every quarter-hour of that span the change is
    the month so far against their sum (pandas over what was written and over the raw rows)."""
    before = _last_november(demo_engine, 4.5)
    report = monthly_report(context(demo_engine), {"month": "2026-11"})
    start, end = (datetime.fromisoformat(report.last_year[k]) for k in ("start", "end"))
    assert (start, end) == (datetime(2025, 11, 1, tzinfo=TZ), datetime(2025, 11, 5, 12, tzinfo=TZ))
    assert any(
        "same days" in c and "2025-11-01T00:00..2025-11-05T12:00" in c for c in report.caveats
    )
    row = next(m for m in report.meters if m.meter == "main-incomer")
    now = raw_span(demo_engine, "main-incomer", datetime(2026, 11, 1, tzinfo=TZ), NOW)
    assert row.last_year_kwh == pytest.approx(before.sum(), rel=1e-9)
    assert row.energy_kwh == pytest.approx(now.sum(), rel=1e-9)
    expected = (now.sum() - before.sum()) / before.sum() * 100
    assert row.change_percent == pytest.approx(expected, rel=1e-6)


def test_last_year_with_too_few_readings_gives_no_change(demo_engine: Engine) -> None:
    """Two of the four and a half days: the figure would not be the same span, so none is
    given and the caveat says for which meter and how much of the span its readings cover."""
    _last_november(demo_engine, 2.0)
    report = monthly_report(context(demo_engine), {"month": "2026-11"})
    row = next(m for m in report.meters if m.meter == "main-incomer")
    assert row.last_year_kwh is None and row.change_percent is None
    share = f"{2.0 / 4.5:.0%}"
    assert any(
        "no change on last year" in c and f"main-incomer ({share})" in c for c in report.caveats
    )


def raw_span(engine: Engine, meter: str, lo: datetime, hi: datetime) -> pd.Series:
    ctx = context(engine)
    with engine.connect() as conn:
        m = catalog.resolve_meter(conn, ctx.site.id, meter)
        series = catalog.get_series(conn, m.id, "energy")
        raw = queries.readings(conn, series.id, int(lo.timestamp()), int(hi.timestamp()))
    return pd.Series(raw["value"].to_numpy())
