"""Round H rules of the reader, on sites whose names share nothing with the demo: German and
Portuguese words of peaks, rankings, shares and coverage; a correction that opens with "no,
I meant"; days in brackets restating a period; "last night" and day-and-time ranges as exact
times; clock ranges in every language; a weekend left out; time-of-use prices of the other
hours; incidents asked about by number or by unit after a list or one incident."""

from __future__ import annotations

from datetime import time

import pytest

from agent.reader import Frame, Intent, MeterEntry, build_vocabulary, follow, read
from agent.reader.slots import Kpi, Split
from tests.reader_plants import NOW, PLANTS, check

# Thursday 5 November 2026: last night is 4.11. 22:00 to 5.11. 06:00
HALLE = build_vocabulary(
    "halle-9",
    [
        MeterEntry("Einspeisung", "electricity"),
        MeterEntry("Presse 4", "electricity", parent="Einspeisung"),
        MeterEntry("Ofen", "electricity", parent="Einspeisung"),
        MeterEntry("Kantine", "electricity", parent="Einspeisung"),
    ],
    currency="EUR",
    date_order="dmy",
)
WERK = PLANTS["werk"]


def _periods(question: str, plant: object = HALLE) -> list[str]:
    r = read(question, plant, NOW)  # type: ignore[arg-type]
    return [p.span.period for p in r.periods if p.span]


@pytest.mark.parametrize(
    "question",
    [
        "Presse 4, höchste 15-min-Leistung letzte Woche?",
        "Presse 4 Spitzenleistung am 20.10.?",
        "Presse 4: maior demanda de 15 min semana passada?",
    ],
)
def test_peak_power_in_german_and_portuguese(question: str) -> None:
    r = read(question, HALLE, NOW)
    assert r.kpi is Kpi.PEAK_DEMAND, question
    assert not r.unused, r.unused


def test_german_consumers_are_ranked() -> None:
    r = read("top 3 Stromverbraucher 01.10. bis 31.10.?", HALLE, NOW)
    check(r, {"ops": ["rank"], "top": [3], "unused": []})
    assert _periods("top 3 Stromverbraucher 01.10. bis 31.10.?") == ["2026-10-01..2026-10-31"]


@pytest.mark.parametrize(
    "question",
    [
        "Anteil Ofen am Einspeisung, 01.10.-31.10., in %?",
        "participação do Ofen no Einspeisung em outubro?",
        "share of Ofen in Einspeisung in October",
    ],
)
def test_the_whole_of_a_share_by_each_languages_words(question: str) -> None:
    r = read(question, HALLE, NOW)
    assert r.share_whole() == (("Ofen",), ("Einspeisung",)), question


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Datenabdeckung Presse 4 im Februar?", Intent.COVERAGE),
        ("cobertura de dados da Presse 4 em outubro, %?", Intent.COVERAGE),
        ("what kind of events did the system see in July? just the kinds", Intent.ANOMALY),
    ],
)
def test_coverage_and_event_words(question: str, intent: Intent) -> None:
    r = read(question, HALLE, NOW)
    assert r.intent is intent
    assert not r.unused


def test_a_correction_is_no_refusal_and_bracketed_days_restate_the_period() -> None:
    r = read("no sorry, I meant November so far (01.11.-04.11.) against October", HALLE, NOW)
    assert r.intent is Intent.DATA
    assert r.follows or "follow" in r.features()
    check(
        r,
        {
            "periods": [
                ("2026-11-01", "2026-11-04", "subject"),
                ("2026-10-01", "2026-10-31", "reference"),
            ],
            "unused": [],
        },
    )


@pytest.mark.parametrize(
    ("question", "period"),
    [
        (
            "Einspeisung consumption last night 22:00 to 06:00?",
            "2026-11-04T22:00..2026-11-05T06:00",
        ),
        ("Einspeisung consumption last night?", "2026-11-04T22:00..2026-11-05T06:00"),
        ("Einspeisung last night between 23:00 and 05:00", "2026-11-04T23:00..2026-11-05T05:00"),
        (
            "no, I meant the Friday night, 30.10. 22:00 to 31.10. 06:00",
            "2026-10-30T22:00..2026-10-31T06:00",
        ),
        ("Einspeisung from 28.10. 22:00 to 29.10. 06:00", "2026-10-28T22:00..2026-10-29T06:00"),
    ],
)
def test_nights_and_day_time_ranges_are_exact_times(question: str, period: str) -> None:
    r = read(question, HALLE, NOW)
    assert [p.span.period for p in r.periods if p.span] == [period]
    assert not r.hour_windows, "the hours are the period's, not a window repeated every day"
    assert not r.unused


