"""Parameters a user states are read, with their units, so that an answer uses and echoes them:
emission factors, prices and time-of-use windows, demand windows and charges, thresholds with
durations and windows, hours of the day, forecast horizons, counts, numbered objects, notes."""

from __future__ import annotations

from datetime import time

import pytest
import yaml

from agent.reader import Intent, read
from agent.reader.lexicon import LEXICON_FILE, parse_lexicon
from agent.reader.slots import Comparison, Grain, Kpi
from tests.reader_plants import NOW, PLANTS

WERK = PLANTS["werk"]


@pytest.mark.parametrize(
    ("text", "kg_per_kwh", "assumed"),
    [
        ("carbon of Linie 2 last month using an emission factor of 0.35 kg/kWh", 0.35, False),
        ("carbon of Linie 2 last month at 350 g CO2e per kWh", 0.35, False),
        ("carbon of Linie 2 last month with 0.4 t/MWh", 0.4, False),
        ("carbon of Linie 2 last month, emission factor 0.3", 0.3, True),
    ],
)
def test_a_stated_emission_factor_is_read_in_kg_per_kwh(
    text: str, kg_per_kwh: float, assumed: bool
) -> None:
    r = read(text, WERK, NOW)
    (factor,) = r.emission_factors
    assert factor.kg_per_kwh == pytest.approx(kg_per_kwh)
    assert factor.unit_assumed is assumed
    assert r.kpi == "carbon"
    assert not r.unused


@pytest.mark.parametrize(
    ("text", "kwh_per_m3", "said", "labelled"),
    [
        ("Gaskessel last month in kWh, we use 10,83 kWh per m³", 10.83, "10,83 kWh per m³", False),
        ("Gaskessel last month at 10.5 kWh/m3", 10.5, "10.5 kWh/m3", False),
        (
            "Gaskessel energy in October, calorific value 38 MJ/m3",
            38 / 3.6,
            "calorific value",
            True,
        ),
        ("Kessel im Oktober, Brennwert 11,2 kWh pro Nm3", 11.2, "Brennwert 11,2 kWh pro Nm3", True),
        ("Gaskessel in October, CV: 10.6 kWh/m3", 10.6, "CV: 10.6 kWh/m3", True),
        ("Gaskessel em outubro, poder calorífico de 10,83 kWh/m³", 10.83, "poder calorífico", True),
    ],
)
def test_a_stated_calorific_value_is_read_in_kwh_per_m3(
    text: str, kwh_per_m3: float, said: str, labelled: bool
) -> None:
    r = read(text, WERK, NOW)
    (value,) = r.calorific_values
    assert value.kwh_per_m3 == pytest.approx(kwh_per_m3)
    assert value.words.text.startswith(said)
    assert value.labelled is labelled
    assert not [u for u in r.unused if any(ch.isdigit() for ch in u.text)], r.unused


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("alert me when Kompressor Nord goes above 0.12 kWh/m3", 0.12),
        ("alert me when Kompressor Nord goes over 0,11 kWh per cubic metre", 0.11),
        ("alarm if Pumpe 2 exceeds 0.5 kWh per m³", 0.5),
        ("alert me when Kompressor Nord is above 0.36 MJ/m3", 0.1),
    ],
)
def test_kwh_per_m3_after_a_comparison_is_a_specific_energy_threshold(
    text: str, value: float
) -> None:
    """Energy per m³ of air or water is no calorific value: its threshold keeps its unit."""
    r = read(text, WERK, NOW)
    assert r.calorific_values == ()
    (t,) = r.thresholds
    assert (t.comparison, t.value, t.unit) == (Comparison.ABOVE, pytest.approx(value), "kWh/m3")
    assert "m3" in t.words.text or "m³" in t.words.text or "cubic" in t.words.text
    assert not r.unused, r.unused


def test_the_words_labelling_a_calorific_value_are_lexicon_data() -> None:
    """A lexicon without the labels reads "Brennwert 11,2 kWh/m3" as an unlabelled amount."""
    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    data["calorific_value_labels"] = "wobbe"
    lexicon = parse_lexicon(data)
    r = read("Gaskessel im Oktober, Brennwert 11,2 kWh/m3", WERK, NOW, lexicon=lexicon)
    assert [(v.kwh_per_m3, v.labelled) for v in r.calorific_values] == [(11.2, False)]
    r = read("Gaskessel im Oktober, wobbe 11,2 kWh/m3", WERK, NOW, lexicon=lexicon)
    assert [(v.words.text, v.labelled) for v in r.calorific_values] == [("wobbe 11,2 kWh/m3", True)]


