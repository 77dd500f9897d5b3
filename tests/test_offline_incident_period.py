"""An incident question after a question about a period: asked in the past tense ("how many
incidents were there?") it is of that period; asked of the present ("still open?") it is of
today. The incidents are written to the store (SQLite and PostgreSQL) and counted here."""

from __future__ import annotations

import re
from datetime import datetime

import store.incidents as incidents
from store import catalog
from tests.test_offline_any_plant import ZONE, brewery  # noqa: F401

# (meter, start): two incidents in September, one in October; all still open
WRITTEN = (
    ("Pump K1", "2026-09-10T08:00"),
    ("Steam Raiser", "2026-09-22T05:00"),
    ("Pump K2", "2026-10-13T14:00"),
)


def write_incidents(agent) -> None:
    engine = agent.contexts.engine
    with engine.begin() as conn:
        site = catalog.get_site(conn, "brewery")
        for meter, start in WRITTEN:
            meter_id = catalog.resolve_meter(conn, site.id, meter).id
            ts = int(datetime.fromisoformat(start).replace(tzinfo=ZONE).timestamp())
            incidents.insert_incident(
                conn,
                site.id,
                incidents.NewIncident(
                    meter_id, "consumption_high", "warning", ts, ts + 7200,
                    f"{meter}: consumption above expected", f"{meter}:{ts}",
                ),
            )  # fmt: skip


def listed(answer: str) -> set[int]:
    return {int(n) for n in re.findall(r"#(\d+)\b", answer)}


def test_a_past_tense_incident_question_keeps_the_period_under_discussion(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    write_incidents(agent)
    first = agent.ask("how much did Pump K1 use in September?")
    reply = agent.ask("how many incidents were there?", thread=first.thread)
    in_september = {i + 1 for i, (_, start) in enumerate(WRITTEN) if start.startswith("2026-09")}
    assert [c.args.get("period") for c in reply.tool_calls] == ["2026-09"], reply.answer
    assert listed(reply.answer) == in_september, reply.answer
    assert f"{len(in_september)} incident" in reply.answer
    assert "Sep 2026" in reply.answer


def test_an_incident_question_of_the_present_state_is_of_today(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    write_incidents(agent)
    first = agent.ask("how much did Pump K1 use in September?")
    reply = agent.ask("any incidents still open?", thread=first.thread)
    assert [c.args.get("period") for c in reply.tool_calls] == [None], reply.answer
    assert listed(reply.answer) == set(range(1, len(WRITTEN) + 1)), reply.answer
