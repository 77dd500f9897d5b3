"""Parsing of exports: layouts, units, time zones and DST, and every kind of bad row."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from connectors.parsing import ImportFormatError, ParseOptions, parse_file
from connectors.registers import RegisterTracker, registers_to_intervals

DATA = Path(__file__).parent / "data" / "import"
BERLIN = ZoneInfo("Europe/Berlin")


def epoch(text: str, tz: ZoneInfo = BERLIN) -> int:
    moment = datetime.fromisoformat(text)
    return int((moment if moment.tzinfo else moment.replace(tzinfo=tz)).timestamp())


def write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_long_layout_with_offsets_units_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Timestamp,Meter,Metric,Value,Unit,comment\n"
        "2025-03-01T00:00:00+01:00,compressor-1,energy,1.5,MWh,x\n"
        "2025-03-01T00:15:00Z,compressor-1,energy,250,Wh,\n"
        "2025-03-01T00:00:00Z,weather,outdoor_temperature,50,°F,\n"
        "2025-03-01T00:00:00Z,line-a-output,production,12,,\n",
    )
    parsed = parse_file(path, ParseOptions(timezone="Europe/Berlin"))
    assert parsed.format == "long" and parsed.errors == []
    rows = {(r.meter, r.ts): (r.value, r.unit) for r in parsed.readings.itertuples()}
    assert rows[("compressor-1", epoch("2025-02-28T23:00:00+00:00"))] == (1500.0, "kWh")
    assert rows[("compressor-1", epoch("2025-03-01T00:15:00+00:00"))] == (0.25, "kWh")
    value, unit = rows[("weather", epoch("2025-03-01T00:00:00+00:00"))]
    assert unit == "degC" and value == pytest.approx(10.0)
    assert rows[("line-a-output", epoch("2025-03-01T00:00:00+00:00"))] == (12.0, "unit")


def test_european_semicolon_export_with_decimal_commas() -> None:
    parsed = parse_file(DATA / "european.csv", ParseOptions(timezone="Europe/Berlin"))
    assert parsed.errors == [] and parsed.format == "wide"
    values = parsed.readings.set_index(["meter", "ts"])["value"]
    assert values[("Kompressor 1", epoch("2025-01-06T00:00"))] == 1234.5
    assert values[("Kompressor 2", epoch("2025-01-06T00:15"))] == 0.75


def test_wide_bms_export_with_units_in_headers() -> None:
    parsed = parse_file(DATA / "bms_wide.csv", ParseOptions(timezone="Europe/Berlin"))
    assert parsed.format == "wide"
    assert {k: v.unit for k, v in parsed.series.items()} == {
        ("chiller", "energy"): "kWh",
        ("line-a", "energy"): "kWh",
    }
    chiller = parsed.readings[parsed.readings["meter"] == "chiller"]["value"].tolist()
    assert chiller == [1000.0, 1500.0, 2000.0, 2500.0]  # MWh column converted
    assert parsed.series[("chiller", "energy")].interval_s == 900


def test_wide_without_units_needs_the_flag(tmp_path: Path) -> None:
    path = write(tmp_path, "timestamp,line-a\n2025-01-01 00:00,1\n")
    with pytest.raises(ImportFormatError, match=r"'line-a' names no unit.*--unit"):
        parse_file(path, ParseOptions(timezone="UTC"))
    parsed = parse_file(path, ParseOptions(timezone="UTC", unit="kWh"))
    assert parsed.readings["value"].tolist() == [1.0]


def test_bad_rows_are_reported_with_lines_and_good_rows_survive(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "timestamp,meter,metric,value,unit\n"
        "2025-03-01T00:00:00Z,m,energy,1,kWh\n"  # line 2 ok
        "yesterday-ish,m,energy,1,kWh\n"  # 3 bad time
        "2025-03-01T00:30:00Z,m,energy,abc,kWh\n"  # 4 not a number
        "2025-03-01T00:45:00Z,m,energy,,kWh\n"  # 5 empty
        "2025-03-01T01:00:00Z,m,energy,5,parsec\n"  # 6 unknown unit
        "2025-03-01T01:15:00Z,m,energy,5,kW\n"  # 7 wrong dimension
        "2025-03-01T01:30:00Z,,energy,5,kWh\n"  # 8 no meter
        "2025-03-01T01:45:00Z,m,energy,-3,kWh\n"  # 9 negative energy
        "2025-03-01T02:00:00Z,m,energy,inf,kWh\n"  # 10 infinite
        "\n"  # 11 blank: ignored
        "2025-03-01T02:15:00Z,m,energy,7,kWh\n",  # 12 ok
    )
    parsed = parse_file(path, ParseOptions(timezone="UTC"))
    reasons = {e.line: e.reason for e in parsed.errors}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "cannot read time 'yesterday-ish'" in reasons[3]
    assert "'abc' is not a number" in reasons[4]
    assert reasons[5] == "no value"
    assert "unknown unit 'parsec'" in reasons[6]
    assert "needs a unit of energy" in reasons[7]
    assert reasons[8] == "no meter name"
    assert "negative energy" in reasons[9] and "--cumulative" in reasons[9]
    assert "infinite" in reasons[10]
    assert parsed.rows_ok == 2 and parsed.readings["value"].tolist() == [1.0, 7.0]
    assert parsed.errors[0].raw.startswith("yesterday-ish")


def test_rows_with_too_many_fields_keep_their_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "timestamp,meter,metric,value,unit\n"
        "2025-03-01T00:00:00Z,m,energy,1,kWh\n"
        "2025-03-01T00:15:00Z,m,energy,1,kWh,extra,fields\n"
        "2025-03-01T00:30:00Z,m,energy,3,kWh\n",
    )
    parsed = parse_file(path, ParseOptions(timezone="UTC"))
    assert [(e.line, e.reason) for e in parsed.errors] == [(3, "more fields than the header has")]
    assert parsed.readings["value"].tolist() == [1.0, 3.0]


def test_conflicting_duplicates_are_rejected_and_exact_ones_kept_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "timestamp,meter,metric,value,unit\n"
        "2025-03-01T00:00:00Z,m,energy,1,kWh\n"
        "2025-03-01T00:00:00Z,m,energy,2,kWh\n"
        "2025-03-01T00:15:00Z,m,energy,4,kWh\n"
        "2025-03-01T00:15:00Z,m,energy,4,kWh\n",
    )
    parsed = parse_file(path, ParseOptions(timezone="UTC"))
    assert [e.line for e in parsed.errors] == [2, 3]
    assert "lines 2, 3" in parsed.errors[0].reason
    assert parsed.duplicates == 1
    assert parsed.readings["value"].tolist() == [4.0]


def test_naive_times_across_dst_in_berlin(tmp_path: Path) -> None:
    rows = ["2025-03-30 01:45", "2025-03-30 02:15", "2025-03-30 03:00"]
    rows += ["2025-10-26 02:00", "2025-10-26 02:30", "2025-10-26 02:00", "2025-10-26 02:30"]
    body = "".join(f"{r},m,energy,{i + 1},kWh\n" for i, r in enumerate(rows))
    parsed = parse_file(
        write(tmp_path, "timestamp,meter,metric,value,unit\n" + body),
        ParseOptions(timezone="Europe/Berlin"),
    )
    assert [(e.line, "does not exist in Europe/Berlin" in e.reason) for e in parsed.errors] == [
        (3, True)
    ]
    got = dict(zip(parsed.readings["value"], parsed.readings["ts"], strict=True))
    assert got[1.0] == epoch("2025-03-30T00:45:00+00:00")
    assert got[3.0] == epoch("2025-03-30T01:00:00+00:00")
    # The repeated hour: first occurrences are summer time (UTC+2), then winter time (UTC+1).
    assert got[4.0] == epoch("2025-10-26T00:00:00+00:00")
    assert got[5.0] == epoch("2025-10-26T00:30:00+00:00")
    assert got[6.0] == epoch("2025-10-26T01:00:00+00:00")
    assert got[7.0] == epoch("2025-10-26T01:30:00+00:00")


def test_interval_ending_timestamps_move_to_the_interval_start(tmp_path: Path) -> None:
    body = "".join(f"2025-01-01T0{h}:00:00Z,m,energy,{h},kWh\n" for h in range(1, 5))
    parsed = parse_file(
        write(tmp_path, "timestamp,meter,metric,value,unit\n" + body),
        ParseOptions(timezone="UTC", interval_ending=True),
    )
    assert parsed.readings["ts"].tolist()[0] == epoch("2025-01-01T00:00:00+00:00")


def test_cumulative_registers_become_interval_energy(tmp_path: Path) -> None:
    registers = [100, 110, 121, 2, 12, 22, 32, 42, 52, 62, 72, 82]
    body = "".join(
        f"2025-01-01T{i // 4:02d}:{(i % 4) * 15:02d}:00Z,main,energy,{r},kWh\n"
        for i, r in enumerate(registers)
    )
    parsed = parse_file(
        write(tmp_path, "timestamp,meter,metric,value,unit\n" + body),
        ParseOptions(timezone="UTC", cumulative=frozenset({"main"})),
    )
    assert parsed.readings["value"].tolist() == [10, 11, 2, 10, 10, 10, 10, 10, 10, 10, 10]
    assert parsed.series[("main", "energy")].cumulative
    assert any("reset" in w for w in parsed.warnings)


def test_excel_workbook_in_long_layout(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Data"
    sheet.append(["timestamp", "meter", "metric", "value", "unit"])
    # Excel cells hold naive local times.
    sheet.append([datetime(2025, 2, 3, 8, 0), "boiler", "energy", 12.5, "kWh"])  # noqa: DTZ001
    sheet.append([datetime(2025, 2, 3, 8, 15), "boiler", "energy", "oops", "kWh"])  # noqa: DTZ001
    path = tmp_path / "book.xlsx"
    book.save(path)
    parsed = parse_file(path, ParseOptions(timezone="Europe/Berlin", sheet="Data"))
    assert parsed.readings["ts"].tolist() == [epoch("2025-02-03T08:00")]
    assert [(e.line, e.column) for e in parsed.errors] == [(3, "value")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("header.csv", b"foo,bar\n1,2\n", "unrecognised header"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "could not be opened as an Excel"),
        ("binary.csv", b"\x00\x01\x02\x03", "not a text CSV"),
    ],
)
def test_unreadable_files_raise_a_clear_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFormatError, match=message):
        parse_file(path, ParseOptions(timezone="UTC"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="no such file"):
        parse_file(tmp_path / "missing.csv", ParseOptions())


# ------------------------------------------------------------------ registers


def test_register_reset_rollover_swap_and_spike() -> None:
    ts = np.arange(0, 900 * 16, 900, dtype=np.int64)
    readings = np.array(
        [
            9_900,
            9_910,
            9_920,
            9_930,
            9_940,
            9_950,
            9_960,
            9_970,
            9_980,
            9_990,
            9_995,
            5,
            150,
            75,
            85,
            1_000,
        ],
        dtype=float,
    )
    result = registers_to_intervals(ts, readings)
    kinds = [(i.kind, i.ts) for i in result.issues]
    assert kinds == [("rollover", 11 * 900), ("meter_swap", 13 * 900), ("spike", 15 * 900)]
    assert dict(zip(result.ts.tolist(), result.values.tolist(), strict=True))[10 * 900] == 10
    assert 12 * 900 not in result.ts.tolist() and 14 * 900 not in result.ts.tolist()


def test_register_stream_continues_from_the_previous_reading() -> None:
    result = registers_to_intervals(
        np.array([900, 1800]), np.array([105.0, 111.0]), previous=(0, 100.0)
    )
    assert result.ts.tolist() == [0, 900] and result.values.tolist() == [5.0, 6.0]
    tracker = RegisterTracker()
    assert tracker.push(0, 100.0) is None
    assert tracker.push(900, 104.0) == (0, 4.0, None)
    assert tracker.push(900, 104.0) is None  # redelivery counts nothing twice
    start, amount, issue = tracker.push(1800, 1.0) or (0, 0.0, None)
    assert (start, amount, issue and issue.kind) == (900, 1.0, "reset")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1_000, allow_nan=False), min_size=2, max_size=60))
def test_increasing_register_sums_to_last_minus_first(steps: list[float]) -> None:
    readings = np.cumsum(np.array(steps)) + 500.0
    ts = np.arange(len(readings), dtype=np.int64) * 900
    result = registers_to_intervals(ts, readings)
    kept = result.values.sum() + sum(i.after - i.before for i in result.issues)
    assert kept == pytest.approx(readings[-1] - readings[0], rel=1e-9, abs=1e-6)
    assert all(i.kind == "spike" for i in result.issues)
