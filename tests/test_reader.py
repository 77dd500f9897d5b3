"""The question reader, table-driven: for many phrasings, typos, fuzzy names and multi-part
questions, the slots it fills AND the words it reports as unused, on a hand-written catalogue
whose names are nothing like the demo's and on the demo plant. Dates are worked out by hand
from a calendar (Thursday 5 November 2026)."""

from __future__ import annotations

from typing import Any

import pytest

from agent.reader import Intent, UnreadableQuestion, read
from agent.reader.lexicon import parse_lexicon
from tests.reader_plants import NOW, PLANTS, check

W, D = "werk", "demo"

SUBJ = "subject"
OCT_MONTH = ("2026-10-01", "2026-10-31", SUBJ)
CASES: list[tuple[str, str, dict[str, Any]]] = [
    # ------------------------------------------------------------ meters, exact and fuzzy
    (
        W,
        "How much energy did Kompressor Nord use last week?",
        {
            "intent": "data",
            "meters": ["Kompressor Nord"],
            "kpi": "energy",
            "periods": [("2026-10-26", "2026-11-01", "subject")],
            "ops": ["total"],
            "unused": [],
        },
    ),
    (
        W,
        "how much did kompresor nord use lst wk",
        {
            "meters": ["Kompressor Nord"],
            "periods": [("2026-10-26", "2026-11-01", "subject")],
            "unused": [],
        },
    ),
    (
        W,
        "KN energy yesterday",
        {"meters": ["Kompressor Nord"], "periods": [("2026-11-04", "2026-11-04", "subject")]},
    ),
    (W, "kaeltemaschine energy today", {"meters": ["Kältemaschine"], "unused": []}),
    (
        W,
        "Kältemaschine kWh in Oktober",
        {"meters": ["Kältemaschine"], "periods": [("2026-10-01", "2026-10-31", "subject")]},
    ),
    (
        W,
        "ahu 3 east peak demand the week of 12 October",
        {
            "meters": ["AHU-3 east"],
            "kpi": "peak_demand",
            "periods": [("2026-10-12", "2026-10-18", "subject")],
            "unused": [],
        },
    ),
    (W, "Linie zwei yesterday", {"meters": ["Linie 2"], "unused": []}),
    (
        W,
        "compare AHU-3 east and AHU-4 west in September",
        {"meters": ["AHU-3 east", "AHU-4 west"], "ops": ["compare"], "unused": []},
    ),
    (W, "linie 2 and 3 last month", {"meters": ["Linie 2", "Linie 3"], "unused": []}),
    (
        W,
        "both compressors vs last month",
        {"meters": ["Kompressor Nord", "Kompressor Süd"], "ops": ["compare"], "unused": []},
    ),
    (
        W,
        "the kompressor yesterday",
        {"meters": [], "ambiguous": [["Kompressor Nord", "Kompressor Süd"]]},
    ),
    (W, "all kompressors yesterday", {"meters": ["Kompressor Nord", "Kompressor Süd"]}),
    (
        W,
        "druckluft energy in Q3",
        {
            "meters": ["Kompressor Nord", "Kompressor Süd"],
            "periods": [("2026-07-01", "2026-09-30", "subject")],
        },
    ),
    (W, "Linie 5 energy yesterday", {"meters": [], "unknown": ["Linie 5"], "unused": []}),
    (W, "pump 2 goes above 40", {"meters": ["Pumpe 2"], "unknown": []}),
    (W, "pumpe 7 last week", {"meters": [], "unknown": ["pumpe 7"]}),
    (
        D,
        "how much did compresor 1 use in septmber",
        {
            "meters": ["compressor-1"],
            "periods": [("2026-09-01", "2026-09-30", "subject")],
            "corrections": ["september"],
            "unused": [],
        },
    ),
    (D, "compressor two energy this week", {"meters": ["compressor-2"]}),
    (D, "chiler consumption yesterday", {"meters": ["chiller"], "unused": []}),
    (
        D,
        "What did the air compressors consume together last month?",
        {"meters": ["compressor-1", "compressor-2"], "ops": ["total"], "unused": []},
    ),
    (D, "energy of the line yesterday", {"ambiguous": [["line-a", "line-b"]]}),
    (D, "how much gas have we used this month", {"meters": ["boiler"], "unused": []}),
    # ------------------------------------------------------------ measures and operations
    (
        W,
        "what was the power factor of Linie 2 last week?",
        {"meters": ["Linie 2"], "unsupported": [("power factor", "no_series")], "unused": []},
    ),
    (
        W,
        "qual o fator de potência da Linie 2 ontem? recebemos multa de reativo",
        {
            "meters": ["Linie 2"],
            "unsupported": [("power factor", "no_series"), ("reactive power", "no_series")],
        },
    ),
    (
        W,
        "reactive power and energy of Linie 3 yesterday",
        {"unsupported": [("reactive power", "no_series")], "kpi": "energy"},
    ),
    (
        W,
        "average outdoor temperature yesterday",
        {"metric": "outdoor_temperature", "ops": ["average"], "unused": []},
    ),
    (D, "coldest outside temp last week?", {"metric": "outdoor_temperature", "unused": []}),
    (W, "What's the SEC of Linie 2 in September?", {"kpi": "sec", "meters": ["Linie 2"]}),
    (W, "kWh/m2 for the site in Q3", {"kpi": "intensity", "scopes": ["site"], "unused": []}),
    (
        W,
        "tCO2e from the plant's grid electricity in Q2?",
        {"kpi": "carbon", "carriers": ["electricity"], "unused": []},
    ),
    (
        W,
        "which used more, Linie 2 or Linie 3, and by how much",
        {"meters": ["Linie 2", "Linie 3"], "ops": ["which_more", "difference"], "unused": []},
    ),
    (
        W,
        "did Kompressor Nord use more in September or October?",
        {
            "periods": [
                ("2026-09-01", "2026-09-30", "subject"),
                ("2026-10-01", "2026-10-31", "subject"),
            ],
            "ops": ["which_more", "yes_no"],
        },
    ),
    (
        W,
        "what share did the Kältemaschine have of the site last month?",
        {"meters": ["Kältemaschine"], "scopes": ["site"], "ops": ["share"], "unused": []},
    ),
    (
        W,
        "Is the Kältemaschine above its baseline this month, and by how much?",
        {"intent": "baseline", "ops": ["yes_no", "difference"], "unused": []},
    ),
    (
        W,
        "overnight 22:00-06:00 consumption of Linie 3 last week",
        {"meters": ["Linie 3"], "kpi": "energy", "unused": []},
    ),
    (W, "top 5 consumers in October", {"top": [5], "ops": ["rank"], "unused": []}),
    (
        W,
        "Name the three largest electricity users over the past fortnight.",
        {"top": [3], "ops": ["rank"], "periods": [("last 14 days", "", "subject")], "unused": []},
    ),
    (W, "hourly profile of Linie 2 yesterday", {"splits": [("hour_of_day", "")]}),
    (
        W,
        "daily kWh of the Gaskessel in December 2025",
        {"grains": ["day"], "periods": [("2025-12-01", "2025-12-31", "subject")]},
    ),
    (
        W,
        "Spät shift share of Linie 2 last week",
        {"splits": [("shift", "spät")], "ops": ["share"], "unused": []},
    ),
    (
        W,
        "what share of the site's energy fell in peak tariff hours last week?",
        {"splits": [("tou", "peak")], "ops": ["share"], "unused": []},
    ),
    # the site's own name of a tariff period needs no "tariff" beside it; a plain word does
    (
        W,
        "what % of Linie 2's energy fell in NT in september?",
        {"splits": [("tou", "nt")], "ops": ["share"], "unused": []},
    ),
    (W, "peak demand of Linie 2 in September", {"splits": [], "kpi": "peak_demand"}),
    (W, "energy of Linie 2 on weekends in October", {"splits": [("weekday_weekend", "weekend")]}),
    # two weekdays joined are days of every week, not the last Saturday
    (
        W,
        "Linie 2 on sat+sun between 8 and 18h last month",
        {"splits": [("weekday_weekend", "weekend")], "periods": [OCT_MONTH], "unused": []},
    ),
    (
        W,
        "Linie 2 on saturday and sunday in October",
        {"splits": [("weekday_weekend", "weekend")], "periods": [OCT_MONTH], "unused": []},
    ),
    (W, "Linie 2 on saturday", {"splits": [], "periods": [("2026-10-31", "2026-10-31", SUBJ)]}),
    (W, "co2 of Linie 3 yesterday in kg", {"kpi": "carbon", "units": ["kg"], "unused": []}),
    # ------------------------------------------------------------ periods in questions
    (
        W,
        "Linie 2 energy in the first half of 2026",
        {"periods": [("2026-01-01", "2026-06-30", "subject")], "unused": []},
    ),
    (W, "Linie 2 energy H1", {"periods": [("2026-01-01", "2026-06-30", "subject")]}),
    (
        W,
        "Linie 3 energy October 3rd to 9th",
        {"periods": [("2026-10-03", "2026-10-09", "subject")], "unused": []},
    ),
    (W, "Linie 3 energy in the last 10 days", {"periods": [("last 10 days", "", "subject")]}),
    (W, "Linie 3 since Monday", {"periods": [("since 2026-11-02", "", "subject")]}),
    (
        W,
        "Linie 3 energy this month vs the same period last year",
        {
            "periods": [
                ("2026-11-01", "2026-11-05", "subject"),  # the running month ends now
                ("2025-11-01", "2025-11-05", "reference"),
            ],
            "ops": ["compare"],
        },
    ),
    (
        W,
        "Gaskessel November vs November last year",
        {
            "periods": [
                ("2026-11-01", "2026-11-30", "subject"),
                ("2025-11-01", "2025-11-30", "reference"),
            ],
            "unused": [],
        },
    ),
    (W, "Gaskessel energy YTD", {"periods": [("year to date", "", "subject")]}),
    (
        W,
        "Gaskessel energy last fiscal year",
        {"periods": [("2025-04-01", "2026-03-31", "subject")], "unused": []},
    ),
    (D, "boiler energy last fiscal year", {"periods": [("2025-01-01", "2025-12-31", "subject")]}),
    (
        W,
        "Fit a baseline for the Gaskessel using Nov 2025 to Oct 2026",
        {"intent": "baseline", "periods": [("2025-11-01", "2026-10-31", "base")]},
    ),
    # ------------------------------------------------------------ intents from features
    (D, "how do I respond to a compressed air leak alarm?", {"intent": "knowledge"}),
    (W, "how do I respond to a compressed air leak alarm?", {"intent": "knowledge"}),
    # causes and fixes, or what a good value is: the library, not the meter data
    (
        W,
        "What typically causes Gaskessel short cycling, and what's the fix?",
        {"intent": "knowledge"},
    ),
    (W, "what counts as a good load factor? ours feels low", {"intent": "knowledge"}),
    # a split asked, with a fault named as the reason for asking: still the split
    (
        W,
        "KN weekend share in september? we had that leak",
        {"intent": "data", "meters": ["Kompressor Nord"]},
    ),
    # why a recorded incident happened: its notes among the past incidents, not a refusal
    (
        W,
        "What was the root cause of the KN incident in September and how was it fixed?",
        {"intent": "knowledge"},
    ),
    (W, "why was Linie 2 so high yesterday?", {"intent": "unsupported"}),
    # Portuguese, as a plant's people write it: each word does the job its English one does
    (W, "relatório mensal de agosto", {"intent": "report", "unused": []}),
    (W, "Previsão de consumo da Linie 2 para os próximos 7 dias?", {"intent": "forecast"}),
    (W, "desliga o Kompressor Nord agora", {"intent": "unsupported"}),
    (W, "quanto custou a Linie 2 em setembro?", {"kpi": "cost"}),
    (W, "e as emissões da Linie 2 em setembro, em kg CO2e?", {"kpi": "carbon", "unused": []}),
    (W, "sim, pode", {"intent": "confirm", "unused": []}),
    (W, "Linie 2 energy per box last week", {"kpi": "sec", "unused": []}),
    (W, "Linie 2 kWh por caixa em setembro", {"kpi": "sec", "unused": []}),
    # incidents are listed as incidents, closed ones too, not as alerts
    (W, "list all incidents on Linie 2 since September, closed ones too", {"intent": "incident"}),
    # a numbered incident's figures are the incident's, not a new query of the meter
    (
        W,
        "incident #1 on the Kältemaschine - how many extra kWh and what did it cost?",
        {"intent": "incident"},
    ),
    (D, "any leaks on compressor-1 last month?", {"intent": "anomaly"}),
    (D, "how do I check compressor-2's consumption last week?", {"intent": "data"}),
    (W, "what does the runbook say about the Kältemaschine?", {"intent": "knowledge"}),
    (W, "anything unusual last week?", {"intent": "anomaly", "unused": []}),
    (W, "are we missing any data from Linie 2 last week?", {"intent": "coverage"}),
    (W, "Will the main go over 1200 kW tomorrow?", {"intent": "forecast"}),
    (
        W,
        "alert me when Linie 2 goes above 500 kW for more than 30 minutes",
        {"intent": "alert_create", "meters": ["Linie 2"], "unused": []},
    ),
    (W, "switch off alert rule 3", {"intent": "alert_update", "refs": [("rule", 3)]}),
    (W, "acknowledge alert 2", {"intent": "alert_ack", "refs": [("alert", 2)]}),
    (W, "are there any open alerts?", {"intent": "alert_list"}),
    (W, "show me the alert rules", {"intent": "alert_rules"}),
    (W, "any open incidents?", {"intent": "incident"}),
    (W, "resolve incident 4: replaced the seal", {"intent": "incident", "refs": [("incident", 4)]}),
    (W, "SQL: select count(*) from readings", {"intent": "sql"}),
    (W, "yes please", {"intent": "confirm"}),
    (W, "nah, forget it", {"intent": "decline"}),
    (W, "hello, what can you do?", {"intent": "help"}),
    # ------------------------------------------------------------ honest about the rest
    (
        W,
        "export the Kältemaschine data for October to Excel",
        {"intent": "unsupported", "meters": ["Kältemaschine"]},
    ),
    (
        W,
        "why was the Kältemaschine so high yesterday?",
        {"unsupported": [("explanation", "explanation")]},
    ),
    (W, "turn off Kompressor Nord", {"intent": "unsupported"}),
    # hours beside a threshold ask how long it held; a verb of staying is part of the level
    (W, "hours Kompressor Nord sat below 100 kW last week?", {"unused": [], "ops": ["count"]}),
    # the verb's particle after its object, and the German verbs of switching
    (W, "switch Kompressor Nord off over the weekend", {"intent": "unsupported"}),
    (W, "Kompressor Nord am Wochenende abschalten", {"intent": "unsupported"}),
    (
        W,
        "delete all the readings",
        {"intent": "unsupported", "unsupported": [("change_data", "change_data")]},
    ),
    (W, "book me a flight to Hamburg on friday", {"intent": "unsupported", "unused": ["Hamburg"]}),
    (
        W,
        "Linie 2 energy last week on the flibbertigibbet",
        {"intent": "data", "unused": ["flibbertigibbet"]},
    ),
    # ------------------------------------------------------------ reports, back-tests, sites
    (
        D,
        "make me the October report",
        {"intent": "report", "periods": [("2026-10-01", "2026-10-31", "subject")], "unused": []},
    ),
    (D, "I need the monthly energy report", {"intent": "report", "unused": []}),
    (D, "show me the incident report for #12", {"intent": "incident"}),
    (D, "write me a presentation on energy", {"intent": "unsupported"}),
    (
        D,
        "would an alert at 100 kW on compressor-2 have gone off last month? just test it",
        {"intent": "alert_create", "meters": ["compressor-2"], "unused": []},
    ),
    (
        D,
        "Which of our sites used the most electricity per m2 in October?",
        {"intent": "data", "carriers": ["electricity"], "unused": []},
    ),
    (W, "", {"intent": "unclear", "unused": []}),
    (W, "?!", {"intent": "unclear", "unused": []}),
]


