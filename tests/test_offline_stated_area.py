"""A floor area the question states, on a plant unlike the demo: the intensity is given when
the area is the catalogue's one it is worked out over (the meter's own, or the site's for its
supplies together), asked back when it is another or when no intensity is asked; a word for
supplies describes the meters named when each is at the top of its tree. Numbers are checked
against pandas over the readings written."""

from __future__ import annotations

from agent.render.text import number
from tests.test_offline_any_plant import brewery, total  # noqa: F401


def test_an_intensity_over_the_catalogues_own_area_is_given(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("kWh per m² of Bottling Hall in September, over its 800 m²?")
    assert [c.args.get("kpi") for c in reply.tool_calls] == ["intensity"], reply.answer
    expected = total(data, "Bottling Hall", "2026-09-01", "2026-09-30") / 800
    assert number(expected, "kWh/m2") in reply.answer, reply.answer


def test_both_supplies_over_the_sites_area_are_one_intensity(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask(
        "site kWh per m2 in September, both supplies (Incomer North + Bottling Hall) over "
        "the site's 6,000 m²"
    )
    assert [c.args.get("kpi") for c in reply.tool_calls] == ["intensity"], reply.answer
    both = sum(
        total(data, m, "2026-09-01", "2026-09-30") for m in ("Incomer North", "Bottling Hall")
    )
    assert number(both / 6000, "kWh/m2") in reply.answer, reply.answer


def test_another_area_or_no_intensity_is_asked_back(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    other = agent.ask("kWh per m² of Bottling Hall in September over 900 m²?")
    assert other.outcome == "clarify" and not other.tool_calls, other.answer
    assert "800 m²" in other.answer and "900 m²" in other.answer, other.answer
    unused = agent.ask("Pump K1 kWh in September over the site's 6000 m2")
    assert unused.outcome == "clarify" and not unused.tool_calls, unused.answer


def test_a_supply_word_for_meters_not_at_the_top_is_not_dropped(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    reply = agent.ask("kWh of both supplies (Pump K1 + Pump K2) in September")
    assert reply.outcome == "clarify" and not reply.tool_calls, reply.answer
    assert "supplies" in reply.answer, reply.answer
