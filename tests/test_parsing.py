"""Parsing of meter-data exports: layouts, numbers, units, time zones and DST, bad rows, bad files.

Expected values are worked out here by hand or with the standard library, never with the parser.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from common.timeutil import UnknownTimezone
from connectors.parsing import (
    ImportFormatError,
    ParsedFile,
    ParseOptions,
    UnknownLayout,
    UnreadableFile,
    parse_file,
)

DATA = Path(__file__).parent / "data" / "import"
BERLIN = ZoneInfo("Europe/Berlin")
HEADER = "timestamp,meter,metric,value,unit\n"


def at(text: str, tz: ZoneInfo | None = None) -> int:
    """Epoch seconds of an ISO time; a naive one is read in `tz` (an error if none is given)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        assert tz is not None, "naive expectation without a zone"
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp())


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def values_of(parsed: ParsedFile, meter: str, metric: str = "energy") -> dict[int, float]:
    frame = parsed.readings
    rows = frame[(frame["meter"] == meter) & (frame["metric"] == metric)]
    return dict(zip(rows["ts"].tolist(), rows["value"].tolist(), strict=True))


def errors_by_line(parsed: ParsedFile) -> dict[int, str]:
    return {e.line: e.reason for e in parsed.errors}


# ------------------------------------------------------------------------------ long layout


def test_long_layout_in_any_column_order_with_units_converted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Unit,VALUE,Meter,Timestamp,Metric,comment\n"
        "MWh,1.5,compressor-1,2025-03-01T00:00:00+01:00,Energy,first\n"
        "Wh,250,compressor-1,2025-03-01T00:15:00Z,energy,\n"
        "°F,50,weather,2025-03-01T00:00:00Z,outdoor_temperature,\n"
        ",12,line-a,2025-03-01T00:00:00Z,production,\n"
        ",7.5, boiler ,2025-03-01 08:00,,\n",
    )
    parsed = parse_file(path, ParseOptions(timezone="Europe/Berlin"))
    assert parsed.format == "long" and parsed.errors == [] and parsed.warnings == []
    assert values_of(parsed, "compressor-1") == {
        utc("2025-02-28T23:00:00"): 1500.0,
        utc("2025-03-01T00:15:00"): 0.25,
    }
    assert values_of(parsed, "weather", "outdoor_temperature") == {
        utc("2025-03-01T00:00:00"): pytest.approx((50 - 32) * 5 / 9)
    }
    assert values_of(parsed, "line-a", "production") == {utc("2025-03-01T00:00:00"): 12.0}
    # No metric: the default one; no unit: the metric's default unit; names are stripped.
    assert values_of(parsed, "boiler") == {at("2025-03-01T08:00", BERLIN): 7.5}
    units = {key: info.unit for key, info in parsed.series.items()}
    assert units == {
        ("boiler", "energy"): "kWh",
        ("compressor-1", "energy"): "kWh",
        ("line-a", "production"): "unit",
        ("weather", "outdoor_temperature"): "degC",
    }


def test_readings_frame_is_typed_and_sorted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "2025-01-01T00:15Z,b,energy,2,kWh\n"
        "2025-01-01T00:00Z,b,energy,1,kWh\n"
        "2025-01-01T00:00Z,a,power,5,kW\n"
        "2025-01-01T00:00Z,a,energy,3,kWh\n",
    )
    frame = parse_file(path, ParseOptions()).readings
    assert list(frame.columns) == ["meter", "metric", "ts", "value", "unit"]
    assert str(frame["ts"].dtype) == "int64" and str(frame["value"].dtype) == "float64"
    assert list(zip(frame["meter"], frame["metric"], frame["ts"], strict=True)) == [
        ("a", "energy", utc("2025-01-01T00:00")),
        ("a", "power", utc("2025-01-01T00:00")),
        ("b", "energy", utc("2025-01-01T00:00")),
        ("b", "energy", utc("2025-01-01T00:15")),
    ]


def test_a_unit_for_rows_without_one_applies_only_where_it_fits(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "timestamp,meter,metric,value\n"
        "2025-01-01T00:00Z,main,energy,2\n"
        "2025-01-01T00:00Z,weather,outdoor_temperature,4\n",
    )
    parsed = parse_file(path, ParseOptions(unit="MWh"))
    assert values_of(parsed, "main") == {utc("2025-01-01T00:00"): 2000.0}
    assert values_of(parsed, "weather", "outdoor_temperature") == {utc("2025-01-01T00:00"): 4.0}


