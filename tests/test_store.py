"""The store on SQLite and PostgreSQL: migrations, catalogue, idempotent writes, local rollups."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, select

from common.errors import InvalidReading, StoreConflict, UnknownMeter, UnknownUnit
from store import catalog, queries, rollups
from store.migrate import upgrade
from store.schema import Base, Reading, Rollup
from store.writes import SeriesWrite, write_many, write_readings

TZ = "Europe/Berlin"


def expected_rollups(ts: list[int], values: list[float], tz: str) -> dict[int, dict[int, tuple]]:
    """Rollups computed with plain datetime arithmetic, independently of store.rollups."""
    zone = ZoneInfo(tz)
    out: dict[int, dict[int, list[float]]] = {900: defaultdict(list), 3600: defaultdict(list)}
    out[86400] = defaultdict(list)
    for t, v in zip(ts, values, strict=True):
        local = datetime.fromtimestamp(t, zone)
        into_hour = local.minute * 60 + local.second
        out[3600][t - into_hour].append(v)
        out[900][t - (local.minute % 15) * 60 - local.second].append(v)
        midnight = datetime.combine(local.date(), time(0), tzinfo=zone)
        out[86400][int(midnight.timestamp())].append(v)
    return {
        grain: {b: (len(vs), sum(vs), min(vs), max(vs)) for b, vs in buckets.items()}
        for grain, buckets in out.items()
    }


def stored_rollups(engine: Engine, series_id: int) -> dict[int, dict[int, tuple]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Rollup.grain, Rollup.bucket, Rollup.n, Rollup.sum, Rollup.min, Rollup.max).where(
                Rollup.series_id == series_id
            )
        ).all()
    out: dict[int, dict[int, tuple]] = {900: {}, 3600: {}, 86400: {}}
    for grain, bucket, n, s, mn, mx in rows:
        out[grain][bucket] = (n, s, mn, mx)
    return out


def assert_rollups_match(engine: Engine, series_id: int, tz: str) -> None:
    with engine.connect() as conn:
        raw = queries.readings(conn, series_id, 0, 2**62)
    expected = expected_rollups(raw["ts"].tolist(), raw["value"].tolist(), tz)
    stored = stored_rollups(engine, series_id)
    for grain in (900, 3600, 86400):
        assert set(stored[grain]) == set(expected[grain]), f"grain {grain} buckets differ"
        for bucket, (n, s, mn, mx) in expected[grain].items():
            got = stored[grain][bucket]
            assert got[0] == n
            assert got[1] == pytest.approx(s, rel=1e-9, abs=1e-9)
            assert (got[2], got[3]) == (pytest.approx(mn), pytest.approx(mx))


def new_series(engine: Engine, tz: str = TZ, meter: str = "compressor-1") -> int:
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", tz)
        return catalog.ensure_series(conn, site.id, meter, "energy", "kWh").id


def write(engine: Engine, series_id: int, ts: list[int], values: list[float], tz: str = TZ):
    with engine.begin() as conn:
        return write_readings(conn, series_id, np.array(ts, dtype=np.int64), np.array(values), tz)


def local_epoch(text: str, tz: str = TZ) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp())


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert upgrade(engine) is False  # already at head: nothing to apply


def test_first_write_is_new_and_second_identical_write_changes_nothing(engine: Engine) -> None:
    sid = new_series(engine)
    ts = [local_epoch("2025-06-02T00:00") + 900 * i for i in range(300)]
    values = [float(i % 17) + 0.25 for i in range(300)]
    first = write(engine, sid, ts, values)
    before = stored_rollups(engine, sid)
    second = write(engine, sid, ts, values)
    assert (first.new, first.changed, first.unchanged) == (300, 0, 0)
    assert (second.new, second.changed, second.unchanged) == (0, 0, 300)
    assert stored_rollups(engine, sid) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Reading)).scalar_one() == 300
    assert_rollups_match(engine, sid, TZ)


def test_corrected_value_replaces_the_old_one_and_rollups_follow(engine: Engine) -> None:
    sid = new_series(engine)
    start = local_epoch("2025-06-02T00:00")
    ts = [start + 900 * i for i in range(96 * 3)]
    write(engine, sid, ts, [1.0] * len(ts))
    stats = write(engine, sid, [ts[50], ts[51], start + 96 * 3 * 900], [40.0, 1.0, 7.0])
    assert (stats.new, stats.changed, stats.unchanged) == (1, 1, 1)
    assert_rollups_match(engine, sid, TZ)
    with engine.connect() as conn:
        days = queries.rollups(conn, [sid], 86400, start, start + 4 * 86400, tz=TZ)
    assert days["sum"].tolist() == [96 + 39.0, 96.0, 96.0, 7.0]


@pytest.mark.parametrize(
    ("day", "quarters"), [("2025-03-30", 92), ("2025-10-26", 100), ("2025-06-01", 96)]
)
def test_local_days_around_dst_have_the_right_length(engine: Engine, day: str, quarters: int):
    sid = new_series(engine)
    midnight = local_epoch(f"{day}T00:00")
    ts = [midnight - 4 * 900 + 900 * i for i in range(quarters + 8)]
    write(engine, sid, ts, [1.0] * len(ts))
    with engine.connect() as conn:
        days = queries.rollups(conn, [sid], 86400, midnight, midnight + 1, tz=TZ)
        hours = queries.rollups(conn, [sid], 3600, midnight, midnight + 86400 * 2, tz=TZ)
    assert days["n"].tolist() == [quarters]
    assert set(hours["n"]) == {4}  # every local hour, even the repeated one, has 4 quarters
    assert_rollups_match(engine, sid, TZ)


def test_half_hour_offset_zone_buckets_on_local_hours(engine: Engine) -> None:
    sid = new_series(engine, tz="Asia/Kolkata")
    start = local_epoch("2025-01-01T00:00", "Asia/Kolkata")
    ts = [start + 900 * i for i in range(96 * 2)]
    write(engine, sid, ts, list(range(len(ts))), tz="Asia/Kolkata")
    assert_rollups_match(engine, sid, "Asia/Kolkata")
    with engine.connect() as conn:
        days = queries.rollups(conn, [sid], 86400, start, start + 2 * 86400, tz="Asia/Kolkata")
    assert days["bucket"].tolist() == [start, start + 86400]


def test_nan_batch_is_refused_and_nothing_is_stored(engine: Engine) -> None:
    sid = new_series(engine)
    with pytest.raises(InvalidReading, match="NaN or infinite"):
        write(engine, sid, [0, 900], [1.0, float("nan")])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Reading)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(Rollup)).scalar_one() == 0


def test_a_failed_transaction_leaves_earlier_data_untouched(engine: Engine) -> None:
    sid = new_series(engine)
    write(engine, sid, [0, 900], [1.0, 2.0])
    with pytest.raises(RuntimeError), engine.begin() as conn:
        write_readings(conn, sid, np.array([0, 900]), np.array([5.0, 6.0]), TZ)
        raise RuntimeError("crash mid-import")
    with engine.connect() as conn:
        assert queries.readings(conn, sid, 0, 10**10)["value"].tolist() == [1.0, 2.0]
    assert_rollups_match(engine, sid, TZ)


def test_catalogue_creates_once_and_resolves_names_and_aliases(engine: Engine) -> None:
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        assert catalog.ensure_site(conn, "plant", "UTC").timezone == TZ
        catalog.ensure_meter(
            conn, site.id, "compressor-2", kind="electricity", aliases=["air compressor 2"]
        )
        first = catalog.ensure_series(conn, site.id, "compressor-2", "energy", "kWh")
        again = catalog.ensure_series(conn, site.id, "compressor-2", "energy", "kWh")
        assert first == again
        assert catalog.resolve_meter(conn, site.id, "Compressor 2").name == "compressor-2"
        assert catalog.resolve_meter(conn, site.id, "AIR-COMPRESSOR-2").name == "compressor-2"
        with pytest.raises(UnknownMeter, match="did you mean compressor-2"):
            catalog.resolve_meter(conn, site.id, "compresor-2")
        with pytest.raises(StoreConflict, match="stored in kWh, not MWh"):
            catalog.ensure_series(conn, site.id, "compressor-2", "energy", "MWh")
        with pytest.raises(UnknownUnit, match="needs a unit of energy"):
            catalog.ensure_series(conn, site.id, "compressor-2", "energy", "kW")
        with pytest.raises(StoreConflict, match="stored as electricity"):
            catalog.ensure_meter(conn, site.id, "compressor-2", kind="gas")


def test_series_stats_and_peak(engine: Engine) -> None:
    sid = new_series(engine)
    start = local_epoch("2025-06-02T00:00")
    values = [float(v) for v in np.random.default_rng(1).uniform(0, 10, 400)]
    values[123] = 55.0
    ts = [start + 900 * i for i in range(400)]
    write(engine, sid, ts, values)
    with engine.connect() as conn:
        stats = queries.series_stats(conn, [sid])[sid]
        peak = queries.peak_15min(conn, sid, start, start + 400 * 900)
        raw_peak = queries.peak_15min(conn, sid, start, start + 400 * 900, source="raw")
    assert (stats.count, stats.first_ts, stats.last_ts) == (400, ts[0], ts[-1])
    assert peak is not None and peak == raw_peak
    assert (peak.bucket, peak.sum) == (ts[123], 55.0)


batches = st.lists(
    st.lists(
        st.tuples(st.integers(0, 3 * 96 * 4 - 1), st.floats(-50, 500, allow_nan=False)),
        min_size=1,
        max_size=40,
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=batches)
def test_rollups_equal_an_independent_computation_after_any_write_order(
    sqlite_engine: Engine, batches: list[list[tuple[int, float]]]
) -> None:
    """Random overlapping batches of 5-minute readings around a DST change, written in any order."""
    with sqlite_engine.begin() as conn:
        site = catalog.ensure_site(conn, "plant", TZ)
        sid = catalog.ensure_series(conn, site.id, f"m{len(str(batches))}", "energy", "kWh").id
        conn.execute(Reading.__table__.delete().where(Reading.series_id == sid))
        conn.execute(Rollup.__table__.delete().where(Rollup.series_id == sid))
    base = local_epoch("2025-10-25T12:00")
    for batch in batches:
        write(sqlite_engine, sid, [base + 300 * i for i, _ in batch], [v for _, v in batch])
    assert_rollups_match(sqlite_engine, sid, TZ)


def test_appending_batches_that_share_a_quarter_hour_keeps_rollups_exact(engine: Engine) -> None:
    """Live ingestion: each batch starts inside the last one's quarter-hour, across midnight."""
    sid = new_series(engine)
    start = local_epoch("2025-06-02T22:07")
    stats = []
    for batch in range(6):
        ts = [start + 60 * (40 * batch + i) for i in range(40)]
        stats.append(write(engine, sid, ts, [float((i * 7) % 11) + 0.5 for i in range(40)]))
    assert [s.new for s in stats] == [40] * 6 and all(s.changed == 0 for s in stats)
    assert_rollups_match(engine, sid, TZ)
    again = write(engine, sid, [start + 60 * 39, start + 60 * 41], [99.0, 7.5])  # one corrected
    assert (again.new, again.changed, again.unchanged) == (0, 1, 1)
    assert_rollups_match(engine, sid, TZ)


