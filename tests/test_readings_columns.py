"""Posted readings read column by column: for plainly valid bodies the series, their units and
their readings in posted order are what the reading-by-reading path makes of the same body and
what pandas computes from the raw readings; a body with any fault is left to the
reading-by-reading path, which names the reading; CSV bodies split at commas read as the csv
module reads them; and what is stored equals pandas, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from sqlalchemy import Engine, select

import connectors.readings_columns as columns_module
from connectors.http_readings import (
    BadBody,
    ReadingsPost,
    _checked,
    _csv_body,
    _csv_rows,
    _decoded,
    _grouped,
    _split_columns,
    _Table,
)
from connectors.ingest import Ingestor
from connectors.readings_columns import by_series, object_fields
from store import catalog
from store.schema import DeadLetter, Reading, Rollup
from store.writes import _by_bucket

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp()
T0 = int(NOW) - 86400
UNITS = {None: 1.0, "kWh": 1.0, "Wh": 0.001, "MWh": 1000.0}


def mixed_body(seed: int) -> list[dict[str, Any]]:
    """Readings of several sites, meters, spellings and units, in a shuffled order, with
    seconds, milliseconds and float times, integer and float values and repeated times."""
    rng = random.Random(seed)
    out = []
    for _ in range(600):
        reading: dict[str, Any] = {
            "meter": rng.choice(["m1", " m1", "m2 ", "M3", "m4"]),
            "metric": rng.choice(["energy", "Energy", " ENERGY"]),
            "ts": T0 + 900 * rng.randrange(40),
            "value": rng.choice([rng.randrange(100), round(rng.uniform(0, 50), 3)]),
        }
        if rng.random() < 0.3:
            reading["ts"] = reading["ts"] * 1000  # milliseconds
        elif rng.random() < 0.1:
            reading["ts"] = reading["ts"] + 0.5
        site = rng.choice([None, "plant", "north ", "north"])
        if site is not None:
            reading["site"] = site
        unit = rng.choice(list(UNITS))
        if unit is not None:
            reading["unit"] = unit
        out.append(reading)
    return out


def reading_by_reading(
    items: list[Any], default: str, registers: set[tuple[str, str]]
) -> tuple[list[Any], list[Any]]:
    groups, bad = _grouped(items, default)
    series = _checked(items, groups, NOW, bad)
    assert bad == []
    return _decoded(series, registers)


def pandas_series(items: list[dict[str, Any]], default: str) -> dict[Any, Any]:
    """Each series' (ts, canonical value) in posted order, computed from the raw readings."""
    frame = pd.DataFrame(items)
    frame["site"] = frame["site"].fillna(default).str.strip()
    frame["meter"] = frame["meter"].str.strip()
    frame["metric"] = frame["metric"].str.strip().str.lower()
    ts = frame["ts"].astype(float)
    frame["ts"] = np.trunc(np.where(ts > 1e11, ts / 1000, ts)).astype(np.int64)
    factor = frame["unit"].map(lambda u: UNITS[None if pd.isna(u) else u])
    frame["value"] = frame["value"].astype(float) * factor
    return {
        key: part[["ts", "value"]].to_numpy()
        for key, part in frame.groupby(["site", "meter", "metric"], sort=False)
    }


