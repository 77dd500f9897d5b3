"""Baselines on daily data and on bills, end to end: files imported as a user would, the
baseline tool choosing the CalTRACK daily or billing method by the meter's interval, the model
stored with CalTRACK's own fields, the reporting period's savings, and the data rules refusing
what they must; on SQLite and PostgreSQL. Each figure is checked against the CalTRACK fit of a
frame built here with pandas from the rows written to the files, and against the truth the
data was made from."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from agent.render import renderer_for
from common.errors import InsufficientData
from connectors.bills import BillOptions, import_bills
from connectors.importer import import_file
from connectors.parsing import ParseOptions
from ems_agent.cli import app
from store import catalog
from store.schema import BaselineModel
from tools.base import ToolContext
from tools.baseline import energy_baseline
from tools.baseline_caltrack import daily_energy
from tools.caltrack import CaltrackSettings, fit_billing, fit_daily
from tools.caltrack_data import DisqualifiedData
from tools.caltrack_savings import billing_savings, daily_savings

TZ = "America/Chicago"
ZONE = ZoneInfo(TZ)
DAYS = pd.date_range("2025-01-01", "2026-03-31", freq="D")  # a year of baseline, a quarter after
TRUTH = {"intercept": 300.0, "beta_hdd": 15.0, "heat": 16.0, "beta_cdd": 10.0, "cool": 22.0}
NOW = datetime(2026, 4, 20, tzinfo=ZONE)


@pytest.fixture(scope="module")
def weather() -> pd.Series:
    """Hourly outdoor temperatures (°C) by local time."""
    rng = np.random.default_rng(7)
    doy = np.arange(len(DAYS))
    daily = 12 - 13 * np.cos(2 * np.pi * (doy - 20) / 365.25) + rng.normal(0, 3, len(DAYS))
    hours = pd.date_range(DAYS[0], DAYS[-1] + pd.Timedelta(hours=23), freq="h", tz=TZ)
    local_day = hours.tz_localize(None).normalize()
    swing = 4 * np.sin((hours.hour - 9) / 24 * 2 * np.pi)
    t = pd.Series(daily, index=DAYS).reindex(local_day).to_numpy() + swing
    return pd.Series(t, index=hours)


@pytest.fixture(scope="module")
def usage(weather: pd.Series) -> pd.Series:
    """Daily kWh from the true model on each day's mean temperature, 8 % less from 2026."""
    rng = np.random.default_rng(8)
    t = weather.groupby(weather.index.tz_localize(None).normalize()).mean()
    kwh = (
        TRUTH["intercept"]
        + TRUTH["beta_hdd"] * np.clip(TRUTH["heat"] - t, 0, None)
        + TRUTH["beta_cdd"] * np.clip(t - TRUTH["cool"], 0, None)
        + rng.normal(0, 12, len(t))
    )
    return kwh.where(kwh.index.year < 2026, kwh * 0.92)


def write_readings(path: Path, meter: str, metric: str, unit: str, values: pd.Series) -> Path:
    index = pd.DatetimeIndex(values.index)
    local = index if index.tz is not None else index.tz_localize(TZ)
    pd.DataFrame(
        {
            "timestamp": local.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "meter": meter,
            "metric": metric,
            "value": values.to_numpy(),
            "unit": unit,
        }
    ).to_csv(path, index=False, float_format="%.17g")
    return path


@pytest.fixture
def site(engine: Engine, tmp_path: Path, weather: pd.Series, usage: pd.Series) -> ToolContext:
    """A plant on a daily utility feed, with hourly weather, as CSV files imported."""
    options = ParseOptions(timezone=TZ)
    for path in (
        write_readings(tmp_path / "weather.csv", "weather", "outdoor_temperature", "degC", weather),
        write_readings(tmp_path / "feed.csv", "feed", "energy", "kWh", usage),
    ):
        import_file(engine, path, site="plant-b", options=options)
    with engine.connect() as conn:
        ref = catalog.get_site(conn, "plant-b")
    return ToolContext(engine, ref, NOW)


SETTINGS = CaltrackSettings(unit="C", fuel="electricity")


def daily_means(weather: pd.Series) -> pd.Series:
    return weather.groupby(weather.index.tz_localize(None).normalize()).mean()


def frame(usage: pd.Series, weather: pd.Series, first: str, last: str) -> pd.DataFrame:
    days = pd.date_range(first, last, freq="D")
    return pd.DataFrame(
        {
            "date": days,
            "energy": usage.reindex(days).to_numpy(),
            "temperature": daily_means(weather).reindex(days).to_numpy(),
        }
    )


