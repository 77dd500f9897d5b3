"""Bills: imported row by row with bad rows named by line, kept as billed and spread over their
days, idempotent, corrected in place; on SQLite and PostgreSQL. Expected values are worked out
with pandas from the rows written in each test, never with the code under test."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from connectors.bills import BillOptions, BillsRejected, import_bills
from connectors.importer import import_file
from connectors.parsing import ParseOptions, RowProblem
from connectors.tables import UnknownLayout
from ems_agent.cli import app
from store import bills, catalog, intervals, queries

TZ = "America/Chicago"
HEADER = "start,end,kWh,cost,peak kW,estimated"
GOOD = [  # meter-read dates: each period ends on the next one's start
    "2025-01-03,2025-02-02,31000,4100.5,95,no",
    "2025-02-02,2025-03-04,28000,3900,88,no",
    "2025-03-04,2025-04-02,26100,,80,yes",
]


def write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def load(engine: Engine, path: Path, strict: bool = False, **options: object) -> object:
    opts = {"meter": "utility", "carrier": "electricity"} | options
    return import_bills(
        engine, path, site="plant", timezone=TZ, options=BillOptions(**opts), strict=strict
    )


def daily_truth(rows: list[str], inclusive: bool = False) -> pd.Series:
    """Each bill's quantity spread evenly over its days, by local date, with pandas."""
    parts = []
    for row in rows:
        start, end, kwh = row.split(",")[:3]
        last = pd.Timestamp(end) - pd.Timedelta(days=0 if inclusive else 1)
        days = pd.date_range(start, last, freq="D")
        parts.append(pd.Series(float(kwh) / len(days), index=days))
    return pd.concat(parts).sort_index()


def series_id(engine: Engine, meter: str = "utility") -> int:
    with engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
        meter_id = catalog.resolve_meter(conn, site.id, meter).id
        return catalog.get_series(conn, meter_id, "energy").id


def stored_days(engine: Engine, meter: str = "utility") -> pd.Series:
    with engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
        series = catalog.get_series(conn, catalog.resolve_meter(conn, site.id, meter).id, "energy")
        raw = queries.readings(conn, series.id, 0, 2**40)
    index = pd.to_datetime(raw["ts"], unit="s", utc=True).dt.tz_convert(TZ).dt.tz_localize(None)
    return pd.Series(raw["value"].to_numpy(), index=pd.DatetimeIndex(index))


def test_bills_are_kept_and_spread_over_their_days(engine: Engine, tmp_path: Path) -> None:
    report = load(engine, write(tmp_path / "bills.csv", GOOD))
    assert (report.rows_total, report.rows_ok, report.errors) == (3, 3, [])
    (meter,) = report.meters
    assert (meter.bills, meter.first, meter.last) == (3, date(2025, 1, 3), date(2025, 4, 1))
    assert meter.period_end == "next period's start"
    truth = daily_truth(GOOD)
    days = stored_days(engine)
    pd.testing.assert_series_equal(days, truth, check_names=False, check_freq=False)
    # Months cut bills: January holds 29 of the first bill's 30 days, pro-rated by days.
    by_month = days.groupby(days.index.to_period("M")).sum()
    assert by_month[pd.Period("2025-01")] == pytest.approx(31000 * 29 / 30)
    with engine.connect() as conn:
        stored = bills.list_bills(conn, series_id(engine))
        series = catalog.list_series(conn, catalog.get_site(conn, "plant").id)[0][1]
    assert [(b.start, b.end, b.quantity, b.cost, b.peak_kw, b.estimated) for b in stored] == [
        (date(2025, 1, 3), date(2025, 2, 2), 31000.0, 4100.5, 95.0, False),
        (date(2025, 2, 2), date(2025, 3, 4), 28000.0, 3900.0, 88.0, False),
        (date(2025, 3, 4), date(2025, 4, 2), 26100.0, None, 80.0, True),
    ]
    assert series.billing and series.interval is not None and series.interval.text() == "billing"