@pytest.mark.parametrize("seed", range(6))
def test_a_valid_body_gives_what_the_reading_by_reading_path_and_pandas_give(seed: int) -> None:
    items = mixed_body(seed)
    registers = {("m2", "energy")}
    fields = object_fields(items, "plant")
    assert fields is not None
    found = by_series(fields, NOW, registers)
    assert found is not None
    messages, indices = found
    old_messages, old_indices = reading_by_reading(items, "plant", registers)
    assert [(m.site, m.meter, m.metric, m.unit) for m in messages] == [
        (m.site, m.meter, m.metric, m.unit) for m in old_messages
    ]
    expected = pandas_series(items, "plant")
    assert {(m.site, m.meter, m.metric) for m in messages} == set(expected)
    for message, old, at, old_at in zip(messages, old_messages, indices, old_indices, strict=True):
        assert message.readings == old.readings
        assert (message.meter == "m2") == bool(message.readings)  # registers go as pairs
        assert message.columns is not None and old.columns is not None
        assert message.columns[0].tolist() == old.columns[0].tolist()
        assert message.columns[1].tolist() == old.columns[1].tolist()
        assert at.tolist() == old_at.tolist()
        want = expected[(message.site, message.meter, message.metric)]
        assert message.columns[0].tolist() == want[:, 0].astype(np.int64).tolist()
        assert np.allclose(message.columns[1], want[:, 1], rtol=1e-12)


FAULTS: list[tuple[dict[str, Any], str]] = [
    ({"value": "high"}, "'value' must be a number"),
    ({"value": None}, "'value' must be a number"),
    ({"value": True}, "'value' must be a number"),
    ({"value": -5}, "outside the plausible range"),
    ({"ts": T0 + 86400 * 30}, "in the future"),
    ({"ts": 2**60}, "in the future"),
    ({"ts": "2026-11-23T10:00:00"}, "no time zone"),
    ({"unit": "parsec"}, "parsec"),
    ({"unit": 5}, "'unit' must be text"),
    ({"meter": " "}, "'meter' must be non-empty text"),
    ({"meter": ["m1"]}, "must be text"),
    ({"site": None}, "names no 'site'"),
    ({"metric": "x" * 201}, "longer than 200 characters"),
]