def test_daily_data_gets_the_caltrack_daily_method_end_to_end(
    site: ToolContext, usage: pd.Series, weather: pd.Series
) -> None:
    result = energy_baseline(
        site, {"meter": "feed", "baseline": "2025", "reporting": "2026-01..2026-03"}
    )
    assert (result.method, result.grain) == ("caltrack_daily", "day")
    assert any("daily readings: CalTRACK's daily method" in c for c in result.caveats)
    # The same method on a frame built here from the rows written to the files.
    reference = fit_daily(
        frame(usage, weather, "2025-01-01", "2025-12-31"),
        SETTINGS,
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
    )
    assert result.caltrack is not None and result.caltrack.model_type == reference.model_type
    assert result.balance_points == reference.fit.balance_points
    coef = {c.name: c.value for c in result.coefficients}
    assert coef["intercept"] == pytest.approx(reference.intercept, rel=1e-9)
    assert coef["hdd"] == pytest.approx(reference.beta_hdd, rel=1e-9)
    assert result.caltrack.cv_rmse_caltrack == pytest.approx(reference.cv_rmse_caltrack, rel=1e-9)
    # ... and against the truth the usage was made from.
    assert result.balance_points["heating"] == pytest.approx(TRUTH["heat"], abs=1.0)
    assert coef["hdd"] == pytest.approx(TRUTH["beta_hdd"], rel=0.1)
    saved = daily_savings(
        reference,
        frame(usage, weather, "2026-01-01", "2026-03-31"),
        start=date(2026, 1, 1),
        end=date(2026, 4, 1),
    )
    deviation = result.deviation
    assert deviation is not None and deviation.steps == 90
    assert deviation.expected_kwh == pytest.approx(saved.counterfactual, rel=1e-9)
    assert deviation.actual_kwh == pytest.approx(usage["2026-01-01":"2026-03-31"].sum(), rel=1e-9)
    assert deviation.deviation_percent == pytest.approx(-8.0, abs=1.0)
    assert deviation.uncertainty_kwh == pytest.approx(saved.uncertainty, rel=1e-9)


def test_the_stored_version_keeps_caltracks_own_fields(site: ToolContext) -> None:
    result = energy_baseline(site, {"meter": "feed", "baseline": "2025"})
    with site.engine.connect() as conn:
        row = conn.execute(
            select(BaselineModel.model_type, BaselineModel.parameters, BaselineModel.metrics).where(
                BaselineModel.version == result.version
            )
        ).one()
    model_type, parameters, metrics = row
    assert model_type == result.model_type and model_type.startswith("caltrack_daily_")
    assert parameters["method"] == "caltrack_daily"
    assert parameters["model_type"] == result.caltrack.model_type  # type: ignore[union-attr]
    assert parameters["heating_balance_point"] == result.balance_points["heating"]
    assert metrics["cv_rmse_caltrack"] == pytest.approx(result.caltrack.cv_rmse_caltrack)  # type: ignore[union-attr]
    assert metrics["n_days"] == 365 and metrics["accepted_disqualified"] is False
    assert {"r2", "cv_rmse", "nmbe", "autocorrelation", "issues"} <= set(metrics)


def test_disqualified_data_is_refused_unless_accepted(site: ToolContext) -> None:
    args = {"meter": "feed", "baseline": "2025-06..2025-12"}
    with pytest.raises(DisqualifiedData, match=r"the baseline spans 214 days.*accept_disqualified"):
        energy_baseline(site, args)
    result = energy_baseline(site, args | {"accept_disqualified": True})
    codes = {(i.code, i.disqualifying) for i in result.issues}
    assert ("baseline_too_short", True) in codes
    assert result.caltrack is not None and result.caltrack.accepted_disqualified
    assert any("the baseline spans 214 days" in c for c in result.caveats)


def test_a_regression_can_still_be_asked_for_on_daily_data(site: ToolContext) -> None:
    result = energy_baseline(
        site,
        {"meter": "feed", "baseline": "2025", "method": "regression", "drivers": ["temperature"]},
    )
    assert result.method == "regression" and result.days_used == 365  # every day is complete
    with pytest.raises(InsufficientData, match="an hourly baseline needs hourly or finer"):
        energy_baseline(
            site, {"meter": "feed", "baseline": "2025", "grain": "hour", "method": "regression"}
        )


