"""Incident summaries: the structured one from the facts, runbook passages and similar
incidents from the knowledge store (a recording fake, then the real one built from the shipped
library), and a language model's prose checked number by number against the facts, with the
structured summary as the fallback, on the scripted OpenAI-compatible server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agent.models import make_backend
from agent.summary import STRUCTURED, Summariser, check_prose, facts_of, structured
from ems_agent.settings import Settings
from ems_agent.slices import knowledge_settings, llm_settings
from knowledge.store import Passage, open_knowledge
from store.catalog import MeterRef
from tests.openai_server import Reply, ScriptedOpenAIServer
from tools.base import AnalyticsConfig
from tools.incidents import IncidentNote, IncidentOut, incident_document

CONFIG = AnalyticsConfig()
COMPRESSOR = MeterRef(7, 1, "compressor-2", "electricity", "kWh", 1, "Trim compressor, 90 kW.")
BOILER = MeterRef(2, 1, "boiler", "gas", "kWh")
OFFICES = MeterRef(12, 1, "offices", "electricity", "kWh")


def incident(**values: Any) -> IncidentOut:
    base: dict[str, Any] = {
        "id": 41,
        "site": "demo-plant",
        "meter": "compressor-2",
        "kind": "consumption_high",
        "severity": "critical",
        "state": "open",
        "title": "compressor-2: consumption above expected since 2026-09-21 00:00",
        "start": "2026-09-21T00:00:00+02:00",
        "end": "2026-09-24T00:00:00+02:00",
        "extra_kwh": 832.46,
        "cost": 832.46 * 0.16,
        "currency": "EUR",
        "co2_kg": 832.46 * 0.38,
        "summary": None,
        "resolution": None,
        "acknowledged_by": None,
        "citations": [],
    }
    return IncidentOut(**(base | values))


RUNBOOK = Passage(
    text="## Symptoms\nA step up in the compressor's consumption that stays, most visible at "
    "night and at weekends. Ultrasonic leak survey: walk the lines with the detector.",
    source="runbooks/compressed-air-leaks.md",
    title="Compressed-air leaks runbook",
    section="Symptoms in the data",
    page=None,
    score=0.9,
    collection="documents",
    metadata={},
)


def past(incident_id: int, kind: str, meter: str, start: str, **meta: Any) -> Passage:
    return Passage(
        text=f"{meter}: {kind}",
        source=f"incident:{incident_id}",
        title=f"{meter}: {kind.replace('_', ' ')}",
        section=None,
        page=None,
        score=0.5,
        collection="incidents",
        metadata={"incident_id": incident_id, "kind": kind, "meter": meter, "start": start} | meta,
    )


@dataclass
class FakeKnowledge:
    """Answers with fixed passages and records every query."""

    documents: list[Passage] = field(default_factory=lambda: [RUNBOOK])
    incidents: list[Passage] = field(default_factory=list)
    queries: list[tuple[str, str, int | None]] = field(default_factory=list)

    def search(
        self, query: str, *, k: int = 4, collection: str = "documents", where: Any = None
    ) -> list[Passage]:
        self.queries.append((collection, query, None))
        return self.documents[:k]

    def similar_incidents(
        self, text: str, *, k: int = 3, exclude_id: int | None = None
    ) -> list[Passage]:
        self.queries.append(("incidents", text, exclude_id))
        return [p for p in self.incidents if p.metadata["incident_id"] != exclude_id][:k]

    def index_incident(
        self, incident_id: int, title: str, text: str, metadata: dict[str, Any]
    ) -> None:
        raise AssertionError("summaries do not index")


def fixed_knowledge() -> FakeKnowledge:
    return FakeKnowledge(
        incidents=[
            past(
                12,
                "consumption_high",
                "compressor-2",
                "2026-08-01T00:00:00+02:00",
                state="resolved",
                resolution="leak at the drain valve of receiver 2 fixed",
            ),
            # Found in the same run on another meter and of another kind: no precedent.
            past(42, "stuck_meter", "line-b", "2026-09-22T00:00:00+02:00", state="open"),
        ]
    )


def test_the_structured_summary_holds_the_facts_sources_and_steps() -> None:
    knowledge = fixed_knowledge()
    summary = Summariser(knowledge).summarise(incident(), COMPRESSOR, CONFIG)
    text = summary.markdown
    assert summary.model == STRUCTURED and summary.problems == []
    assert text.startswith("### compressor-2: consumption above expected since 2026-09-21 00:00")
    assert "from 2026-09-21 00:00 to 2026-09-24 00:00 (3.0 days)" in text
    assert "- Energy: 832.5 kWh above expected" in text
    assert "- Cost: 133.19 EUR" in text  # 832.46 kWh x 0.16 EUR/kWh
    assert "- CO2: 316.3 kg CO2e (emission factor 0.38 kg CO2e/kWh, a default)" in text
    assert "Ultrasonic leak survey" in text and "[1]" in text
    assert "- compressor-2: consumption high (resolved: leak at the drain valve" in text
    assert "line-b" not in text
    assert "**Next steps**" in text and "1. Compare the meter's hourly profile" in text
    assert summary.citations == [
        "Compressed-air leaks runbook § Symptoms in the data (runbooks/compressed-air-leaks.md)",
        "Incident #12: compressor-2: consumption high",
    ]
    assert text.rstrip().endswith("- [2] Incident #12: compressor-2: consumption high")
    [(c1, docs, _), (c2, similar, exclude)] = knowledge.queries
    assert c1 == "documents" and "excess consumption" in docs and "compressor-2" in docs
    assert "Trim compressor" in docs  # the meter's description helps find its runbook
    assert c2 == "incidents" and exclude == 41 and "consumption_high" in similar
    assert check_prose(text, facts_of(incident(), COMPRESSOR, CONFIG, knowledge)) == []


def test_drops_and_data_problems_read_right() -> None:
    drop = incident(kind="consumption_low", meter="boiler", extra_kwh=-1496.04, cost=-104.72)
    text = Summariser().summarise(drop, BOILER, CONFIG).markdown
    assert "- Energy: 1,496.0 kWh below expected" in text
    assert "- Cost: 104.72 EUR saved" in text
    assert "emission factor 0.2 kg CO2e/kWh" in text  # gas
    outage = incident(
        kind="meter_outage",
        meter="offices",
        start="2026-10-08T04:00:00+02:00",
        end="2026-10-08T12:00:00+02:00",
        extra_kwh=None,
        cost=None,
        co2_kg=None,
    )
    text = Summariser().summarise(outage, OFFICES, CONFIG).markdown
    assert "offices sent no data from 2026-10-08 04:00 to 2026-10-08 12:00 (8.0 h)" in text
    assert "No energy figures" in text and "No runbook passage matched" in text
    assert "gateway" in text and "- None found." in text


def test_a_resolution_and_notes_reach_the_summary_and_the_index() -> None:
    done = incident(
        state="resolved",
        resolution="drain valve replaced",
        notes=[IncidentNote(at="2026-09-25T08:00:00+00:00", by="ana", action="resolve", note="x")],
    )
    text = Summariser().summarise(done, COMPRESSOR, CONFIG).markdown
    assert "**Resolution.** drain valve replaced" in text
    _, body, meta = incident_document(done.model_copy(update={"summary": text}))
    assert (
        "Resolution: drain valve replaced" in body and meta["resolution"] == "drain valve replaced"
    )


def test_check_prose_names_dropped_figures_and_invented_numbers() -> None:
    facts = facts_of(incident(), COMPRESSOR, CONFIG, fixed_knowledge())
    good = (
        "compressor-2 used 832.5 kWh more than expected from 2026-09-21 00:00, costing "
        "133.19 EUR and 316.3 kg CO2e [1].\n1. Walk the lines at night."
    )
    assert check_prose(good, facts) == []
    assert check_prose(good.replace("133.19 EUR", "money"), facts) == ["it leaves out 133.19 EUR"]
    invented = good + " The leak wastes about 25 % of the output, 4,200 kWh a year."
    assert check_prose(invented, facts) == ["it writes numbers the facts do not hold: 25, 4200"]
    assert check_prose(good.replace("832.5", "832,5"), facts)  # a different number


def backend(server: ScriptedOpenAIServer, home: Path) -> Any:
    settings = Settings(
        home=home,
        llm_base_url=server.base_url,
        llm_model="test-model",
        llm_timeout_s=5,
        llm_max_retries=0,
    )
    return make_backend(llm_settings(settings))


PROSE = (
    "**What happened.** compressor-2 has used more energy than expected since 2026-09-21 00:00.\n\n"
    "**Impact.** 832.5 kWh above expected, 133.19 EUR and 316.3 kg CO2e.\n\n"
    "**Likely causes and checks.** A leak shows as a step that stays at night [1]; the same "
    "happened before and a drain valve was fixed [2].\n\n"
    "**Next steps.** Walk the lines with the ultrasonic detector."
)


def test_the_model_gets_only_the_facts_and_its_checked_prose_is_kept(
    openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    openai_server.add(Reply.text(PROSE))
    summariser = Summariser(fixed_knowledge(), backend(openai_server, tmp_path))
    summary = summariser.summarise(incident(), COMPRESSOR, CONFIG)
    assert summary.model == "test-model" and summary.problems == []
    assert summary.markdown.startswith(PROSE)
    assert "**Sources**\n- [1] Compressed-air leaks runbook § Symptoms" in summary.markdown
    [request] = openai_server.chat_requests
    system, user = request.body["messages"]
    assert request.body["model"] == "test-model"
    assert system["role"] == "system" and "Write no other" in system["content"]
    assert "Use only the FACTS and PASSAGES" in system["content"]
    content = user["content"]
    assert "- Energy: 832.5 kWh above expected" in content
    assert "- Cost: 133.19 EUR" in content and "- CO2: 316.3 kg CO2e" in content
    assert "[1] Compressed-air leaks runbook § Symptoms in the data" in content
    assert "Ultrasonic leak survey" in content
    assert (
        "[2] past Incident #12: compressor-2: consumption high (resolved: leak at the drain valve"
        in content
    )


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Reply.text(PROSE + " It wastes 25 % of the output."), "numbers the facts do not hold: 25"),
        (Reply.text(PROSE.replace("133.19 EUR and ", "")), "it leaves out 133.19 EUR"),
        (Reply.text("   "), "it answered with no text"),
        (Reply.error(500), "HTTP 500"),
    ],
)
def test_a_model_that_fails_or_strays_falls_back_to_the_structured_summary(
    openai_server: ScriptedOpenAIServer, tmp_path: Path, reply: Reply, why: str
) -> None:
    openai_server.add(reply)
    summariser = Summariser(fixed_knowledge(), backend(openai_server, tmp_path))
    summary = summariser.summarise(incident(), COMPRESSOR, CONFIG)
    assert summary.model == STRUCTURED
    assert summary.markdown == structured(
        facts_of(incident(), COMPRESSOR, CONFIG, fixed_knowledge())
    )
    [problem] = summary.problems
    assert why in problem and "the structured one is" in problem


def test_the_offline_model_writes_the_structured_summary(tmp_path: Path) -> None:
    offline = make_backend(llm_settings(Settings(home=tmp_path)))
    assert offline.offline
    summary = Summariser(None, offline).summarise(incident(), COMPRESSOR, CONFIG)
    assert summary.model == STRUCTURED


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real knowledge store with the shipped starter library (the hashing embedder, so
    the module stays fast; the default e5 model takes about 30 s to index it)."""
    home = tmp_path_factory.mktemp("knowledge-home")
    store = open_knowledge(knowledge_settings(Settings(home=home)), embedder="hashing")
    report = store.ensure_starter_library()
    assert report.failed == [] and report.chunks_added > 0
    return store