@pytest.mark.parametrize(("change", "reason"), FAULTS)
def test_a_body_with_a_fault_is_read_reading_by_reading_and_the_reading_named(
    engine: Engine, change: dict[str, Any], reason: str
) -> None:
    items: list[dict[str, Any]] = [
        {"meter": f"m{i % 3}", "metric": "energy", "ts": T0 + 900 * (i // 3), "value": 1.0 + i}
        for i in range(60)
    ]
    items[41] = {**items[41], **change}
    fields = object_fields(items, "plant")
    assert fields is None or by_series(fields, NOW, set()) is None
    post = ReadingsPost(Ingestor(engine, timezone="Europe/Berlin"), None, clock=lambda: NOW)
    for item in items:
        item.setdefault("site", "plant")
    items[41].update(change)  # a fault in the site is kept too
    result = post.post(orjson.dumps(items), "application/json", "g")
    assert [r.index for r in result.rejected] == [41]
    assert reason in result.rejected[0].reason
    assert result.stored == 59
    with engine.connect() as conn:
        letters = conn.execute(select(DeadLetter.reason)).scalars().all()
        count = len(conn.execute(select(Reading.ts)).all())
    assert len(letters) == 1 and letters[0].startswith("reading 41: ") and count == 59


def test_a_valid_ts_in_iso_text_still_stores_through_the_reading_by_reading_path(
    engine: Engine,
) -> None:
    post = ReadingsPost(Ingestor(engine, timezone="UTC"), "plant", clock=lambda: NOW)
    items = [
        {"meter": "m", "metric": "energy", "ts": T0 + 900 * i, "value": float(i)} for i in range(20)
    ]
    items[7]["ts"] = datetime.fromtimestamp(T0 + 900 * 7, UTC).isoformat()
    assert by_series(object_fields(items, "plant") or {}, NOW, set()) is None
    result = post.post(orjson.dumps(items), "application/json", "g")
    assert result.stored == 20 and result.rejected == []


def test_many_varying_key_fields_and_a_small_key_space_give_the_same_series(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Site, meter and unit all vary (distinct keys numbered by np.unique); with a key space
    too small to number them the column path stands aside and the result is the same."""
    items = mixed_body(11)
    fields = object_fields(items, "plant")
    assert fields is not None
    found = by_series(fields, NOW, set())
    assert found is not None
    old, _ = reading_by_reading(items, "plant", set())
    assert [(m.site, m.meter, m.unit) for m in found[0]] == [(m.site, m.meter, m.unit) for m in old]
    monkeypatch.setattr(columns_module, "MAX_KEY_SPACE", 4)
    assert by_series(fields, NOW, set()) is None


CSV_BODIES = {
    "plain": "meter,metric,ts,value\nm1,energy,{t},1.5\nm2,energy,{t},2\n",
    "crlf and blank lines": "meter,metric,ts,value\r\nm1,energy,{t},1.5\r\n\r\nm2,energy,{t},2\r\n",
    "spaces and timestamp": "Meter, metric ,timestamp,value,unit\n m1 ,energy, {t} ,1500, Wh\n",
    "site column": "site,meter,metric,ts,value\nnorth,m1,energy,{t},3\nplant,m1,energy,{t},4\n",
    "quoted comma": 'meter,metric,ts,value\n"m,1",energy,{t},1.5\nm2,energy,{t},2\n',
    "extra field": "meter,metric,ts,value\nm1,energy,{t},1.5,x\nm2,energy,{t},2\n",
    "missing field": "meter,metric,ts,value\nm1,energy,{t}\nm2,energy,{t},2\n",
    "text value": "meter,metric,ts,value\nm1,energy,{t},high\nm2,energy,{t},2\n",
    "empty unit": "meter,metric,ts,value,unit\nm1,energy,{t},1,\nm2,energy,{t},2,kWh\n",
    "no rows": "meter,metric,ts,value\n\n",
}


@pytest.mark.parametrize("name", sorted(CSV_BODIES))
def test_a_csv_body_reads_as_the_csv_module_reads_it(name: str) -> None:
    text = CSV_BODIES[name].format(t=T0)
    parsed = _csv_body(text.encode())
    items = parsed.items() if isinstance(parsed, _Table) else parsed
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader)]
    assert items == _csv_rows(header, list(filter(None, reader)))
    not_split = ("quoted comma", "extra field", "missing field", "no rows")
    assert (_split_columns(text, len(header)) is None) == (name in not_split)
    by_rows = ("extra field", "missing field", "text value", "empty unit")
    assert isinstance(parsed, _Table) == (name not in by_rows)


@pytest.mark.parametrize(
    "text",
    [
        "meter,metric,ts,value\rm1,energy,1,1.5\rm2,energy,1,2\r",
        "meter,metric,ts,value\nm1,energy,1,1.5\rm2,energy,1,2\n",
        "meter,metric,ts,value\nm1,energy,1,2\n" + "m2,energy,1," + "9" * 200_000 + "\n",
    ],
    ids=["header", "row", "field size"],
)
def test_a_csv_body_the_csv_module_cannot_read_is_refused_with_the_reason(
    engine: Engine, text: str
) -> None:
    post = ReadingsPost(Ingestor(engine, timezone="UTC"), "plant", clock=lambda: NOW)
    with pytest.raises(BadBody, match="the CSV body cannot be read"):
        post.post(text.encode(), "text/csv", "g")
    with engine.connect() as conn:
        assert conn.execute(select(Reading.ts)).all() == []


@pytest.mark.filterwarnings("ignore::pandas.errors.ParserWarning")  # the extra field, dropped
@pytest.mark.parametrize("name", ["crlf and blank lines", "quoted comma", "extra field"])
def test_csv_bodies_store_what_pandas_reads(engine: Engine, name: str) -> None:
    text = CSV_BODIES[name].format(t=T0)
    post = ReadingsPost(Ingestor(engine, timezone="UTC"), "plant", clock=lambda: NOW)
    result = post.post(text.encode(), "text/csv", "g")
    frame = pd.read_csv(io.StringIO(text), index_col=False, on_bad_lines="skip")
    with engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
        got = {}
        for meter in frame["meter"]:
            sid = catalog.get_series(conn, catalog.resolve_meter(conn, site.id, meter).id, "energy")
            got[meter] = conn.execute(
                select(Reading.ts, Reading.value).where(Reading.series_id == sid.id)
            ).all()
    assert got == {m: [(T0, float(v))] for m, v in zip(frame["meter"], frame["value"], strict=True)}
    assert result.stored == len(frame) and result.rejected == []  # fields past the header: unused


def test_a_large_mixed_body_is_stored_as_pandas_computes(engine: Engine) -> None:
    """Readings and every rollup grain of a body through the column path equal pandas."""
    items = [r for r in mixed_body(3) if "site" not in r or r["site"].strip() == "plant"]
    post = ReadingsPost(Ingestor(engine, timezone="Europe/Berlin"), "plant", clock=lambda: NOW)
    fields = object_fields(items, "plant")
    assert fields is not None and by_series(fields, NOW, set()) is not None
    result = post.post(orjson.dumps(items), "application/json", "g")
    assert result.stored == len(items) and result.rejected == []
    expected = pandas_series(items, "plant")
    with engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
        for (_, meter, metric), readings in expected.items():
            sid = catalog.get_series(
                conn, catalog.resolve_meter(conn, site.id, meter).id, metric
            ).id
            frame = pd.DataFrame(readings, columns=["ts", "value"])
            last = frame.drop_duplicates("ts", keep="last").sort_values("ts")
            rows = conn.execute(
                select(Reading.ts, Reading.value)
                .where(Reading.series_id == sid)
                .order_by(Reading.ts)
            ).all()
            assert [int(t) for t, _ in rows] == last["ts"].astype(int).tolist()
            assert np.allclose([v for _, v in rows], last["value"], rtol=1e-12)
            hours = conn.execute(
                select(Rollup.bucket, Rollup.n, Rollup.sum)
                .where(Rollup.series_id == sid, Rollup.grain == 3600)
                .order_by(Rollup.bucket)
            ).all()
            by_hour = last.groupby(last["ts"] // 3600 * 3600)["value"].agg(["count", "sum"])
            assert [b for b, _, _ in hours] == by_hour.index.tolist()
            assert [n for _, n, _ in hours] == by_hour["count"].tolist()
            assert np.allclose([s for _, _, s in hours], by_hour["sum"], rtol=1e-12)


@pytest.mark.parametrize("order", ["in runs", "shuffled", "a series in two runs"])
def test_rollup_rows_merge_as_pandas_groups_them_in_any_order(order: str) -> None:
    rng = np.random.default_rng(5)
    sids = np.repeat(np.array([7, 3, 9], dtype=np.int64), 40)
    buckets = np.concatenate([np.sort(rng.integers(0, 10, 40)) * 900 for _ in range(3)])
    values = rng.uniform(0, 10, len(sids))
    if order == "shuffled":
        at = rng.permutation(len(sids))
        sids, buckets, values = sids[at], buckets[at], values[at]
    elif order == "a series in two runs":
        sids = np.concatenate([sids, sids[:5]])
        buckets = np.concatenate([buckets, buckets[:5]])
        values = np.concatenate([values, values[:5] + 1])
    ones = np.ones(len(sids), dtype=np.int64)
    merged = _by_bucket(sids, buckets, ones, values, values, values)
    frame = pd.DataFrame({"s": sids, "b": buckets, "v": values})
    want = frame.groupby(["s", "b"])["v"].agg(["count", "sum", "min", "max"]).reset_index()
    got = pd.DataFrame(
        dict(zip(["s", "b", "count", "sum", "min", "max"], merged, strict=True))
    ).sort_values(["s", "b"])
    assert (
        got[["s", "b", "count"]].to_numpy().tolist()
        == want[["s", "b", "count"]].to_numpy().tolist()
    )
    assert np.allclose(got[["sum", "min", "max"]], want[["sum", "min", "max"]], rtol=1e-12)
