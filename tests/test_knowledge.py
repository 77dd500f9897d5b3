"""The knowledge store on a real embedded Chroma: loaders, chunking, adding, replacing,
removing, searching with citations, incidents, bad files, and a real Chroma server over HTTP."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import chromadb
import httpx
import pytest

from ems_agent.settings import load_settings
from ems_agent.slices import knowledge_settings
from knowledge import loaders
from knowledge.store import (
    KnowledgeStore,
    KnowledgeUnavailable,
    UnknownSource,
    chroma_settings,
    chunk_id,
    open_knowledge,
)
from tests.knowledge_files import AIR, CHILLER, pdf_bytes, write_library


@pytest.fixture
def store(tmp_path: Path) -> KnowledgeStore:
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=chroma_settings())
    return KnowledgeStore(client)


def raw_chunks(tmp_path: Path, source: str) -> dict[str, str]:
    """The chunks of `source` as Chroma holds them, read by a client of our own."""
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=chroma_settings())
    got = client.get_collection("documents").get(where={"source": source})
    return dict(zip(got["ids"], got["documents"] or [], strict=True))


# -- chunking and loaders ------------------------------------------------------------------


def test_long_text_is_cut_between_words_with_overlap() -> None:
    words = [f"word{i}" for i in range(900)]  # about 7,000 characters, no sentence breaks
    text = " ".join(words)
    pieces = loaders.split_text(text)
    assert len(pieces) >= 6
    position = 0
    for i, piece in enumerate(pieces):
        assert len(piece) <= loaders.CHUNK_MAX
        assert piece in text  # a verbatim substring ...
        start = text.index(piece, max(0, position - loaders.CHUNK_MAX))
        # ... that begins and ends on a word boundary
        assert start == 0 or text[start - 1] == " "
        end = start + len(piece)
        assert end == len(text) or text[end] == " "
        if i:
            assert start < position, "consecutive pieces overlap"
            assert position - start <= loaders.CHUNK_OVERLAP + len("word899 ")
        position = end
    assert position == len(text)  # the last piece reaches the end: nothing lost


def test_paragraphs_are_preferred_cut_points() -> None:
    paragraph = "Sentence about the chiller plant and its pumps. " * 12  # ~580 characters
    pieces = loaders.split_text("\n\n".join([paragraph.strip()] * 4))
    assert all(p.endswith("pumps.") for p in pieces)


def test_markdown_sections_are_heading_paths(tmp_path: Path) -> None:
    path = tmp_path / "air.md"
    path.write_text(AIR)
    doc = loaders.load(path)
    assert doc.title == "Compressed air handbook"
    assert [s.section for s in doc.sections] == [
        None,
        "Leak survey > Ultrasonic detector",
        "Condensate drains",
    ]
    assert doc.sections[1].text.startswith("Walk the distribution ring")


def test_headings_inside_code_fences_are_text(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("# T\n\n## Real\n```\n# not a heading\n```\n")
    doc = loaders.load(path)
    assert [s.section for s in doc.sections] == ["Real"]
    assert "# not a heading" in doc.sections[0].text


def test_html_keeps_headings_and_drops_scripts(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Pump guide</title><style>p{color:red}</style></head><body>"
        "<script>var secret = 1;</script><h1>Pumps</h1><p>Intro text.</p>"
        "<h2>Impeller wear</h2><p>Worn <b>impellers</b> lower the head.</p>"
        "<h3>Checks</h3><ul><li>Measure the head</li></ul></body></html>"
    )
    doc = loaders.load(path)
    assert doc.title == "Pumps"
    assert [(s.section, s.text) for s in doc.sections] == [
        (None, "Intro text."),
        ("Impeller wear", "Worn\nimpellers\nlower the head."),
        ("Impeller wear > Checks", "Measure the head"),
    ]
    assert not any("secret" in s.text or "color" in s.text for s in doc.sections)


def test_pdf_pages_are_numbered_from_one(tmp_path: Path) -> None:
    path = tmp_path / "manual.pdf"
    path.write_bytes(pdf_bytes(["First page text.", "Second page text."], title="Manual"))
    doc = loaders.load(path)
    assert doc.title == "Manual"
    assert [(s.page, s.text) for s in doc.sections] == [
        (1, "First page text."),
        (2, "Second page text."),
    ]


@pytest.mark.parametrize(
    ("name", "content", "error", "words"),
    [
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", loaders.UnreadableDocument, "PDF"),
        ("empty.md", b"", loaders.EmptyDocument, "empty"),
        ("blank.txt", b"  \n\n ", loaders.EmptyDocument, "empty"),
        ("headings.md", b"# Title\n\n## Nothing here\n", loaders.EmptyDocument, "no text"),
        ("photo.png", b"\x89PNG\r\n\x1a\n", loaders.UnsupportedDocument, "'.png'"),
        ("notes.txt", b"text\x00\x01\x02binary", loaders.UnreadableDocument, "binary"),
        ("empty.pdf", b"", loaders.EmptyDocument, "empty"),
        ("scan.pdf", pdf_bytes([""]), loaders.EmptyDocument, "OCR"),
    ],
)
def test_bad_files_are_named_with_the_problem(
    tmp_path: Path, name: str, content: bytes, error: type[Exception], words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as caught:
        loaders.load(path)
    assert str(path) in str(caught.value) and words in str(caught.value)


def test_a_missing_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(loaders.DocumentNotFound, match="no such file"):
        loaders.load(tmp_path / "nope.md")


# -- adding, replacing, removing -----------------------------------------------------------


def test_add_search_and_remove(store: KnowledgeStore, tmp_path: Path) -> None:
    library = write_library(tmp_path / "docs")
    report = store.add_paths([library])
    assert sorted(report.added) == ["boiler-manual.pdf", "runbooks/air.md", "runbooks/chiller.md"]
    assert report.failed == [] and report.replaced == [] and report.unchanged == []
    # Chunks per file, counted independently: one per non-empty section or page.
    assert len(raw_chunks(tmp_path, "runbooks/air.md")) == 3
    assert len(raw_chunks(tmp_path, "runbooks/chiller.md")) == 2
    assert len(raw_chunks(tmp_path, "boiler-manual.pdf")) == 2
    assert report.chunks_added == 7

    top = store.search("how do I find leaks in the compressed air network", k=2)[0]
    assert top.source == "runbooks/air.md" and top.section == "Leak survey > Ultrasonic detector"
    assert top.citation() == (
        "Compressed air handbook § Leak survey > Ultrasonic detector (runbooks/air.md)"
    )
    assert 0 < top.score <= 1 and top.collection == "documents"

    page = store.search("boiler fires too often at low load, short cycling", k=1)[0]
    assert (page.source, page.page) == ("boiler-manual.pdf", 2)
    assert page.citation() == "Boiler manual, p. 2 (boiler-manual.pdf)"

    assert [s.source for s in store.sources()] == sorted(report.added)
    assert {s.source: s.chunks for s in store.sources()}["runbooks/air.md"] == 3
    assert store.remove("runbooks/air.md") == 3
    assert raw_chunks(tmp_path, "runbooks/air.md") == {}
    assert all(p.source != "runbooks/air.md" for p in store.search("air leak", k=10))
    with pytest.raises(UnknownSource, match=r"runbooks/air\.md.*did you mean runbooks/chi"):
        store.remove("runbooks/air.md")


def test_an_unchanged_file_adds_nothing_and_a_changed_one_replaces(
    store: KnowledgeStore, tmp_path: Path
) -> None:
    path = tmp_path / "chiller.md"
    path.write_text(CHILLER)
    first = store.add_paths([path])
    assert first.added == ["chiller.md"]
    before = raw_chunks(tmp_path, "chiller.md")
    assert set(before) == {chunk_id("chiller.md", 0), chunk_id("chiller.md", 1)}

    again = store.add_paths([path])
    assert again.unchanged == ["chiller.md"] and again.chunks_added == 0
    assert raw_chunks(tmp_path, "chiller.md") == before

    path.write_text(CHILLER.replace("## Low delta-T", "## Pumps\nVariable speed pumps.\n## Low"))
    changed = store.add_paths([path])
    assert changed.replaced == ["chiller.md"]
    assert (changed.chunks_removed, changed.chunks_added) == (2, 3)
    after = raw_chunks(tmp_path, "chiller.md")
    assert len(after) == 3 and "Variable speed pumps." in after.values()
    sections = {p.section for p in store.search("pumps", k=10)}
    assert sections == {"Condenser fouling", "Pumps", "Low"}


def test_a_folder_with_bad_files_still_adds_the_good_ones(
    store: KnowledgeStore, tmp_path: Path
) -> None:
    folder = write_library(tmp_path / "docs")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (folder / "empty.md").write_text("")
    (folder / "diagram.png").write_bytes(b"\x89PNG")
    (folder / ".hidden.md").write_text("# Hidden")
    report = store.add_paths([folder, tmp_path / "missing.md"], progress=lambda *a: None)
    assert len(report.added) == 3
    failed = {Path(f.path).name: f.error for f in report.failed}
    assert failed == {
        "broken.pdf": "UnreadableDocument",
        "empty.md": "EmptyDocument",
        "missing.md": "DocumentNotFound",
    }
    assert [Path(p).name for p in report.skipped] == ["diagram.png"]
    assert all(f.path in f.reason for f in report.failed)
    assert {s.source for s in store.sources()} == set(report.added)


def test_the_starter_library_prunes_documents_no_longer_shipped(
    store: KnowledgeStore, tmp_path: Path
) -> None:
    library = write_library(tmp_path / "library")
    first = store.ensure_starter_library(library=library)
    assert len(first.added) == 3
    assert store.ensure_starter_library(library=library).unchanged == sorted(first.added)
    (library / "runbooks" / "chiller.md").unlink()
    pruned = store.ensure_starter_library(library=library)
    assert pruned.removed == ["runbooks/chiller.md"] and pruned.chunks_removed == 2
    assert {s.source for s in store.sources()} == {"boiler-manual.pdf", "runbooks/air.md"}
    assert {s.origin for s in store.sources()} == {"starter"}
    # A library folder that is missing (a broken installation) is reported, and nothing pruned.
    missing = store.ensure_starter_library(library=tmp_path / "gone")
    assert [f.error for f in missing.failed] == ["DocumentNotFound"] and missing.removed == []
    assert len(store.sources()) == 2


def test_the_shipped_library_is_package_data() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["knowledge"]
    library = Path(loaders.__file__).parent
    shipped = {p for pattern in patterns for p in library.glob(pattern)}
    assert shipped and shipped == set((library / "library").rglob("*.md"))


# -- incidents -----------------------------------------------------------------------------


def test_incidents_upsert_and_similar_ones_exclude_the_incident_itself(
    store: KnowledgeStore,
) -> None:
    store.index_incident(
        1,
        "compressor-1 consumption high",
        "Night load of compressor-1 rose by 18 kW; a leaking coupling on line A.",
        {"meter": "compressor-1", "kind": "consumption_high", "state": "open", "cost": None},
    )
    store.index_incident(
        2,
        "chiller efficiency drift",
        "Chiller kW per ton rose over three weeks; condenser tubes fouled.",
        {"meter": "chiller", "kind": "chiller_efficiency_drift", "state": "resolved"},
    )
    store.index_incident(
        1,
        "compressor-1 consumption high",
        "Night load of compressor-1 rose by 18 kW; leaking coupling replaced, load back.",
        {"meter": "compressor-1", "state": "resolved", "resolution": "coupling replaced"},
    )
    assert store.collection("incidents").count() == 2
    similar = store.similar_incidents("compressor-1 night load up, air leak?", k=3)
    assert similar[0].metadata["incident_id"] == 1
    assert similar[0].metadata["state"] == "resolved"  # the upsert replaced the entry
    assert "kind" not in similar[0].metadata and "cost" not in similar[0].metadata
    assert similar[0].citation() == "Incident #1: compressor-1 consumption high"
    assert similar[0].source == "incident:1" and similar[0].collection == "incidents"
    others = store.similar_incidents("compressor-1 night load up", k=3, exclude_id=1)
    assert [p.metadata["incident_id"] for p in others] == [2]
    both = store.search("condenser fouled", k=5, collection="all")
    assert both[0].collection == "incidents" and len(both) == 2


def test_searching_an_empty_store_finds_nothing(store: KnowledgeStore) -> None:
    assert store.search("anything") == []
    assert store.similar_incidents("anything", exclude_id=3) == []


# -- opening: embedded and a Chroma server -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real Chroma server (the `chroma` command of the chromadb package) on 127.0.0.1."""
    port = _free_port()
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1"]
    proc = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("the Chroma server did not start within 30 s")
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_open_knowledge_uses_the_chroma_server_when_configured(
    chroma_server: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    url, server = chroma_server
    settings = load_settings(home=tmp_path / "home", chroma_url=url)
    store = open_knowledge(knowledge_settings(settings))
    path = tmp_path / "air.md"
    path.write_text(AIR)
    assert store.add_paths([path]).added == ["air.md"]
    assert store.search("ultrasonic leak detector", k=1)[0].section == (
        "Leak survey > Ultrasonic detector"
    )
    # The chunks are on the server, not in an embedded folder.
    assert not settings.knowledge_path.exists()
    port = int(url.rsplit(":", 1)[1])
    remote = chromadb.HttpClient(host="127.0.0.1", port=port, settings=chroma_settings())
    assert remote.get_collection("documents").count() == 3
    # A server that goes away is a clear error, not a traceback.
    server.terminate()
    server.wait(timeout=10)
    with pytest.raises(KnowledgeUnavailable, match="stopped answering"):
        store.search("ultrasonic leak detector")


def test_open_knowledge_embedded_by_default(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "home")
    store = open_knowledge(knowledge_settings(settings))
    store.index_incident(7, "boiler short cycling", "Boiler fired 12 times an hour.", {})
    assert settings.knowledge_path.is_dir()
    reopened = open_knowledge(knowledge_settings(settings))
    assert reopened.similar_incidents("boiler cycling")[0].metadata["incident_id"] == 7


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("chroma.internal:8000", "not a Chroma server URL"),
        ("ftp://chroma:8000", "not a Chroma server URL"),
        (f"http://127.0.0.1:{_free_port()}", "cannot reach the Chroma server"),
    ],
)
def test_a_bad_or_unreachable_chroma_url_is_a_clear_error(
    tmp_path: Path, url: str, words: str
) -> None:
    settings = load_settings(home=tmp_path / "home", chroma_url=url)
    with pytest.raises(KnowledgeUnavailable, match=re.escape(words)):
        open_knowledge(knowledge_settings(settings)).search("anything")


def test_a_store_built_with_another_embedder_says_how_to_rebuild(tmp_path: Path) -> None:
    path = str(tmp_path / "chroma")
    first = KnowledgeStore(
        chromadb.PersistentClient(path=path, settings=chroma_settings()), embedder="hashing"
    )
    first.index_incident(1, "boiler short cycling", "Boiler fired 12 times an hour.", {})
    other = KnowledgeStore(chromadb.PersistentClient(path=path, settings=chroma_settings()))
    with pytest.raises(KnowledgeUnavailable, match=r"another embedding model.*add the documents"):
        other.similar_incidents("boiler")