def test_a_calorific_value_of_zero_is_not_read_and_is_left_unused() -> None:
    r = read("Gaskessel last month at 0 kWh/m3", WERK, NOW)
    assert not r.calorific_values
    assert any("0" in u.text for u in r.unused), r.unused


def test_the_carrier_of_a_factor_is_read_when_named() -> None:
    r = read("gas emissions in Q3 with a gas factor of 0.201 kg/kWh", WERK, NOW)
    assert [(f.kg_per_kwh, f.carrier) for f in r.emission_factors] == [(0.201, "gas")]


@pytest.mark.parametrize(
    ("text", "price", "currency"),
    [
        ("cost of Linie 3 last week at 0.28 €/kWh", 0.28, "EUR"),
        ("cost of Linie 3 last week at 28 ct/kWh", 0.28, None),
        ("cost of Linie 3 last week at $0.12 per kWh", 0.12, "USD"),
        ("cost of Linie 3 last week at 120 EUR/MWh", 0.12, "EUR"),
        ("cost of Linie 3 last week at a price of 0,19", 0.19, None),
        # Three digits after "0," are decimals: no thousands follow a leading zero.
        ("cost of Linie 3 last week at 0,185 €/kWh", 0.185, "EUR"),
    ],
)
def test_a_stated_price_is_read_per_kwh(text: str, price: float, currency: str | None) -> None:
    r = read(text, WERK, NOW)
    (p,) = r.prices
    assert (round(p.per_kwh, 6), p.currency) == (price, currency)
    assert r.kpi == "cost"
    assert not r.unused


def test_a_stated_time_of_use_tariff_is_read_as_windows_not_as_a_split() -> None:
    r = read(
        "what would Linie 2 have cost last month with peak 8-20 weekdays at 0.30 "
        "and off-peak 0.12 per kWh?",
        WERK,
        NOW,
    )
    (tou,) = r.tou_windows
    assert (tou.name, tou.days, tou.start, tou.end, tou.price) == (
        "peak",
        (0, 1, 2, 3, 4),
        time(8),
        time(20),
        0.30,
    )
    assert [(p.name, p.per_kwh) for p in r.prices] == [("off-peak", 0.12)]
    assert r.splits == ()  # not a weekday/weekend split
    assert not r.unused


def test_a_demand_charge_and_a_demand_window() -> None:
    r = read(
        "peak 30-minute demand of the main in October with a demand charge of 9.5 €/kW",
        WERK,
        NOW,
    )
    assert [w.minutes for w in r.demand_windows] == [30]
    assert [(c.per_kw, c.currency) for c in r.demand_charges] == [(9.5, "EUR")]
    assert r.kpi == "peak_demand"
    assert not r.unused


@pytest.mark.parametrize(
    "text",
    [
        "cost of Linie 3 in October, flat 0,185 €/kWh + 9,50 €/kW/Monat Leistungspreis",
        "cost of Linie 3 in October at 0.185 EUR/kWh and 9.50 EUR/kW per month demand charge",
    ],
)
def test_a_demand_charge_per_kw_and_month_in_either_language(text: str) -> None:
    r = read(text, WERK, NOW)
    assert [(p.per_kwh, p.currency) for p in r.prices] == [(0.185, "EUR")]
    assert [(c.per_kw, c.currency) for c in r.demand_charges] == [(9.5, "EUR")]
    assert r.kpi == "cost"
    assert not r.unused