@pytest.mark.parametrize(
    ("plant", "question", "expected"),
    [pytest.param(p, q, e, id=f"{p}:{q[:50]}") for p, q, e in CASES],
)
def test_reading(plant: str, question: str, expected: dict[str, Any]) -> None:
    check(read(question, PLANTS[plant], NOW), expected)


def test_every_slot_points_at_the_words_it_consumed() -> None:
    q = "Did Kompressor Nord use more in August than in July? By how much in %?"
    r = read(q, PLANTS[W], NOW)
    for _, item in r.slots():
        assert q[item.words.start : item.words.end] == item.words.text
        for i in item.words.tokens:
            token = r.tokens[i]
            assert item.words.start <= token.start < token.end <= item.words.end
    assert [m.words.text for m in r.meters] == ["Kompressor Nord"]
    assert [(p.words.text, p.role.value) for p in r.periods] == [
        ("in August", "subject"),
        ("in July", "reference"),
    ]


def test_no_token_is_consumed_twice() -> None:
    q = "which used more last week, Linie 2 or Linie 3, at 0.30 €/kWh peak 8-20 weekdays?"
    r = read(q, PLANTS[W], NOW)
    seen: list[int] = []
    for _, item in r.slots():
        seen += item.words.tokens
    assert len(seen) == len(set(seen))


