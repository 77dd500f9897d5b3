"""Which site a command or question is about, on SQLite and PostgreSQL: the store's only site
whatever its name, the default among several, a site named by name or alias, none in an empty
store (with the reason and what to do); and site aliases in plant files."""

from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from common.errors import NoSite, SiteNotChosen, UnknownSite
from connectors.catalog_file import InvalidPlantFile, parse_plant
from connectors.catalog_sync import apply_plant, export_plant
from ems_agent.context import TurnContexts, fixed_clock
from store import catalog
from store.sites import choose_site, find_site, missing_site, site_in_text
from tools.base import ToolContext

NOW = datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("UTC"))


def plant(name: str, timezone: str = "Europe/Berlin", aliases: str = "[]") -> str:
    return textwrap.dedent(
        f"""\
        version: 1
        site: {{name: {name}, timezone: {timezone}, aliases: {aliases}}}
        meters: [{{name: supply, carrier: electricity}}]
        """
    )


def apply(engine: Engine, text: str) -> None:
    apply_plant(engine, parse_plant(text, "plant.yaml", "yaml"))


def test_an_empty_store_has_no_site_and_says_how_to_load_data(engine: Engine) -> None:
    with engine.connect() as conn:
        assert choose_site(conn, None, None) is None
        assert choose_site(conn, None, "anything") is None  # a default waits for its data
        reason = missing_site(conn)
        with pytest.raises(UnknownSite, match="no sites yet"):
            find_site(conn, "demo-plant")
    assert isinstance(reason, NoSite)
    assert "import-csv" in str(reason) and "ems-agent demo" in str(reason)
    assert "MQTT" in str(reason)


def test_the_only_site_is_chosen_whatever_its_name(engine: Engine) -> None:
    apply(engine, plant("Werk Süd 3"))
    with engine.connect() as conn:
        chosen = choose_site(conn, None, None)
        assert chosen is not None and chosen.name == "Werk Süd 3"
        assert find_site(conn, "werk-süd-3") == chosen  # case, spaces and dashes ignored


def test_several_sites_need_a_default_or_a_name(engine: Engine) -> None:
    apply(engine, plant("north", aliases="[Chicago plant, HQ]"))
    apply(engine, plant("south", "America/Chicago"))
    with engine.connect() as conn:
        with pytest.raises(SiteNotChosen, match=r"2 sites \(north, south\).*--site.*EMS_SITE"):
            choose_site(conn, None, None)
        assert isinstance(missing_site(conn), SiteNotChosen)
        default = choose_site(conn, None, "south")
        assert default is not None and default.timezone == "America/Chicago"
        by_alias = choose_site(conn, "chicago plant", "south")  # a name beats the default
        assert by_alias is not None and by_alias.name == "north"
        with pytest.raises(UnknownSite, match=r"'east'.*sites: north, south"):
            choose_site(conn, "east", None)
        with pytest.raises(UnknownSite, match=r"did you mean north"):
            find_site(conn, "nort")
        with pytest.raises(UnknownSite, match=r"EMS_SITE.*'west'"):
            choose_site(conn, None, "west")


def test_site_aliases_apply_export_and_may_not_name_another_site(engine: Engine) -> None:
    apply(engine, plant("north", aliases="[HQ]"))
    with engine.connect() as conn:
        assert export_plant(conn, "north")["site"]["aliases"] == ["HQ"]
    document = parse_plant(plant("south", aliases="[hq]"), "south.yaml", "yaml")
    with pytest.raises(InvalidPlantFile, match="alias 'hq' already names site north"):
        apply_plant(engine, document)
    again = apply_plant(engine, parse_plant(plant("north", aliases="[HQ]"), "p.yaml", "yaml"))
    assert again.changes == []
    changed = apply_plant(engine, parse_plant(plant("north", aliases="[Main]"), "p.yaml", "yaml"))
    assert {c.text for c in changed.changes} == {"- site alias HQ", "+ site alias Main"}


def test_a_turn_without_a_site_refuses_meter_tools_and_names_the_reason(engine: Engine) -> None:
    contexts = TurnContexts(engine, None, clock=fixed_clock(NOW), timezone="Asia/Tokyo")
    ctx = contexts(user="ann", role="viewer")
    assert ctx.site_or_none is None and ctx.now.utcoffset() is not None
    assert ctx.now.tzname() == "JST"  # the installation's zone when there is no site
    with pytest.raises(NoSite, match="import-csv"):
        _ = ctx.site
    apply(engine, plant("north"))
    # the same contexts find the site that arrived since (a page started on an empty store)
    later = contexts(user="ann", role="viewer")
    assert later.site.name == "north"


