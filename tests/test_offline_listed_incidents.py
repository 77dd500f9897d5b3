"""One incident of a listing picked out by the words the catalogue has for its meter ("the
boiler one": a word of the meter's description; "the gas one": its carrier) or by its kind
("the spike one"), in the turns after the listing; words that fit several listed incidents
pick none, and an acknowledgement of "it" then goes to the incident picked."""

from __future__ import annotations

from datetime import datetime

import store.incidents as incidents
from store import catalog
from tests.test_offline_any_plant import ZONE, brewery, numbers  # noqa: F401

# (meter, kind, start, end, extra kWh, cost EUR): all open
WRITTEN = (
    ("Pump K1", "consumption_high", "2026-10-20T08:00", "2026-10-22T08:00", 41.5, 7.47),
    ("Steam Raiser", "consumption_high", "2026-10-25T05:00", "2026-10-27T20:00", 980.0, 68.6),
    ("Pump K2", "demand_spike", "2026-10-28T08:30", "2026-10-28T08:45", 35.5, 8.52),
)


def _ts(local: str) -> int:
    return int(datetime.fromisoformat(local).replace(tzinfo=ZONE).timestamp())


def write_incidents(agent) -> None:
    with agent.contexts.engine.begin() as conn:
        site = catalog.get_site(conn, "brewery")
        for meter, kind, start, end, kwh, cost in WRITTEN:
            meter_id = catalog.resolve_meter(conn, site.id, meter).id
            incidents.insert_incident(
                conn,
                site.id,
                incidents.NewIncident(
                    meter_id, kind, "warning", _ts(start), _ts(end), f"{meter}: {kind}",
                    f"{meter}:{kind}:{start}", extra_kwh=kwh, cost=cost, currency="EUR",
                ),
            )  # fmt: skip


def _calls(reply) -> list[tuple[str, dict]]:
    return [(c.name, c.args) for c in reply.tool_calls]


def test_the_boiler_one_after_a_listing_is_the_incident_on_the_meter_described_so(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    listing = agent.ask("any open incidents?")
    assert [c.name for c in listing.tool_calls] == ["list_incidents"], listing.answer
    boiler = agent.ask(
        "tell me more about the boiler one - how much extra kWh?", thread=listing.thread
    )
    assert _calls(boiler) == [("get_incident", {"incident_id": 2})], boiler.answer
    assert 980.0 in numbers(boiler.answer), boiler.answer
    # two turns after the listing, another one of it, by its kind
    spike = agent.ask("and what did the spike one cost?", thread=listing.thread)
    assert _calls(spike) == [("get_incident", {"incident_id": 3})], spike.answer
    assert 8.52 in numbers(spike.answer), spike.answer


def test_the_gas_one_is_picked_by_its_meter_s_carrier_and_acknowledging_it_goes_there(
    brewery,  # noqa: F811
) -> None:
    agent, _ = brewery
    write_incidents(agent)
    listing = agent.ask("any open incidents?")
    gas = agent.ask("tell me about the gas one", thread=listing.thread)
    assert _calls(gas) == [("get_incident", {"incident_id": 2})], gas.answer
    ack = agent.ask('acknowledge it with the note "burner serviced"', thread=listing.thread)
    assert ack.outcome == "confirm", ack.answer
    assert [p["args"]["incident_id"] for p in ack.pending] == [2], ack.pending


def test_words_that_fit_several_listed_incidents_pick_none(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    write_incidents(agent)
    listing = agent.ask("any open incidents?")
    pump = agent.ask("tell me more about the pump one", thread=listing.thread)
    assert "get_incident" not in [c.name for c in pump.tool_calls], pump.answer