def test_partial_days_of_interval_data_are_scaled_or_missing(
    engine: Engine, tmp_path: Path, site: ToolContext
) -> None:
    quarters = pd.date_range("2025-05-05", "2025-05-08", freq="15min", tz=TZ, inclusive="left")
    kwh = pd.Series(np.arange(len(quarters), dtype=float) % 7 + 1, index=quarters)
    slot = np.arange(len(kwh)) % 96
    keep = ~((kwh.index.day == 6) & (slot < 36))  # day 2: 60 of its 96 quarter-hours
    keep &= ~((kwh.index.day == 7) & (slot < 60))  # day 3: 36 of them
    write_readings(tmp_path / "fine.csv", "fine", "energy", "kWh", kwh[keep])
    import_file(engine, tmp_path / "fine.csv", site="plant-b", options=ParseOptions(timezone=TZ))
    with engine.connect() as conn:
        series = catalog.get_series(
            conn, catalog.resolve_meter(conn, site.site.id, "fine").id, "energy"
        )
    found = daily_energy(site, series.id, date(2025, 5, 5), date(2025, 5, 8))
    kept = kwh[keep]
    by_day = kept.groupby(kept.index.day).agg(["sum", "count"])
    assert found.iloc[0] == pytest.approx(by_day.loc[5, "sum"])  # complete
    assert found.iloc[1] == pytest.approx(by_day.loc[6, "sum"] * 96 / 60)  # more than half
    assert np.isnan(found.iloc[2])  # half or less: missing


# ------------------------------------------------------------------ bills


def bills_rows(usage: pd.Series) -> list[tuple[str, str, float, bool]]:
    """Monthly bills from the 5th (read dates), all read, none estimated."""
    reads = pd.date_range("2025-01-01", "2026-04-01", freq="MS") + pd.Timedelta(days=4)
    out = []
    for a, b in itertools.pairwise(reads):
        kwh = float(usage[a : b - pd.Timedelta(days=1)].sum())
        estimated = False
        out.append((a.strftime("%Y-%m-%d"), b.strftime("%Y-%m-%d"), kwh, estimated))
    return out


@pytest.fixture
def billed(engine: Engine, tmp_path: Path, site: ToolContext, usage: pd.Series) -> pd.DataFrame:
    rows = bills_rows(usage)
    text = "start,end,kwh,estimated\n" + "".join(f"{a},{b},{q!r},{e}\n" for a, b, q, e in rows)
    (tmp_path / "bills.csv").write_text(text)
    options = BillOptions(meter="utility", carrier="electricity")
    import_bills(engine, tmp_path / "bills.csv", site="plant-b", timezone=TZ, options=options)
    return pd.read_csv(tmp_path / "bills.csv", parse_dates=["start", "end"]).rename(
        columns={"kwh": "energy"}
    )


def test_bills_get_the_caltrack_billing_method_end_to_end(
    site: ToolContext, billed: pd.DataFrame, weather: pd.Series
) -> None:
    args = {
        "meter": "utility",
        "baseline": "2025-01-05..2026-01-04",
        "reporting": "2026-01-05..2026-04-04",
    }
    result = energy_baseline(site, args)
    assert (result.method, result.grain) == ("caltrack_billing", "billing period")
    temps = daily_means(weather)
    reference = fit_billing(billed, temps, SETTINGS, start=date(2025, 1, 5), end=date(2026, 1, 5))
    assert result.caltrack is not None and result.caltrack.model_type == reference.model_type
    assert result.balance_points == reference.fit.balance_points
    coef = {c.name: c.value for c in result.coefficients}
    assert coef["intercept"] == pytest.approx(reference.intercept, rel=1e-9)
    assert result.r2 == pytest.approx(reference.fit.r2, rel=1e-9)
    assert result.caltrack.periods == reference.n_periods == 12
    saved = billing_savings(reference, billed, temps, start=date(2026, 1, 5), end=date(2026, 3, 5))
    deviation = result.deviation
    assert deviation is not None and deviation.steps == 2
    assert deviation.expected_kwh == pytest.approx(saved.counterfactual, rel=1e-9)
    assert deviation.actual_kwh == pytest.approx(billed["energy"].iloc[-3:-1].sum(), rel=1e-9)
    assert deviation.deviation_percent == pytest.approx(-8.0, abs=2.0)
    assert coef["intercept"] == pytest.approx(TRUTH["intercept"], rel=0.15)


def _spans(frame: pd.DataFrame) -> str:
    return ", ".join(
        f"{a:%Y-%m-%d}..{b - pd.Timedelta(days=1):%Y-%m-%d}"
        for a, b in zip(frame["start"], frame["end"], strict=True)
    )