@pytest.mark.parametrize(
    ("question", "start", "end", "days"),
    [
        ("Presse 4 in October, weekdays only and only between 6 and 22 — kWh?", 6, 22, "weekday"),
        ("Presse 4 em outubro sem fim de semana e só das 6 às 22h?", 6, 22, "weekday"),
        ("Presse 4 in October without the weekend, only between 6 and 22", 6, 22, "weekday"),
        ("Einspeisung semana passada só entre 22h30 e 5h30, kWh?", 22, 5, None),
    ],
)
def test_clock_ranges_and_days_left_out(
    question: str, start: int, end: int, days: str | None
) -> None:
    r = read(question, HALLE, NOW)
    (w,) = r.hour_windows
    assert (w.start.hour, w.end.hour) == (start, end)
    parts = [s.part for s in r.splits if s.split is Split.WEEKDAY_WEEKEND]
    assert parts == ([days] if days else [])
    assert not r.unused


def test_half_hours_written_the_brazilian_way() -> None:
    (w,) = read("Einspeisung last week só entre 22h30 e 5h30", HALLE, NOW).hour_windows
    assert (w.start, w.end) == (time(22, 30), time(5, 30))


@pytest.mark.parametrize(
    ("question", "peak", "other", "demand"),
    [
        (
            "Ofen, 01.10.-31.10.: 0,28 €/kWh Mo-Fr 08-20 Uhr, sonst 0,17, kein Leistungspreis. "
            "Kosten?",
            0.28,
            0.17,
            0.0,
        ),
        (
            "new offer: 0,26 €/kWh Mo-Fr 07-19, else 0,15, plus 11 €/kW on the monthly peak. "
            "October?",
            0.26,
            0.15,
            11.0,
        ),
        (
            "Ofen semana passada: ponta 18h-21h seg-sex a R$ 2,49, fora ponta R$ 0,56, "
            "sem demanda.",
            2.49,
            0.56,
            0.0,
        ),
    ],
)
def test_time_of_use_prices_of_the_other_hours(
    question: str, peak: float, other: float, demand: float
) -> None:
    r = read(question, HALLE, NOW)
    (window,) = r.tou_windows
    assert window.price == pytest.approx(peak)
    assert window.days == (0, 1, 2, 3, 4)
    assert [p.per_kwh for p in r.prices] == [pytest.approx(other)]
    assert [d.per_kw for d in r.demand_charges] == [pytest.approx(demand)]


def test_a_unit_alone_after_one_incident_asks_its_figure() -> None:
    shown = read("incident #1 — how many kWh extra did it cost us?", HALLE, NOW)
    r = follow(read("in euros?", HALLE, NOW), Frame(shown), NOW)
    assert r.intent is Intent.INCIDENT
    assert [(x.kind, x.number) for x in r.references] == [("incident", 1)]


def test_a_bare_number_after_a_list_of_incidents_is_one_of_them() -> None:
    listed = read("quais incidentes estão em aberto agora?", HALLE, NOW)
    assert listed.intent is Intent.INCIDENT
    r = follow(read("quanto custou o #5 até agora?", HALLE, NOW), Frame(listed), NOW)
    assert r.intent is Intent.INCIDENT
    assert [(x.kind, x.number) for x in r.references] == [("incident", 5)]
    assert not r.unused


def test_a_numbered_incident_in_portuguese() -> None:
    r = read("o incidente 4 já foi reconhecido?", HALLE, NOW)
    check(r, {"intent": "incident", "refs": [("incident", 4)], "unused": []})


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("pico da Presse 4 no dia 20/10, horário?", "2026-10-20"),
        ("quanto a fábrica consumiu no feriado de Finados, 02/11?", "2026-11-02"),
        ("Presse 4 on the holiday 02/11?", "2026-11-02"),
        ("Presse 4 semana retrasada", "2026-10-19..2026-10-25"),
    ],
)
def test_portuguese_days(question: str, period: str) -> None:
    r = read(question, HALLE, NOW)
    assert [p.span.period for p in r.periods if p.span] == [period]
    assert not r.unused


def test_a_dismissed_period_is_context_not_dropped() -> None:
    r = read("ok forget august, Presse 4 in July?", HALLE, NOW)
    assert [f.text for f in r.free_text if f.kind == "context"] == ["forget august"]
    assert _periods("ok forget august, Presse 4 in July?") == ["2026-07"]


def test_words_in_brackets_after_a_stated_value_are_its_source() -> None:
    r = read(
        "CO2 of Einspeisung in July with 0,35 kg/kWh "
        "(our supplier's label, not the national factor)",
        HALLE,
        NOW,
    )
    assert [f.kg_per_kwh for f in r.emission_factors] == [pytest.approx(0.35)]
    assert not r.unused
    assert "national factor" in " ".join(f.text for f in r.free_text if f.kind == "context")
    # a meter in the brackets is read, and the brackets are no aside
    kept = read("Einspeisung cost in July at 0,20 €/kWh (without Ofen)", HALLE, NOW)
    assert "Ofen" in kept.meter_names


def test_a_peak_on_hourly_averages_is_a_60_minute_window() -> None:
    r = read("peak of Einspeisung last week on hourly averages (60 min), not 15", HALLE, NOW)
    assert [w.minutes for w in r.demand_windows] == [60]
    assert r.kpi is Kpi.PEAK_DEMAND
    assert not r.unused