def test_a_write_repairs_rollups_missing_for_stored_readings(engine: Engine) -> None:
    """When stored readings have no quarter-hour rollup, the whole range is read back."""
    sid = new_series(engine)
    start = local_epoch("2025-06-02T10:00")
    write(engine, sid, [start + 300 * i for i in range(12)], [1.0] * 12)
    with engine.begin() as conn:
        conn.execute(
            delete(Rollup).where(
                Rollup.series_id == sid, Rollup.grain == 900, Rollup.bucket == start + 2700
            )
        )
    write(engine, sid, [start + 1860, start + 3360], [2.0, 3.0])  # 10:31 and 10:56
    assert_rollups_match(engine, sid, TZ)


@pytest.mark.parametrize(
    "tz", ["Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe", "America/St_Johns", "UTC"]
)
def test_utc_offsets_agree_with_datetime_for_few_and_many_instants(tz: str) -> None:
    rng = np.random.default_rng(5)
    ts = np.sort(rng.integers(0, 2_100_000_000, 600)).astype(np.int64)
    info = ZoneInfo(tz)
    offsets = [datetime.fromtimestamp(int(t), info).utcoffset() for t in ts]
    expected = [int(o.total_seconds()) if o is not None else 0 for o in offsets]
    assert rollups.utc_offsets(ts, tz).tolist() == expected  # pandas, past PER_INSTANT_MAX
    assert rollups.utc_offsets(ts[:100], tz).tolist() == expected[:100]  # one by one
    repeated = np.concatenate([ts[:100][::-1], ts[:100], ts[50:150]])  # many series, one instant
    want = [*expected[:100][::-1], *expected[:100], *expected[50:150]]
    assert rollups.utc_offsets(repeated, tz).tolist() == want


