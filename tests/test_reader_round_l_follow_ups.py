"""Round L's follow-ups on plants unlike the demo: a verb of the language ("what that comes
to") never names a meter by a misspelt alias; a number right after a word that prices ("price
it 0.27 weekdays 07:00-19:00") is a price, even with its hours after the days; "the day before
yesterday" ("vorgestern", "anteontem") and "N days ago" are one day; German "Tag", "doch" say
nothing of what is asked; a whole named in brackets is the new base of a share; Portuguese "nesse
horário" keeps the hours before, "mesma coisa" the rest; "the #1" is a place in a list; a word
of one description before a family word ("the trim compressor") picks that meter."""

from __future__ import annotations

from datetime import time, timedelta

from agent.reader import Intent, MeterEntry, Op, build_vocabulary, read
from agent.reader.dates import bounds
from tests.reader_plants import NOW, thread, werk

VOCAB = werk()  # NOW: Thursday 5 November 2026, 10:00 in Berlin


def _short_aliases():  # type: ignore[no-untyped-def]
    meters = [
        MeterEntry("Netz", "electricity"),
        MeterEntry("Verdichter 1", "electricity", parent="Netz", aliases=("comp1",),
                   groups=("comps",)),
        MeterEntry("Verdichter 2", "electricity", parent="Netz", aliases=("comp2",),
                   groups=("comps",)),
        MeterEntry("Linie 2", "electricity", parent="Netz"),
    ]  # fmt: skip
    return build_vocabulary("short-aliases", meters, currency="EUR")


def test_what_that_comes_to_names_no_meter() -> None:
    plant = _short_aliases()
    r = read("Linie 2 yesterday - kWh and what that comes to at 0.19/kWh flat?", plant, NOW)
    assert r.meter_names == ("Linie 2",), r.meter_names
    assert [p.per_kwh for p in r.prices] == [0.19]


def test_a_number_after_a_pricing_word_is_a_price_before_days_and_hours() -> None:
    r = thread(
        VOCAB,
        "Linie 2 yesterday - kWh and what that comes to at 0.19/kWh flat?",
        "ok now price it 0.27 weekdays 07:00-19:00 and 0.15 the rest of the time",
    )
    assert [(w.price, w.start, w.end, w.days) for w in r.tou_windows] == [
        (0.27, time(7), time(19), (0, 1, 2, 3, 4))
    ]
    assert [p.per_kwh for p in r.prices] == [0.15]
    assert r.meter_names == ("Linie 2",) and not r.unused, r.unused
    r = thread(
        VOCAB,
        "Linie 2 yesterday at 0.19/kWh",
        "ok now price it 0.27 weekdays 07:00-19:00 and 0.15 the rest of the time",
        "no sorry, I meant for the whole of last week, same two prices",
    )
    assert [(w.price, w.start, w.end) for w in r.tou_windows] == [(0.27, time(7), time(19))]
    assert [p.per_kwh for p in r.prices] == [0.15]
    # a whole number after a pricing word, before hours, is still not guessed to be a price
    r = read("Linie 2 yesterday, rate it 3 weekdays 07:00-19:00", VOCAB, NOW)
    assert not r.tou_windows


def test_the_day_before_yesterday_is_one_day_in_each_language() -> None:
    two_back = NOW.date() - timedelta(days=2)
    for question in (
        "Kessel gas the day before yesterday",
        "Gaskessel vorgestern",
        "Kessel anteontem",
    ):
        r = read(question, VOCAB, NOW)
        assert [bounds(p.span, NOW) for p in r.periods if p.span] == [(two_back, two_back)], r
    r = read("Linie 2 energy 3 days ago", VOCAB, NOW)
    three_back = NOW.date() - timedelta(days=3)
    assert [bounds(p.span, NOW) for p in r.periods if p.span] == [(three_back, three_back)]


def test_a_german_follow_up_asks_the_day_before_yesterday_and_keeps_the_meter() -> None:
    r = thread(
        VOCAB,
        "Wie viel Gas hat der Kessel gestern verbraucht, in kWh?",
        "Und vorgestern? Das war doch der Tag mit der Zeitumstellung.",
    )
    two_back = NOW.date() - timedelta(days=2)
    assert r.intent is Intent.DATA and not r.unused, (r.intent, r.unused)
    assert r.meter_names == ("Gaskessel",)
    assert [bounds(p.span, NOW) for p in r.periods if p.span] == [(two_back, two_back)]
    r = thread(
        VOCAB,
        "Wie viel Gas hat der Kessel gestern verbraucht, in kWh?",
        "Und vorgestern? Das war doch der Tag mit der Zeitumstellung.",
        "was kostet das zu 6,8 ct/kWh?",
    )
    assert [p.per_kwh for p in r.prices] == [0.068]
    assert [bounds(p.span, NOW) for p in r.periods if p.span] == [(two_back, two_back)]


