"""Round K's follow-ups and generic words on plants unlike the demo: nouns of the language
("part", "product", "side") never name a meter by its description; "the rest of the day" after
stated hours is the hours outside them; a KPI hours cannot give, asked of a period of its own,
leaves the hours behind; "same but ..." follows; bare decimals after a stated price are prices;
the site's own emission factor asked by name; Portuguese "a maior", "contra a semana anterior";
a family word after "which" is every meter of it."""

from __future__ import annotations

from datetime import time

from agent.reader import Intent, MeterEntry, Op, PeriodRole, build_vocabulary, read
from agent.reader.dates import bounds
from tests.reader_plants import NOW, thread, werk

VOCAB = werk()  # NOW: Thursday 5 November 2026, 10:00 in Berlin


def _press_plant():  # type: ignore[no-untyped-def]
    """A press line and its counter, described with words of the language ("parts",
    "production")."""
    meters = [
        MeterEntry("Netz", "electricity", description="Grid connection"),
        MeterEntry("Presse 1", "electricity", parent="Netz", production=("Presse 1 Zähler",),
                   description="Press line one: stamping"),
        MeterEntry("Presse 2", "electricity", parent="Netz", production=("Presse 2 Zähler",),
                   description="Press line two: stamping"),
        MeterEntry("Presse 1 Zähler", "production", unit="unit", metrics=("production",),
                   description="Good parts from production of press line one"),
        MeterEntry("Presse 2 Zähler", "production", unit="unit", metrics=("production",),
                   description="Good parts from production of press line two"),
    ]  # fmt: skip
    return build_vocabulary("press-works", meters, currency="EUR")


def test_a_generic_noun_never_names_a_meter_by_its_description() -> None:
    plant = _press_plant()
    r = thread(plant, "Presse 1 energy yesterday 06:00-22:00", "and the night part?")
    assert r.meter_names == ("Presse 1",), r.meters
    assert not r.ambiguous, r.ambiguous
    assert [u.text for u in r.unused] == [], r.unused
    r = read("how does the product work out the demand charge, which window?", plant, NOW)
    assert r.intent is Intent.KNOWLEDGE, r.intent
    assert not r.meters and not r.ambiguous, r.meters


def test_the_rest_of_the_day_after_stated_hours_is_the_hours_outside_them() -> None:
    r = thread(
        VOCAB, "Linie 2 energy yesterday, only counting 06:00-22:00", "and the rest of the day?"
    )
    assert r.intent is Intent.DATA, r.intent
    assert [(w.start, w.end) for w in r.hour_windows] == [(time(22), time(6))], r.hour_windows
    assert r.meter_names == ("Linie 2",)
    assert [bounds(p.span, NOW) for p in r.periods if p.span] == [
        (NOW.date().replace(day=4), NOW.date().replace(day=4))
    ]
    assert not r.horizons and not r.unused, (r.horizons, r.unused)


def test_a_kpi_hours_cannot_give_asked_of_its_own_period_leaves_the_hours_behind() -> None:
    r = thread(VOCAB, "Linie 2 energy yesterday 06:00-22:00", "what was its SEC last week?")
    assert not r.hour_windows, r.hour_windows
    assert r.meter_names == ("Linie 2",)
    # said of no period of its own, the hours stay (and the plan asks back about them)
    r = thread(VOCAB, "Linie 2 energy yesterday 06:00-22:00", "and its SEC?")
    assert r.hour_windows, r


def test_same_but_another_period_follows() -> None:
    r = thread(VOCAB, "peak demand of Linie 3 last week", "same but last month")
    assert r.meter_names == ("Linie 3",)
    assert r.kpi is not None and r.kpi.value == "peak_demand"
    assert next(bounds(p.span, NOW) for p in r.periods if p.span)[0].month == 10
    assert not r.unused, r.unused


def test_bare_decimals_after_a_stated_price_are_prices_in_its_unit() -> None:
    r = thread(
        VOCAB,
        "Linie 2 cost last week at 0.19 EUR/kWh",
        "now with 0.27 from 7 to 19 on weekdays and 0.19 otherwise",
    )
    assert [(w.price, w.start, w.end, w.days) for w in r.tou_windows] == [
        (0.27, time(7), time(19), (0, 1, 2, 3, 4))
    ]
    assert [p.per_kwh for p in r.prices] == [0.19]
    assert r.meter_names == ("Linie 2",) and not r.unused, r.unused
    # with no price before, a bare decimal is not guessed to be one
    r = thread(VOCAB, "Linie 2 cost last week", "now with 0.27 from 7 to 19 on weekdays")
    assert not r.tou_windows and not r.prices


def test_a_window_priced_alone_keeps_the_flat_price_for_the_other_hours() -> None:
    r = thread(
        VOCAB,
        "custo da Linie 2 semana passada a 0,60 EUR/kWh",
        "e com ponta a 2,40 EUR/kWh das 18h às 21h nos dias úteis?",
    )
    assert [(w.price, w.start, w.end, w.days) for w in r.tou_windows] == [
        (2.4, time(18), time(21), (0, 1, 2, 3, 4))
    ]
    assert [p.per_kwh for p in r.prices] == [0.6]


