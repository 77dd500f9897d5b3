"""Conversations: a follow-up inherits what it leaves out, a new question that names its own
scope does not inherit the last meter, and the words that point back are resolved. Each turn's
frame is built from the turn before, as the agent will build it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from agent.reader import Frame, Intent, Pending, follow, read
from agent.reader.slots import Kpi, Op
from tests.reader_plants import NOW, PLANTS, check, thread
from tests.reader_plants import _period_facts as check_periods


@dataclass(frozen=True)
class Turn:
    question: str
    expected: dict[str, Any]
    subjects: tuple[str, ...] = ()  # what the answer turned out to be about
    pending: Pending | None = None
    options: tuple[str, ...] = field(default=())


def _run(plant: str, turns: list[Turn]) -> None:
    frame: Frame | None = None
    for turn in turns:
        reading = follow(read(turn.question, PLANTS[plant], NOW), frame, NOW)
        check(reading, turn.expected)
        frame = Frame.after(frame, reading, turn.subjects, turn.pending, turn.options)


LAST_WEEK = ("2026-10-26", "2026-11-01", "subject")
YESTERDAY = ("2026-11-04", "2026-11-04", "subject")
OCTOBER = ("2026-10-01", "2026-10-31", "subject")

THREADS: dict[str, tuple[str, list[Turn]]] = {
    "what about another meter, and the week before": ("werk", [
        Turn("how much did Kompressor Süd use last week", {
            "meters": ["Kompressor Süd"], "periods": [LAST_WEEK]}),
        Turn("what about Kompressor Nord?", {
            "intent": "data", "meters": ["Kompressor Nord"], "periods": [LAST_WEEK],
            "kpi": "energy"}),
        Turn("and the week before?", {
            "meters": ["Kompressor Nord"], "periods": [("2026-10-19", "2026-10-25", "subject")],
            "kpi": "energy"}),
    ]),
    "a correction opened with 'no wait' names another meter, it declines nothing": ("werk", [
        Turn("how much did Kompressor Süd use last week", {
            "meters": ["Kompressor Süd"], "periods": [LAST_WEEK]}),
        Turn("no wait, Kompressor Nord", {
            "intent": "data", "meters": ["Kompressor Nord"], "periods": [LAST_WEEK],
            "kpi": "energy"}),
        Turn("nein warte, Kompressor Süd", {
            "intent": "data", "meters": ["Kompressor Süd"], "periods": [LAST_WEEK]}),
    ]),
    "compare that with another month in percent": ("werk", [
        Turn("Kältemaschine energy in September?", {"meters": ["Kältemaschine"]}),
        Turn("and last month?", {"meters": ["Kältemaschine"], "periods": [OCTOBER]}),
        Turn("compare that with september in percent", {
            "meters": ["Kältemaschine"], "kpi": "energy", "ops": ["compare", "percent"],
            "periods": [OCTOBER, ("2026-09-01", "2026-09-30", "reference")]}),
    ]),
    "a new kind of question does not keep the last meter": ("werk", [
        Turn("How much did the Kältemaschine use last week?", {"meters": ["Kältemaschine"]}),
        Turn("anything unusual lately?", {
            "intent": "anomaly", "meters": [], "periods": [("last 7 days", "", "subject")]}),
    ]),
    "a new question with its own measure does not keep the last meters": ("werk", [
        Turn("compare Kompressor Nord and Kompressor Süd last week", {
            "meters": ["Kompressor Nord", "Kompressor Süd"]}),
        Turn("today's consumption by hour", {
            "meters": [], "periods": [("2026-11-05", "2026-11-05", "subject")],
            "grains": ["hour"]}),
    ]),
    "how much of that was one meter": ("werk", [
        Turn("site consumption last week", {"scopes": ["site"]}),
        Turn("how much of that was the Kältemaschine?", {
            "meters": ["Kältemaschine"], "ops": ["share"], "periods": [LAST_WEEK],
            "kpi": "energy"}),
    ]),
    "compare the two the last answer found": ("werk", [
        Turn("which two meters used the most yesterday?", {"top": [2]},
             subjects=("Linie 2", "Kältemaschine")),
        Turn("compare the two", {
            "meters": ["Linie 2", "Kältemaschine"], "ops": ["compare"],
            "periods": [YESTERDAY]}),
    ]),
    "it is what the answer named": ("werk", [
        Turn("who was the top consumer in October?", {"ops": ["rank"]}, subjects=("Linie 3",)),
        Turn("how did it do compared with September?", {
            "meters": ["Linie 3"], "ops": ["compare"],
            "periods": [OCTOBER, ("2026-09-01", "2026-09-30", "reference")]}),
    ]),
    "as a percentage of the site": ("werk", [
        Turn("Linie 2 energy last week", {"meters": ["Linie 2"]}),
        Turn("as a percentage of the site", {
            "meters": ["Linie 2"], "ops": ["percent"], "periods": [LAST_WEEK]}),
    ]),
    "year over year": ("werk", [
        Turn("How much did the Gaskessel use in November?", {"meters": ["Gaskessel"]}),
        Turn("November vs November last year", {
            "meters": ["Gaskessel"], "periods": [
                ("2026-11-01", "2026-11-30", "subject"),
                ("2025-11-01", "2025-11-30", "reference")]}),
    ]),
    "same for another meter": ("werk", [
        Turn("Kältemaschine cost last month", {"kpi": "cost"}),
        Turn("same for the Gaskessel", {
            "meters": ["Gaskessel"], "kpi": "cost", "periods": [OCTOBER]}),
    ]),
    "at what time, then the cost of that day": ("werk", [
        Turn("peak demand of the main yesterday", {"meters": ["Hauptzähler"]}),
        Turn("at what time?", {
            "meters": ["Hauptzähler"], "kpi": "peak_demand", "ops": ["when"],
            "periods": [YESTERDAY]}),
        Turn("and what did the day cost?", {
            "meters": ["Hauptzähler"], "kpi": "cost", "periods": [YESTERDAY],
            "not_ops": ["when"]}),
    ]),
    "the answer to which one": ("werk", [
        Turn("how much did the kompressor use last week?", {
            "ambiguous": [["Kompressor Nord", "Kompressor Süd"]]},
            pending=Pending.CHOICE, options=("Kompressor Nord", "Kompressor Süd")),
        Turn("the second one", {
            "meters": ["Kompressor Süd"], "periods": [LAST_WEEK], "unused": []}),
    ]),
    "both, after which one": ("werk", [
        Turn("how much did the kompressor use last week?", {},
             pending=Pending.CHOICE, options=("Kompressor Nord", "Kompressor Süd")),
        Turn("both", {"meters": ["Kompressor Nord", "Kompressor Süd"], "intent": "data"}),
    ]),
    "any similar incidents": ("werk", [
        Turn("how much did the Kältemaschine use yesterday?", {}),
        Turn("any similar incidents?", {
            "intent": "knowledge", "meters": ["Kältemaschine"], "periods": []}),
    ]),
    "the two after one meter and then another": ("werk", [
        Turn("Kompressor Nord energy last week", {}, subjects=("Kompressor Nord",)),
        Turn("and Kompressor Süd?", {"meters": ["Kompressor Süd"]},
             subjects=("Kompressor Süd",)),
        Turn("compare the two, difference in kWh", {
            "meters": ["Kompressor Nord", "Kompressor Süd"], "ops": ["compare"],
            "periods": [LAST_WEEK]}, subjects=("Kompressor Nord", "Kompressor Süd")),
        Turn("as a percentage?", {
            "meters": ["Kompressor Nord", "Kompressor Süd"], "ops": ["compare", "percent"]}),
    ]),
    "that as a percentage after which of the two": ("werk", [
        Turn("Linie 2 energy last week", {}, subjects=("Linie 2",)),
        Turn("and Linie 3?", {}, subjects=("Linie 3",)),
        Turn("which of the two is more, by how much?", {"meters": ["Linie 2", "Linie 3"]},
             subjects=("Linie 3", "Linie 2")),
        Turn("and that as a percentage?", {"ops": ["more", "percent"]}),
    ]),
    "the same days last week": ("werk", [
        Turn("Hauptzähler this week so far?", {}),
        # Monday to Wednesday: the whole days before today (Thursday)
        Turn("and the same days last week?", {
            "meters": ["Hauptzähler"], "periods": [("2026-10-26", "2026-10-28", "subject")]}),
    ]),
    "coverage goes on about the same meter": ("werk", [
        Turn("data coverage of Linie 2 in August, in %", {"intent": "coverage"}),
        Turn("which days are missing?", {
            "intent": "coverage", "meters": ["Linie 2"],
            "periods": [("2026-08-01", "2026-08-31", "subject")]}),
        Turn("so what's its total for august, from the days we have?", {
            "intent": "data", "meters": ["Linie 2"]}),
    ]),
    "a new question of the same kind with its own meter": ("werk", [
        Turn("data coverage of Linie 2 in August", {}),
        Turn("any gaps for Linie 3 last week?", {
            "intent": "coverage", "meters": ["Linie 3"], "periods": [LAST_WEEK]}),
    ]),
    "a rate stated after a price keeps the price": ("werk", [
        Turn("cost of Linie 2 last week at 0.20 EUR per kWh", {"kpi": "cost"}),
        Turn("in dollars? 1 EUR = 1.10 USD", {"kpi": "cost", "meters": ["Linie 2"]}),
    ]),
    "the demo plant too": ("demo", [
        Turn("how much did comp2 use last week", {"meters": ["compressor-2"]}),
        Turn("what about compressor-1?", {"meters": ["compressor-1"], "periods": [LAST_WEEK]}),
    ]),
}  # fmt: skip


@pytest.mark.parametrize("name", list(THREADS))
def test_thread(name: str) -> None:
    plant, turns = THREADS[name]
    _run(plant, turns)


def test_a_follow_up_with_a_rate_keeps_the_price_stated_before() -> None:
    werk = PLANTS["werk"]
    first = read("cost of Linie 2 last week at 0.20 EUR per kWh", werk, NOW)
    r = follow(read("in dollars? 1 EUR = 1.10 USD", werk, NOW), Frame.after(None, first), NOW)
    assert [p.per_kwh for p in r.prices] == [0.20]
    assert [(x.rate, x.currency, x.per) for x in r.exchange_rates] == [(1.10, "USD", "EUR")]


@pytest.mark.parametrize(
    "again",
    [
        "and under the tariff we have now?",
        "and with the prices we pay today?",
        "at the usual rates?",
    ],
)
def test_the_tariff_the_site_has_now_drops_the_price_stated_before(again: str) -> None:
    werk = PLANTS["werk"]
    first = read(
        "cost of Linie 2 last week at 0,185 €/kWh + 9,50 €/kW/Monat Leistungspreis", werk, NOW
    )
    assert [p.per_kwh for p in first.prices] == [0.185]
    r = follow(read(again, werk, NOW), Frame.after(None, first), NOW)
    assert r.kpi == "cost" and r.meter_names == ("Linie 2",)
    assert not r.prices and not r.demand_charges


def test_another_measure_after_a_daily_view_is_asked_over_the_period() -> None:
    """ "and the co2 for the month?" after "per day on average?": carbon over the month, not
    a carbon series by day; the same measure again keeps its step ("and the week before?")."""
    werk = PLANTS["werk"]
    first = read("Gaskessel energy last month per day on average", werk, NOW)
    frame = Frame.after(None, first)
    co2 = follow(read("and the co2 for the month at 0.2 kg/kWh?", werk, NOW), frame, NOW)
    assert co2.kpis == (Kpi.CARBON,) and not co2.grains
    again = follow(read("and the month before?", werk, NOW), frame, NOW)
    assert [g.grain for g in again.grains] == [g.grain for g in first.grains] != []


def test_acknowledge_it_takes_the_incident_just_shown() -> None:
    shown = read("details of incident 6 please", PLANTS["werk"], NOW)
    r = follow(read("acknowledge it", PLANTS["werk"], NOW), Frame(shown), NOW)
    assert (r.intent, [(x.kind, x.number) for x in r.references]) == (
        Intent.INCIDENT,
        [("incident", 6)],
    )
    assert "references" in r.inherited


def test_the_reply_to_a_request_for_a_note_is_the_note() -> None:
    asked = read("resolve incident 6", PLANTS["werk"], NOW)
    reply = "the spike was a planned motor test on Linie 2"
    r = follow(read(reply, PLANTS["werk"], NOW), Frame(asked, pending=Pending.NOTE), NOW)
    note = r.free("note")
    assert note is not None and note.text == reply
    assert r.intent is Intent.INCIDENT
    assert [x.number for x in r.references] == [6]
    assert r.meter_names == () and not r.unused


def test_cancelling_instead_of_giving_a_note_is_a_decline() -> None:
    asked = read("resolve incident 6", PLANTS["werk"], NOW)
    r = follow(read("never mind", PLANTS["werk"], NOW), Frame(asked, pending=Pending.NOTE), NOW)
    assert r.intent is Intent.DECLINE


def test_yes_is_never_inherited() -> None:
    yes = read("yes", PLANTS["werk"], NOW)
    r = follow(read("and last month?", PLANTS["werk"], NOW), Frame(yes), NOW)
    assert r.intent is not Intent.CONFIRM


def test_inherited_slots_consume_none_of_the_new_words() -> None:
    first = read("Linie 2 energy last week", PLANTS["werk"], NOW)
    r = follow(read("and Linie 3?", PLANTS["werk"], NOW), Frame(first), NOW)
    assert {"periods", "measures"} <= r.inherited
    assert all(not p.words.tokens for p in r.periods)
    assert r.periods[0].words.text == "last week"  # echoed as it was written
    assert r.consumed() <= {t.index for t in r.tokens}


def test_without_a_turn_before_nothing_changes() -> None:
    r = read("and last month?", PLANTS["werk"], NOW)
    assert follow(r, None, NOW) is r


def test_a_rule_tried_then_on_another_meter_then_set_up_and_changed() -> None:
    """ "same rule on line b?" tries the rule just tried on another meter; "create that rule
    for ..., severity critical" proposes it for real; "make it 230 kW, rest the same" changes
    only the level, the severity said before kept; "and with 100 kW?" after a rule in kW is a
    new level, its unit no measure of its own."""
    werk = PLANTS["werk"]
    frame: Frame | None = None
    said = [
        "Linie 2 over 220 kW for more than 15 min - how often last week, as an alert backtest?",
        "same rule on Linie 3?",
        "ok create that rule for Linie 2, severity critical",
        "hmm no, make it 230 kW, rest the same",
        "and with 100 kW?",
    ]
    turns = []
    for question in said:
        r = follow(read(question, werk, NOW), frame, NOW)
        turns.append(r)
        frame = Frame.after(frame, r, r.meter_names)
    _tried, same, made, changed, lower = turns
    assert same.intent is Intent.ALERT_CREATE and same.meter_names == ("Linie 3",)
    assert [t.value for t in same.thresholds] == [220.0] and "backtest" in same.features()
    assert made.intent is Intent.ALERT_CREATE and made.meter_names == ("Linie 2",)
    assert "backtest" not in made.features() and not made.unused
    assert [t.value for t in changed.thresholds] == [230.0] and not changed.unused
    assert any(c.feature == "severity" and "critical" in c.words.text for c in changed.cues)
    assert [t.value for t in lower.thresholds] == [100.0] and not lower.unused


def test_of_another_whole_after_a_share_is_the_same_share_of_that_whole() -> None:
    plant, frame = PLANTS["werk"], None
    turns = [
        "Kältemaschine energy last week?",
        "as a share of Linie 2?",
        "and of the whole Hauptzähler?",
    ]
    for question in turns:
        reading = follow(read(question, plant, NOW), frame, NOW)
        frame = Frame.after(frame, reading, reading.meter_names)
    assert reading.meter_names == ("Kältemaschine",)
    assert reading.share_of == ("Hauptzähler",)
    assert reading.asks(Op.SHARE)


def test_its_energy_after_an_aside_on_the_weather_is_the_meter_before_it() -> None:
    """ "its peak demand?" after the outdoor temperature asked beside a compressor's energy:
    the weather station has no energy and the site was not under discussion."""
    vocab = PLANTS["werk"]
    r = thread(
        vocab,
        "Kompressor Nord yesterday, kWh",
        "and what was the average outside temperature that day?",
        "its peak demand that day and when?",
    )
    assert r.meter_names == ("Kompressor Nord",)
    # without a word pointing back, and with nothing metered discussed, the site stays
    alone = thread(vocab, "average outside temperature yesterday?", "its peak demand that day?")
    assert alone.meter_names == ()


def test_a_german_thread_last_weekend_then_its_percent_of_the_main_meter() -> None:
    """ "und letztes Wochenende?" is the Saturday and Sunday before this week (not the weekend
    part of the day asked before), and "wie viel Prozent vom <meter> ist das?" is the share of
    that meter, the subject staying the one discussed."""
    vocab = PLANTS["werk"]
    first = "Wie viel hat Kompressor Nord gestern verbraucht?"
    weekend = thread(vocab, first, "und letztes Wochenende?")
    check(weekend, {"meters": ["Kompressor Nord"], "splits": [], "unused": []})
    check(weekend, {"periods": [("2026-10-31", "2026-11-01", "subject")]})
    share = thread(
        vocab, first, "und letztes Wochenende?", "wie viel Prozent vom Hauptzähler ist das?"
    )
    assert share.meter_names == ("Kompressor Nord",)
    assert share.share_of == ("Hauptzähler",)
    check(share, {"periods": [("2026-10-31", "2026-11-01", "subject")]})
    check(read("Wie viel hat Kompressor Nord gestern verbraucht?", vocab, NOW), {"unused": []})
    portuguese = thread(vocab, first, "e no último fim de semana?")
    check(portuguese, {"periods": [("2026-10-31", "2026-11-01", "subject")], "splits": []})


def test_a_baseline_on_the_data_before_a_month_and_its_follow_up_keep_base_and_driver() -> None:
    """ "on all the data before September (from 5 Nov 2025 to 31 Aug 2026)": September is where
    the base ends, October the period asked; "is that gap bigger than the uncertainty?" is the
    same model: the same base period and the temperature as its driver."""
    vocab = PLANTS["werk"]
    first = (
        "Fit a temperature baseline for Kompressor Nord on all the data before September "
        "(from 5 Nov 2025 to 31 Aug 2026). How many kWh does it expect for October, and was "
        "October above or below that?"
    )
    r = read(first, vocab, NOW)
    check(
        r,
        {
            "intent": "baseline",
            "periods": [
                ("2025-11-05", "2026-08-31", "base"),
                ("2026-10-01", "2026-10-31", "subject"),
            ],
            "unused": [],
        },
    )
    then = thread(vocab, first, "is that gap bigger than the model's uncertainty, or just noise?")
    assert "weather_driver" in then.features()
    assert sorted(check_periods(then)) == sorted(check_periods(r))


def test_the_family_word_right_after_one_of_its_meters_is_that_one() -> None:
    """ "what did the Kompressor's kWh of that week cost?" right after one compressor's figures
    is that compressor; after a turn about another meter "the Kompressor" is asked back."""
    vocab = PLANTS["werk"]
    first = "how many kWh did Kompressor Nord use last week?"
    r = thread(vocab, first, "and the week before?", "what did the Kompressor's kWh cost?")
    assert r.meter_names == ("Kompressor Nord",) and not r.ambiguous
    apart = thread(vocab, first, "Linie 2 yesterday?", "what did the Kompressor use?")
    assert apart.ambiguous and apart.ambiguous[0].meters == ("Kompressor Nord", "Kompressor Süd")


@pytest.mark.parametrize(
    ("question", "minutes"),
    [
        ("e se a janela for de 60 minutos em vez de 15, quanto dá em setembro?", 60),
        ("what if the window is 30 minutes instead of 15?", 30),
        ("und mit einem Fenster von 30 Minuten?", 30),
    ],
)
def test_a_demand_window_said_in_words_after_a_peak(question: str, minutes: int) -> None:
    """A peak's demand window restated in a follow-up, in minutes of any language ("60
    minutos em vez de 15"): the window, the usual 15 it replaces among its words."""
    r = thread(PLANTS["werk"], "peak demand of Kompressor Nord last month?", question)
    assert [w.minutes for w in r.demand_windows] == [minutes], r.demand_windows
    assert r.meter_names == ("Kompressor Nord",)
    check(r, {"unused": []})


