"""HTTP ingestion against the MQTT ingestor's cases: a post stored once however often it is
retried, corrected values replacing old ones, bad readings named by index and kept as dead
letters while the rest are stored, on SQLite and PostgreSQL; and JSON, NDJSON and CSV bodies
through the served API."""

from __future__ import annotations

import json
from datetime import UTC, datetime

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
    site = served.app.settings.site
    assert stored(served.app.engine, "gw-nd", site=site) == [(now - 1800, 1.25), (now - 900, 2.5)]