def test_a_partly_read_question_says_so() -> None:
    read_all = read("Linie 2 energy last week", PLANTS[W], NOW)
    partly = read("Linie 2 energy and power factor last week", PLANTS[W], NOW)
    assert not read_all.partly_read
    assert partly.partly_read


def test_a_too_long_question_is_refused_with_its_length() -> None:
    with pytest.raises(UnreadableQuestion, match=r"2,001 characters.*at most 2,000"):
        read("x" * 2001, PLANTS[W], NOW)


def test_a_clock_without_a_time_zone_is_refused() -> None:
    with pytest.raises(UnreadableQuestion, match="time zone"):
        read("Linie 2 yesterday", PLANTS[W], NOW.replace(tzinfo=None))


def test_a_question_that_is_not_text_is_refused() -> None:
    with pytest.raises(UnreadableQuestion, match="must be text, not int"):
        read(42, PLANTS[W], NOW)  # type: ignore[arg-type]


def test_a_lexicon_of_another_shape_changes_what_is_read() -> None:
    """The lexicon is data: a site may ship its own, and a new word is an entry, not code."""
    data = {
        "version": 1,
        "stop_words": "the of",
        "fillers": "please",
        "priority": ["measure", "cue"],
        "tables": {"measure": {"energy": "verbrauch"}, "cue": {"anomaly": "auffällig\\w*"}},
        "intents": {"data": {"bias": -1, "measure": 2}, "anomaly": {"anomaly": 3}},
    }
    lexicon = parse_lexicon(data)
    r = read("Verbrauch of Linie 2", PLANTS[W], NOW, lexicon=lexicon)
    assert (r.kpi, r.intent) == ("energy", Intent.DATA)
    assert read("etwas auffälliges?", PLANTS[W], NOW, lexicon=lexicon).intent is Intent.ANOMALY


