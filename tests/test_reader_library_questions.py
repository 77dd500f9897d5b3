"""Questions for the library, read as such: how the product works out a figure or when it
calls something an event, a level asked as a rule of thumb, a how-to in German or Portuguese,
and "how did you compute that?" after an answer (its stated method). Data put in a shared
folder or drive is an export the agent cannot make; "compute" is a word of its own, not a
misspelt "compare"."""

from __future__ import annotations

import pytest

from agent.offline import knowledge
from agent.offline.requests import _written_out
from agent.reader import Intent, read
from agent.reader.slots import Reason
from tests.reader_plants import NOW, PLANTS

W = PLANTS["werk"]


@pytest.mark.parametrize(
    "question",
    [
        "when exactly does the product call a quarter-hour a demand spike?",
        "how does the product work out the demand charge - which window and which peak?",
        "does your cost figure apply a demand ratchet like our grid operator does?",
        "does your cost figure apply a demand ratchet like our utility does?",
        "how many burner starts per hour means the Gaskessel is short-cycling?",
        "what chilled-water delta-T should make me go look for bypasses and valves?",
        "Wie prüfe ich nach einem Ausfall die fehlenden Zählerdaten?",
        "como faço para confirmar um vazamento de ar comprimido?",
        "o que é CUSUM e para que serve na ISO 50001?",
        "how exactly did you compute that one - which production counter?",
        "which meter did you use for the production?",
        "what leakage percentage is acceptable for a compressed air system?",
        "how often should we repeat the leak survey?",
        "what's the rule of thumb for compressor pressure savings per bar?",
        "how does the anomaly detection decide something is a spike?",
        "when is a meter considered stuck?",
        "como calcular o fator de carga?",
        "at what fraction of design delta-T should I start looking for bypasses?",
        "Gaskessel ligando - quantas partidas por hora é short-cycling segundo o runbook?",
        "whats the formula for leakage % from a load/unload test on Kompressor Nord?",
        "How much Kompressor Nord energy do we save per bar of lower header pressure?",
        "anything to watch out for before we drop it?",
        "Woran erkenne ich in den Daten, dass der Gaskessel taktet?",
        "how many identical readings in a row before a meter counts as stuck?",
        "what are the rules for flagging a quarter-hour as a demand spike?",
        "what chilled-water delta-T should the Kältemaschine have by design?",
        "What CV(RMSE) and NMBE limits does the product apply to a daily baseline model?",
    ],
)
def test_a_question_on_a_rule_or_method_is_for_the_library(question: str) -> None:
    assert read(question, W, NOW).intent is Intent.KNOWLEDGE


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("how much did Kompressor Nord use last week?", Intent.DATA),
        ("wie viel hat Kompressor Nord letzte Woche verbraucht?", Intent.DATA),
        ("Kompressor Nord peak demand last week", Intent.DATA),
        ("any demand spikes on Kompressor Nord last week?", Intent.ANOMALY),
        ("how often did Kompressor Nord exceed 50 kW last week?", Intent.DATA),
        ("what consumption is normal for Linie 2 on Sundays?", Intent.DATA),
    ],
)
def test_a_question_for_figures_stays_one(question: str, intent: Intent) -> None:
    assert read(question, W, NOW).intent is intent


@pytest.mark.parametrize(
    "question",
    [
        "push last month's 15-min Hauptzähler data straight into our SharePoint finance folder",
        "upload yesterday's Kompressor Nord readings to the ftp server",
        "put the October totals of Linie 2 on our OneDrive",
        "push last month's Hauptzähler energy figures straight into our SAP PM system",
        "sync the Linie 2 consumption into the maintenance module every night",
    ],
)
def test_data_put_in_a_shared_folder_is_an_export(question: str) -> None:
    r = read(question, W, NOW)
    assert r.intent is Intent.UNSUPPORTED
    assert {u.reason for u in r.unsupported} == {Reason.EXPORT}
    assert r.meter_names  # the figures are named: refused, not asked which figures


def test_an_alert_pushed_to_a_channel_is_no_export() -> None:
    r = read("alert me when Kompressor Nord goes above 50 kW and push it to #energy", W, NOW)
    assert r.intent is Intent.ALERT_CREATE and not r.unsupported


def test_compute_is_not_corrected_to_compare() -> None:
    r = read("how did you compute it?", W, NOW)
    assert "compute" in [t.norm for t in r.tokens]


def test_the_search_is_in_the_librarys_words_and_keeps_a_meters_name() -> None:
    r = read(
        "Wie fülle ich nach einem Gateway-Ausfall die fehlenden Zählerdaten wieder auf?", W, NOW
    )
    query = knowledge.search_query(_written_out(r))
    assert {"backfill", "gateway", "outage", "missing", "meter", "data"} <= set(query.split())
    assert not {"ich", "einem", "die", "wieder", "auf"} & set(query.split())
    named = read("como faço para limpar o Gaskessel?", W, NOW)
    assert "Gaskessel" in _written_out(named)


