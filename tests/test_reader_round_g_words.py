"""Round G words of the reader, on a site whose names share nothing with the demo: German
words for the whole site ("das ganze Werk", "die ganze Seite") and for the site's own tariff
("nach unserem Tarif"), and "bisher" cutting a running month at now like "so far"."""

from __future__ import annotations

from datetime import date

import pytest

from agent.reader import Kpi, Scope, read
from tests.reader_plants import NOW, PLANTS


@pytest.mark.parametrize("whole", ["das ganze Werk", "die ganze Seite", "den gesamten Standort"])
def test_german_words_for_the_whole_site_with_our_tariff_leave_nothing_unread(whole) -> None:
    r = read(f"Stromkosten Oktober für {whole}, nach unserem Tarif?", PLANTS["werk"], NOW)
    assert [s.scope for s in r.scopes] == [Scope.SITE], r.scopes
    assert Kpi.COST in r.kpis and "site_tariff" in r.features()
    assert not r.unused and not r.meters, r.unused


@pytest.mark.parametrize("said", ["November bisher?", "November bis jetzt?", "November so far?"])
def test_so_far_in_german_cuts_the_running_month_at_now(said) -> None:
    r = read(f"Hauptzähler {said}", PLANTS["werk"], NOW)  # NOW: Thursday 5 November 2026
    (period,) = r.periods
    assert period.span is not None and period.span.period == "since 2026-11-01", period
    assert period.span.start == date(2026, 11, 1) and period.span.end is None
    assert not r.unused, r.unused