def test_periods_that_cut_bills_say_what_whole_bills_measured(
    site: ToolContext, billed: pd.DataFrame
) -> None:
    baseline, reporting = ("2025-01-01", "2026-01-01"), ("2026-01-01", "2026-04-01")

    def whole(lo: str, hi: str) -> pd.Series:
        return (billed["start"] >= lo) & (billed["end"] <= hi)

    def cut(lo: str, hi: str) -> pd.DataFrame:
        overlaps = (billed["end"] > lo) & (billed["start"] < hi)
        return billed[overlaps & ~whole(lo, hi)]

    fitted = billed[whole(*baseline)]
    measured = billed[whole(*reporting)]
    result = energy_baseline(
        site,
        {"meter": "utility", "baseline": "2025-01-01..2025-12-31", "reporting": "2026-Q1"},
    )
    said = " | ".join(result.caveats)
    fitted_days = int((fitted["end"] - fitted["start"]).dt.days.sum())
    assert (
        f"the baseline 2025-01-01..2025-12-31 is fitted on {len(fitted)} bills covering "
        f"{fitted_days} of its 365 days; bills the period cuts, left out: "
        f"{_spans(cut(*baseline))}" in said
    )
    days = int((measured["end"] - measured["start"]).dt.days.sum())
    assert (
        f"the reporting period 2026-01-01..2026-03-31 is measured by {len(measured)} bills from "
        f"{measured['start'].min():%Y-%m-%d} to "
        f"{measured['end'].max() - pd.Timedelta(days=1):%Y-%m-%d} ({days} of its 90 days); "
        f"bills the period cuts, left out: {_spans(cut(*reporting))}" in said
    )
    assert result.deviation is not None and result.deviation.steps == len(measured) == 2
    assert result.deviation.actual_kwh == pytest.approx(measured["energy"].sum(), rel=1e-9)
    answer = renderer_for(type(result)).answer(result)
    assert [line for line in answer if "whole bills" in line] == [
        f"Note: {c}" for c in result.caveats if "whole bills" in c
    ]
    assert answer[-1] == "Source: the meter's bills and the site's outdoor temperatures (store)."


def test_bills_that_cover_the_periods_need_no_word_on_them(
    site: ToolContext, billed: pd.DataFrame
) -> None:
    result = energy_baseline(
        site,
        {
            "meter": "utility",
            "baseline": "2025-01-05..2026-01-04",
            "reporting": "2026-01-05..2026-03-04",
        },
    )
    assert not [c for c in result.caveats if "whole bills" in c]
    assert result.deviation is not None and result.deviation.steps == 2


def test_a_bill_short_of_temperatures_is_named_as_left_out(
    site: ToolContext, billed: pd.DataFrame, weather: pd.Series
) -> None:
    temps = daily_means(weather)
    covered = [
        temps.reindex(pd.date_range(a, b - pd.Timedelta(days=1))).notna().mean()
        for a, b in zip(billed["start"], billed["end"], strict=True)
    ]
    short = billed[(np.array(covered) < 0.9) & (billed["start"] >= "2026-01-05")]
    assert len(short) == 1  # the data ends before the last bill does
    result = energy_baseline(
        site,
        {
            "meter": "utility",
            "baseline": "2025-01-05..2026-01-04",
            "reporting": "2026-01-05..2026-04-04",
        },
    )
    said = " | ".join(result.caveats)
    assert f"90 % of their temperatures, left out: {_spans(short)}" in said
    used = billed[(billed["start"] >= "2026-01-05") & (billed["end"] <= "2026-04-05")]
    days = int((used["end"] - used["start"]).dt.days.sum()) - int(
        (short["end"] - short["start"]).dt.days.sum()
    )
    assert f"({days} of its 90 days)" in said and "the baseline" not in said


def test_bills_are_refused_where_a_method_cannot_use_them(
    site: ToolContext, billed: pd.DataFrame
) -> None:
    for method, words in (("regression", "spread evenly"), ("caltrack_daily", "not measured days")):
        with pytest.raises(InsufficientData, match=words):
            energy_baseline(site, {"meter": "utility", "baseline": "2025", "method": method})
    with pytest.raises(
        InsufficientData, match=r"no bill of utility lies wholly within .*2026-01-05"
    ):
        energy_baseline(
            site, {"meter": "utility", "baseline": "2025-01-05..2026-01-04", "reporting": "2026-01"}
        )


def test_the_baseline_command_fits_bills(
    site: ToolContext, billed: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = site.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("EMS_DATABASE_URL", url)
    result = CliRunner().invoke(
        app,
        [
            "baseline",
            "--meter",
            "utility",
            "--baseline",
            "2025-01-05:2026-01-04",
            "--site",
            "plant-b",
            "--now",
            NOW.isoformat(),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["method"] == "caltrack_billing" and body["caltrack"]["periods"] == 12