def test_as_a_percentage_of_the_site_after_a_meter_is_its_share_of_the_site() -> None:
    """ "as a percentage of the site?" after one meter's energy: that meter's share of the
    whole site (said in this turn), not its energy again."""
    r = thread(
        PLANTS["werk"], "Kompressor Nord consumption last month", "as a percentage of the site?"
    )
    assert r.meter_names == ("Kompressor Nord",)
    assert {o.value for o in r.ops} >= {"share"} and r.share_of == ()
    assert [s.scope.value for s in r.scopes] == ["site"]


def test_there_closing_a_question_points_back_at_the_meter_discussed() -> None:
    """ "how many readings are missing there?" after a meter's August: that meter, that month;
    "is there a gap on Linie 2 in August?" names its own meter."""
    vocab = PLANTS["werk"]
    first = "Kompressor Nord energy in August"
    r = thread(vocab, first, "how many readings are missing there?")
    assert r.meter_names == ("Kompressor Nord",)
    check(r, {"periods": [("2026-08-01", "2026-08-31", "subject")]})
    own = thread(vocab, first, "is there a gap on Linie 2 in August?")
    assert own.meter_names == ("Linie 2",)
    # "how many ... were there?" asks whether, of the site: nothing to point back at
    whether = thread(vocab, first, "how many incidents were there?")
    assert "Kompressor Nord" not in whether.meter_names


def test_a_window_tried_with_what_if_holds_for_that_figure_only() -> None:
    """ "what if the window were 60 minutes instead of 15?" tries the window on the peak: "and
    the month before?" keeps it, "and its load factor that month?" (another figure) is on the
    site's own window again."""
    vocab = PLANTS["werk"]
    said = (
        "peak demand of Kompressor Nord last month?",
        "what if the window were 60 minutes instead of 15?",
    )
    tried = thread(vocab, *said)
    assert [w.minutes for w in tried.demand_windows] == [60]
    again = thread(vocab, *said, "and the month before?")
    assert [w.minutes for w in again.demand_windows] == [60]
    other = thread(vocab, *said, "and its load factor that month?")
    assert other.demand_windows == ()
    # a window stated outright (no what-if) holds for the next figure too
    stated = thread(
        vocab,
        "peak demand of Kompressor Nord last month on a 60-minute window",
        "and its load factor?",
    )
    assert [w.minutes for w in stated.demand_windows] == [60]
