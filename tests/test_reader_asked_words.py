"""Words of questions the reader places: how a KPI is computed ("does the cost KPI apply a
demand ratchet?") and what is too many are questions for the library; on-site generation where
no meter measures it is a quantity no series measures; "separate times" counts, and "just the
runs, no hysteresis" says how."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agent.reader import Intent, MeterEntry, Op, Reason, build_vocabulary, read

NOW = datetime(2026, 3, 2, 10, 15, tzinfo=ZoneInfo("America/Sao_Paulo"))
MILL = build_vocabulary(
    "moinho-leste",
    [
        MeterEntry("Entrada", "electricity"),
        MeterEntry("Secador 3", "electricity", parent="Entrada"),
        MeterEntry("Queimador", "gas", description="Gas burner of the dryer"),
    ],
)


@pytest.mark.parametrize(
    "said",
    [
        "does the cost KPI apply a demand ratchet?",
        "Queimador short cycling - how many burner starts per hour is too many?",
    ],
)
def test_questions_for_the_library(said: str) -> None:
    r = read(said, MILL, NOW)
    assert r.intent is Intent.KNOWLEDGE, r.scores


def test_generation_no_meter_measures_is_no_series() -> None:
    r = read("how much did our solar panels generate in feb?", MILL, NOW)
    assert [(u.reason, u.words.text) for u in r.unsupported] == [(Reason.NO_SERIES, "solar panels")]


def test_separate_times_count_and_the_runs_are_how() -> None:
    r = read(
        "how many separate times did Secador 3 go above 40 kW in feb? just the runs, no hysteresis",
        MILL,
        NOW,
    )
    assert r.asks(Op.COUNT)
    assert "runs" in r.features()
    assert not r.unused, r.unused
