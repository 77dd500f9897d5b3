"""Questions comparing the sites of a portfolio ("which site used the most per m2 last
month?"): the rank_sites call, per m2 when the question says so, else the sites' totals."""

from __future__ import annotations

import re
from typing import Any

from agent.offline.plan import ASK_PERIOD, Call, Plan, Question, ask
from agent.reader import Kpi

# Words that set sites against each other; one site named is a question about that site.
PORTFOLIO = re.compile(
    r"\b(?:which|what)\s+(?:of\s+(?:our|the|my)\s+)?(?:sites?|plants)\b|"
    r"\b(?:rank|ranking|compare|across|between|among)\b.*\b(?:sites|plants)\b|\bper site\b",
    re.IGNORECASE,
)
MIXED = re.compile(
    r"\ball (?:the )?(?:energy|carriers)\b|\bcarriers? (?:together|combined)\b", re.IGNORECASE
)
PER_AREA = re.compile(r"\bper (?:m2|m²|square met(?:er|re)|sq ?m)\b|\bintensity\b", re.I)


def asks_for_sites(q: Question) -> bool:
    """A question ranking the store's sites, where this installation can rank them."""
    return "rank_sites" in q.tools and bool(PORTFOLIO.search(q.reading.question))


def rank_sites(q: Question) -> Plan:
    r = q.reading
    period = q.period()
    if period is None:
        return ask(ASK_PERIOD)
    kpis = set(r.kpis)
    measure = "cost" if Kpi.COST in kpis else "carbon" if Kpi.CARBON in kpis else "energy"
    args: dict[str, Any] = {
        "period": period,
        "measure": measure,
        "per_m2": Kpi.INTENSITY in kpis or bool(PER_AREA.search(r.question)),
    }
    if r.carriers:
        args["carrier"] = r.carriers[0].carrier
    if MIXED.search(r.question):
        args["mix_carriers"] = True
    return Plan("rank_sites", (Call("rank_sites", args),))
