"""The knowledge store: documents and past incidents in Chroma, searched by meaning.

Embedded Chroma (a folder under EMS_HOME) by default, a Chroma server when EMS_CHROMA_URL is
set; two collections, `documents` (chunks of runbooks, manuals, tariff notes) and `incidents`
(one entry per incident). Adding a file again is cheap: an unchanged file is recognised by its
hash and left alone, a changed one has its old chunks replaced.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, TypeVar, cast
from urllib.parse import urlsplit

import numpy as np

from common.errors import EMSError
from knowledge import loaders
from knowledge.embeddings import DEFAULT_EMBEDDER, make_embedder
from knowledge.keyword import BM25, fuse

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

LIBRARY = Path(__file__).parent / "library"
COLLECTIONS = ("documents", "incidents")
# Bumped when chunking or embedding changes, so unchanged files are indexed again once.
INDEX_VERSION = "1"
EMBED_BATCH = 16
Progress = Callable[[str, int, int], None]
Collections = Literal["documents", "incidents", "all"]


class KnowledgeUnavailable(EMSError):
    """The knowledge store cannot be opened or reached (a Chroma server down, a bad URL)."""


class UnknownSource(EMSError):
    """A source to remove that the knowledge store does not hold."""


@dataclass(frozen=True)
class Passage:
    """A retrieved piece of a document or an incident, with what is needed to cite it."""

    text: str
    source: str
    title: str
    section: str | None
    page: int | None
    score: float
    collection: str
    metadata: dict[str, Any]

    def citation(self) -> str:
        """How an answer names this passage, e.g. "Runbook § Leak survey (runbooks/air.md)"."""
        if self.collection == "incidents":
            return f"Incident #{self.metadata.get('incident_id', '?')}: {self.title}"
        where = self.title
        if self.section:
            where += f" § {self.section}"
        if self.page is not None:
            where += f", p. {self.page}"
        return f"{where} ({self.source})"


@dataclass(frozen=True)
class SourceInfo:
    source: str
    title: str
    chunks: int
    added_at: str
    kind: str
    origin: str


@dataclass(frozen=True)
class Failure:
    path: str
    error: str
    reason: str


@dataclass
class AddReport:
    """What adding paths did: sources added, replaced, unchanged, failed and skipped."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks_added: int = 0
    chunks_removed: int = 0


def _source_hash(source: str) -> str:
    return hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()[:16]


def chunk_id(source: str, index: int) -> str:
    """Chunk ids derive from the source and the chunk's position, so re-adding replaces."""
    return f"doc:{_source_hash(source)}:{index:05d}"


def _clean_metadata(metadata: dict[str, Any]) -> dict[str, str | int | float | bool]:
    """Metadata Chroma can store: scalars kept, None dropped, lists joined, the rest as text."""
    clean: dict[str, str | int | float | bool] = {}
    for key, value in metadata.items():
        if value is None:
            continue
        if isinstance(value, bool | int | float | str):
            clean[key] = value
        elif isinstance(value, list | tuple):
            clean[key] = ", ".join(map(str, value))
        else:
            clean[key] = str(value)
    return clean


def _files(path: Path) -> Iterator[tuple[Path, str]]:
    """Each file to add with its source name: a file is named by its file name, files in a
    folder by their path inside the folder (hidden files and folders left out)."""
    if path.is_dir():
        for file in sorted(path.rglob("*")):
            relative = file.relative_to(path)
            if file.is_file() and not any(p.startswith(".") for p in relative.parts):
                yield file, relative.as_posix()
    else:
        yield path, path.name


P = ParamSpec("P")
R = TypeVar("R")


