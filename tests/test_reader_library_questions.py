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