@pytest.mark.parametrize(
    ("text", "comparison", "value", "unit", "duration", "window"),
    [
        (
            "alert me when the main is above 500 kW for more than 30 minutes",
            Comparison.ABOVE,
            500.0,
            "kW",
            30.0,
            None,
        ),
        ("tell me if Pumpe 2 goes above 40", Comparison.ABOVE, 40.0, "", None, None),
        ("alert if Pumpe 2 drops below 1,200 kW", Comparison.BELOW, 1200.0, "kW", None, None),
        (
            "notify me if Linie 3 uses more than 3000 kWh in a day",
            Comparison.ABOVE,
            3000.0,
            "kWh",
            None,
            Grain.DAY,
        ),
        ("alert me when the main exceeds 1.1 MW", Comparison.ABOVE, 1100.0, "kW", None, None),
        (
            "warn me when Linie 2's SEC goes over 0,42 kWh/unit",
            Comparison.ABOVE,
            0.42,
            "kWh/unit",
            None,
            None,
        ),
        (
            "alert me if the main stays at least 800 kW for 2 hours",
            Comparison.AT_LEAST,
            800.0,
            "kW",
            120.0,
            None,
        ),
        (
            # the duration apart from the level, with a comparison word of its own
            "set up an alarm at 520 kW on Linie 2 (15-min demand, only when it stays above for "
            "more than 30 minutes)",
            Comparison.ABOVE,
            520.0,
            "kW",
            30.0,
            None,
        ),
        (
            "Avise no #energia se o SEC da Linie 2 passar de 0,30 kWh por caixa, por dia.",
            Comparison.ABOVE,
            0.30,
            "kWh/unit",
            None,
            Grain.DAY,
        ),
        (
            "alert me when Linie 3 goes over 90 kW, but only if it lasts more than 2 hours",
            Comparison.ABOVE,
            90.0,
            "kW",
            120.0,
            None,
        ),
    ],
)
def test_a_threshold_keeps_its_comparison_unit_duration_and_window(
    text: str,
    comparison: Comparison,
    value: float,
    unit: str,
    duration: float | None,
    window: Grain | None,
) -> None:
    r = read(text, WERK, NOW)
    (t,) = r.thresholds
    assert (t.comparison, t.value, t.unit, t.duration_min, t.window) == (
        comparison,
        pytest.approx(value),
        unit,
        duration,
        window,
    )
    assert r.intent is Intent.ALERT_CREATE
    assert not r.unused


def test_a_meters_number_is_never_a_threshold() -> None:
    r = read("alert me when Pumpe 2 goes above 40", WERK, NOW)
    assert r.meter_names == ("Pumpe 2",)
    assert [t.value for t in r.thresholds] == [40.0]


def test_more_than_a_period_is_a_comparison_not_a_threshold() -> None:
    r = read("did Linie 2 use more than last week?", WERK, NOW)
    assert r.thresholds == ()
    assert {"more", "compare"} <= {o.value for o in r.ops}


@pytest.mark.parametrize(
    ("text", "start", "end", "assumed"),
    [
        ("Linie 3 overnight 22:00-06:00 last week", time(22), time(6), False),
        ("Linie 3 between 8pm and 6am last week", time(20), time(6), False),
        ("Linie 3 from 06:30 to 14:00 yesterday", time(6, 30), time(14), False),
        ("Linie 3 at night last week", time(22), time(6), True),
        ("Linie 3 on 14 October between 06:00 and 14:00", time(6), time(14), False),
        ("Linie 3 Monday morning", time(6), time(12), True),
        ("Linie 3 between midnight and 5am on weekdays in September", time(0), time(5), False),
        ("Linie 3 from 10pm to midnight last week", time(22), time(0), False),
        ("Linie 3 between noon and 14:00 yesterday", time(12), time(14), False),
    ],
)
def test_hours_of_the_day(text: str, start: time, end: time, assumed: bool) -> None:
    r = read(text, WERK, NOW)
    (w,) = r.hour_windows
    assert (w.start, w.end, w.assumed) == (start, end, assumed)
    assert len(r.periods) == 1  # the hours are not read as days
    assert not r.unused


@pytest.mark.parametrize(
    ("text", "unused"),
    [
        ("Linie 3 overnight (22:00-06:00) last week, and its average kW in those night hours", []),
        ("Linie 3 from 06:00 to 10:00 yesterday morning", []),
        ("Linie 3 from 06:00 to 10:00 yesterday, and in the evening", ["evening"]),
    ],
)
def test_a_part_of_the_day_beside_stated_hours(text: str, unused: list[str]) -> None:
    """A part of the day that shares the stated hours names them; one that does not is a
    second window the answer cannot give, so it is said to be unused."""
    r = read(text, WERK, NOW)
    assert len(r.hour_windows) == 1
    assert [u.text for u in r.unused] == unused


def test_a_greeting_is_not_a_part_of_the_day() -> None:
    r = read("good morning! what did Linie 2 use yesterday?", WERK, NOW)
    assert r.hour_windows == () and not r.unused