# ---------------------------------------------------------------- many series in one write

ZONES = ("Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York")


def many_series(engine: Engine, zones: tuple[str, ...] = ZONES) -> list[tuple[int, str]]:
    """One series on each of several sites, one site per zone."""
    out = []
    with engine.begin() as conn:
        for i, tz in enumerate(zones):
            site = catalog.ensure_site(conn, f"site-{i}", tz)
            out.append((catalog.ensure_series(conn, site.id, "main", "energy", "kWh").id, tz))
    return out


def stored_readings(engine: Engine, series_id: int) -> dict[int, float]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Reading.ts, Reading.value).where(Reading.series_id == series_id)
        ).all()
    return {int(t): float(v) for t, v in rows}


def write_together(engine: Engine, parts: list[tuple[int, str, list[int], list[float]]]):
    with engine.begin() as conn:
        return write_many(
            conn,
            [
                SeriesWrite(sid, np.array(ts, dtype=np.int64), np.array(values), tz)
                for sid, tz, ts, values in parts
            ],
        )


def expected_stats(model: dict[tuple[int, int], float], parts) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """New, changed, unchanged counted against a plain dict of what is stored; updates it."""
    last: dict[tuple[int, int], float] = {}
    for sid, _, ts, values in parts:
        last.update({(sid, t): v for t, v in zip(ts, values, strict=True)})
    new = sum(key not in model for key in last)
    changed = sum(key in model and model[key] != v for key, v in last.items())
    model.update(last)
    return new, changed, len(last) - new - changed