# ------------------------------------------------------------------------------ fixed exports


def test_european_semicolon_export_with_decimal_commas() -> None:
    parsed = parse_file(DATA / "eu_semicolon.csv", ParseOptions(timezone="Europe/Berlin"))
    assert parsed.format == "wide"
    # 30.03.2025 02:00 falls in the hour Berlin skips; its row is bad, once, not once per meter.
    assert [(e.line, e.column) for e in parsed.errors] == [(4, "Zeitstempel")]
    assert "does not exist in Europe/Berlin" in parsed.errors[0].reason
    assert parsed.errors[0].raw == "30.03.2025 02:00;2,25;;"
    assert values_of(parsed, "Hauptzähler") == {
        utc("2025-03-30T00:30"): 1234.5,
        utc("2025-03-30T00:45"): 1240.0,  # '1.240': the file writes decimal commas
        utc("2025-03-30T01:00"): 3.0,  # 03:00 summer time
    }
    compressor = values_of(parsed, "Kompressor 2")
    assert compressor == {
        utc("2025-03-30T00:30"): 0.5,
        utc("2025-03-30T00:45"): pytest.approx(0.7505),
        utc("2025-03-30T01:00"): 1.0,
    }
    # Filled cells are the rows; the empty one is a missing reading, not an error.
    assert (parsed.rows_total, parsed.rows_ok) == (7, 6)


def test_bms_trend_export_with_units_in_headers() -> None:
    new_york = ZoneInfo("America/New_York")
    parsed = parse_file(DATA / "bms_trend.csv", ParseOptions(timezone="America/New_York"))
    assert parsed.format == "wide"
    assert [(e.line, e.column, e.reason) for e in parsed.errors] == [
        (5, "chiller-1 [kWh]", "value 'n/a' is not a number")
    ]
    t = [at(f"2025-06-02T00:{m:02d}", new_york) for m in (0, 15, 30, 45)]
    assert values_of(parsed, "chiller-1") == {t[0]: 12.5, t[1]: 13.0, t[3]: 12.0}
    assert values_of(parsed, "ahu-2") == {
        t[0]: pytest.approx(10.0),
        t[2]: pytest.approx(20.0),
        t[3]: pytest.approx(15.0),
    }
    temperature = values_of(parsed, "outside air", "outdoor_temperature")
    assert temperature == {
        t[0]: pytest.approx(15.0),
        t[1]: pytest.approx(16.0),
        t[2]: pytest.approx(17.0),
    }
    assert any("'outside air [degF]' is read as outdoor_temperature" in w for w in parsed.warnings)
    assert parsed.series[("chiller-1", "energy")].interval_s == 900
    assert parsed.series[("outside air", "outdoor_temperature")].unit == "degC"


# ------------------------------------------------------------------------------ wide layout


def test_wide_columns_without_a_unit_need_one(tmp_path: Path) -> None:
    path = write(tmp_path, "timestamp,line-a,line-b [kWh]\n2025-01-01 00:00,1,2\n")
    with pytest.raises(UnknownLayout, match=r"column 'line-a' names no unit.*--unit"):
        parse_file(path, ParseOptions())
    parsed = parse_file(path, ParseOptions(unit="MWh"))
    assert values_of(parsed, "line-a") == {utc("2025-01-01T00:00"): 1000.0}
    assert values_of(parsed, "line-b") == {utc("2025-01-01T00:00"): 2.0}


def test_wide_header_with_an_unknown_unit_fails_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, "timestamp,boiler [kWhh]\n2025-01-01 00:00,1\n")
    with pytest.raises(UnknownLayout, match=r"'boiler \[kWhh\]': unknown unit 'kWhh'.*kWh"):
        parse_file(path, ParseOptions())