def test_a_shift_named_like_a_part_of_the_day_is_the_shift() -> None:
    r = read("Linie 2 energy during the Nacht shift last week", WERK, NOW)
    assert r.hour_windows == ()
    assert [(s.split.value, s.part) for s in r.splits] == [("shift", "nacht")]


def test_a_flat_price() -> None:
    r = read("how much cheaper would last month have been at 0.19 €/kWh flat?", WERK, NOW)
    assert [(p.per_kwh, p.currency, p.name) for p in r.prices] == [(0.19, "EUR", "flat")]
    assert r.kpi == "cost" and "difference" in {o.value for o in r.ops}
    assert not r.unused


def test_named_hours_without_a_price_are_hours_not_a_tariff() -> None:
    r = read("energy of Linie 2 in peak hours 8-20 on weekdays last week", WERK, NOW)
    (w,) = r.hour_windows
    assert (w.name, w.start, w.end) == ("peak", time(8), time(20))
    assert r.tou_windows == () and r.kpi == "energy"  # "peak" is not peak demand here
    assert [(s.split.value, s.part) for s in r.splits] == [("weekday_weekend", "weekday")]
    assert not r.unused


def test_a_demand_window_written_as_a_window() -> None:
    r = read("load factor of Linie 3 with a 60 minute demand window", WERK, NOW)
    assert [w.minutes for w in r.demand_windows] == [60]
    assert r.kpi == "load_factor" and not r.unused


def test_a_day_range_is_not_an_hour_window() -> None:
    r = read("Linie 3 from 5 to 11 October", WERK, NOW)
    assert r.hour_windows == ()
    assert len(r.periods) == 1


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("forecast the main for the next 7 days", 168),
        ("forecast the main for the coming 24 hours", 24),
        ("what will the main use tomorrow?", 24),
        ("main forecast next week", 168),
        ("Previsão de consumo da main para os próximos 7 dias?", 168),
        ("previsão da main nas próximas 48 horas", 48),
    ],
)
def test_forecast_horizons(text: str, hours: int) -> None:
    r = read(text, WERK, NOW)
    assert [h.hours for h in r.horizons] == [hours]
    assert r.intent is Intent.FORECAST


@pytest.mark.parametrize(
    ("text", "n"),
    [("top 5 consumers last month", 5), ("the three largest loads in Q3", 3),
     ("which two meters used the most yesterday", 2)],
)  # fmt: skip
def test_how_many_to_list(text: str, n: int) -> None:
    assert [t.n for t in read(text, WERK, NOW).top] == [n]


@pytest.mark.parametrize(
    ("text", "kind", "number", "note"),
    [
        ("resolve incident 4: replaced the leaking coupling", "incident", 4,
         "replaced the leaking coupling"),
        ("acknowledge alert 2 - we found a leak on Kompressor Nord", "alert", 2,
         "we found a leak on Kompressor Nord"),
        ("close alert 4 as resolved, the seal got replaced", "alert", 4,
         "the seal got replaced"),
        ("switch off alert rule 1 for now, it keeps firing during maintenance", "rule", 1,
         "it keeps firing during maintenance"),
    ],
)  # fmt: skip
def test_a_write_keeps_its_note_whole(text: str, kind: str, number: int, note: str) -> None:
    r = read(text, WERK, NOW)
    assert [(x.kind, x.number) for x in r.references] == [(kind, number)]
    free = r.free("note")
    assert free is not None and free.text == note
    assert r.meter_names == ()  # a meter named inside the note is part of the note
    assert not r.unused


def test_a_sql_statement_is_taken_whole() -> None:
    r = read("run this: SELECT meter, count(*) FROM readings WHERE meter = 'Linie 2'", WERK, NOW)
    sql = r.free("sql")
    assert sql is not None
    assert sql.text == "SELECT meter, count(*) FROM readings WHERE meter = 'Linie 2'"
    assert r.meter_names == ()
    assert r.intent is Intent.SQL


def test_a_drop_in_words_is_not_sql() -> None:
    r = read("how big was the drop from jan to feb?", WERK, NOW)
    assert r.free("sql") is None
    assert len(r.periods) == 2