def _boards():  # type: ignore[no-untyped-def]
    meters = [
        MeterEntry("Netz", "electricity"),
        MeterEntry("Verteilung Halle", "electricity", parent="Netz"),
        MeterEntry("Linie 2", "electricity", parent="Verteilung Halle"),
        MeterEntry("Linie 3", "electricity", parent="Verteilung Halle"),
    ]
    return build_vocabulary("boards", meters, currency="EUR")


def test_a_new_whole_named_in_brackets_keeps_the_part_and_stays_for_the_next_meter() -> None:
    plant = _boards()
    turns = (
        "What share of the Verteilung Halle did Linie 2 take in October?",
        "as a percentage of the whole plant (Netz) instead?",
    )
    r = thread(plant, *turns)
    assert r.meter_names == ("Linie 2",) and r.share_of == ("Netz",), (r.meter_names, r.share_of)
    assert Op.SHARE in r.ops
    r = thread(plant, *turns, "and linie 3?")
    assert r.meter_names == ("Linie 3",) and r.share_of == ("Netz",), (r.meter_names, r.share_of)
    # without a whole named before, the next meter's share is of its own parent, as before
    r = thread(plant, "What share did Linie 2 take in October?", "and linie 3?")
    assert r.meter_names == ("Linie 3",) and r.share_of == (), r.share_of


def test_those_hours_in_portuguese_keep_the_hours_of_the_turn_before() -> None:
    first = "Quanto a Linie 2 consumiu entre 22h e 5h na semana passada, em kWh?"
    r = thread(VOCAB, first, "e a potência média nesse horário?")
    assert [(w.start, w.end) for w in r.hour_windows] == [(time(22), time(5))], r.hour_windows
    assert r.meter_names == ("Linie 2",) and not r.unused, r.unused
    r = thread(VOCAB, first, "e a potência média nesse horário?", "e a Linie 3, mesma coisa?")
    assert [(w.start, w.end) for w in r.hour_windows] == [(time(22), time(5))], r.hour_windows
    assert r.meter_names == ("Linie 3",) and not r.unused, r.unused


def test_the_number_one_of_a_list_is_a_place_in_it_not_a_numbered_rule() -> None:
    r = read("how much of the Hauptzähler is the #1 on its own, %?", VOCAB, NOW)
    assert not r.references, r.references
    assert [x.kind for x in r.referents if x.kind == "larger"] == ["larger"], r.referents
    # a numbered incident or rule is still one
    r = read("acknowledge the #1", VOCAB, NOW)
    assert [(x.kind, x.number) for x in r.references] == [("incident", 1)]
    r = read("delete rule #1", VOCAB, NOW)
    assert [(x.kind, x.number) for x in r.references] == [("rule", 1)]


def _pumps():  # type: ignore[no-untyped-def]
    meters = [
        MeterEntry("Netz", "electricity"),
        MeterEntry("Pumpe 1", "electricity", parent="Netz", groups=("pumps",),
                   description="Booster pump, fixed speed"),
        MeterEntry("Pumpe 2", "electricity", parent="Netz", groups=("pumps",),
                   description="Circulation pump with variable drive"),
    ]  # fmt: skip
    return build_vocabulary("pumps", meters, currency="EUR")


def test_a_word_of_one_description_before_a_family_word_picks_that_meter() -> None:
    plant = _pumps()
    r = read("the circulation pump energy last week", plant, NOW)
    assert r.meter_names == ("Pumpe 2",) and not r.ambiguous, (r.meter_names, r.ambiguous)
    r = thread(plant, "Pumpe 1 energy last week vs the week before", "same for the booster pump")
    assert r.meter_names == ("Pumpe 1",), r.meter_names
    # a word of neither, or of both, leaves the question asked back
    r = read("the pump energy last week", plant, NOW)
    assert [m.meters for m in r.ambiguous] == [("Pumpe 1", "Pumpe 2")], r.ambiguous


def test_numbers_before_a_window_word_are_hours() -> None:
    r = thread(
        VOCAB,
        "Linie 2 consumption yesterday, kWh please",
        "how many of those kWh fell inside the 18-21 window?",
    )
    assert [(w.start, w.end) for w in r.hour_windows] == [(time(18), time(21))], r.hour_windows
    assert not r.unused, r.unused
    # without the window word, bare numbers are no hours
    r = read("Linie 2 kWh yesterday 18-21", VOCAB, NOW)
    assert not r.hour_windows
    r = read("now price Linie 2 properly, 2.49 in HT (18h to 21h) and 0.56 otherwise", VOCAB, NOW)
    assert not r.unused, r.unused