@pytest.mark.parametrize(
    ("header", "dimension", "metric", "value"),
    [("valve [%]", "ratio", "occupancy", 40.0), ("steam [t]", "mass", "steam", 40_000.0)],
)
def test_a_wide_column_whose_unit_implies_no_metric_needs_one(
    tmp_path: Path, header: str, dimension: str, metric: str, value: float
) -> None:
    path = write(tmp_path, f"timestamp,{header}\n2025-01-01 00:00,40\n")
    with pytest.raises(UnknownLayout, match=rf"measures {dimension}.*--metric"):
        parse_file(path, ParseOptions())
    parsed = parse_file(path, ParseOptions(metric=metric))
    assert values_of(parsed, header.split()[0], metric) == {utc("2025-01-01T00:00"): value}


@pytest.mark.parametrize(
    ("header", "metric", "unit", "value"),
    [
        ("press [kW]", "power", "kW", 3.0),
        ("gas [m3]", "volume", "m3", 3.0),
        ("air (L/s)", "flow", "m3/h", 3.0 * 3.6),
        ("line-a [pcs]", "production", "unit", 3.0),
        ("line-b [unit]", "production", "unit", 3.0),
        ("header [kPa]", "pressure", "bar", 0.03),
        ("hall [degC]", "temperature", "degC", 3.0),
        ("Outside Air [degF]", "outdoor_temperature", "degC", (3.0 - 32) * 5 / 9),
        ("OAT [degC]", "outdoor_temperature", "degC", 3.0),
        ("Außentemperatur [°C]", "outdoor_temperature", "degC", 3.0),
        ("CHW supply [degC]", "supply_temperature", "degC", 3.0),
        ("Vorlauftemperatur [°C]", "supply_temperature", "degC", 3.0),
        ("HW return [K]", "return_temperature", "degC", 3.0 - 273.15),
    ],
)
def test_a_wide_columns_metric_follows_its_unit_and_a_temperature_its_name(
    tmp_path: Path, header: str, metric: str, unit: str, value: float
) -> None:
    path = write(tmp_path, f"timestamp,{header}\n2025-01-01 00:00,3\n")
    parsed = parse_file(path, ParseOptions())  # metric energy: no column here can measure it
    ((meter, got),) = parsed.series
    assert (got, parsed.series[(meter, got)].unit) == (metric, unit)
    assert values_of(parsed, meter, metric) == {utc("2025-01-01T00:00"): pytest.approx(value)}
    (warning,) = parsed.warnings
    assert warning.startswith(f"column {header!r} is read as {metric}, since ")
    assert warning.endswith(", not energy (pass --metric to choose another)")


def test_a_metric_passed_for_wide_columns_wins_where_the_unit_fits(tmp_path: Path) -> None:
    path = write(tmp_path, "timestamp,supply [degC],main [kWh]\n2025-01-01 00:00,60,5\n")
    parsed = parse_file(path, ParseOptions(metric="outdoor_temperature"))
    assert set(parsed.series) == {("supply", "outdoor_temperature"), ("main", "energy")}


def test_a_title_line_holding_the_delimiter_is_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Trend export, Building 4\nTime,a [kWh],b [kWh]\n2025-01-01 00:00,1,2\n"
        "2025-01-01 00:15,3,4\n",
    )
    parsed = parse_file(path, ParseOptions())
    assert parsed.errors == [] and parsed.format == "wide"
    assert values_of(parsed, "b") == {utc("2025-01-01T00:00"): 2.0, utc("2025-01-01T00:15"): 4.0}


def test_long_rows_without_a_unit_take_their_metrics_default_unit(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "timestamp,meter,metric,value\n2025-01-01T00:00Z,header,pressure,6.5\n"
        "2025-01-01T00:00Z,hw,return_temperature,55\n2025-01-01T00:00Z,hall,occupancy,40\n",
    )
    parsed = parse_file(path, ParseOptions())
    assert parsed.errors == []
    assert {key: info.unit for key, info in parsed.series.items()} == {
        ("hall", "occupancy"): "%",
        ("header", "pressure"): "bar",
        ("hw", "return_temperature"): "degC",
    }


def test_wide_layout_found_by_dates_in_the_first_column(tmp_path: Path) -> None:
    path = write(tmp_path, "when,press (kW)\n2025-01-01 00:00,3\n2025-01-01 00:15,4\n")
    parsed = parse_file(path, ParseOptions(metric="power"))
    assert values_of(parsed, "press", "power") == {
        utc("2025-01-01T00:00"): 3.0,
        utc("2025-01-01T00:15"): 4.0,
    }


