"""A baseline question read on a plant unlike the demo: the series it names (outdoor
temperature) is what the baseline is fitted on, not a figure asked of its own; the period it
is said to be fitted on is its base, however short, and the months named after "baseline"
before the period compared with it are its base too."""

from __future__ import annotations

import pytest

from agent.reader import Intent, PeriodRole, read
from tests.reader_plants import NOW, werk

VOCAB = werk()


def _roles(text: str) -> list[tuple[str, PeriodRole]]:
    r = read(text, VOCAB, NOW)
    return [(p.words.text, p.role) for p in r.periods]


@pytest.mark.parametrize(
    "text",
    [
        "Fit a baseline of the Kältemaschine's daily energy against outdoor temperature on "
        "April-June 2026 and tell me whether October came in above or below it.",
        "baseline for Linie 3 on outdoor temp, Jan-Jun 2026, then how does October compare?",
        "Kältemaschine in Feb 2026 vs a baseline fitted on 05/11 to 21/12/2025 (vs outdoor "
        "temp) - how many kWh above, and is it outside the uncertainty?",
    ],
)
def test_a_series_named_beside_a_baseline_is_its_driver(text: str) -> None:
    assert read(text, VOCAB, NOW).intent is Intent.BASELINE


def test_the_temperature_alone_is_still_a_figure_asked() -> None:
    assert read("outdoor temperature at Wetterstation in October", VOCAB, NOW).intent is (
        Intent.DATA
    )


def test_a_period_said_to_be_fitted_on_is_the_base_however_short() -> None:
    roles = _roles("Kältemaschine in Feb 2026 vs a baseline fitted on 05/11 to 21/12/2025")
    assert [r for _, r in roles] == [PeriodRole.SUBJECT, PeriodRole.BASE]


def test_months_named_after_the_baseline_before_the_period_compared_are_its_base() -> None:
    roles = _roles(
        "baseline for Linie 3 on outdoor temp, Jan-Jun 2026, then how does October compare?"
    )
    assert [r for _, r in roles] == [PeriodRole.BASE, PeriodRole.SUBJECT]


def test_a_short_period_after_the_baseline_stays_the_one_asked() -> None:
    roles = _roles("baseline deviation of Linie 3 in September, then October")
    assert PeriodRole.BASE not in [r for _, r in roles]
