"""Round N's reading rules on a hand-made site: a measure word just before a phrase that fits
several meters' entries, when with it the phrase fits one, says which meter."""

from __future__ import annotations

from agent.reader import MeterEntry, Vocabulary, build_vocabulary, read
from tests.reader_plants import NOW


def _mill() -> Vocabulary:
    meters = [
        MeterEntry("Einspeisung", "electricity"),
        MeterEntry("Verteiler A", "electricity", parent="Einspeisung",
                   description="Distribution board of the production hall"),
        MeterEntry("Verteiler B", "electricity", parent="Einspeisung",
                   description="Distribution board of the offices"),
        MeterEntry("Presse 1", "electricity", parent="Verteiler A"),
    ]  # fmt: skip
    return build_vocabulary("muehle", meters, currency="EUR")


def test_a_measure_word_before_a_shared_word_picks_the_one_meter() -> None:
    r = read("energy of the production board yesterday", _mill(), NOW)
    assert [m.meters for m in r.meters] == [("Verteiler A",)], r.meters
    assert not r.meters[0].ambiguous
    assert all(m.metric != "production" for m in r.measures), r.measures
    assert not r.unsupported, r.unsupported
    shared = read("Presse 1 as a share of the production board yesterday", _mill(), NOW)
    assert {n for m in shared.meters for n in m.meters} == {"Presse 1", "Verteiler A"}


def test_the_shared_word_alone_is_still_asked_back() -> None:
    r = read("energy of the board yesterday", _mill(), NOW)
    assert len(r.meters) == 1 and r.meters[0].ambiguous, r.meters
    assert set(r.meters[0].meters) == {"Verteiler A", "Verteiler B"}


def test_a_production_question_keeps_its_measure() -> None:
    r = read("production of Presse 1 yesterday", _mill(), NOW)
    # no series counts it on this site: a topic it cannot answer, still read, never dropped
    assert [u.topic for u in r.unsupported] == ["production"], r.unsupported


def test_no_peak_on_holidays_after_a_window_skips_the_holidays() -> None:
    r = read(
        "cost of Presse 1 in April at 0.10 EUR/kWh off-peak and 0.30 EUR/kWh in peak "
        "(18-21h Mon-Fri, no peak on holidays)?",
        _mill(),
        NOW,
    )
    assert [w.except_holidays for w in r.tou_windows] == [True], r.tou_windows
    plain = read(
        "cost of Presse 1 in April at 0.10 EUR/kWh off-peak and 0.30 EUR/kWh in peak "
        "(18-21h Mon-Fri)?",
        _mill(),
        NOW,
    )
    assert [w.except_holidays for w in plain.tou_windows] == [False], plain.tou_windows
