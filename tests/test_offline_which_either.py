"""A "which ... more" question naming two meters (or a family of them) and two periods: the noun
after "which" says whether it chooses between the meters or the periods; when it does not, the
question is asked back before any figure. Numbers are checked against pandas over the readings."""

from __future__ import annotations

from tests.test_offline_any_plant import brewery, states, total  # noqa: F401
from tests.test_offline_honesty import no_figure

PUMPS = ("Pump K1", "Pump K2")
LAST_WEEK, WEEK_BEFORE = ("2026-10-05", "2026-10-11"), ("2026-09-28", "2026-10-04")


def test_which_pump_compares_the_pumps_in_each_period(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("which transfer pump used more last week or the week before?")
    assert {c.name for c in reply.tool_calls} == {"compare_meters"}, reply.answer
    assert len(reply.tool_calls) == 2
    for week in (LAST_WEEK, WEEK_BEFORE):
        values = {m: total(data, m, *week) for m in PUMPS}
        winner = max(values, key=lambda m: values[m])
        assert states(reply.answer, abs(values["Pump K1"] - values["Pump K2"]))
        assert f"**{winner}** used" in reply.answer


def test_which_week_compares_the_periods_for_each_pump(brewery) -> None:  # noqa: F811
    agent, data = brewery
    reply = agent.ask("which week did the pumps use more, last week or the week before?")
    assert [c.name for c in reply.tool_calls] == ["compare_periods"], reply.answer
    for m in PUMPS:
        assert states(reply.answer, total(data, m, *LAST_WEEK))
        assert states(reply.answer, total(data, m, *WEEK_BEFORE))


def test_which_with_no_noun_is_asked_back_before_any_figure(brewery) -> None:  # noqa: F811
    agent, _ = brewery
    reply = agent.ask("which used more last week or the week before, Pump K1 or Pump K2?")
    assert reply.outcome == "clarify" and not reply.tool_calls
    assert "which meter" in reply.answer and "which period" in reply.answer
    assert no_figure(reply.answer)
