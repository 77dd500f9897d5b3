"""Large posted bodies through the bulk write path (multi-row INSERTs in whole chunks and a rest
row by row): the stored readings and every stored rollup row equal a pandas computation over
the posted bodies, for new, changed, unchanged and repeated readings, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from connectors.http_readings import ReadingsPost
from connectors.ingest import Ingestor
from store import catalog
from store.schema import Reading, Rollup
from store.writes import rows_per_insert

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp()
TZ = "Europe/Berlin"
METERS = 7
# 15:00 local the day before: the posts cross local midnight, so day rollups split.
START = int(NOW) - 20 * 3600


def post(engine: Engine) -> ReadingsPost:
    return ReadingsPost(Ingestor(engine, timezone=TZ), "plant", clock=lambda: NOW)


def reading(meter: int, step: int, value: float) -> dict[str, Any]:
    """A five-minute reading of meter `meter` at `step` five-minute steps after START."""
    return {"meter": f"m{meter}", "metric": "energy", "ts": START + 300 * step, "value": value}


def expected_readings(bodies: list[list[dict[str, Any]]]) -> pd.DataFrame:
    """The last value posted for each meter and time, over all bodies in the order posted."""
    frame = pd.DataFrame([r for body in bodies for r in body])
    return frame.drop_duplicates(["meter", "ts"], keep="last").sort_values(["meter", "ts"])


def expected_rollups(readings: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Count, sum, minimum and maximum per meter and local bucket, bucket as epoch seconds."""
    local = pd.to_datetime(readings["ts"], unit="s", utc=True).dt.tz_convert(TZ)
    starts = local.dt.normalize() if grain == "day" else local.dt.floor(grain)
    epoch = (starts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    frame = pd.DataFrame({"meter": readings["meter"], "bucket": epoch, "v": readings["value"]})
    found = frame.groupby(["meter", "bucket"])["v"].agg(["count", "sum", "min", "max"])
    return found.reset_index()


def stored(engine: Engine) -> dict[str, tuple[list[tuple[int, float]], dict[int, list[Any]]]]:
    """Per meter: its stored readings, and its rollup rows by grain, read from the tables."""
    out: dict[str, tuple[list[tuple[int, float]], dict[int, list[Any]]]] = {}
    with engine.connect() as conn:
        site = catalog.get_site(conn, "plant")
        for k in range(METERS):
            meter = catalog.resolve_meter(conn, site.id, f"m{k}")
            sid = catalog.get_series(conn, meter.id, "energy").id
            rows = conn.execute(
                select(Reading.ts, Reading.value)
                .where(Reading.series_id == sid)
                .order_by(Reading.ts)
            )
            grains: dict[int, list[Any]] = {}
            for grain in (900, 3600, 86400):
                grains[grain] = [
                    tuple(r)
                    for r in conn.execute(
                        select(Rollup.bucket, Rollup.n, Rollup.sum, Rollup.min, Rollup.max)
                        .where(Rollup.series_id == sid, Rollup.grain == grain)
                        .order_by(Rollup.bucket)
                    )
                ]
            out[f"m{k}"] = ([(int(t), float(v)) for t, v in rows], grains)
    return out


def assert_store_matches(engine: Engine, bodies: list[list[dict[str, Any]]]) -> None:
    want = expected_readings(bodies)
    found = stored(engine)
    for grain, seconds in (("15min", 900), ("h", 3600), ("day", 86400)):
        rollups = expected_rollups(want, grain)
        for meter, (readings, grains) in found.items():
            mine = want[want["meter"] == meter]
            assert readings == list(zip(mine["ts"], mine["value"], strict=True))
            expected = rollups[rollups["meter"] == meter]
            got = grains[seconds]
            assert [b for b, *_ in got] == expected["bucket"].tolist()
            assert [n for _, n, *_ in got] == expected["count"].tolist()
            assert [s for _, _, s, _, _ in got] == pytest.approx(expected["sum"].tolist())
            assert [lo for *_, lo, _ in got] == expected["min"].tolist()
            assert [hi for *_, hi in got] == expected["max"].tolist()


def test_large_posts_of_new_changed_unchanged_and_repeated_readings_equal_pandas(
    engine: Engine,
) -> None:
    """A first post of whole chunks and a rest; a post mixing unchanged, corrected, repeated
    and new readings; then a post of new readings alone (exactly two chunks) into quarter-hours,
    hours and days that already hold readings, which merges into the stored rollups."""
    receiver = post(engine)
    first = [reading(k, s, (s * 7 + k) % 23 + 0.25) for k in range(METERS) for s in range(180)]
    assert len(first) % rows_per_insert(3) and len(first) > rows_per_insert(3)  # chunks, a rest
    mixed = []
    for k in range(METERS):
        mixed += [reading(k, s, (s * 7 + k) % 23 + 0.25) for s in range(100, 140)]  # unchanged
        mixed += [reading(k, s, 100.0 + s + k) for s in range(140, 170)]  # corrected
        mixed += [reading(k, s, 1000.5) for s in range(170, 175)]  # changed, then changed again
        mixed += [reading(k, s, 2.0 * s) for s in range(170, 230)]  # the last values for 170-174
    # New readings only, between the stored five-minute steps: they share every bucket.
    shared = [
        {**reading(k, s, float(s % 11 + after)), "ts": START + 300 * s + 60 * after}
        for k in range(METERS)
        for s in range(160, 232)
        for after in (1, 2)
    ][: 2 * rows_per_insert(3)]
    assert len(shared) == 2 * rows_per_insert(3)
    bodies = [first, mixed, shared]
    for body in bodies:
        result = receiver.post(orjson.dumps(body), "application/json", "gateway")
        assert result.rejected == [] and result.received == len(body)
        assert_store_matches(engine, bodies[: bodies.index(body) + 1])
    again = receiver.post(orjson.dumps(mixed), "application/json", "gateway")
    assert again.rejected == [] and again.stored == len(mixed)  # a retry changes nothing
    assert_store_matches(engine, bodies)


@pytest.mark.parametrize("kind", ["application/x-ndjson", "text/csv"])
def test_large_ndjson_and_csv_posts_store_what_pandas_computes(engine: Engine, kind: str) -> None:
    """The same bulk path behind the other body formats: two posts, the second correcting and
    extending the first."""
    first = [reading(k, s, (s * 3 + k) % 17 + 0.5) for k in range(METERS) for s in range(90)]
    second = [reading(k, s, s + k + 0.125) for k in range(METERS) for s in range(60, 130)]

    def encode(body: list[dict[str, Any]]) -> bytes:
        if kind == "text/csv":
            lines = ["meter,metric,ts,value"]
            lines += [f"{r['meter']},{r['metric']},{r['ts']},{r['value']!r}" for r in body]
            return "\n".join(lines).encode()
        return b"\n".join(orjson.dumps(r) for r in body)

    receiver = post(engine)
    for body in (first, second):
        result = receiver.post(encode(body), kind, "gateway")
        assert result.rejected == [] and result.stored == len(body)
    assert_store_matches(engine, [first, second])