def test_the_sites_own_factor_asked_by_name_drops_the_one_stated_before() -> None:
    first = "Gaskessel CO2 last month using 0.21 kg/kWh"
    assert thread(VOCAB, first, "and the month before?").emission_factors
    for asked in ("and with the factor we have in the system?", "same, catalogue factor"):
        r = thread(VOCAB, first, asked)
        assert not r.emission_factors, (asked, r.emission_factors)
        assert r.kpi is not None and r.kpi.value == "carbon", asked


def test_portuguese_highest_of_the_month_so_far() -> None:
    r = thread(VOCAB, "demanda máxima da Linie 3 ontem", "e a maior do mês até agora?")
    assert Op.MAX in r.ops or (r.kpi is not None and r.kpi.value == "peak_demand")
    assert [p.span.period for p in r.periods if p.span] == ["month to date"]
    assert r.meter_names == ("Linie 3",) and not r.unused, r.unused


def test_portuguese_against_the_week_before_is_the_period_compared_with() -> None:
    r = read("e a Linie 3 contra a semana anterior, em %?", VOCAB, NOW)
    assert [p.role for p in r.periods] == [PeriodRole.REFERENCE], r.periods
    assert r.follows


def test_a_family_word_after_which_is_every_meter_of_it() -> None:
    r = read("anything odd on compressed air this month? which Kompressor?", VOCAB, NOW)
    assert not r.ambiguous, r.ambiguous
    assert {n for m in r.meters for n in m.meters} == {"Kompressor Nord", "Kompressor Süd"}
    r = read("algo estranho na Linie 3 este mês?", VOCAB, NOW)
    assert r.intent is Intent.ANOMALY, r.intent


def test_a_meters_one_in_a_talk_about_incidents_is_its_incident() -> None:
    first = "which incidents did we have in October?"
    r = thread(VOCAB, first, "and the Linie 3 one from this month: extra kWh?")
    assert r.intent is Intent.INCIDENT, r.intent
    assert r.meter_names == ("Linie 3",)
    assert thread(VOCAB, first, "and Linie 3's energy this month?").intent is Intent.DATA
    # after numbers, "the Linie 3 one" is no incident
    r = thread(VOCAB, "Linie 2 energy last week", "and the Linie 3 one from this month?")
    assert r.intent is Intent.DATA, r.intent


def test_its_after_an_aside_on_the_weather_is_the_meter_before_the_aside() -> None:
    turns = ("Linie 3 yesterday, kWh", "and the average outdoor temperature that day?")
    r = thread(VOCAB, *turns, "its peak demand that day and when?")
    assert r.meter_names == ("Linie 3",), r.meters
    r = thread(VOCAB, *turns, "what share of Hauptzähler was it in October?")
    assert r.meter_names[0] == "Linie 3", r.meters
    # the temperature asked again stays the weather's
    r = thread(VOCAB, *turns, "and its average the day before?")
    assert r.metric == "outdoor_temperature", r.measures


def test_now_opening_a_question_asks_no_state_of_incidents() -> None:
    from agent.offline.incidents import state_of

    assert state_of("now the pump one from september: cost?", True) == "all"
    assert state_of("which incidents are there now?", True) == "active"
    assert state_of("e agora, quais estão abertos?", False) == "active"


def test_portuguese_which_used_more_and_by_how_much() -> None:
    r = read("Linie 2 x Linie 3 na semana passada: qual gastou mais e quanto a mais em kWh?",
             VOCAB, NOW)  # fmt: skip
    assert r.meter_names == ("Linie 2", "Linie 3"), r.meters
    assert {Op.COMPARE, Op.MORE, Op.DIFFERENCE} <= r.ops, r.ops
    assert not r.unused, r.unused
    # "2 x 15 min" is no comparison
    assert Op.COMPARE not in read("Linie 2 energy, 2 x 15 min", VOCAB, NOW).ops


def test_a_public_holiday_named_is_its_last_day_up_to_today() -> None:
    meters = [MeterEntry("Linha 9", "electricity")]
    plant = build_vocabulary("usina", meters, country="BR", region="SP")
    cases = {
        "Linha 9 energy on Independence Day?": "2026-09-07",
        "Linha 9 energy on Christmas Day": "2025-12-25",  # this year's is still ahead
        "consumo da Linha 9 na Sexta-feira Santa": "2026-04-03",
        "Linha 9 on Tiradentes day": "2026-04-21",
    }
    for question, day in cases.items():
        r = read(question, plant, NOW)
        assert [p.span.period for p in r.periods if p.span] == [day], (question, r.periods)
        assert not r.unused, (question, r.unused)
    # a site with no country names no holiday
    r = read("Linie 3 energy on Independence Day?", VOCAB, NOW)
    assert not [p for p in r.periods if p.span and p.span.period == "2026-09-07"]


def test_not_counting_in_portuguese_names_no_meter_called_counter() -> None:
    meters = [
        MeterEntry("Entrada", "electricity"),
        MeterEntry("Linha 9", "electricity", parent="Entrada"),
        MeterEntry("Contador Linha 9", "production", unit="unit", metrics=("production",)),
    ]
    plant = build_vocabulary("usina", meters)
    r = read("Entrada semana passada, sem contar o fim de semana", plant, NOW)
    assert r.meter_names == ("Entrada",), r.meters
    assert not r.unused and not r.notes, (r.unused, r.notes)
    assert [(s.split.value, s.part) for s in r.splits] == [("weekday_weekend", "weekday")]