@pytest.mark.parametrize(
    ("question", "part", "whole"),
    [
        ("What percentage of the Hauptzähler's energy went to Pumpe 2 last month?",
         "Pumpe 2", "Hauptzähler"),
        ("Kältemaschine's share of the Hauptzähler in October", "Kältemaschine", "Hauptzähler"),
        ("share of Linie 2 in the main last week", "Linie 2", "Hauptzähler"),
        ("what percentage of Linie 3 did Linie 2 use in October?", "Linie 2", "Linie 3"),
    ],
)  # fmt: skip
def test_a_share_between_two_meters_takes_its_whole_from_the_words(
    question: str, part: str, whole: str
) -> None:
    split = read(question, PLANTS[W], NOW).share_whole()
    assert split == ((part,), (whole,))


@pytest.mark.parametrize(
    "question",
    [
        "share of Linie 2 and Linie 3 last month",  # listed together: a share of each
        "Pumpe 2 energy share last week",  # one meter
        "Linie 2 vs Linie 3 energy last week",  # no share asked
    ],
)
def test_a_share_without_a_whole_in_its_words_is_not_split(question: str) -> None:
    assert read(question, PLANTS[W], NOW).share_whole() is None


def _described() -> Any:
    """A site whose meters the user names only by words of their catalogue entries."""
    from agent.reader import MeterEntry, build_vocabulary

    meters = [
        MeterEntry("Incomer North", "electricity", description="Grid supply of the brewhouse"),
        MeterEntry("Pump K1", "electricity", parent="Incomer North",
                   description="Wort transfer pump"),
        MeterEntry("Pump K2", "electricity", parent="Incomer North",
                   description="Wort transfer pump"),
        MeterEntry("Bottling Hall", "electricity", description="Bottling building"),
        MeterEntry("Steam Raiser", "gas", description="Gas-fired boiler of the brewhouse"),
    ]  # fmt: skip
    return build_vocabulary("brewery", meters, shifts=["day crew"], currency="EUR")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # one meter's description holds the word: it is the meter, and the reader says so
        ("how much did the boiler use last week", {"meters": ["Steam Raiser"], "unused": []}),
        # a singular word two descriptions hold: which one?
        ("energy of the transfer pump yesterday", {"ambiguous": [["Pump K1", "Pump K2"]]}),
        # its plural: every one of them
        ("energy of the transfer pumps yesterday", {"meters": ["Pump K1", "Pump K2"]}),
        # the start of a word of a name ("bott" of "Bottling")
        ("bott energy last week", {"meters": ["Bottling Hall"]}),
        # no entry holds the word: left unused, for the answer to say so
        ("how much did the dryer use last week", {"meters": [], "unused": ["dryer"]}),
        # a named meter keeps the other words unused
        ("Pump K1 and the dryer last week", {"meters": ["Pump K1"], "unused": ["dryer"]}),
        # a measure phrase naming a carrier names it
        ("gas use last month", {"carriers": ["gas"], "meters": []}),
        # a shift name of two words, without the word "shift"
        ("Pump K1 in the day crew last week", {"splits": [("shift", "day crew")]}),
    ],
)
def test_words_of_a_meters_entry_name_it(question: str, expected: dict[str, Any]) -> None:
    check(read(question, _described(), NOW), expected)


