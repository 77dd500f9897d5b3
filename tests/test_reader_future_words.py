"""The future said in Portuguese or German ("quanto vai ser a conta de dezembro?", "wie hoch
wird die Rechnung sein?") asks a forecast, as "what will the bill be?" does: December is not
read as the last December's figure; the past tense stays a question of data."""

from __future__ import annotations

import pytest

from agent.reader import Intent, read
from tests.reader_plants import NOW, werk

VOCAB = werk()


@pytest.mark.parametrize(
    "question",
    ["quanto vai ser a conta de dezembro?", "quanto vai ficar a conta do Hauptzähler em dezembro?",
     "wie hoch wird die Rechnung im Dezember sein?", "what will the bill for december be?"],
)  # fmt: skip
def test_a_bill_in_the_future_tense_is_a_forecast(question: str) -> None:
    r = read(question, VOCAB, NOW)
    assert r.intent is Intent.FORECAST, r
    assert not r.unused and not r.unknown_names, r


def test_the_past_tense_stays_a_question_of_data() -> None:
    assert read("quanto foi a conta de dezembro?", VOCAB, NOW).intent is Intent.DATA