def test_a_write_of_many_series_stores_each_and_keeps_every_rollup_exact(engine: Engine) -> None:
    """Live ingestion's batches: 100 minutes of several series a batch, in four time zones
    (two with half- and quarter-hour offsets), each batch sharing a quarter-hour with the last,
    across a DST change; then a correction and a redelivery."""
    series = many_series(engine)
    start = local_epoch("2025-10-25T23:21", "UTC")  # Berlin and New York change a week apart
    model: dict[tuple[int, int], float] = {}
    for batch in range(30):
        parts = [
            (
                sid,
                tz,
                [start + 60 * (100 * batch + i) for i in range(100)],
                [float((i * 7 + k) % 13) + 0.5 for i in range(100)],
            )
            for k, (sid, tz) in enumerate(series)
        ]
        stats = write_together(engine, parts)
        assert (stats.new, stats.changed, stats.unchanged) == expected_stats(model, parts)
    correction = [
        (sid, tz, [start + 60 * 150, start + 60 * 151], [99.0, 1.5]) for sid, tz in series
    ]
    stats = write_together(engine, correction)
    assert (stats.new, stats.changed, stats.unchanged) == expected_stats(model, correction)
    assert stats.changed > 0
    stats = write_together(engine, correction)  # redelivered: nothing changes
    assert (stats.new, stats.changed, stats.unchanged) == (0, 0, 2 * len(series))
    for sid, tz in series:
        assert stored_readings(engine, sid) == {t: v for (s, t), v in model.items() if s == sid}
        assert_rollups_match(engine, sid, tz)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    writes=st.lists(
        st.lists(
            st.tuples(
                st.integers(0, len(ZONES) - 1),
                st.integers(0, 3 * 96 * 3 - 1),  # 5-minute steps over three days
                st.floats(-50, 500, allow_nan=False),
            ),
            min_size=1,
            max_size=40,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_writes_of_many_series_in_any_order_equal_an_independent_computation(
    sqlite_engine: Engine, writes: list[list[tuple[int, int, float]]]
) -> None:
    """Random overlapping writes of several series, repeated times included: each series ends
    with the last value given for each time, exact rollups and the counts a dict gives."""
    with sqlite_engine.begin() as conn:
        conn.execute(Reading.__table__.delete())
        conn.execute(Rollup.__table__.delete())
    series = many_series(sqlite_engine)
    base = local_epoch("2025-10-25T12:00", "UTC")
    model: dict[tuple[int, int], float] = {}
    for write_ in writes:
        parts = []
        for k, (sid, tz) in enumerate(series):
            mine = [(step, v) for which, step, v in write_ if which == k]
            if mine:
                parts.append((sid, tz, [base + 300 * s for s, _ in mine], [v for _, v in mine]))
        stats = write_together(sqlite_engine, parts)
        assert (stats.new, stats.changed, stats.unchanged) == expected_stats(model, parts)
    for sid, tz in series:
        assert stored_readings(sqlite_engine, sid) == {
            t: v for (s, t), v in model.items() if s == sid
        }
        assert_rollups_match(sqlite_engine, sid, tz)


def test_a_multi_series_write_with_a_bad_value_stores_nothing(engine: Engine) -> None:
    (sid, tz), (other, other_tz) = many_series(engine, ("UTC", "Asia/Kolkata"))
    write_together(engine, [(sid, tz, [1_760_000_000], [1.0])])
    with pytest.raises(InvalidReading, match="NaN or infinite"):
        write_together(
            engine,
            [(sid, tz, [1_760_000_900], [2.0]), (other, other_tz, [1_760_000_000], [float("inf")])],
        )
    assert stored_readings(engine, sid) == {1_760_000_000: 1.0}
    assert stored_readings(engine, other) == {}
    assert_rollups_match(engine, sid, tz)