def _reachable(
    fn: Callable[Concatenate[KnowledgeStore, P], R],
) -> Callable[Concatenate[KnowledgeStore, P], R]:
    """A Chroma server that stops answering becomes KnowledgeUnavailable, not a traceback."""
    import httpx

    @functools.wraps(fn)
    def wrapper(store: KnowledgeStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(store, *args, **kwargs)
        except httpx.TransportError as exc:
            raise KnowledgeUnavailable(
                f"the Chroma server stopped answering ({type(exc).__name__}: {exc}); check "
                "that it runs, or unset EMS_CHROMA_URL to use the embedded store"
            ) from None

    return wrapper


class KnowledgeStore:
    """Documents and incidents in two Chroma collections.

    `hybrid` fuses a BM25 keyword ranking into the vector ranking; it is off by default because
    on the starter library it lowered recall@3 for the default embedder (evals/RESULTS.md).
    """

    def __init__(
        self, client: ClientAPI, *, embedder: str = DEFAULT_EMBEDDER, hybrid: bool = False
    ) -> None:
        self.client = client
        self.embedder = make_embedder(embedder)
        self.hybrid = hybrid
        self._collections: dict[str, Collection] = {}
        # Keyword indexes per collection, keyed by (chunk count, writes made by this object).
        self._keyword: dict[str, tuple[tuple[int, int], list[str], BM25]] = {}
        self._changes = 0

    def collection(self, name: str) -> Collection:
        if name not in COLLECTIONS:
            raise ValueError(f"unknown collection {name!r}")
        if name not in self._collections:
            try:
                self._collections[name] = self.client.get_or_create_collection(
                    name,
                    embedding_function=cast(Any, self.embedder),
                    configuration={"hnsw": {"space": "cosine"}},
                )
            except ValueError as exc:
                raise KnowledgeUnavailable(
                    f"the knowledge collection {name!r} was built with another embedding "
                    f"model ({exc}); delete the knowledge folder (or the collection on the "
                    "Chroma server) and add the documents again"
                ) from None
        return self._collections[name]

    # -- documents -------------------------------------------------------------------------

    @_reachable
    def add_paths(
        self, paths: Sequence[Path], *, progress: Progress | None = None, origin: str = "user"
    ) -> AddReport:
        """Index files and folders; per-file problems are reported, never raised."""
        report = AddReport()
        files: list[tuple[Path, str, bool]] = []
        for path in paths:
            if not path.exists():
                error = loaders.DocumentNotFound(f"{path}: no such file or folder; check the path")
                report.failed.append(Failure(str(path), type(error).__name__, str(error)))
                continue
            files += [(f, source, path.is_dir()) for f, source in _files(path)]
        for done, (file, source, in_folder) in enumerate(files):
            if progress:
                progress("indexing", done, len(files))
            if in_folder and file.suffix.lower() not in loaders.SUPPORTED:
                report.skipped.append(str(file))
                continue
            try:
                self._add_file(file, source, origin, report, progress)
            except loaders.DocumentError as exc:
                report.failed.append(Failure(str(file), type(exc).__name__, str(exc)))
        if progress:
            progress("indexing", len(files), len(files))
        return report

    def _add_file(
        self, path: Path, source: str, origin: str, report: AddReport, progress: Progress | None
    ) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise loaders.UnreadableDocument(f"{path}: cannot be read ({exc.strerror})") from None
        file_hash = hashlib.sha256(data).hexdigest()
        docs = self.collection("documents")
        old = docs.get(where={"source": source}, include=["metadatas"])
        old_meta = old["metadatas"] or []
        if old_meta and all(
            m.get("file_hash") == file_hash and m.get("index_version") == INDEX_VERSION
            for m in old_meta
        ):
            report.unchanged.append(source)
            return
        document = loaders.load(path)
        chunks = loaders.chunk(document.sections)
        if old["ids"]:
            self._changes += 1
            docs.delete(ids=old["ids"])
            report.chunks_removed += len(old["ids"])
        metadatas = _chunk_metadata(document, chunks, source, origin, file_hash)
        texts = [c.text for c in chunks]
        embed_texts = [
            _context(document.title, c.section, c.text) if self.embedder.embed_headings else c.text
            for c in chunks
        ]
        self._upsert(
            docs,
            [chunk_id(source, c.index) for c in chunks],
            texts,
            embed_texts,
            metadatas,
            progress,
        )
        (report.replaced if old["ids"] else report.added).append(source)
        report.chunks_added += len(chunks)

    def _upsert(
        self,
        collection: Collection,
        ids: list[str],
        texts: list[str],
        embed_texts: list[str],
        metadatas: list[dict[str, str | int | float | bool]],
        progress: Progress | None = None,
    ) -> None:
        self._changes += 1
        # Small batches: embedding is the slow part, and a long PDF should show progress.
        batch = max(1, min(EMBED_BATCH, self.client.get_max_batch_size()))
        for at in range(0, len(ids), batch):
            if progress:
                progress("embedding", at, len(ids))
            part = slice(at, at + batch)
            collection.upsert(
                ids=ids[part],
                documents=texts[part],
                embeddings=cast(Any, self.embedder.embed_documents(embed_texts[part])),
                metadatas=cast(Any, metadatas[part]),
            )
        if progress:
            progress("embedding", len(ids), len(ids))

    @_reachable
    def sources(self) -> list[SourceInfo]:
        """Every document source held, with its title, number of chunks and when it was added."""
        found: dict[str, SourceInfo] = {}
        for meta in self._all_metadata("documents"):
            source = str(meta["source"])
            info = found.get(source)
            found[source] = SourceInfo(
                source,
                str(meta.get("title", source)),
                (info.chunks if info else 0) + 1,
                str(meta.get("added_at", "")),
                str(meta.get("kind", "")),
                str(meta.get("origin", "user")),
            )
        return sorted(found.values(), key=lambda s: s.source)

    def _all_metadata(self, name: str, page: int = 1000) -> Iterator[dict[str, Any]]:
        collection = self.collection(name)
        for offset in range(0, collection.count(), page):
            got = collection.get(include=["metadatas"], limit=page, offset=offset)
            yield from (dict(m) for m in got["metadatas"] or [])

    @_reachable
    def remove(self, source: str) -> int:
        """Remove a source's chunks; returns how many there were."""
        docs = self.collection("documents")
        ids = docs.get(where={"source": source}, include=[])["ids"]
        if not ids:
            from rapidfuzz import process

            known = [s.source for s in self.sources()]
            close = [m for m, _, _ in process.extract(source, known, limit=3)]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownSource(
                f"the knowledge store holds no source {source!r}{hint} "
                "(`ems-agent knowledge list` shows them)"
            )
        self._changes += 1
        docs.delete(ids=ids)
        return len(ids)

    @_reachable
    def ensure_starter_library(
        self, *, progress: Progress | None = None, library: Path = LIBRARY
    ) -> AddReport:
        """Index the shipped starter documents; idempotent, and drops ones no longer shipped."""
        report = self.add_paths([library], progress=progress, origin="starter")
        if not library.is_dir():  # an installation without its library: keep what is indexed
            return report
        shipped = {source for _, source in _files(library)}
        for info in self.sources():
            if info.origin == "starter" and info.source not in shipped:
                report.chunks_removed += self.remove(info.source)
                report.removed.append(info.source)
        return report

    # -- search ----------------------------------------------------------------------------

    @_reachable
    def search(
        self,
        query: str,
        *,
        k: int = 4,
        collection: str = "documents",
        where: dict[str, Any] | None = None,
    ) -> list[Passage]:
        """The `k` passages that best answer `query`, best first; `collection` may be "all"."""
        names = COLLECTIONS if collection == "all" else (collection,)
        found: list[Passage] = []
        for name in names:
            found += self._search_one(name, query, k, where)
        return sorted(found, key=lambda p: -p.score)[:k]

    def _search_one(
        self, name: str, query: str, k: int, where: dict[str, Any] | None
    ) -> list[Passage]:
        coll = self.collection(name)
        count = coll.count()
        if count == 0 or not query.strip():
            return []
        vector = self.embedder.embed_queries([query])
        pool = min(count, max(k * 5, 20) if self.hybrid else k)
        got = coll.query(
            query_embeddings=cast(Any, vector),
            n_results=pool,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        ids = list(got["ids"][0])
        rows = {
            i: (text, dict(meta), 1.0 - float(dist))
            for i, text, meta, dist in zip(
                ids,
                (got["documents"] or [[]])[0],
                (got["metadatas"] or [[]])[0],
                (got["distances"] or [[]])[0],
                strict=True,
            )
        }
        if not self.hybrid:
            return [_passage(name, *rows[i]) for i in ids[:k]]
        index_ids, index = self._keyword_index(name)
        keyword = index.top(query, index_ids, pool)
        missing = [i for i in keyword if i not in rows]
        if missing:
            # Chunks only the keywords found: fetched (and filtered by `where`) with their
            # vectors, so their score is the same cosine similarity as the others'.
            extra = coll.get(
                ids=missing, where=where, include=["documents", "metadatas", "embeddings"]
            )
            for i, text, meta, emb in zip(
                extra["ids"],
                extra["documents"] or [],
                extra["metadatas"] or [],
                cast(Any, extra["embeddings"]),
                strict=True,
            ):
                rows[i] = (text, dict(meta), float(np.dot(vector[0], emb)))
        order = [i for i in fuse(ids, keyword) if i in rows]
        return [_passage(name, *rows[i]) for i in order[:k]]

    def _keyword_index(self, name: str) -> tuple[list[str], BM25]:
        """BM25 over every chunk of a collection, rebuilt when the collection has changed."""
        coll = self.collection(name)
        key = (coll.count(), self._changes)
        cached = self._keyword.get(name)
        if cached is None or cached[0] != key:
            ids: list[str] = []
            texts: list[str] = []
            for offset in range(0, key[0], 1000):
                got = coll.get(include=["documents", "metadatas"], limit=1000, offset=offset)
                for i, text, meta in zip(
                    got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
                ):
                    ids.append(i)
                    texts.append(_context(str(meta.get("title", "")), meta.get("section"), text))
            cached = (key, ids, BM25(texts))
            self._keyword[name] = cached
        return cached[1], cached[2]

    # -- incidents -------------------------------------------------------------------------

    @_reachable
    def index_incident(
        self, incident_id: int, title: str, text: str, metadata: dict[str, Any]
    ) -> None:
        """Add or replace an incident's entry, so similar incidents can be found later."""
        meta = _clean_metadata(
            metadata
            | {
                "incident_id": int(incident_id),
                "title": title,
                "source": f"incident:{incident_id}",
                "indexed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        incidents = self.collection("incidents")
        # Chroma's upsert merges metadata; a re-indexed incident must not keep stale keys.
        incidents.delete(ids=[f"incident:{incident_id}"])
        self._upsert(
            incidents,
            [f"incident:{incident_id}"],
            [text],
            [f"{title}\n{text}"],  # an incident's title is part of what it is about
            [meta],
        )

    @_reachable
    def similar_incidents(
        self, text: str, *, k: int = 3, exclude_id: int | None = None
    ) -> list[Passage]:
        """Past incidents most like `text`, best first, leaving out incident `exclude_id`."""
        where = None if exclude_id is None else {"incident_id": {"$ne": int(exclude_id)}}
        return self.search(text, k=k, collection="incidents", where=where)


def _chunk_metadata(
    document: loaders.Document,
    chunks: list[loaders.Chunk],
    source: str,
    origin: str,
    file_hash: str,
) -> list[dict[str, str | int | float | bool]]:
    """What each chunk carries: where it is from (for citations) and hashes (for re-adding)."""
    base = {
        "source": source,
        "title": document.title,
        "kind": document.kind,
        "origin": origin,
        "file_hash": file_hash,
        "index_version": INDEX_VERSION,
        "added_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chunks": len(chunks),
    }
    return [
        _clean_metadata(
            base
            | {
                "chunk": c.index,
                "section": c.section,
                "page": c.page,
                "content_hash": hashlib.sha256(c.text.encode()).hexdigest()[:16],
            }
        )
        for c in chunks
    ]


def _context(title: str, section: Any, text: str) -> str:
    """What is embedded for a chunk: its text under its document title and heading path, so a
    passage that never names its subject ("close the valve first") still matches it."""
    heading = f"{title} > {section}" if section else title
    return f"{heading}\n{text}"


def _passage(collection: str, text: str, meta: dict[str, Any], similarity: float) -> Passage:
    page = meta.get("page")
    return Passage(
        text=text,
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        section=str(meta["section"]) if meta.get("section") else None,
        page=int(page) if page is not None else None,
        score=round(min(1.0, max(0.0, similarity)), 4),
        collection=collection,
        metadata=meta,
    )


def chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def http_client(url: str) -> ClientAPI:
    """A client of the Chroma server at `url` (http://host:8000 or https://host)."""
    import chromadb

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise KnowledgeUnavailable(
            f"EMS_CHROMA_URL={url!r} is not a Chroma server URL; write it as http://host:8000"
        )
    ssl = parts.scheme == "https"
    try:
        return chromadb.HttpClient(
            host=parts.hostname,
            port=parts.port or (443 if ssl else 8000),
            ssl=ssl,
            settings=chroma_settings(),
        )
    except Exception as exc:  # chromadb raises bare exceptions for connection failures
        raise KnowledgeUnavailable(
            f"cannot reach the Chroma server at {url} ({type(exc).__name__}: {exc}); "
            "start it, or unset EMS_CHROMA_URL to use the embedded store"
        ) from None


@dataclass(frozen=True)
class KnowledgeSettings:
    """Where the knowledge store lives: an embedded folder, or a Chroma server when `url` is set."""

    path: Path
    url: str | None = None


def open_knowledge(
    config: KnowledgeSettings, *, embedder: str = DEFAULT_EMBEDDER
) -> KnowledgeStore:
    """The knowledge store: embedded Chroma at config.path, or the server at config.url."""
    if config.url:
        return KnowledgeStore(http_client(config.url), embedder=embedder)
    import chromadb

    config.path.mkdir(parents=True, exist_ok=True)
    return KnowledgeStore(
        chromadb.PersistentClient(path=str(config.path), settings=chroma_settings()),
        embedder=embedder,
    )