def test_a_zone_named_in_the_time_header_wins(tmp_path: Path) -> None:
    path = write(tmp_path, "Timestamp (UTC),boiler [kWh]\n2025-07-01 12:00,1\n")
    parsed = parse_file(path, ParseOptions(timezone="Europe/Berlin"))
    assert values_of(parsed, "boiler") == {utc("2025-07-01T12:00"): 1.0}
    assert any("read in UTC" in w for w in parsed.warnings)


# ------------------------------------------------------------------------------ numbers


def test_thousands_separators_in_a_comma_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'timestamp,meter,value\n2025-01-01T00:00Z,m,"1,234.5"\n2025-01-01T00:15Z,m," 2.5 "\n',
    )
    parsed = parse_file(path, ParseOptions())
    assert sorted(values_of(parsed, "m").values()) == [2.5, 1234.5]


def test_a_semicolon_file_with_decimal_points_keeps_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Export Gebäude 4\n\nTime;a [kWh];b [kWh]\n"
        "2025-01-01T00:00Z;12.5;1.500\n2025-01-01T00:15Z;0.25;1,5\n",
    )
    parsed = parse_file(path, ParseOptions())
    assert parsed.errors == []
    assert list(values_of(parsed, "a").values()) == [12.5, 0.25]
    # Mostly decimal points: 1.500 is one and a half; the odd 1,5 can only be 1.5 too.
    assert list(values_of(parsed, "b").values()) == [1.5, 1.5]


def test_a_utf16_tab_export_from_excel(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("Zeit\tZähler [m³]\n2025-01-01 00:00\t1,5\n".encode("utf-16"))
    parsed = parse_file(path, ParseOptions(metric="volume"))
    assert values_of(parsed, "Zähler", "volume") == {utc("2025-01-01T00:00"): 1.5}
    assert parsed.series[("Zähler", "volume")].unit == "m3"


def test_excel_text_cells_with_either_decimal_separator(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["timestamp", "a [kWh]", "b [kWh]"])
    sheet.append(["2025-01-01T00:00Z", "1,5", "1,234.5"])
    sheet.append(["2025-01-01T00:15Z", 1.234, "1.234,5"])
    book.save(tmp_path / "numbers.xlsx")
    parsed = parse_file(tmp_path / "numbers.xlsx", ParseOptions())
    assert values_of(parsed, "a") == {utc("2025-01-01T00:00"): 1.5, utc("2025-01-01T00:15"): 1.234}
    assert list(values_of(parsed, "b").values()) == [1234.5, 1234.5]


# ------------------------------------------------------------------------------ bad rows


def test_bad_rows_are_reported_with_lines_and_reasons_and_good_rows_survive(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        HEADER + "2025-03-01T00:00:00Z,m,energy,1,kWh\n"  # 2 good
        "yesterday-ish,m,energy,1,kWh\n"  # 3
        "2025-03-01T00:30:00Z,m,energy,abc,kWh\n"  # 4
        "2025-03-01T00:45:00Z,m,energy, ,kWh\n"  # 5
        "2025-03-01T01:00:00Z,m,energy,5,parsec\n"  # 6
        "2025-03-01T01:15:00Z,m,energy,5,kW\n"  # 7
        "2025-03-01T01:30:00Z,,energy,5,kWh\n"  # 8
        "2025-03-01T01:45:00Z,m,energy,-3,kWh\n"  # 9
        "2025-03-01T02:00:00Z,m,energy,inf,kWh\n"  # 10
        "2025-03-01T02:05:00Z,m,energy,nan,kWh\n"  # 11
        "\n"  # 12: a blank line is no row
        ",m,energy,4,kWh\n"  # 13
        "2025-03-01T02:15:00Z,m,energy,7,kWh\n"  # 14 good
        "2025-03-01T02:30:00Z,weather,outdoor_temperature,-3,degC\n",  # 15 good: may be < 0
    )
    parsed = parse_file(path, ParseOptions())
    reasons = errors_by_line(parsed)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 13]
    assert reasons[3] == "cannot read time 'yesterday-ish'"
    assert reasons[4] == "value 'abc' is not a number"
    assert reasons[5] == "no value"
    assert reasons[6].startswith("unknown unit 'parsec'; known units: ")
    assert all(symbol in reasons[6] for symbol in ("kWh", "MWh", "m3", "degC"))
    assert "'kW' measures power" in reasons[7] and "needs a unit of energy" in reasons[7]
    assert reasons[8] == "no meter name"
    assert reasons[9].startswith("negative energy -3") and "--cumulative" in reasons[9]
    assert reasons[10] == "value 'inf' is infinite"
    assert reasons[11] == "value 'nan' is not a number"
    assert reasons[13] == "no time"
    columns = {e.line: e.column for e in parsed.errors}
    assert columns == {3: "timestamp", 4: "value", 5: "value", 6: "unit", 7: "unit"} | {
        8: "meter",
        9: "value",
        10: "value",
        11: "value",
        13: "timestamp",
    }
    problems = {e.line: str(e.problem) for e in parsed.errors}
    assert problems == {
        3: "unreadable_time",
        4: "not_a_number",
        5: "missing_value",
        6: "unknown_unit",
        7: "wrong_unit",
        8: "missing_meter",
        9: "negative_amount",
        10: "infinite_value",
        11: "not_a_number",
        13: "missing_time",
    }
    assert parsed.errors[0].raw == "yesterday-ish,m,energy,1,kWh"
    assert (parsed.rows_total, parsed.rows_ok) == (13, 3)
    assert values_of(parsed, "m") == {utc("2025-03-01T00:00"): 1.0, utc("2025-03-01T02:15"): 7.0}