@pytest.mark.parametrize(
    ("text", "rate", "currency", "per"),
    [
        ("cost of Linie 2 last month in US dollars, use 0.92 EUR per USD", 0.92, "EUR", "USD"),
        ("cost of Linie 2 last month in USD (1 USD = 0.92 EUR)", 0.92, "EUR", "USD"),
        ("cost of Linie 2 last month in pounds at 1.17 EUR/GBP", 1.17, "EUR", "GBP"),
        ("cost of Linie 2 last month in dollars, 0,92 EUR to the dollar", 0.92, "EUR", "USD"),
    ],
)
def test_a_stated_exchange_rate_is_read_with_both_currencies(
    text: str, rate: float, currency: str, per: str
) -> None:
    r = read(text, WERK, NOW)
    assert [(x.rate, x.currency, x.per) for x in r.exchange_rates] == [(rate, currency, per)]
    assert not r.unused and not r.prices


def test_a_price_per_kwh_is_no_exchange_rate() -> None:
    r = read("cost of Linie 2 last month at 0.20 EUR per kWh", WERK, NOW)
    assert not r.exchange_rates and [p.per_kwh for p in r.prices] == [0.2]


def test_only_the_demand_charge_at_a_price_per_kw_prices_the_energy_at_nothing() -> None:
    r = read(
        "what would just the demand charge be on October's peak at 11.20 €/kW? Only the demand "
        "charge, not the energy.",
        WERK,
        NOW,
    )
    assert [(c.per_kw, c.currency) for c in r.demand_charges] == [(11.2, "EUR")]
    assert [p.per_kwh for p in r.prices] == [0.0]
    assert r.kpi == "cost"
    assert not r.unused


@pytest.mark.parametrize(
    ("text", "window"),
    [
        # a negation of another noun leaves the night in: the night is what is asked about
        ("Linie 2 energy with no production overnight last week", (time(22), time(6))),
        ("Linie 2 energy without the compressors overnight last week", (time(22), time(6))),
        # a negation of the part of the day itself, or of a day before it, leaves it out
        ("Linie 2 energy last week, no saturday morning", None),
        ("Linie 2 energy last week except the morning", None),
    ],
)
def test_a_negation_leaves_out_only_what_it_stands_before(
    text: str, window: tuple[time, time] | None
) -> None:
    r = read(text, WERK, NOW)
    assert [(w.start, w.end) for w in r.hour_windows] == ([window] if window else [])


def test_one_negation_vocabulary_read_from_the_lexicon_data() -> None:
    """A lexicon's own negation words decide what is left out, not a list in code."""
    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    data["negation"] = {"words": "ohne", "between": "the den"}
    lexicon = parse_lexicon(data)
    kept = read("Linie 2 energy last week without the night", WERK, NOW, lexicon=lexicon)
    dropped = read("Linie 2 energy last week ohne the night", WERK, NOW, lexicon=lexicon)
    assert [(w.start, w.end) for w in kept.hour_windows] == [(time(22), time(6))]
    assert dropped.hour_windows == ()
    assert lexicon.negation_before(["ohne", "den"]) == 0
    assert lexicon.negation_before(["not", "the"]) is None


def test_a_sites_own_tariff_period_names_come_from_its_catalogue() -> None:
    """Werk's catalogue names its periods HT and NT: a price stated for one is a time-of-use
    window of that name; a name no tariff of the site holds is no period."""
    r = read("cost of Linie 2 last week with HT 06-22 on weekdays at 0.31 €/kWh", WERK, NOW)
    assert [(w.name, w.start, w.end, w.price) for w in r.tou_windows] == [
        ("ht", time(6), time(22), 0.31)
    ]
    other = read("cost of Linie 2 last week with QX 06-22 on weekdays at 0.31 €/kWh", WERK, NOW)
    assert other.tou_windows == ()


def test_tariff_period_names_in_every_language_are_lexicon_data() -> None:
    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    data["tariff_period_names"] = {"off_peak": "schwachlasttarif", "other": "hochlasttarif"}
    lexicon = parse_lexicon(data)
    question = "cost of Linie 2 last week with hochlasttarif 06-22 on weekdays at 0.31 €/kWh"
    r = read(question, WERK, NOW, lexicon=lexicon)
    assert [(w.name, w.price) for w in r.tou_windows] == [("hochlasttarif", 0.31)]
    assert read(question, WERK, NOW).tou_windows == ()


