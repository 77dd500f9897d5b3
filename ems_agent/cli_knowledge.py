"""Knowledge commands: add documents to the knowledge store, list, remove and search them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from ems_agent.cli import (
    JsonFlag,
    app,
    context,
    err,
    friendly_errors,
    make_table,
    out,
    print_json,
    progress_bar,
    progress_callback,
)

if TYPE_CHECKING:
    from knowledge.store import AddReport, Passage

knowledge = typer.Typer(
    help="The knowledge store: runbooks, manuals and notes the agent cites.",
    no_args_is_help=True,
)
app.add_typer(knowledge, name="knowledge")

PREVIEW = 240  # characters of a passage shown in human output


@knowledge.command("add")
@friendly_errors
def add(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders (Markdown, text, HTML, PDF); folders recursively."),
    ] = None,
    starter: Annotated[
        bool, typer.Option("--starter", help="Also index the starter library that ships with it.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add documents; unchanged files are skipped, changed ones replace their old passages."""
    from knowledge.store import AddReport

    if not paths and not starter:
        raise typer.BadParameter("name files or folders to add, or pass --starter")
    store = context().knowledge
    report = AddReport()
    with progress_bar(not as_json) as bar:
        if starter:
            report = store.ensure_starter_library(progress=progress_callback(bar))
        if paths:
            _merge(report, store.add_paths(paths, progress=progress_callback(bar)))
    if as_json:
        print_json(report)
    else:
        _print_report(report)
    if report.failed:
        raise typer.Exit(1)


def _merge(into: AddReport, report: AddReport) -> None:
    for name in ("added", "replaced", "unchanged", "failed", "skipped", "removed"):
        getattr(into, name).extend(getattr(report, name))
    into.chunks_added += report.chunks_added
    into.chunks_removed += report.chunks_removed


def _print_report(report: AddReport) -> None:
    out.print(
        f"{len(report.added)} added, {len(report.replaced)} replaced, "
        f"{len(report.unchanged)} unchanged, {len(report.failed)} failed "
        f"({report.chunks_added} passages indexed, {report.chunks_removed} removed)"
    )
    if report.skipped:
        out.print(f"{len(report.skipped)} files of other types skipped in folders")
    for failure in report.failed:
        err.print(f"[red]failed:[/] {failure.reason}", highlight=False)


@knowledge.command("list")
@friendly_errors
def list_sources(as_json: JsonFlag = False) -> None:
    """List the documents held, with their titles and number of passages."""
    sources = context().knowledge.sources()
    if as_json:
        print_json({"sources": sources})
        return
    if not sources:
        out.print("The knowledge store is empty: run `ems-agent knowledge add PATH` or --starter.")
        return
    table = make_table("source", "title", "kind", "passages", "added")
    for s in sources:
        table.add_row(s.source, s.title, s.kind, str(s.chunks), s.added_at[:16].replace("T", " "))
    out.print(table)


@knowledge.command("remove")
@friendly_errors
def remove(
    source: Annotated[str, typer.Argument(help="Source as `knowledge list` shows it.")],
    as_json: JsonFlag = False,
) -> None:
    """Remove a document and all its passages."""
    removed = context().knowledge.remove(source)
    if as_json:
        print_json({"source": source, "removed": removed})
    else:
        out.print(f"removed {source} ({removed} passages)")


@knowledge.command("search")
@friendly_errors
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many passages.")] = 4,
    collection: Annotated[
        Literal["documents", "incidents", "all"],
        typer.Option("--collection", help="documents, incidents or all."),
    ] = "documents",
    as_json: JsonFlag = False,
) -> None:
    """Search the documents (or past incidents) by meaning, best passages first."""
    passages = context().knowledge.search(query, k=k, collection=collection)
    if as_json:
        print_json({"query": query, "collection": collection, "passages": _json(passages)})
        return
    if not passages:
        out.print(f"Nothing found for {query!r} in {collection}.")
    for p in passages:
        text = " ".join(p.text.split())
        preview = text if len(text) <= PREVIEW else text[:PREVIEW].rsplit(" ", 1)[0] + " ..."
        out.print(f"[bold]{p.score:.2f}[/] {p.citation()}", highlight=False)
        out.print(f"     {preview}\n", highlight=False)


def _json(passages: list[Passage]) -> list[dict[str, object]]:
    from dataclasses import asdict

    return [asdict(p) | {"citation": p.citation()} for p in passages]