def test_rows_with_extra_fields_or_quoted_line_breaks_keep_their_line_numbers(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "timestamp,meter,value,note\n"
        '2025-03-01T00:00Z,m,1,"a note\nover two lines"\n'  # lines 2-3
        "2025-03-01T00:15Z,m,2,x,surplus\n"  # 4
        "2025-03-01T00:30Z,m,3,,\n"  # 5: an empty extra field is harmless
        "2025-03-01T00:45Z,m,oops,\n",  # 6
    )
    parsed = parse_file(path, ParseOptions())
    assert [(e.line, e.reason) for e in parsed.errors] == [
        (4, "5 fields, but the header has 4"),
        (6, "value 'oops' is not a number"),
    ]
    assert sorted(values_of(parsed, "m").values()) == [1.0, 3.0]


def test_conflicting_duplicates_are_all_rejected_and_exact_ones_kept_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "2025-03-01T00:00:00Z,m,energy,1,kWh\n"  # 2 conflict
        "2025-03-01T00:15:00Z,m,energy,4,kWh\n"  # 3 exact duplicate of 5
        "2025-03-01T01:00:00+01:00,m,energy,2,kWh\n"  # 4 same instant as 2, other value
        "2025-03-01T00:15:00Z,m,energy,4000,Wh\n"  # 5 same reading in other units
        "2025-03-01T00:00:00Z,m,energy,1,kWh\n"  # 6 conflict too
        "2025-03-01T00:00:00Z,n,energy,9,kWh\n",  # 7 another meter: fine
    )
    parsed = parse_file(path, ParseOptions())
    assert [e.line for e in parsed.errors] == [2, 4, 6]
    assert all("(lines 2, 4, 6); none of them is kept" in e.reason for e in parsed.errors)
    assert parsed.duplicates == 1 and parsed.rows_ok == 3
    assert values_of(parsed, "m") == {utc("2025-03-01T00:15"): 4.0}
    assert values_of(parsed, "n") == {utc("2025-03-01T00:00"): 9.0}


def test_a_metric_keeps_one_kind_of_unit(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "2025-01-01T00:00Z,boiler,steam,10,t\n2025-01-01T00:15Z,boiler,steam,2,kWh\n",
    )
    parsed = parse_file(path, ParseOptions())
    assert [
        (e.line, "other rows of metric 'steam' are in 'kg'" in e.reason) for e in parsed.errors
    ] == [(3, True)]
    assert values_of(parsed, "boiler", "steam") == {utc("2025-01-01T00:00"): 10_000.0}


# ------------------------------------------------------------------------------ time


