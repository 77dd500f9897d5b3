"""Knowledge search: passages from the site's runbooks, manuals, tariff notes and past incidents."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from common.errors import EMSError
from tools.base import PassageLike, ToolContext, ToolInput, ToolResult, tool

MAX_LIBRARY = 30  # titles listed in a result, so the model knows what the library covers


class KnowledgeNotAvailable(EMSError):
    """A knowledge search asked for where no knowledge store is connected."""


class KnowledgeInput(ToolInput):
    query: str = Field(
        min_length=2,
        description="What to look for, in plain words: the question itself, or its key terms "
        "(e.g. 'find compressed air leaks', 'condenser fouling', 'demand charge').",
    )
    collection: Literal["documents", "incidents", "all"] = Field(
        default="documents",
        description="'documents' (runbooks, manuals, ISO 50001 notes, tariffs), 'incidents' "
        "(past incidents and how they were resolved) or 'all'.",
    )
    k: int = Field(default=4, ge=1, le=20, description="How many passages to return.")


class PassageOut(ToolResult):
    text: str
    citation: str
    source: str
    title: str
    section: str | None
    page: int | None
    score: float
    collection: str
    incident_id: int | None


class KnowledgeResult(ToolResult):
    query: str
    collection: str
    passages: list[PassageOut]
    library: list[str]
    source: str


def passage_out(p: PassageLike) -> PassageOut:
    incident = p.metadata.get("incident_id")
    return PassageOut(
        text=p.text,
        citation=p.citation(),
        source=p.source,
        title=p.title,
        section=p.section,
        page=p.page,
        score=p.score,
        collection=p.collection,
        incident_id=int(incident) if incident is not None else None,
    )


@tool(KnowledgeInput)
def search_knowledge(ctx: ToolContext, args: KnowledgeInput) -> KnowledgeResult:
    """Search the site's knowledge library and incident history by meaning. Use it for "what
    does the runbook say about ...", "how do I ..." (find an air leak, clean a condenser,
    avoid a demand peak), "has this happened before" / "what did we do last time" (collection
    'incidents'), ISO 50001 and M&V questions (EnPI, baselines, CUSUM, SEU), and how tariffs
    and demand charges work. Returns passages best first, each with a citation to quote in the
    answer; `library` lists the documents held. It does not read meter data: use the other
    tools for numbers."""
    if ctx.knowledge is None:
        raise KnowledgeNotAvailable(
            "no knowledge store is connected here, so runbooks and past incidents cannot be "
            "searched; answer from the meter-data tools, or run `ems-agent knowledge add PATH`"
        )
    found = ctx.knowledge.search(args.query, k=args.k, collection=args.collection)
    library = [] if args.collection == "incidents" else ctx.knowledge.sources()
    return KnowledgeResult(
        query=args.query,
        collection=args.collection,
        passages=[passage_out(p) for p in found],
        library=[s.title for s in library][:MAX_LIBRARY],
        source="knowledge store (documents and past incidents, semantic search)",
    )