def test_a_tool_input_naming_a_site_runs_at_that_site(engine: Engine) -> None:
    import numpy as np
    import pandas as pd

    from store.writes import write_readings
    from tools.query import query_metric

    apply(engine, plant("north"))
    apply(engine, plant("south", "America/Chicago", "[Texas]"))
    ts = int(datetime(2026, 2, 28, tzinfo=ZoneInfo("UTC")).timestamp()) + 900 * np.arange(384)
    rng = np.random.default_rng(3)
    values = {"north": rng.uniform(1, 2, len(ts)), "south": rng.uniform(5, 9, len(ts))}
    with engine.begin() as conn:
        for name, tz in (("north", "Europe/Berlin"), ("south", "America/Chicago")):
            site = catalog.get_site(conn, name)
            sid = catalog.ensure_series(conn, site.id, "supply", "energy", "kWh").id
            write_readings(conn, sid, ts, values[name], tz)
        north = catalog.get_site(conn, "north")
    ctx = ToolContext(engine, north, NOW)
    result = query_metric(ctx, {"period": "2026-03-01", "site": "texas"})
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert("America/Chicago")
    day = (local >= pd.Timestamp("2026-03-01", tz="America/Chicago")) & (
        local < pd.Timestamp("2026-03-02", tz="America/Chicago")
    )
    assert result.totals[0].value == pytest.approx(values["south"][day].sum(), rel=1e-12)
    assert result.period["start"].startswith("2026-03-01T00:00:00-06:00")
    moved = ctx.for_site(find_site_of(engine, "texas"))
    assert moved.site.name == "south" and moved.now == NOW
    assert str(moved.now.tzinfo) == "America/Chicago"
    with pytest.raises(UnknownSite, match="sites: north, south"):
        query_metric(ctx, {"period": "2026-03-01", "site": "east"})


def find_site_of(engine: Engine, name: str) -> catalog.SiteRef:
    with engine.connect() as conn:
        return find_site(conn, name)


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("How much did supply use at Werk Süd 3 yesterday?", "Werk Süd 3"),
        ("supply at werk-süd-3 last week", "Werk Süd 3"),
        ("peak demand of the Chicago plant in May", "north"),
        ("What did the site north use?", "north"),
        ("And at site 'Werk Süd 3'?", "Werk Süd 3"),
        ("Which site used the most per m2 last month?", None),
        ("What was the site total yesterday?", None),
        ("How much energy did the whole site use?", None),
        ("northern hall energy", None),  # a name is matched as whole words only
        # after "the site", a word in lower case goes on with the sentence
        ("At what time did the site hit its highest load?", None),
        # a carrier after "site" says what of the site, not which site
        ("share of the chiller in site electricity last month", None),
        ("site gas in October", None),
        # what the site holds of its own, after "site", is no site's name
        ("cost in dollars at 1 BRL = 0.19 USD, site tariff otherwise", None),
        ("intensity per m2 of site area last month", None),
        # a month or a day after "site" says when, not which site
        ("site March so far at 0.17 €/kWh flat - total?", None),
        ("site Feb vs Jan", None),
    ],
)
def test_a_question_names_a_site_by_name_or_alias(
    engine: Engine, question: str, found: str | None
) -> None:
    apply(engine, plant("Werk Süd 3"))
    apply(engine, plant("north", aliases="[Chicago plant]"))
    with engine.connect() as conn:
        site = site_in_text(conn, question)
    assert (site.name if site else None) == found


def test_a_question_naming_an_unknown_site_lists_the_sites(engine: Engine) -> None:
    apply(engine, plant("Werk Süd 3"))
    apply(engine, plant("north"))
    with engine.connect() as conn, pytest.raises(UnknownSite) as caught:
        site_in_text(conn, "How much did supply use at site west yesterday?")
    assert str(caught.value) == "no site named 'west'; sites: north, Werk Süd 3"


@pytest.mark.parametrize("question", ["site kWh since midnight today?", "site base load in Feb"])
def test_a_word_the_caller_reads_after_site_names_no_site(engine: Engine, question: str) -> None:
    apply(engine, plant("Werk Süd 3"))
    apply(engine, plant("north"))
    with engine.connect() as conn:
        assert site_in_text(conn, question, {"kwh", "base"}.__contains__) is None
        with pytest.raises(UnknownSite):  # without the caller's words it is a name
            site_in_text(conn, question)
