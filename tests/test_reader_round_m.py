"""Round M's readings on the hand-written plant of reader_plants (no demo names): a lone
mark after a meter named by a letter or number names its sibling, and "more efficient" per
unit asks for the lower figure."""

from __future__ import annotations

from tests.reader_plants import PLANTS, check, thread

WERK = PLANTS["werk"]


def test_a_lone_number_after_a_numbered_meter_names_its_sibling() -> None:
    r = thread(WERK, "What did Linie 2 use last week?", "and 3?")
    check(r, {"intent": "data", "meters": ["Linie 3"], "unused": []})


def test_a_lone_mark_of_another_kind_is_not_a_sibling() -> None:
    r = thread(WERK, "What did Linie 2 use last week?", "and B?")
    assert list(r.meter_names) != ["Linie 3"]


def test_more_efficient_asks_for_the_lower_figure_and_less_efficient_the_higher() -> None:
    for question, op, other in (
        ("Which of Linie 2 and Linie 3 was more efficient per unit last week?", "which_less",
         "which_more"),
        ("Which of Linie 2 and Linie 3 was least efficient per unit last week?", "which_more",
         "which_less"),
    ):  # fmt: skip
        r = thread(WERK, question)
        check(r, {"ops": [op], "not_ops": [other], "kpi": "sec", "unused": []})


def test_a_meter_of_one_series_and_no_energy_is_asked_for_that_series() -> None:
    r = thread(WERK, "What was the average at the Wetterstation last week?")
    check(r, {"intent": "data", "meters": ["Wetterstation"], "metric": "outdoor_temperature"})
    energy = thread(WERK, "What did Linie 2 use last week?")
    check(energy, {"metric": None})
