"""HTTP ingestion against the MQTT ingestor's cases: a post stored once however often it is
retried, corrected values replacing old ones, bad readings named by index and kept as dead
letters while the rest are stored, on SQLite and PostgreSQL; and JSON, NDJSON and CSV bodies
through the served API."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import httpx
import orjson
import pytest
from sqlalchemy import Engine, func, select

from connectors.http_readings import BadBody, ReadingsPost, UnsupportedFormat
from connectors.ingest import Ingestor
from store import catalog, queries
from store.schema import DeadLetter, Reading
from tests.api_fixtures import Served, served_fixture  # noqa: F401

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp()
T0 = int(NOW) - 3600


def make(engine: Engine) -> ReadingsPost:
    return ReadingsPost(Ingestor(engine, timezone="Europe/Berlin"), "plant", clock=lambda: NOW)


def stored(
    engine: Engine, meter: str, metric: str = "energy", site: str = "plant"
) -> list[tuple[int, float]]:
    with engine.connect() as conn:
        ref = catalog.get_site(conn, site)
        sid = catalog.get_series(conn, catalog.resolve_meter(conn, ref.id, meter).id, metric).id
        frame = queries.readings(conn, sid, 0, 2**40)
    return list(zip(frame["ts"].tolist(), frame["value"].tolist(), strict=True))


def letters(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(select(DeadLetter.source, DeadLetter.reason, DeadLetter.payload))
        ]


def test_a_retried_post_is_stored_once(engine: Engine) -> None:
    post = make(engine)
    body = orjson.dumps(
        [
            {"meter": "press", "metric": "energy", "ts": T0 + 900 * i, "value": 1.5 + i}
            for i in range(4)
        ]
    )
    first = post.post(body, "application/json", "gateway")
    again = post.post(body, "application/json", "gateway")  # the gateway did not see the answer
    expected = [(T0 + 900 * i, 1.5 + i) for i in range(4)]
    assert first.stored == again.stored == 4 and first.rejected == again.rejected == []
    assert stored(engine, "press") == expected
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Reading)).scalar_one() == 4
        day = conn.execute(select(func.sum(Reading.value))).scalar_one()
    assert day == pytest.approx(sum(v for _, v in expected))


def test_corrected_values_replace_the_stored_ones_and_the_rollups_follow(engine: Engine) -> None:
    post = make(engine)
    post.post(
        orjson.dumps([{"meter": "oven", "metric": "energy", "ts": T0, "value": 4.0}]), None, "g"
    )
    post.post(
        orjson.dumps([{"meter": "oven", "metric": "energy", "ts": T0, "value": 6.5}]), None, "g"
    )
    assert stored(engine, "oven") == [(T0, 6.5)]
    with engine.connect() as conn:
        ref = catalog.get_site(conn, "plant")
        sid = catalog.get_series(conn, catalog.resolve_meter(conn, ref.id, "oven").id, "energy").id
        hourly = queries.rollups(conn, [sid], 3600, 0, 2**40, tz="Europe/Berlin")
    assert hourly["sum"].tolist() == [6.5]


def test_bad_readings_are_named_by_index_kept_as_dead_letters_and_the_rest_stored(
    engine: Engine,
) -> None:
    post = make(engine)
    readings = [
        {"meter": "press", "metric": "energy", "ts": T0, "value": 2.0},
        {"meter": "press", "metric": "energy", "ts": T0 + 900, "value": "high"},
        {"meter": "press", "metric": "energy", "ts": "yesterday", "value": 1},
        {"meter": "press", "metric": "energy", "ts": T0 + 1800, "value": 3.0, "unit": "kW"},
        {"meter": "", "metric": "energy", "ts": T0, "value": 1},
        7,
        {"meter": "press", "metric": "energy", "ts": T0 + 2700, "value": -4},
        {"meter": "press", "metric": "energy", "ts": T0 + 3600, "value": 2.0, "unit": "Wh"},
        {"meter": "press", "metric": "energy", "value": 1},
    ]
    result = post.post(json.dumps(readings).encode(), "application/json", "gateway-3")
    reasons = {r.index: r.reason for r in result.rejected}
    assert result.received == 9 and result.stored == 2
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 8]
    assert "must be a number" in reasons[1] and "not ISO 8601" in reasons[2]
    assert "needs a unit of energy" in reasons[3] and "'meter' must be non-empty" in reasons[4]
    assert "must be an object" in reasons[5] and "plausible range" in reasons[6]
    assert "needs 'ts' and 'value'" in reasons[8]
    assert stored(engine, "press") == [(T0, 2.0), (T0 + 3600, 0.002)]  # Wh stored as kWh
    kept = letters(engine)
    assert len(kept) == 7 and {source for source, _, _ in kept} == {"http gateway-3"}
    assert any(reason.startswith("reading 1:") and '"high"' in raw for _, reason, raw in kept)


def test_readings_without_a_site_need_a_default_site(engine: Engine) -> None:
    defaults: list[str | None] = [None, "plant"]
    post = ReadingsPost(
        Ingestor(engine, timezone="Europe/Berlin"), lambda: defaults.pop(0), clock=lambda: NOW
    )
    body = json.dumps([{"meter": "m1", "metric": "energy", "ts": T0, "value": 4.0}]).encode()
    result = post.post(body, "application/json", "test")
    assert result.stored == 0 and "names no 'site'" in result.rejected[0].reason
    assert "EMS_SITE" in result.rejected[0].reason
    assert post.post(body, "application/json", "test").stored == 1  # the store's site, found later
    assert stored(engine, "m1") == [(T0, 4.0)]


def test_nothing_of_an_unreadable_body_is_stored(engine: Engine) -> None:
    post = make(engine)
    with pytest.raises(BadBody, match="not JSON"):
        post.post(b"{nope", "application/json", "g")
    with pytest.raises(BadBody, match="must be a JSON list"):
        post.post(b'{"value": 3}', "application/json", "g")
    with pytest.raises(BadBody, match="lacks meter"):
        post.post(b"time,value\n1,2\n", "text/csv", "g")
    with pytest.raises(UnsupportedFormat, match="not 'application/xml'"):
        post.post(b"<r/>", "application/xml", "g")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Reading)).scalar_one() == 0


def test_a_large_batch_takes_the_vector_path_and_keeps_the_order_of_duplicates(
    engine: Engine,
) -> None:
    post = make(engine)
    readings = [
        {"meter": f"m{i % 5}", "metric": "energy", "ts": T0 - 900 * (i // 5), "value": float(i)}
        for i in range(500)
    ]
    readings.append({"meter": "m0", "metric": "energy", "ts": T0, "value": 999.0})  # later wins
    result = post.post(orjson.dumps(readings), "application/json", "g")
    assert result.stored == 501 and result.rejected == []
    assert stored(engine, "m0")[-1] == (T0, 999.0) and len(stored(engine, "m3")) == 100


def test_a_large_body_of_many_series_is_split_back_by_series_with_its_faults_named(
    engine: Engine,
) -> None:
    """Series spelt in different cases and spaces are one; bad readings among many good ones
    of the same metric are named by index and the others of every series kept, in order."""
    post = make(engine)
    spellings = ["m0", " m0", "m1", "m2 "]
    readings: list[object] = [
        {
            "meter": spellings[i % 4],
            "metric": "Energy" if i % 3 else "energy",
            "ts": T0 - 60 * (i // 4),
            "value": float(i % 17),
        }
        for i in range(400)
    ]
    bad = {37: "high", 150: -5.0, 222: float("nan")}
    for index, value in bad.items():
        readings[index] = {**readings[index], "value": value}  # type: ignore[dict-item]
    readings.append({"meter": "m1", "metric": "energy", "ts": T0, "value": 99.0})  # later wins
    result = post.post(json.dumps(readings).encode(), "application/json", "g")
    assert [r.index for r in result.rejected] == sorted(bad)
    assert result.stored == len(readings) - len(bad)
    expected: dict[str, dict[int, float]] = {"m0": {}, "m1": {}, "m2": {}}
    for index, item in enumerate(readings):
        if index not in bad:
            assert isinstance(item, dict)
            expected[item["meter"].strip()][item["ts"]] = item["value"]
    for meter, values in expected.items():
        assert stored(engine, meter) == sorted(values.items())


def test_posts_into_hours_already_holding_readings_keep_the_rollups_exact(engine: Engine) -> None:
    """Each post's readings are new but fall in quarter-hours, hours and days that already hold
    readings: the rollups equal a pandas aggregation of the stored readings."""
    import pandas as pd

    post = make(engine)
    for start in range(0, 240, 40):  # 6 posts of 40 minutes each, every 2 minutes, 3 meters
        body = [
            {"meter": f"p{k}", "metric": "energy", "ts": T0 - 14_400 + 60 * m, "value": m % 7 + k}
            for m in range(start, start + 40, 2)
            for k in range(3)
        ]
        assert post.post(orjson.dumps(body), None, "g").stored == len(body)
    with engine.connect() as conn:
        ref = catalog.get_site(conn, "plant")
        for k in range(3):
            meter = catalog.resolve_meter(conn, ref.id, f"p{k}")
            sid = catalog.get_series(conn, meter.id, "energy").id
            raw = queries.readings(conn, sid, 0, 2**40)
            for grain in (900, 3600, 86400):
                got = queries.rollups(conn, [sid], grain, 0, 2**40, tz="Europe/Berlin")
                local = raw["ts"] + 3600  # Berlin in November: UTC+1, no change of offset
                frame = pd.DataFrame({"bucket": local // grain * grain - 3600, "v": raw["value"]})
                want = frame.groupby("bucket")["v"].agg(["count", "sum", "min", "max"])
                assert got["sum"].tolist() == pytest.approx(want["sum"].tolist())
                assert got["n"].tolist() == want["count"].tolist()
                assert got["min"].tolist() == want["min"].tolist()
                assert got["max"].tolist() == want["max"].tolist()


@pytest.mark.parametrize("odd", [None, b"", b"{nope", b"  "])
def test_an_ndjson_body_names_its_lines_and_stores_the_rest(
    engine: Engine, odd: bytes | None
) -> None:
    """Lines of readings (with a blank line, a line that is not JSON, or neither): each
    reading is stored, a bad line is named by its number, counting blank lines."""
    post = make(engine)
    lines = [
        orjson.dumps({"meter": f"n{i % 4}", "metric": "energy", "ts": T0 - 60 * i, "value": i})
        for i in range(200)
    ]
    if odd is not None:
        lines.insert(50, odd)
    result = post.post(b"\n".join(lines), "application/x-ndjson", "g")
    assert [(r.index, r.reason) for r in result.rejected] == (
        [(50, "the line is not JSON")] if odd == b"{nope" else []
    )
    assert result.stored == 200
    for k in range(4):
        want = sorted((T0 - 60 * i, float(i)) for i in range(k, 200, 4))
        assert stored(engine, f"n{k}") == want


ODD_CSV_ROWS = [
    (None, False),
    ("{ts}, c1", True),  # short
    ("{ts},c1,energy,,kWh,plant", True),  # no value
    ("{ts},c1,energy,x,kWh,plant", True),  # text for a number
    ("{ts},c1,energy,1.5,,", False),  # no unit, no site: the defaults
]


@pytest.mark.parametrize(("odd_row", "refused"), ODD_CSV_ROWS)
def test_a_csv_body_is_stored_as_pandas_reads_it(
    engine: Engine, odd_row: str | None, refused: bool
) -> None:
    """A CSV of many rows (spaces, a timestamp column, unit and site columns) stores what
    pandas reads from it; a short row, an empty value or a text value is named by its index
    and the other rows are stored the same."""
    import io

    import pandas as pd

    post = make(engine)
    lines = ["Timestamp , meter,metric,value,unit,site"]
    lines += [
        f"{T0 - 300 * (i // 3)}, c{i % 3} ,energy, {i % 11 + 0.25},kWh,plant" for i in range(300)
    ]
    if odd_row is not None:
        lines.insert(120, odd_row.format(ts=T0 - 7))
    result = post.post("\n".join(lines).encode(), "text/csv", "g")
    assert [r.index for r in result.rejected] == ([119] if refused else [])
    kept = lines[:120] + lines[121:] if refused else lines
    frame = pd.read_csv(io.StringIO("\n".join(kept)))
    frame.columns = [c.strip().lower() for c in frame.columns]
    frame["meter"] = frame["meter"].str.strip()
    for meter, rows in frame.groupby("meter"):
        last = rows.drop_duplicates("timestamp", keep="last").sort_values("timestamp")
        want = list(zip(last["timestamp"].tolist(), last["value"].tolist(), strict=True))
        assert stored(engine, str(meter)) == want


# ------------------------------------------------------------------ through the served API


def test_json_ndjson_and_csv_bodies_through_the_api(served: Served) -> None:
    import time

    now = int(time.time())
    ndjson = "\n".join(
        [
            json.dumps({"meter": "gw-nd", "metric": "energy", "ts": now - 1800, "value": 1.25}),
            "",
            "not json",
            json.dumps(
                {"meter": "gw-nd", "metric": "energy", "timestamp": now - 900, "value": 2.5}
            ),
        ]
    )
    csv = (
        "meter,metric,timestamp,value,unit\n"
        f"gw-csv,energy,{datetime.fromtimestamp(now - 900, UTC).isoformat()},3.5,kWh\n"
        "gw-csv,energy,2026-13-01T00:00:00Z,1,kWh\n"
    )
    with served.client("operator") as client:
        as_json = client.post(
            "/api/v1/readings",
            json={
                "readings": [
                    {"meter": "gw-json", "metric": "energy", "ts": now - 900, "value": 9.0}
                ]
            },
        )
        as_nd = client.post(
            "/api/v1/readings", content=ndjson, headers={"Content-Type": "application/x-ndjson"}
        )
        as_csv = client.post("/api/v1/readings", content=csv, headers={"Content-Type": "text/csv"})
        all_bad = client.post(
            "/api/v1/readings",
            json=[{"meter": "gw-json", "metric": "energy", "ts": "x", "value": 1}],
        )
        unreadable = client.post(
            "/api/v1/readings", content=b"[1, 2", headers={"Content-Type": "application/json"}
        )
        xml = client.post(
            "/api/v1/readings", content=b"<r/>", headers={"Content-Type": "application/xml"}
        )
    assert as_json.json() == {"received": 1, "stored": 1, "rejected": []}
    assert as_nd.json()["stored"] == 2 and as_nd.json()["rejected"] == [
        {"index": 2, "reason": "the line is not JSON"}
    ]
    assert as_csv.json()["stored"] == 1 and as_csv.json()["rejected"][0]["index"] == 1
    assert all_bad.status_code == 422 and all_bad.json()["stored"] == 0
    assert unreadable.status_code == 400 and unreadable.json()["error"] == "BadBody"
    assert xml.status_code == 415
    site = served.app.require_site().name  # readings naming no site: the store's only one
    assert stored(served.app.engine, "gw-nd", site=site) == [(now - 1800, 1.25), (now - 900, 2.5)]


def _request_counts(client: httpx.Client) -> dict[tuple[str, str, str], float]:
    from prometheus_client.parser import text_string_to_metric_families

    text = client.get("/api/v1/metrics").text
    family = next(f for f in text_string_to_metric_families(text) if f.name == "ems_api_requests")
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for s in family.samples
        if s.name == "ems_api_requests_total"
    }


def test_the_metrics_count_each_request_by_route_and_status(served: Served) -> None:
    import time

    good = [{"meter": "gw-metrics", "metric": "energy", "ts": int(time.time()) - 900, "value": 1}]
    bad = [{**good[0], "ts": "x"}]
    with served.client("operator") as client:
        before = _request_counts(client)
        sent = [
            client.post("/api/v1/readings", json=good),
            client.post("/api/v1/readings", json=good),
            client.post("/api/v1/readings", json=bad),
            client.post("/api/v1/readings", content=b"[1", headers={"Content-Type": "text/csv"}),
            client.get("/api/v1/no-such-route"),
        ]
        after = _request_counts(client)
    expected: Counter[tuple[str, str, str]] = Counter(
        (
            r.request.method,
            "unmatched" if "no-such" in r.request.url.path else "/readings",
            str(r.status_code),
        )
        for r in sent
    )
    expected[("GET", "/metrics", "200")] += 1  # the first look at the metrics
    grown = {key: after[key] - before.get(key, 0) for key in after}
    assert {key: n for key, n in grown.items() if n} == expected
    assert {status for _, _, status in expected} == {"200", "422", "400", "404"}
