"""Round G words of the reader, on a site whose names share nothing with the demo: German
words for the whole site ("das ganze Werk", "die ganze Seite") and for the site's own tariff
("nach unserem Tarif"), "bisher" cutting a running month at now like "so far", "yesterdays",
and "same"/"the other" before a word for two meters ("same Linie", "the other Linie")."""

from __future__ import annotations

from datetime import date

import pytest

from agent.reader import Frame, Kpi, Scope, follow, read
from agent.reader.others import the_other
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


def _after_linie_2(question: str):
    werk = PLANTS["werk"]
    first = read("Linie 2 kWh last week", werk, NOW)
    frame = Frame.after(None, first, subjects=("Linie 2",))
    return follow(the_other(read(question, werk, NOW), frame, werk), frame, NOW, werk)


def test_same_before_a_word_for_two_meters_is_the_one_discussed() -> None:
    r = _after_linie_2("and yesterdays kWh, same Linie")
    assert r.meter_names == ("Linie 2",) and not r.unused, (r.meters, r.unused)
    assert [p.span.period for p in r.periods if p.span] == ["yesterday"]


def test_the_other_before_a_word_for_two_meters_is_the_other_of_them() -> None:
    r = _after_linie_2("the other Linie?")
    assert r.meter_names == ("Linie 3",) and not r.unused, (r.meters, r.unused)
