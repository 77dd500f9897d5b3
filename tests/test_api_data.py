"""The API's answers against independent computations over the raw readings (pandas), its pages,
/ask as JSON and as Server-Sent Events parsed as a client would, and its limits (CORS, body
size, questions per minute)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from sqlalchemy import text

from api.ask import AskLimiter
from api.errors import TooManyRequests
from tests.api_fixtures import NOW, Served, served_fixture, start  # noqa: F401

TZ = "Europe/Berlin"


def raw(served: Served, meter: str, metric: str = "energy") -> pd.DataFrame:
    """The meter's raw readings straight from the table, with local times."""
    query = text(
        "SELECT r.ts, r.value FROM readings r JOIN series s ON s.id = r.series_id "
        "JOIN meters m ON m.id = s.meter_id WHERE m.name = :meter AND s.metric = :metric"
    )
    with served.app.engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query, {"meter": meter, "metric": metric}).all())
    frame["local"] = pd.to_datetime(frame["ts"], unit="s", utc=True).dt.tz_convert(TZ)
    return frame


def week_range() -> tuple[pd.Timestamp, pd.Timestamp]:
    """'last week' at NOW (Thursday 2026-11-05): Monday 26 October to Monday 2 November."""
    return pd.Timestamp("2026-10-26", tz=TZ), pd.Timestamp("2026-11-02", tz=TZ)


def test_a_viewer_reads_daily_rollups_that_match_the_raw_readings(served: Served) -> None:
    with served.client() as client:
        page = client.get(
            "/api/v1/rollups",
            params={"meter": "main-incomer", "grain": "day", "period": "last week"},
        ).json()
    lo, hi = week_range()
    frame = raw(served, "main-incomer")
    frame = frame[(frame["local"] >= lo) & (frame["local"] < hi)]
    daily = frame.groupby(frame["local"].dt.date)["value"].agg(["sum", "count", "max"])
    assert [b["time"][:10] for b in page["buckets"]] == [str(d) for d in daily.index]
    assert [b["sum"] for b in page["buckets"]] == pytest.approx(daily["sum"].tolist())
    assert [b["n"] for b in page["buckets"]] == daily["count"].tolist()
    assert [b["max"] for b in page["buckets"]] == pytest.approx(daily["max"].tolist())
    assert page["next_cursor"] is None and page["unit"] == "kWh"


def test_monthly_rollups_follow_the_calendar_months_of_the_site(served: Served) -> None:
    with served.client() as client:
        page = client.get(
            "/api/v1/rollups",
            params={
                "meter": "chiller",
                "grain": "month",
                "start": "2026-09-01T00:00:00",
                "end": "2026-11-01T00:00:00",
            },
        ).json()
    frame = raw(served, "chiller")
    frame = frame[(frame["local"] >= pd.Timestamp("2026-09-01", tz=TZ))]
    frame = frame[frame["local"] < pd.Timestamp("2026-11-01", tz=TZ)]
    monthly = frame.groupby(frame["local"].dt.month)["value"].sum()
    assert [b["time"][:7] for b in page["buckets"]] == ["2026-09", "2026-10"]
    assert [b["sum"] for b in page["buckets"]] == pytest.approx(monthly.tolist())