def test_offsets_are_exact_and_naive_times_local(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "2025-07-01T12:00:00Z,m,energy,1,kWh\n"
        "2025-07-01T12:15:00+02:00,m,energy,2,kWh\n"
        "2025-07-01 12:30,m,energy,3,kWh\n"
        "2025-07-01T12:45:00.6,m,energy,4,kWh\n",
    )
    parsed = parse_file(path, ParseOptions(timezone="America/Chicago"))
    chicago = ZoneInfo("America/Chicago")
    assert values_of(parsed, "m") == {
        utc("2025-07-01T12:00"): 1.0,
        utc("2025-07-01T10:15"): 2.0,
        at("2025-07-01T12:30", chicago): 3.0,
        at("2025-07-01T12:45", chicago): 4.0,  # fractions of a second are dropped
    }


def test_dst_spring_gap_and_autumn_overlap_in_berlin(tmp_path: Path) -> None:
    stamps = ["2025-03-30 01:45", "2025-03-30 02:15", "2025-03-30 03:00"]
    stamps += ["2025-10-26 01:45", "2025-10-26 02:00", "2025-10-26 02:30"]
    stamps += ["2025-10-26 02:00", "2025-10-26 02:30", "2025-10-26 03:00"]
    body = "".join(f"{s},m,energy,{i + 1},kWh\n" for i, s in enumerate(stamps))
    parsed = parse_file(write(tmp_path, HEADER + body), ParseOptions(timezone="Europe/Berlin"))
    assert [(e.line, e.column) for e in parsed.errors] == [(3, "timestamp")]
    assert parsed.errors[0].reason == (
        "time '2025-03-30 02:15' does not exist in Europe/Berlin: the clocks jump forward over it"
    )
    # UTC offsets worked out by hand: CET is +01:00, CEST +02:00; on 26 October the hour from
    # 02:00 happens first in CEST, then again in CET.
    assert values_of(parsed, "m") == {
        utc("2025-03-30T00:45"): 1.0,
        utc("2025-03-30T01:00"): 3.0,
        utc("2025-10-25T23:45"): 4.0,
        utc("2025-10-26T00:00"): 5.0,
        utc("2025-10-26T00:30"): 6.0,
        utc("2025-10-26T01:00"): 7.0,
        utc("2025-10-26T01:30"): 8.0,
        utc("2025-10-26T02:00"): 9.0,
    }


def test_autumn_overlap_in_a_wide_export_resolves_per_column(tmp_path: Path) -> None:
    stamps = ["01:45", "02:00", "02:15", "02:30", "02:45", "02:00", "02:15", "02:30", "02:45"]
    body = "".join(f"2025-10-26 {s},{i},{10 * i}\n" for i, s in enumerate(stamps))
    parsed = parse_file(
        write(tmp_path, "timestamp,a [kWh],b [kWh]\n" + body),
        ParseOptions(timezone="Europe/Berlin"),
    )
    assert parsed.errors == []
    expected = [utc("2025-10-25T23:45")] + [utc("2025-10-26T00:00") + 900 * k for k in range(8)]
    assert sorted(values_of(parsed, "a")) == expected
    assert values_of(parsed, "b")[utc("2025-10-26T01:00")] == 50.0  # the second 02:00
    assert parsed.series[("a", "energy")].interval_s == 900


def test_autumn_overlap_out_of_time_order_is_bad(tmp_path: Path) -> None:
    stamps = ["03:00", "02:30", "02:00", "02:30", "02:00", "01:30"]  # newest first
    body = "".join(f"2025-10-26 {s},m,energy,{i},kWh\n" for i, s in enumerate(stamps))
    parsed = parse_file(write(tmp_path, HEADER + body), ParseOptions(timezone="Europe/Berlin"))
    assert [e.line for e in parsed.errors] == [3, 4, 5, 6]
    assert "happens twice in Europe/Berlin" in parsed.errors[0].reason
    assert "not in time order" in parsed.errors[0].reason
    assert values_of(parsed, "m") == {utc("2025-10-26T02:00"): 0.0, utc("2025-10-25T23:30"): 5.0}


