"""Round G rules of the reader, on sites whose names share nothing with the demo: the first word
two meter names share is a family word ("the two verdichters"); a baseline naming the
temperature is driven by it and its period in brackets is the fitting period; "outubro/2025" is
one month; "turno" is a shift word; "consumo de X" asks X's own figure."""

from __future__ import annotations

import pytest

from agent.reader import Intent, MeterEntry, PeriodRole, build_vocabulary, read
from agent.reader.dates import bounds
from agent.reader.slots import Split
from tests.reader_plants import NOW, PLANTS, check

SHED = build_vocabulary(
    "halle-7",
    [
        MeterEntry("Einspeisung", "electricity"),
        MeterEntry("Verdichter AB 11", "electricity", parent="Einspeisung"),
        MeterEntry("Verdichter AB 22", "electricity", parent="Einspeisung"),
        MeterEntry("Presse", "electricity", parent="Einspeisung"),
    ],
    shifts=["Frühschicht", "Spätschicht"],
)


def test_the_first_word_two_names_share_names_both_and_alone_asks_which() -> None:
    both = read("what % of Einspeisung went to the two verdichters last week?", SHED, NOW)
    assert [m.meters for m in both.meters if not m.ambiguous] == [
        ("Einspeisung",),
        ("Verdichter AB 11", "Verdichter AB 22"),
    ]
    assert not both.unused
    one = read("how much did the verdichter use yesterday?", SHED, NOW)
    check(one, {"ambiguous": [["Verdichter AB 11", "Verdichter AB 22"]]})


def test_a_single_name_keeps_its_first_word_to_itself() -> None:
    check(read("presse last week", SHED, NOW), {"meters": ["Presse"], "ambiguous": []})


@pytest.mark.parametrize(
    "said",
    [
        "Kältemaschine baseline on temperature from 01/01/2026 to 31/03/2026, how far above it "
        "was October?",
        "with the Kältemaschine baseline (01/01/2026 to 31/03/2026, temperature), how many kWh "
        "would it expect for October?",
    ],
)
def test_a_baseline_naming_the_temperature_is_driven_by_it(said: str) -> None:
    r = read(said, PLANTS["werk"], NOW)
    assert r.intent is Intent.BASELINE, r.scores
    assert r.metric is None
    assert "weather_driver" in r.features() and "forecast" not in r.features()
    base = [p for p in r.periods if p.role is PeriodRole.BASE]
    assert len(base) == 1 and base[0].span is not None
    assert [d.isoformat() for d in bounds(base[0].span, NOW)] == ["2026-01-01", "2026-03-31"]


def test_a_forecast_without_a_baseline_keeps_its_cue() -> None:
    r = read("how many kWh do you expect the Kältemaschine to use tomorrow?", PLANTS["werk"], NOW)
    assert "forecast" in r.features()


@pytest.mark.parametrize(
    ("said", "first", "last"),
    [
        ("Hauptzähler kWh in outubro/2025?", "2025-10-01", "2025-10-31"),
        ("Hauptzähler kWh in fev-2026?", "2026-02-01", "2026-02-28"),
    ],
)
def test_a_month_and_year_joined_by_a_slash_or_dash_is_one_month(
    said: str, first: str, last: str
) -> None:
    r = read(said, PLANTS["werk"], NOW)
    assert len(r.periods) == 1, [p.words.text for p in r.periods]
    span = r.periods[0].span
    assert span is not None
    assert [d.isoformat() for d in bounds(span, NOW)] == [first, last]


@pytest.mark.parametrize(
    ("said", "split"),
    [
        ("Presse no turno ontem?", (Split.SHIFT, "")),
        ("Presse last week by turno", (Split.SHIFT, "")),
        ("what share of Presse was outside any turno last week?", (Split.SHIFT, "off-shift")),
        ("Presse fora do turno last week", (Split.SHIFT, "off-shift")),
    ],
)
def test_turno_is_a_shift_word(said: str, split: tuple[Split, str]) -> None:
    r = read(said, SHED, NOW)
    assert [(s.split, s.part) for s in r.splits] == [split]
    assert r.metric is None  # "outside" is no temperature here


@pytest.mark.parametrize(
    ("said", "unit"),
    [
        ("Hauptzähler fevereiro em MWh", "MWh"),
        ("emissões do Hauptzähler em janeiro, kg?", "kg"),
        ("Hauptzähler carbon last month in kg", "kg"),
    ],
)
def test_the_unit_wanted_in_portuguese_or_ending_the_question(said: str, unit: str) -> None:
    assert [u.unit for u in read(said, PLANTS["werk"], NOW).units] == [unit]


def test_a_threshold_in_kg_is_no_unit_wanted() -> None:
    r = read("alert when Hauptzähler carbon goes above 500 kg", PLANTS["werk"], NOW)
    assert not r.units and r.thresholds


def test_a_family_word_before_a_members_name_is_that_name() -> None:
    r = read("how much did verdichtr AB 11 use last week?", SHED, NOW)
    check(r, {"meters": ["Verdichter AB 11"], "ambiguous": [], "unused": []})


def test_a_family_word_before_a_name_the_catalogue_lacks_is_that_name() -> None:
    r = read("peak demand of verdichter AB 33 last week?", SHED, NOW)
    check(r, {"meters": [], "ambiguous": [], "unknown": ["verdichter AB 33"]})


def test_a_short_period_said_to_be_the_fit_is_the_baselines() -> None:
    said = "Kältemaschine in March vs a baseline fitted on 13/01/2026 to 20/02/2026, how far above?"
    r = read(said, PLANTS["werk"], NOW)
    base = [p for p in r.periods if p.role is PeriodRole.BASE]
    assert len(base) == 1 and base[0].span is not None
    assert [d.isoformat() for d in bounds(base[0].span, NOW)] == ["2026-01-13", "2026-02-20"]