def test_readings_come_a_page_at_a_time_until_the_cursor_runs_out(served: Served) -> None:
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    with served.client() as client:
        while True:
            params = {"meter": "compressor-1", "period": "yesterday", "limit": 40}
            if cursor is not None:
                params["cursor"] = cursor
            page = client.get("/api/v1/readings", params=params).json()
            seen += page["readings"]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
    frame = raw(served, "compressor-1")
    day = frame[frame["local"].dt.date.astype(str) == "2026-11-04"].sort_values("ts")
    assert [r["ts"] for r in seen] == day["ts"].tolist()
    assert [r["value"] for r in seen] == pytest.approx(day["value"].tolist())
    assert pages == -(-len(day) // 40) + (1 if len(day) % 40 == 0 else 0)


def test_a_kpi_through_its_tool_endpoint_matches_pandas(served: Served) -> None:
    with served.client() as client:
        answer = client.post(
            "/api/v1/tools/compute_kpi",
            json={"kpi": "energy", "meter": "main-incomer", "period": "last week"},
        )
    lo, hi = week_range()
    frame = raw(served, "main-incomer")
    expected = frame[(frame["local"] >= lo) & (frame["local"] < hi)]["value"].sum()
    assert answer.status_code == 200
    assert answer.json()["value"] == pytest.approx(expected) and answer.json()["unit"] == "kWh"


def test_tool_errors_name_what_was_wrong(served: Served) -> None:
    with served.client() as client:
        unknown = client.post(
            "/api/v1/tools/compute_kpi",
            json={"kpi": "energy", "meter": "no-such-meter", "period": "last week"},
        )
        extra = client.post("/api/v1/tools/query_metric", json={"period": "x", "colour": 1})
        period = client.get(
            "/api/v1/rollups", params={"meter": "main-incomer", "period": "the other day"}
        )
    assert unknown.status_code == 404 and unknown.json()["error"] == "UnknownMeter"
    assert extra.status_code == 422 and any(
        p["loc"][-1] == "colour" for p in extra.json()["detail"]
    )
    assert period.status_code == 422 and period.json()["error"] == "InvalidPeriod"


def test_an_operator_writes_through_the_api_at_once_without_a_confirmation(served: Served) -> None:
    rule = {
        "meter": "chiller",
        "target": "demand",
        "condition": ">",
        "threshold": 900,
        "unit": "kW",
    }
    with served.client("operator") as client:
        made = client.post("/api/v1/alert-rules", json=rule)
        listed = client.get("/api/v1/alert-rules").json()["rules"]
        changed = client.patch(f"/api/v1/alert-rules/{made.json()['id']}", json={"threshold": 950})
        deleted = client.delete(f"/api/v1/alert-rules/{made.json()['id']}")
    assert made.status_code == 201 and made.json()["threshold"] == 900
    assert [r["id"] for r in listed if r["meter"] == "chiller"] == [made.json()["id"]]
    assert [r["threshold"] for r in changed.json()["rules"] if r["id"] == made.json()["id"]] == [
        950
    ]
    assert all(r["id"] != made.json()["id"] for r in deleted.json()["rules"])


# ------------------------------------------------------------------ /ask


def sse_events(body: str) -> list[tuple[str, Any]]:
    """Events as an EventSource client reads them: blank-line separated, `event:` and `data:`."""
    events = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        name, data = "message", []
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            if field == "event":
                name = value.strip()
            elif field == "data":
                data.append(value[1:] if value.startswith(" ") else value)
        events.append((name, json.loads("\n".join(data))))
    return events


def test_ask_streams_tool_calls_then_the_reply_and_follows_up_in_its_thread(
    served: Served,
) -> None:
    with served.client() as client:
        first = client.post(
            "/api/v1/ask", json={"question": "What was the site's peak demand last week?"}
        )
        with client.stream(
            "POST",
            "/api/v1/ask",
            json={"question": "and the week before?", "thread": first.json()["thread"]},
            headers={"Accept": "text/event-stream"},
        ) as streamed:
            kind = streamed.headers["content-type"]
            events = sse_events("".join(streamed.iter_text()))
    assert first.status_code == 200 and first.json()["outcome"] == "answer"
    assert first.json()["tool_calls"][0]["args"]["period"] == "last week"
    assert kind.startswith("text/event-stream")
    names = [name for name, _ in events]
    assert names[-1] == "reply" and "tool_call" in names
    assert names.index("tool_call") < names.index("reply")
    call = next(data for name, data in events if name == "tool_call")
    reply = events[-1][1]
    assert reply["thread"] == first.json()["thread"]
    assert call == reply["tool_calls"][0]
    # The follow-up kept the meter and KPI of the first question and moved the week back.
    assert (
        call["name"] == "compute_kpi"
        and call["args"]["meter"] == first.json()["tool_calls"][0]["args"]["meter"]
    )
    assert call["args"]["period"] != "last week"
    tokens = "".join(data["text"] for name, data in events if name == "token")
    assert tokens.strip() in ("", reply["answer"].strip()) or reply["answer"].startswith(
        tokens[:20]
    )


def test_threads_are_kept_per_token(served: Served) -> None:
    with served.client("viewer") as client:
        mine = client.post(
            "/api/v1/ask", json={"question": "What was the chiller's energy last week?"}
        )
    with served.client("operator") as client:
        theirs = client.post(
            "/api/v1/ask",
            json={"question": "and the week before?", "thread": mine.json()["thread"]},
        )
    # The operator's token has no such conversation: the follow-up has nothing to follow.
    assert not any(c["args"].get("meter") == "chiller" for c in theirs.json()["tool_calls"])


def test_the_question_limit_counts_per_token_over_a_sliding_minute() -> None:
    limiter = AskLimiter(per_minute=2)
    limiter.check("a", now=0.0)
    limiter.check("a", now=10.0)
    limiter.check("b", now=10.0)  # another token has its own count
    with pytest.raises(TooManyRequests, match="ask again in 41 s") as refused:
        limiter.check("a", now=20.0)
    assert refused.value.retry_after == 41
    limiter.check("a", now=60.5)  # the first question has left the window


def test_too_many_questions_get_429_with_retry_after(tmp_path: Path, demo_template: Path) -> None:
    database = tmp_path / "demo.db"
    shutil.copyfile(demo_template, database)
    running = start(
        tmp_path / "home",
        database,
        ask_per_minute=1,
        cors_origins=("https://grafana.example",),
        max_body_bytes=2000,
    )
    try:
        with running.client() as client:
            limited = (
                client.post("/api/v1/ask", json={"question": "a"}),
                client.post("/api/v1/ask", json={"question": "b"}),
            )
            big = client.post("/api/v1/readings", content=b"[" + b" " * 3000 + b"]")
            preflight = client.options(
                "/api/v1/sites",
                headers={
                    "Origin": "https://grafana.example",
                    "Access-Control-Request-Method": "GET",
                },
            )
    finally:
        running.handle.close()
    assert limited[0].status_code == 200
    assert limited[1].status_code == 429 and int(limited[1].headers["retry-after"]) > 0
    assert big.status_code == 413
    assert preflight.headers["access-control-allow-origin"] == "https://grafana.example"


def test_cors_is_off_by_default(served: Served) -> None:
    with served.client() as client:
        answer = client.get("/api/v1/sites", headers={"Origin": "https://elsewhere.example"})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


def test_the_docs_and_schema_are_served(served: Served) -> None:
    with httpx.Client(base_url=served.url) as client:
        schema = client.get("/api/openapi.json").json()
        docs = client.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    kpi = schema["paths"]["/api/v1/tools/compute_kpi"]["post"]
    ref = kpi["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/KpiInput") and "bearer" in json.dumps(schema["components"]).lower()


def test_an_empty_store_has_no_site_and_the_api_says_how_to_load_data(tmp_path: Path) -> None:
    from store.engine import make_engine
    from store.migrate import upgrade

    database = tmp_path / "empty.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    running = start(tmp_path / "home", database)
    try:
        with running.client("viewer") as client:
            health = client.get("/api/v1/health")
            meters = client.get("/api/v1/meters")
            elsewhere = client.get("/api/v1/meters", params={"site": "west"})
    finally:
        running.handle.close()
        running.app.engine.dispose()
    assert health.status_code == 200 and health.json()["site"] is None
    assert meters.status_code == 422 and meters.json()["error"] == "NoSite"
    assert "ems-agent import-csv FILE --site NAME" in meters.json()["detail"]
    assert elsewhere.status_code == 404 and "no site named 'west'" in elsewhere.json()["detail"]
