"""Documents to passages: Markdown, plain text, HTML and PDF read into sections, then chunked.

A loader returns the document's title and its sections (heading path, PDF page, text); the
chunker cuts each section into pieces of about a thousand characters that overlap a little and
never end mid-word, so a passage read alone still makes sense and cites where it came from.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from common.errors import EMSError

MARKDOWN = frozenset({".md", ".markdown"})
TEXT = frozenset({".txt", ".text", ".rst"})
HTML = frozenset({".html", ".htm"})
PDF = frozenset({".pdf"})
SUPPORTED = MARKDOWN | TEXT | HTML | PDF

CHUNK_TARGET = 1000  # characters a chunk aims for ...
CHUNK_MAX = 1200  # ... and never exceeds, unless one word is longer
CHUNK_OVERLAP = 150  # characters the next chunk repeats from the end of the previous one

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING_MARK = "\x00h"  # stands for an HTML heading in extracted text; never in real text


class DocumentError(EMSError):
    """A file that cannot be added to the knowledge store; the message names it and why."""


class DocumentNotFound(DocumentError):
    """A path to add that does not exist."""


class UnsupportedDocument(DocumentError):
    """A file whose type the knowledge store cannot read."""


class UnreadableDocument(DocumentError):
    """A file of a supported type whose content is corrupt, binary or not text."""


class EmptyDocument(DocumentError):
    """A file that holds no text to index."""


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path (or on one PDF page)."""

    text: str
    section: str | None
    page: int | None = None


@dataclass(frozen=True)
class Document:
    """A loaded file: its title, its kind (markdown, text, html, pdf) and its sections."""

    title: str
    kind: str
    sections: list[Section]


@dataclass(frozen=True)
class Chunk:
    text: str
    section: str | None
    page: int | None
    index: int


def load(path: Path) -> Document:
    """Read a supported file into sections; raises a DocumentError naming the file and problem."""
    if not path.exists():
        raise DocumentNotFound(f"{path}: no such file or folder; check the path")
    if not path.is_file():
        raise UnsupportedDocument(f"{path}: not a regular file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        kinds = ", ".join(sorted(SUPPORTED))
        raise UnsupportedDocument(
            f"{path}: files of type {suffix or '(no extension)'!r} cannot be indexed; "
            f"supported are {kinds}"
        )
    if suffix in PDF:
        doc = _load_pdf(path)
    else:
        text = _read_text(path)
        if suffix in MARKDOWN:
            doc = _load_markdown(path, text)
        elif suffix in HTML:
            doc = _load_html(path, text)
        else:
            doc = Document(_title_from_name(path), "text", [Section(text.strip(), None)])
    sections = [s for s in doc.sections if s.text.strip()]
    if not sections:
        raise EmptyDocument(f"{path}: the file holds no text to index")
    return Document(doc.title, doc.kind, sections)


def _title_from_name(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise EmptyDocument(f"{path}: the file is empty")
    if b"\x00" in data[:8192]:
        raise UnreadableDocument(
            f"{path}: looks like a binary file, not {path.suffix} text; "
            "export it as Markdown, text, HTML or PDF"
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding).replace("\r\n", "\n")
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument(f"{path}: is not readable text (neither UTF-8 nor Windows-1252)")


def _strip_front_matter(text: str) -> tuple[str, str | None]:
    """YAML front matter (--- ... ---) removed; its `title:` returned if it has one."""
    if not text.startswith("---\n"):
        return text, None
    end = text.find("\n---", 4)
    if end < 0:
        return text, None
    match = re.search(r"^title:\s*['\"]?(.+?)['\"]?\s*$", text[4:end], re.M)
    return text[end + 4 :].lstrip("-\n"), match.group(1) if match else None


def _load_markdown(path: Path, text: str) -> Document:
    text, title = _strip_front_matter(text)
    headed: list[tuple[int, str] | str] = []
    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        headed.append((len(match.group(1)), match.group(2)) if match else line)
    title, sections = _sections(headed, title)
    return Document(title or _title_from_name(path), "markdown", sections)


def _sections(
    lines: list[tuple[int, str] | str], title: str | None
) -> tuple[str | None, list[Section]]:
    """Group lines under their heading path; the first level-1 heading is the title."""
    path: list[tuple[int, str]] = []
    sections: list[Section] = []
    body: list[str] = []

    def flush() -> None:
        text = "\n".join(body).strip()
        if text:
            sections.append(Section(text, " > ".join(h for _, h in path) or None))
        body.clear()

    for line in lines:
        if isinstance(line, str):
            body.append(line)
            continue
        level, heading = line
        flush()
        heading = re.sub(r"[*_`]+", "", heading).strip()
        if level == 1 and title is None and not sections and not path:
            title = heading
            continue
        path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, heading)]
    flush()
    return title, sections