def test_a_meter_taken_from_its_description_is_said() -> None:
    r = read("how much did the boiler use last week", _described(), NOW)
    assert r.notes == (
        "No meter is named 'boiler'; I took Steam Raiser, whose catalogue entry (name, alias, "
        "group or description) matches 'boiler'.",
    )


def _counted() -> Any:
    """A site where two meters count the boxes (a line on its own meter, a counter at the end
    of another line) and the corrugator is named in two descriptions."""
    from agent.reader import MeterEntry, build_vocabulary

    meters = [
        MeterEntry("Strang 3", "electricity", metrics=("energy", "production"),
                   description="Corrugator line; its PLC counts the boxes on its own meter"),
        MeterEntry("Strang 4", "electricity", description="Printing and folding line"),
        MeterEntry("Zähler 4", "production", unit="unit", metrics=("production",),
                   description="Good boxes counted at the end of Strang 4"),
        MeterEntry("Kessel", "gas", description="Steam boiler for the corrugator and hot water"),
    ]  # fmt: skip
    return build_vocabulary("kartonwerk", meters, currency="EUR")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # "boxes" fits two meters, "corrugator" two others: the one both fit is meant
        (
            "how many boxes did the corrugator make in september?",
            {"meters": ["Strang 3"], "metric": "production", "unused": []},
        ),
        # "boxes" alone fits two: which one?
        ("how many boxes were made in september?", {"ambiguous": [["Strang 3", "Zähler 4"]]}),
        # a meter named by its name: how many it made is its production
        (
            "how many boxes did Strang 4 make last week?",
            {"meters": ["Strang 4"], "metric": "production"},
        ),
        # how much energy it took is not a count of what it made
        ("how many kWh did Strang 4 use last week?", {"meters": ["Strang 4"], "metric": None}),
    ],
)
def test_phrases_of_several_entries_name_the_meter_they_share(
    question: str, expected: dict[str, Any]
) -> None:
    check(read(question, _counted(), NOW), expected)


def test_a_meter_two_phrases_chose_is_said_with_both() -> None:
    r = read("how many boxes did the corrugator make in september?", _counted(), NOW)
    assert r.notes == (
        "No meter is named 'boxes' and 'corrugator'; I took Strang 3, whose catalogue entry "
        "(name, alias, group or description) matches 'boxes' and 'corrugator'.",
    )


@pytest.mark.parametrize(
    ("question", "price", "currency", "name"),
    [
        ("cost of Pump K1 in October at a flat 0.60 R$/kWh", 0.60, "BRL", "flat"),
        ("Pump K1 cost last month at 0.5 BRL/kWh", 0.5, "BRL", ""),
        ("Pump K1 cost last month at 0.50 €/kWh off-peak", 0.5, "EUR", "off-peak"),
    ],
)
def test_stated_prices_in_other_currencies_and_named_after(
    question: str, price: float, currency: str, name: str
) -> None:
    (found,) = read(question, _described(), NOW).prices
    assert (found.per_kwh, found.currency, found.name) == (price, currency, name)
