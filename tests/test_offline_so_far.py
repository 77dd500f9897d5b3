"""A running period compared with a whole one: both are cut to the time elapsed, for every
period word the tools cut at now (tools.periods.RUNNING) and for no other."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agent.offline.asked_periods import so_far
from agent.reader.slots import TimeSpan

NOW = datetime(2026, 5, 13, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Wednesday


@pytest.mark.parametrize(
    ("running", "whole", "cut"),
    [
        (
            "today",
            "yesterday",
            ("2026-05-13T00:00..2026-05-13T12:00", "2026-05-12T00:00..2026-05-12T12:00"),
        ),
        (
            "this week",
            "last week",
            ("2026-05-11T00:00..2026-05-13T12:00", "2026-05-04T00:00..2026-05-06T12:00"),
        ),
        (
            "this month",
            "last month",
            ("2026-05-01T00:00..2026-05-13T12:00", "2026-04-01T00:00..2026-04-13T12:00"),
        ),
        (
            "this quarter",
            "last quarter",
            ("2026-04-01T00:00..2026-05-13T12:00", "2026-01-01T00:00..2026-02-12T12:00"),
        ),
        (
            "this year",
            "last year",
            ("2026-01-01T00:00..2026-05-13T12:00", "2025-01-01T00:00..2025-05-13T12:00"),
        ),
    ],
)
def test_a_running_period_and_its_reference_are_cut_to_the_time_elapsed(
    running: str, whole: str, cut: tuple[str, str]
) -> None:
    first, second, label = so_far(TimeSpan(running, running), TimeSpan(whole, whole), NOW)
    assert (first, second) == cut
    assert label == running.capitalize()


def test_a_whole_period_is_not_cut() -> None:
    span = TimeSpan("last month", "last month")
    assert so_far(span, TimeSpan("last year", "last year"), NOW) == ("last month", "last year", "")


def test_a_period_from_a_date_up_to_now_is_running_too() -> None:
    """ "this month so far" is read as "since 2026-05-01": it ends at now, so it is cut too."""
    since = TimeSpan("since 2026-05-01", "this month so far")
    first, second, label = so_far(since, TimeSpan("2026-04", "April 2026"), NOW)
    assert (first, second) == (
        "2026-05-01T00:00..2026-05-13T12:00",
        "2026-04-01T00:00..2026-04-13T12:00",
    )
    assert label == "This month so far"