def test_dotted_dates_are_day_first_and_slashed_ones_follow_the_option(tmp_path: Path) -> None:
    path = write(tmp_path, "timestamp,meter,value\n03/04/2025 10:00,m,1\n13/04/2025 10:00,m,2\n")
    us = parse_file(path, ParseOptions())
    assert values_of(us, "m") == {utc("2025-03-04T10:00"): 1.0}
    assert errors_by_line(us) == {
        3: "cannot read time '13/04/2025 10:00' (a day-first date? pass --dayfirst)"
    }
    european = parse_file(path, ParseOptions(dayfirst=True))
    assert values_of(european, "m") == {utc("2025-04-03T10:00"): 1.0, utc("2025-04-13T10:00"): 2.0}


def test_interval_ending_timestamps_move_to_the_interval_start(tmp_path: Path) -> None:
    body = "".join(
        f"2025-01-01T0{h}:00:00Z,m,energy,{h},kWh\n2025-01-01T0{h}:00:00Z,m,power,{h},kW\n"
        for h in range(1, 5)
    )
    parsed = parse_file(write(tmp_path, HEADER + body), ParseOptions(interval_ending=True))
    hour = 3600
    assert sorted(values_of(parsed, "m")) == [utc("2025-01-01T00:00") + hour * k for k in range(4)]
    # Power is a level sampled at its timestamp, not an amount over the interval before it.
    assert sorted(values_of(parsed, "m", "power")) == [
        utc("2025-01-01T01:00") + hour * k for k in range(4)
    ]


def test_an_unknown_time_zone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnknownTimezone, match="Europe/Berlin"):
        parse_file(write(tmp_path, HEADER), ParseOptions(timezone="Mars/Olympus"))


# ------------------------------------------------------------------------------ registers


def test_cumulative_meters_become_interval_energy_with_warnings(tmp_path: Path) -> None:
    registers = [100, 110, 121, 2, 12, 22]  # a reset to zero after 121
    body = "".join(
        f"2025-01-01T00:{15 * i:02d}:00Z,main,energy,{r},kWh\n"
        if i < 4
        else f"2025-01-01T01:{15 * (i - 4):02d}:00Z,main,energy,{r},kWh\n"
        for i, r in enumerate(registers)
    )
    body += "2025-01-01T00:00:00Z,main,power,-2,kW\n"
    parsed = parse_file(
        write(tmp_path, HEADER + body),
        ParseOptions(cumulative=frozenset({"main", "ghost"})),
    )
    assert parsed.errors == []
    start = utc("2025-01-01T00:00")
    assert values_of(parsed, "main") == {
        start: 10.0,
        start + 900: 11.0,
        start + 1800: 2.0,
        start + 2700: 10.0,
        start + 3600: 10.0,
    }
    assert parsed.series[("main", "energy")].cumulative
    assert not parsed.series[("main", "power")].cumulative
    assert any(
        "main energy at 2025-01-01T00:45:00+00:00" in w and "reset" in w for w in parsed.warnings
    )
    assert any("'ghost', which is not in the file" in w for w in parsed.warnings)


def test_negative_register_readings_are_fine_for_cumulative_meters(tmp_path: Path) -> None:
    body = "".join(
        f"2025-01-01T00:{15 * i:02d}:00Z,pv,energy,{r},kWh\n" for i, r in enumerate([-5, -3, 0])
    )
    parsed = parse_file(write(tmp_path, HEADER + body), ParseOptions(cumulative=frozenset({"pv"})))
    assert parsed.errors == [] and list(values_of(parsed, "pv").values()) == [2.0, 3.0]


# ------------------------------------------------------------------------------ Excel