@pytest.mark.parametrize("verb", ["use", "using", "assume"])
def test_a_verb_telling_to_take_a_stated_rate_is_no_energy_asked(verb: str) -> None:
    r = read(f"and in US dollars? {verb} 5.35 BRL per USD", PLANTS["werk"], NOW)
    assert [(x.rate, x.currency, x.per) for x in r.exchange_rates] == [(5.35, "BRL", "USD")]
    assert not r.measures and not r.unused


@pytest.mark.parametrize("said", ["fora ponta", "fora de ponta", "fora ponta hours"])
def test_portuguese_off_peak_is_the_off_peak_part(said: str) -> None:
    r = read(f"Linie 3 energy in {said} last week", PLANTS["werk"], NOW)
    assert [s.part for s in r.splits] == ["off-peak"], r.splits
    assert not r.unused


@pytest.mark.parametrize("other", ["otherwise", "at all other hours", "the rest of the time"])
def test_a_price_beside_a_stated_period_for_the_other_hours(other: str) -> None:
    r = read(
        f"Linie 3 cost last week with peak 17:30-20:30 weekdays at EUR 0.30 and EUR 0.12 {other}, "
        "plus EUR 9.50/kW demand",
        PLANTS["werk"],
        NOW,
    )
    assert [(w.start, w.end, w.price) for w in r.tou_windows] == [(time(17, 30), time(20, 30), 0.3)]
    assert [(p.per_kwh, p.name) for p in r.prices] == [(0.12, "off-peak")]
    assert [d.per_kw for d in r.demand_charges] == [9.5]
    assert not r.unused


def test_an_exchange_rate_per_real_and_a_guide_asked_about() -> None:
    r = read("Linie 3 in July, real tariff, at 0,16 EUR per real", WERK, NOW)
    assert [(x.rate, x.currency, x.per) for x in r.exchange_rates] == [(0.16, "EUR", "BRL")]
    assert r.kpis == (Kpi.COST,)  # the tariff named to price with asks the cost
    guide = read("what does the tariff guide say about ratchets?", WERK, NOW)
    assert guide.intent is Intent.KNOWLEDGE


@pytest.mark.parametrize(
    ("text", "peak", "other"),
    [
        (
            "Linie 3 Feb cost with HT 0,27 €/kWh Mo-Fr 07-19 Uhr and NT 0,15 €/kWh otherwise",
            0.27,
            0.15,
        ),
        ("Linie 3 last week: energy cost, HT 0.24 Mon-Fri 08-20, NT 0.16 - total?", 0.24, 0.16),
    ],
)
def test_named_periods_priced_before_their_hours(text: str, peak: float, other: float) -> None:
    """German Hochtarif/Niedertarif (HT/NT) are period names: the price after the name and
    the hours after the price make a window; the other name prices the other hours."""
    r = read(text, WERK, NOW)
    (window,) = r.tou_windows
    assert (window.price, window.days) == (peak, (0, 1, 2, 3, 4))
    assert [p.per_kwh for p in r.prices] == [other]
    assert r.kpi == "cost" and not r.unused


def test_a_currency_asked_with_its_rate_per_the_sites_currency() -> None:
    r = read("Linie 3 cost in February, our tariff, but in USD at 1.08 per euro", WERK, NOW)
    assert [(x.rate, x.currency, x.per) for x in r.exchange_rates] == [(1.08, "USD", "EUR")]
    assert "site_tariff" in r.features() and not r.unused


def test_a_demand_charge_on_the_monthly_peak_of_a_stated_window() -> None:
    r = read(
        "Linie 3 in October at 0.17 €/kWh plus 12 €/kW per month on the monthly 15-min peak",
        WERK,
        NOW,
    )
    assert [(c.per_kw, c.currency) for c in r.demand_charges] == [(12.0, "EUR")]
    assert not r.unused


def test_a_period_named_with_its_hours_is_no_price_of_those_hours() -> None:
    """ "0.28 peak (peak = 07-19 mon-fri)": the whole number after the name is an hour."""
    r = read(
        "at 0.12 offpeak and 0.28 peak (peak = 07-19 mon-fri) what would Linie 3 have cost "
        "last week",
        WERK,
        NOW,
    )
    assert [(w.price, w.days) for w in r.tou_windows] == [(0.28, (0, 1, 2, 3, 4))]
    assert not r.unused
