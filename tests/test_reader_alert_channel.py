"""Where a rule's alerts go ("send it to #energie", "manda pro #utilidades") says how to notify:
the channel is no measure and no meter's description word, so "ok go with 620 then, send it
to #energie" after a back-test is the rule at 620 on the meter under discussion."""

from __future__ import annotations

import pytest

from agent.reader import Intent, Reading
from tests.reader_plants import thread, werk

VOCAB = werk()


def _thread(*questions: str) -> Reading:
    return thread(VOCAB, *questions)


@pytest.mark.parametrize(
    "said",
    ["ok go with 620 then, send it to #energie", "ok, 620 then - post it to #energie",
     "ok, 620 então, manda pro #energie"],
)  # fmt: skip
def test_the_level_chosen_and_the_channel_after_a_back_test(said: str) -> None:
    r = _thread(
        "thinking of an alert when Hauptzähler goes above 640 kW for more than 30 minutes. "
        "how many times would it have gone off in October?",
        "and at 600 kW, same 30+ min?",
        said,
    )
    assert r.intent is Intent.ALERT_CREATE, r
    assert r.meter_names == ("Hauptzähler",)
    assert [t.value for t in r.thresholds] == [620.0]
    assert "notify" in r.features()
    assert not r.measures and not r.unused, r