def test_runbooks_from_the_real_library_are_cited(library: Any) -> None:
    summariser = Summariser(library)
    leak = summariser.summarise(incident(), COMPRESSOR, CONFIG)
    assert any("runbooks/compressed-air-leaks.md" in c for c in leak.citations)
    outage = incident(kind="meter_outage", meter="offices", extra_kwh=None, cost=None, co2_kg=None)
    gap = summariser.summarise(outage, OFFICES, CONFIG)
    assert any("runbooks/meter-outages-and-stuck-meters.md" in c for c in gap.citations)


def test_a_resolved_incident_in_the_real_store_is_found_as_a_precedent(library: Any) -> None:
    before = incident(
        id=7,
        start="2026-08-01T00:00:00+02:00",
        end="2026-08-04T00:00:00+02:00",
        title="compressor-2: consumption above expected since 2026-08-01 00:00",
        state="resolved",
        resolution="leak at the drain valve of receiver 2 fixed",
    )
    title, text, meta = incident_document(before)
    library.index_incident(before.id, title, text, meta)
    summary = Summariser(library).summarise(incident(), COMPRESSOR, CONFIG)
    assert "Incident #7: compressor-2: consumption above expected since 2026-08-01 00:00" in (
        summary.citations
    )
    assert "resolved: leak at the drain valve of receiver 2 fixed" in summary.markdown
