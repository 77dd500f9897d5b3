"""The words of each kind of event (tools/event_kinds.yaml): every kind the detectors can emit
has them, a file that leaves one out is refused, and answers and incident titles say them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args, get_type_hints

import pytest
import yaml

from agent.render.models import kinds_text
from agent.summary import _what
from agent.watcher import title
from tools import anomaly, data_quality, events
from tools.events import EventKind, IncidentKind, InvalidEventKinds, kind_words


@dataclass(frozen=True)
class Found:
    """An event as of_kinds sees it: its kind."""

    kind: str


@pytest.fixture
def words_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of event_kinds.yaml for a test to spoil; the cached words are dropped around it."""
    path = tmp_path / "event_kinds.yaml"
    path.write_text(events.KINDS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(events, "KINDS_FILE", path)
    kind_words.cache_clear()
    yield path
    kind_words.cache_clear()


def test_the_detectors_emit_only_event_kinds() -> None:
    """What ties the detectors to EventKind (mypy then checks every kind they emit is one)."""
    assert get_type_hints(anomaly._event)["kind"] == EventKind
    assert get_args(data_quality.Finding)[0] == EventKind


def test_every_kind_an_incident_can_have_from_a_detector_has_its_words() -> None:
    kinds = set(get_args(IncidentKind))
    assert set(get_args(EventKind)) | {"alert_rule"} == kinds
    assert set(kind_words()) == kinds
    for kind, said in kind_words().items():
        assert all((said.label, said.plural, said.title, said.description)), kind


def test_a_kind_left_out_of_the_file_is_refused(words_file: Path) -> None:
    data = yaml.safe_load(words_file.read_text(encoding="utf-8"))
    del data["stuck_meter"]
    data["drift"] = data["demand_spike"]
    words_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InvalidEventKinds, match=r"missing: stuck_meter; not event kinds: drift"):
        kind_words()


def test_a_kind_without_one_of_its_words_is_refused(words_file: Path) -> None:
    data = yaml.safe_load(words_file.read_text(encoding="utf-8"))
    del data["meter_outage"]["title"]
    words_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InvalidEventKinds, match="meter_outage needs label, plural, title"):
        kind_words()


def test_answers_titles_and_summaries_say_the_kinds_as_before() -> None:
    assert kinds_text(["stuck_meter", "demand_spike"]) == "stuck readings or demand spikes"
    assert kinds_text(["consumption_high"]) == "consumption above expected"
    start = int(datetime(2025, 5, 2, 3, 0, tzinfo=UTC).timestamp())
    assert (
        title("m", "meter_outage", start, "UTC")
        == "m: meter outage (no data) since 2025-05-02 03:00"
    )
    assert title(None, "demand_spike", start, "UTC") == "site: demand spike since 2025-05-02 03:00"
    assert (
        title("m", "alert_rule", start, "UTC", " 80 kW") == "m: alert 80 kW since 2025-05-02 03:00"
    )
    assert _what("meter_outage") == "sent no data"
    # a stored incident of a kind no detector has (recorded by hand) is said as its key
    assert _what("chiller_efficiency_drift") == "chiller efficiency drift"


def test_the_kinds_left_out_of_an_answer_are_counted_by_their_label() -> None:
    found = [Found("stuck_meter"), Found("demand_spike"), *[Found("negative_values")] * 2]
    kept, caveats = events.of_kinds(found, ["stuck_meter"])
    assert [e.kind for e in kept] == ["stuck_meter"]
    assert caveats == [
        "3 event(s) of other kinds not listed (1 demand spike, 2 negative values); ask for every "
        "anomaly to see them"
    ]