def test_how_it_was_computed_is_the_last_answers_method() -> None:
    answer = (
        "**Linie 2** specific energy consumption (SEC) last week: **0.603 kWh/unit**.\n"
        "Method: energy / production of Linie 2 Stückzahl over the period.\n"
        "Used: demand window 15 minutes (installation settings).\n"
        "Source: store rollups (15-minute energy)."
    )
    told = knowledge.method_of(answer)
    assert told[0] == "Method: energy / production of Linie 2 Stückzahl over the period."
    assert len(told) == 3
    assert knowledge.method_of("Linie 2 used 1,200 kWh last week.") == []


def test_the_sentences_quoted_are_those_of_the_items_asked_not_the_headings_words() -> None:
    from agent.render.knowledge import condense

    text = (
        "The Protocol for Savings (PFS) defines three routes for proving savings.\n"
        "- Route A, isolation with a key parameter: measure the power, estimate the hours.\n"
        "- Route B, isolation with all parameters: a sub-meter on the retrofitted system.\n"
        "- Route C, whole site: the site's own meter with a regression baseline.\n"
    )
    said = condense(text, "pfs route c vs route b", "Savings > PFS routes")
    assert "Route C, whole site" in said and "Route B" in said
    alone = condense(text, "pfs", "Savings > PFS routes")
    assert alone.startswith("The Protocol for Savings (PFS)")


def test_the_quickest_way_to_confirm_is_a_how_to_asking_for_the_checks() -> None:
    from agent.render.knowledge import asked_sections

    asked = "looks like a leak. what's the quickest way to confirm it without stopping the line?"
    assert read(asked, W, NOW).intent is Intent.KNOWLEDGE
    assert "checks" in asked_sections(asked) and "fixes" not in asked_sections(asked)
    assert "fixes" in asked_sections("how do I stop the leak?")


def test_how_the_product_decides_is_searched_as_the_products_own_rule() -> None:
    asked = "how does the anomaly detection decide something is a spike?"
    query = knowledge.search_query(asked, method=True).split()
    assert "product" in query and "checks" not in query
    assert "checks" in knowledge.search_query("how do I detect a spike?").split()


def test_starts_per_hour_in_portuguese_are_searched_in_the_librarys_words() -> None:
    r = read("quantas partidas por hora já é short-cycling segundo o runbook?", W, NOW)
    query = knowledge.search_query(_written_out(r)).split()
    assert {"starts", "per", "hour"} <= set(query) and "partidas" not in query


def test_what_share_a_meter_is_stays_a_question_for_figures() -> None:
    r = read("biggest single sub-meter last week and what share of the site that is", W, NOW)
    assert r.intent is not Intent.KNOWLEDGE


@pytest.mark.parametrize(
    "question",
    [
        "lower the chilled water setpoint of the Kältemaschine by 1 °C to save energy",
        "please raise the Gaskessel setpoint to 70 °C",
    ],
)
def test_an_order_to_change_a_setpoint_is_refused_as_control(question: str) -> None:
    r = read(question, W, NOW)
    assert r.intent is Intent.UNSUPPORTED
    assert Reason.CONTROL in {u.reason for u in r.unsupported}


def test_a_how_to_about_a_setpoint_and_the_load_on_a_system_stay_themselves() -> None:
    assert read("how do I lower the setpoint safely?", W, NOW).intent is Intent.KNOWLEDGE
    r = read("what was the load on the Kältemaschine system last week?", W, NOW)
    assert r.intent is Intent.DATA and not r.unsupported


def test_a_stuck_meters_count_before_is_no_question_on_past_incidents() -> None:
    r = read("how many identical readings in a row before a meter counts as stuck?", W, NOW)
    assert "history" not in r.features()
    assert "history" in read("has this happened before?", W, NOW).features()


def test_a_follow_up_ending_on_it_searches_the_last_searchs_topic_and_its_safety() -> None:
    from agent.render.knowledge import asked_sections

    last = 'From the knowledge library (searched for "energy per bar header pressure fixes"):'
    context = knowledge.context_of((), last)
    asked = "anything to watch out for before we drop it?"
    query = knowledge.search_query(asked, context=context).split()
    assert {"header", "pressure", "safety"} <= set(query) and "fixes" not in query
    assert "safety" in asked_sections(asked)
    # a question with its own topic and no pronoun at its end keeps to its own words
    own = knowledge.search_query("how do I check that a meter is stuck?", context=context)
    assert "pressure" not in own.split()


def test_list_them_is_a_request_not_a_topic_of_the_search() -> None:
    query = knowledge.search_query("runbook fixes for demand spikes? list them").split()
    assert "list" not in query and {"demand", "spikes"} <= set(query)


def test_what_was_done_to_fix_it_asks_the_incident_history() -> None:
    r = read("what was done to fix it?", W, NOW)
    assert r.intent is Intent.KNOWLEDGE and "history" in r.features()


def test_where_the_counts_came_from_asks_how_the_last_figure_was_computed() -> None:
    asked = "where do the unit counts for those two lines come from? explain how you divided"
    r = read(asked, W, NOW)
    assert r.intent is Intent.KNOWLEDGE and "how_computed" in r.features()