def test_importing_the_same_bills_again_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "bills.csv", GOOD)
    load(engine, path)
    before = stored_days(engine)
    again = load(engine, path)
    assert (again.meters[0].stats.new, again.meters[0].stats.unchanged) == (0, 3)
    pd.testing.assert_series_equal(stored_days(engine), before)


def test_a_corrected_bill_replaces_its_days(engine: Engine, tmp_path: Path) -> None:
    load(engine, write(tmp_path / "bills.csv", GOOD))
    corrected = ["2025-02-02,2025-03-04,29500,3950,88,no"]
    report = load(engine, write(tmp_path / "fix.csv", corrected))
    assert (report.meters[0].stats.changed, report.meters[0].stats.new) == (1, 0)
    truth = daily_truth([GOOD[0], corrected[0], GOOD[2]])
    pd.testing.assert_series_equal(stored_days(engine), truth, check_names=False, check_freq=False)


def test_a_rebilled_period_replaces_the_bills_it_overlaps(engine: Engine, tmp_path: Path) -> None:
    load(engine, write(tmp_path / "bills.csv", GOOD))
    # The utility rebills February and March as one period from Feb 5 to Mar 31.
    rebilled = ["2025-02-05,2025-04-01,52000,,,no"]
    report = load(engine, write(tmp_path / "rebill.csv", rebilled), period_end="exclusive")
    replaced = {(b.start, b.end) for b in report.meters[0].stats.replaced}
    assert replaced == {(date(2025, 2, 2), date(2025, 3, 4)), (date(2025, 3, 4), date(2025, 4, 2))}
    assert any("replaced" in w for w in report.warnings)
    truth = daily_truth([GOOD[0], rebilled[0]])
    # Feb 2-4 and Apr 1 no bill covers any more: their days are gone.
    pd.testing.assert_series_equal(stored_days(engine), truth, check_names=False, check_freq=False)


def test_bad_rows_are_named_by_line_and_the_good_ones_stored(
    engine: Engine, tmp_path: Path
) -> None:
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        catalog.ensure_meter(conn, site.id, "utility", kind="electricity")
    rows = [
        *GOOD,  # lines 2-4
        "2025-04-02,2025-03-30,100,,,",  # line 5: ends before it starts
        "2025-05-02,2025-06-01,-5,,,",  # line 6: negative quantity
        "2025-06-01,2025-07-01,20000,,,",  # line 7: overlaps line 8
        "2025-06-15,2025-07-15,21000,,,",  # line 8
        "2025-13-01,2025-08-01,1,,,",  # line 9: no such date
        "2025-08-01,2025-09-01,ten,,,",  # line 10: not a number
    ]
    path = write(tmp_path / "bills.csv", [*rows, "2025-09-01,2025-10-01,7,,,"], HEADER + ",meter")
    path.write_text(path.read_text().replace("2025-10-01,7,,,", "2025-10-01,7,,,,utilty"))
    report = load(engine, path, carrier=None)
    found = {(e.line, e.problem) for e in report.errors}
    assert found == {
        (5, RowProblem.END_BEFORE_START),
        (6, RowProblem.NEGATIVE_AMOUNT),
        (7, RowProblem.OVERLAPPING_BILL),
        (8, RowProblem.OVERLAPPING_BILL),
        (9, RowProblem.UNREADABLE_DATE),
        (10, RowProblem.NOT_A_NUMBER),
        (11, RowProblem.UNKNOWN_METER),
    }
    reasons = {e.line: e.reason for e in report.errors}
    assert "ends 2025-03-30" in reasons[5] and "before it starts 2025-04-02" in reasons[5]
    assert "overlaps the bill on line 8" in reasons[7]
    assert "no meter named 'utilty'" in reasons[11] and "did you mean utility" in reasons[11]
    assert (report.rows_total, report.rows_ok) == (10, 3)
    pd.testing.assert_series_equal(
        stored_days(engine), daily_truth(GOOD), check_names=False, check_freq=False
    )