def test_excel_workbook_in_long_layout_with_sheet_row_numbers(tmp_path: Path) -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "Notes"
    sheet = book.create_sheet("Data")
    sheet.append(["Export of 2025-02-03"])  # a title row above the header
    sheet.append(["timestamp", "meter", "metric", "value", "unit"])
    sheet.append([datetime(2025, 2, 3, 8, 0), "boiler", "energy", 12.5, "kWh"])  # noqa: DTZ001
    sheet.append([])
    sheet.append([datetime(2025, 2, 3, 8, 15), "boiler", "energy", "oops", "kWh"])  # noqa: DTZ001
    # Excel's float error: 08:29:59.9999 is meant as 08:30.
    sheet.append(
        [datetime(2025, 2, 3, 8, 29, 59, 999_900), "boiler", "energy", 3, "MWh"]  # noqa: DTZ001
    )
    path = tmp_path / "book.xlsx"
    book.save(path)
    parsed = parse_file(path, ParseOptions(timezone="Europe/Berlin", sheet="Data"))
    assert values_of(parsed, "boiler") == {
        at("2025-02-03T08:00", BERLIN): 12.5,
        at("2025-02-03T08:30", BERLIN): 3000.0,
    }
    assert [(e.line, e.column, e.reason) for e in parsed.errors] == [
        (5, "value", "value 'oops' is not a number")
    ]
    with pytest.raises(
        UnreadableFile, match=r"no sheet named 'Daten'; its sheets: 'Notes', 'Data'"
    ):
        parse_file(path, ParseOptions(sheet="Daten"))


def test_excel_workbook_in_wide_layout(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Zeit", "line-a [kWh]", "line-b (Wh)"])
    sheet.append(["2025-01-01T00:00:00Z", 1, 500])
    sheet.append(["2025-01-01T00:15:00Z", None, 250])
    book.save(tmp_path / "wide.xlsx")
    parsed = parse_file(tmp_path / "wide.xlsx", ParseOptions())
    assert parsed.format == "wide" and parsed.errors == []
    assert values_of(parsed, "line-a") == {utc("2025-01-01T00:00"): 1.0}
    assert values_of(parsed, "line-b") == {
        utc("2025-01-01T00:00"): 0.5,
        utc("2025-01-01T00:15"): 0.25,
    }


# ------------------------------------------------------------------------------ bad files


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("empty.csv", b"", UnreadableFile, "empty.csv is empty"),
        ("blank.csv", b"\n \n\n", UnreadableFile, "blank.csv is empty"),
        ("binary.csv", b"\x00\x01\x02\x03" * 10, UnreadableFile, "not a text CSV"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", UnreadableFile, "old Excel .xls"),
        (
            "header.csv",
            b"foo,bar\n1,2\n",
            UnknownLayout,
            r"unrecognised header \('foo', 'bar'\); expected a long layout "
            r"\(timestamp, meter, metric, value, unit\) or a wide one",
        ),
        ("nohead.csv", b"2025-01-01T00:00Z,m,energy,1,kWh\n", UnknownLayout, "no header row"),
        ("novalue.csv", b"time,meter,reading\n", UnknownLayout, "no 'value' column"),
    ],
)
def test_unreadable_files_raise_a_clear_error(
    tmp_path: Path, name: str, content: bytes, error: type[Exception], message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        parse_file(path, ParseOptions())


def test_corrupt_xlsx_raises_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(bytes(range(256)) * 8)  # random-looking bytes under an .xlsx name
    with pytest.raises(UnreadableFile, match=r"could not be opened as an Excel workbook") as info:
        parse_file(path, ParseOptions())
    assert isinstance(info.value, ImportFormatError)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match=r"missing\.csv: no such file"):
        parse_file(tmp_path / "missing.csv", ParseOptions())
    with pytest.raises(UnreadableFile, match="is a folder"):
        parse_file(tmp_path, ParseOptions())


# ------------------------------------------------------------------------------ size


def test_progress_is_reported_per_chunk_and_a_big_file_parses(tmp_path: Path) -> None:
    rows = 250_000  # more than one chunk
    start = utc("2025-01-01T00:00")
    stamps = [
        f"{datetime.fromtimestamp(start + 900 * k, UTC):%Y-%m-%dT%H:%M:%SZ}"
        for k in range(rows // 5)
    ]
    lines = [HEADER] + [f"{stamps[i // 5]},m{i % 5},energy,1.5,kWh\n" for i in range(rows)]
    path = write(tmp_path, "".join(lines))
    calls: list[tuple[int, int]] = []
    parsed = parse_file(
        path, ParseOptions(), on_progress=lambda done, total: calls.append((done, total))
    )
    assert parsed.rows_ok == rows and len(parsed.readings) == rows
    assert len(calls) >= 2 and calls[-1][0] == calls[-1][1]
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert parsed.series[("m0", "energy")].interval_s == 900
