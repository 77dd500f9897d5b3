"""A total over a period with readings missing says how many of the expected readings it has
and how many are missing ("29 of 31"), not a share alone: on a meter read once a day, that is
the days without a reading."""

from __future__ import annotations

from agent.render.metrics import QueryRenderer
from tools.query import MeterValue, QueryResult


def test_a_total_with_readings_missing_says_how_many() -> None:
    # a hand-made month of a meter read daily: 29 of 31 days with a reading
    daily = [410.0] * 29
    result = QueryResult(
        metric="energy", unit="kWh", statistic="sum", grain="total",
        period={"start": "2026-08-01T00:00:00+02:00", "end": "2026-09-01T00:00:00+02:00",
                "label": "2026-08"},
        totals=[MeterValue(meter="Annex", value=sum(daily), readings=len(daily),
                           expected_readings=31, coverage=len(daily) / 31)],
        points=[], source="store rollups",
    )  # fmt: skip
    text = "\n".join(QueryRenderer().answer(result))
    assert "29 of 31 expected readings" in text and "2 missing" in text, text
    assert f"{sum(daily):,.0f} kWh" in text, text