def test_a_strict_import_with_a_bad_row_stores_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "bills.csv", [*GOOD, "2025-04-02,2025-05-02,-1,,,"])
    with pytest.raises(BillsRejected, match=r"line 5: negative quantity -1"):
        load(engine, path, strict=True)
    with engine.connect() as conn:
        assert catalog.list_sites(conn) == []  # not even the site it would have created
        assert conn.execute(text("SELECT count(*) FROM bills")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM readings")).scalar_one() == 0


def test_an_unknown_meter_without_a_carrier_is_refused(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(BillsRejected, match=r"no site named 'plant'.*--carrier"):
        load(engine, write(tmp_path / "bills.csv", GOOD), carrier=None)


def test_bills_may_not_overwrite_measured_readings(engine: Engine, tmp_path: Path) -> None:
    quarters = pd.date_range("2025-02-10", "2025-02-12", freq="15min", tz=TZ, inclusive="left")
    frame = pd.DataFrame({"timestamp": quarters.strftime("%Y-%m-%dT%H:%M:%S%z")})
    frame.assign(meter="utility", metric="energy", value=2.0, unit="kWh").to_csv(
        tmp_path / "readings.csv", index=False
    )
    import_file(engine, tmp_path / "readings.csv", site="plant", options=ParseOptions(timezone=TZ))
    report = load(engine, write(tmp_path / "bills.csv", GOOD))
    assert [(e.line, e.problem) for e in report.errors] == [(3, RowProblem.MEASURED_DATA)]
    assert "15-minute readings in 2025-02-02..2025-03-03" in report.errors[0].reason
    days = stored_days(engine)
    assert days[:"2025-02-01"].sum() == pytest.approx(31000)  # the first bill went in


def test_inclusive_ends_are_told_apart_from_read_dates(engine: Engine, tmp_path: Path) -> None:
    inclusive = ["2025-01-01,2025-01-31,3100,,,", "2025-02-01,2025-02-28,2800,,,"]
    report = load(engine, write(tmp_path / "bills.csv", inclusive))
    assert report.meters[0].period_end == "last day billed"
    truth = daily_truth(inclusive, inclusive=True)
    pd.testing.assert_series_equal(stored_days(engine), truth, check_names=False, check_freq=False)
    with engine.connect() as conn:
        found = bills.list_bills(conn, series_id(engine))
    assert [(b.start, b.end, b.days) for b in found] == [
        (date(2025, 1, 1), date(2025, 2, 1), 31),
        (date(2025, 2, 1), date(2025, 3, 1), 28),
    ]


def test_a_billing_series_counts_one_expected_value_a_day(engine: Engine, tmp_path: Path) -> None:
    load(engine, write(tmp_path / "bills.csv", [GOOD[0], GOOD[2]]))  # February's bill missing
    start = int(pd.Timestamp("2025-01-01", tz=TZ).timestamp())
    end = int(pd.Timestamp("2025-05-01", tz=TZ).timestamp())
    with engine.connect() as conn:
        expected = intervals.expected_readings(conn, series_id(engine), start, end, TZ)
    assert expected == len(pd.date_range("2025-01-01", "2025-04-30", freq="D"))


def test_a_readings_import_points_a_bills_file_at_import_bills(
    engine: Engine, tmp_path: Path
) -> None:
    with pytest.raises(UnknownLayout, match=r"holds bills.*import-bills"):
        import_file(
            engine,
            write(tmp_path / "bills.csv", GOOD),
            site="plant",
            options=ParseOptions(timezone=TZ),
        )


def test_the_import_bills_command(tmp_path: Path) -> None:
    runner = CliRunner()
    path = write(tmp_path / "bills.csv", GOOD)
    args = ["import-bills", str(path), "--meter", "utility", "--site", "plant", "--json"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "--carrier" in refused.stderr
    done = runner.invoke(app, [*args, "--carrier", "electricity"])
    assert done.exit_code == 0, done.stderr
    body = json.loads(done.stdout)
    assert (body["rows_ok"], body["meters"][0]["bills"]) == (3, 3)
    listing = json.loads(runner.invoke(app, ["meters", "--site", "plant", "--json"]).stdout)
    (series,) = listing["sites"][0]["meters"][0]["series"]
    assert (series["interval"], series["readings"]) == ("billing", 89)
