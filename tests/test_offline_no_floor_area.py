"""The energy intensity of a sub-meter the catalogue gives no floor area is refused with what
it lacks (the site's area is the whole site's); a meter with its own area, or the site's
supply, is still worked out by the tool."""

from __future__ import annotations

from agent.offline.plan import Question, plan
from agent.offline.site import Site
from agent.reader import read
from store.catalog import SiteRef
from tests.reader_plants import NOW, PLANTS
from tools.base import AnalyticsConfig

W = PLANTS["werk"]
SITE = Site(
    SiteRef(1, "werk-sued", "Europe/Berlin"),
    W,
    AnalyticsConfig(),
    floor_areas={"": 9000.0, "Linie 2": 1200.0},
)
TOOLS = frozenset({"compute_kpi", "query_metric", "search_knowledge"})


def _plan(question: str):  # type: ignore[no-untyped-def]
    return plan(Question(read(question, W, NOW), SITE, NOW, TOOLS))


def test_a_sub_meter_without_a_floor_area_has_no_intensity() -> None:
    decided = _plan("energy intensity in kWh per square metre of Kompressor Nord for October")
    assert decided.outcome == "refuse" and not decided.calls
    assert decided.message is not None and "floor area" in decided.message


def test_a_meter_with_its_own_area_and_the_supply_are_worked_out() -> None:
    own = _plan("energy intensity of Linie 2 in October")
    assert [c.args.get("kpi") for c in own.calls] == ["intensity"]
    supply = _plan("energy intensity of the Hauptzähler in October")
    assert [c.args.get("kpi") for c in supply.calls] == ["intensity"]