def _load_html(path: Path, text: str) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    head_title = soup.title.get_text(" ", strip=True) if soup.title else None
    if soup.head:
        soup.head.decompose()
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            words = " ".join(heading.get_text(" ", strip=True).split())
            heading.replace_with(f"\n{_HEADING_MARK}{level} {words}\n")
    lines: list[tuple[int, str] | str] = []
    for line in soup.get_text("\n").split("\n"):
        line = " ".join(line.split())
        if line.startswith(_HEADING_MARK):
            depth, _, words = line[len(_HEADING_MARK) :].partition(" ")
            lines.append((int(depth), words))
        elif line:
            lines.append(line)
    h1_title, sections = _sections(lines, None)
    return Document(h1_title or head_title or _title_from_name(path), "html", sections)


def _load_pdf(path: Path) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if path.stat().st_size == 0:
        raise EmptyDocument(f"{path}: the file is empty")
    # pypdf logs each repair it attempts; a broken file is reported once, as an error, below.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise UnreadableDocument(
                f"{path}: the PDF is encrypted; save an unprotected copy and add that"
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = reader.metadata.title if reader.metadata else None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocument(f"{path}: not a readable PDF ({exc}); is it corrupt?") from None
    sections = [Section(text.strip(), None, number) for number, text in enumerate(pages, 1)]
    if not any(s.text for s in sections):
        raise EmptyDocument(
            f"{path}: the PDF has no text layer (a scan?); run OCR on it and add the result"
        )
    first_line = next((s.text.split("\n", 1)[0].strip() for s in sections if s.text), "")
    title = (meta_title or "").strip() or first_line[:120] or _title_from_name(path)
    return Document(title, "pdf", sections)


def chunk(sections: list[Section]) -> list[Chunk]:
    """Cut every section into overlapping chunks; chunks never span two sections or pages."""
    chunks: list[Chunk] = []
    for section in sections:
        for text in split_text(section.text):
            chunks.append(Chunk(text, section.section, section.page, len(chunks)))
    return chunks


def split_text(
    text: str, target: int = CHUNK_TARGET, limit: int = CHUNK_MAX, overlap: int = CHUNK_OVERLAP
) -> list[str]:
    """Pieces of about `target` characters (at most `limit`), cut between words; each piece
    after the first starts with the last `overlap` or so characters of the one before it."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    start = 0
    while start < len(text):
        end = _cut(text, start, target, limit)
        pieces.append(text[start:end].strip())
        if end >= len(text):
            break
        start = _overlap_start(text, start, end, overlap)
    return [p for p in pieces if p]


def _cut(text: str, start: int, target: int, limit: int) -> int:
    """Where a piece starting at `start` ends: a paragraph, line, sentence or word break."""
    if len(text) - start <= limit:
        return len(text)
    window = text[start : start + limit]
    low = target // 2
    for pattern in ("\n\n", "\n", ". ", "; ", ", ", " "):
        at = window.rfind(pattern, low)
        if at > 0:
            # A sentence or clause keeps its punctuation; whitespace breaks are dropped.
            return start + at + (1 if pattern in (". ", "; ", ", ") else 0)
    # One "word" longer than the limit (a URL, a hash): cut at its next break instead.
    space = re.compile(r"\s").search(text, start + limit)
    return space.start() if space else len(text)


def _overlap_start(text: str, start: int, end: int, overlap: int) -> int:
    """Start of the next piece: `overlap` characters back from `end`, moved to a word start."""
    back = max(start + 1, end - overlap)
    space = text.find(" ", back, end)
    newline = text.find("\n", back, end)
    breaks = [b for b in (space, newline) if b >= 0]
    return min(breaks) + 1 if breaks else end
