"""The renderer of knowledge searches: the passages that answer the query, condensed in their
own words with their citations, or an honest "nothing on that" with what the library holds."""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz

from agent.render.base import Parts, Renderer, Row, renders
from agent.render.text import rounded
from tools.knowledge import KnowledgeResult

FILLER = frozenset(
    """
    a about above according after again all also am an and any anything are as ask at be been
    before being best between both but by can could did do does doing done during each either
    else ever every for from get give got had has have having he her here hers how i if in into
    is it its itself just know let like look me might mine more most must my myself need no nor
    not now of off ok okay on once one only or other our ours out over own past please previous
    previously prior really recommend recommends recommended say says said see seen she should
    show so some something tell than thank thanks that the their them then there these they
    list name
    this those though through to too under until up us very want was we were what whats when
    where which while who whom why will with would yes you your yours
    runbook runbooks run book books manual manuals procedure procedures documentation document
    documents doc docs guideline guidelines guidance sop sops checklist checklists handbook
    library playbook instructions instruction knowledge practice practices
    happen happened happens happening occur occurred occurs similar comparable related earlier
    incident incidents event events case cases occurrence occurrences episode episodes history
    log record records faced experienced encountered dealt time times last again
    week weeks month months year years today yesterday day days
    is it's there's what's how's where's that's
    """.split()
)
# Words that say what to do rather than what about: they rank sections, not topics.
ACTIONS = frozenset(
    """
    check checks checking find finding fix fixes fixing fixed detect locate spot measure
    calculate compute verify confirm prove read interpret test identify decide choose set
    survey investigate troubleshoot diagnose repair clean cleaning reduce lower prevent avoid
    stop handle deal improve cut solve tackle cause causes caused mean means define definition
    explain difference work works worked way ways step steps tips tip safe safety usual likely
    common typical first problem problems issue issues fault faults wrong
    """.split()
)
# Letters of any script ("água", "kältemaschine"): a name's accented letters are part of it.
_WORD = re.compile(r"[^\W_](?:[^\W_]|[()&/+.-])*(?:[^\W_]|\))|[^\W_]")


def words(text: str) -> list[str]:
    """Lower-case words of `text`, hyphenated names ("pump-2") kept whole."""
    return _WORD.findall(text.lower().replace("\u2019", "'").replace("'s ", " "))


# What a question asks for, as the section of a runbook that answers it.
SECTIONS = (
    # "without stopping production" is no fix asked for
    (
        "fixes",
        r"\b(?<!without )(?:fix|stop|prevent|avoid|repair|reduce|lower|solve|tackle|get rid|"
        r"cure)\w*",
    ),
    (
        "checks",
        r"\b(?:check|find|detect|locate|diagnose|troubleshoot|investigat|test|survey|spot|"
        r"confirm(?! that| the fix| it worked))",
    ),
    ("causes", r"\b(?:causes?|caused|why)\b"),
    (
        "safety",
        r"\b(?:safe|safety|danger\w*|hazard\w*|watch out|look out|be careful|beware|pitfalls?|"
        r"precautions?)\b",
    ),
    ("verify", r"\b(?:verify|prove|proof|confirm that|did it work|worked)\b"),
    ("symptoms", r"\b(?:symptoms?|signs?|looks? like|shows? up)\b"),
)


def asked_sections(text: str) -> list[str]:
    """The kinds of section a question asks for: "how do I stop ..." wants the fixes."""
    return [name for name, pattern in SECTIONS if re.search(pattern, text)]


# ------------------------------------------------------------------ the answer

MAX_PASSAGES = 3
SECTION_BONUS = 0.03  # about the spread of similarity between sections of one document
MAX_SENTENCES = 3
# words of a question that asks for an amount: a passage's sentences with a figure answer it
QUANTITY_WORDS = frozenset(
    "much many roughly approximately approx typically typical percent percentage".split()
)
_FIGURE = re.compile(r"\d")
MAX_CHARS = 480
MAX_LISTED = 12  # document titles named when the library has nothing on a question
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`(\"'])")


def _matches(term: str, vocabulary: set[str]) -> bool:
    """A query word found in a passage: the same word, the same stem, or a close misspelling."""
    if term in vocabulary:
        return True
    stem = term[: max(4, len(term) - 3)] if len(term) >= 5 else None
    for word in vocabulary:
        if stem and word.startswith(stem):
            return True
        if len(term) >= 5 and len(word) >= 4 and fuzz.ratio(term, word) >= 85:
            return True
    return False


def topic_terms(query: str) -> list[str]:
    """The query's words that name a topic (equipment, symptom, concept), or all of them when
    it has none."""
    terms = [w for w in words(query) if w not in FILLER]
    topical = [w for w in terms if w not in ACTIONS]
    return topical or terms


def coverage(query: str, passage: dict[str, Any]) -> tuple[float, float]:
    """How well the passage (text, title, heading) covers the query's topic words: the share
    of them it contains, and how often it uses them (up to twice each, as a share)."""
    terms = topic_terms(query)
    if not terms:
        return 0.0, 0.0
    where = words(" ".join(str(passage.get(k) or "") for k in ("text", "title", "section")))
    vocabulary = set(where)
    share = sum(_matches(t, vocabulary) for t in terms) / len(terms)
    uses = sum(min(2, sum(_matches(t, {w}) for w in where)) for t in terms)
    return share, uses / (2 * len(terms))


def relevant(query: str, passages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The passages that answer the query, best first, one per document section: at least half
    of its topic words appear in them (similarity scores rank, but cannot tell a near miss from
    nothing); a third one only when it scores close to the best."""
    wanted = [name[:5] for name in asked_sections(query)]

    def rank(p: dict[str, Any]) -> float:
        # a small lift for the section the question asks for ("fixes" for "how do I stop")
        heading = str(p.get("section") or "").lower()
        return float(p.get("score") or 0.0) + SECTION_BONUS * any(w in heading for w in wanted)

    scores = sorted((float(p.get("score") or 0.0) for p in passages), reverse=True)
    # A third passage must stand out from the rest of what the search returned: in the upper
    # half between the best and the worst score (scale-free, so any embedder's scores do).
    floor = scores[0] - 0.5 * (scores[0] - scores[-1]) if len(scores) >= 4 else float("-inf")
    chosen: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for p in sorted(passages, key=rank, reverse=True):
        key = (str(p.get("source")), str(p.get("section")))
        below = float(p.get("score") or 0.0) < floor
        if key in seen or coverage(query, p)[0] < 0.5 or (len(chosen) >= 2 and below):
            continue
        seen.add(key)
        chosen.append(p)
    return chosen[:MAX_PASSAGES]


def units(text: str) -> list[str]:
    """The passage's sentences and list items, wrapped lines joined, list markers dropped."""
    return [u for u, _ in _marked_units(text)]


def _marked_units(text: str) -> list[tuple[str, bool]]:
    """units(), each with whether it is (a sentence of) a list item."""
    blocks: list[tuple[str, bool]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            blocks.append(("", False))
            continue
        item = bool(_LIST_ITEM.match(line))
        if item or not blocks or not blocks[-1][0]:
            blocks.append((_LIST_ITEM.sub("", line).strip(), item))
        else:
            blocks[-1] = (blocks[-1][0] + " " + line.strip(), blocks[-1][1])
    out: list[tuple[str, bool]] = []
    for block, item in blocks:
        if block:
            out += [(s.strip(), item) for s in _SENTENCE_END.split(block) if s.strip()]
    return out


def condense(text: str, query: str, heading: str = "") -> str:
    """A few consecutive sentences of the passage, in its own words: the run of up to
    MAX_SENTENCES (about MAX_CHARS) that carries the most query words, the earliest on a tie.
    Words the section's heading already says ("IPMVP options" for "IPMVP option C vs option
    B") are cited with it, so they do not choose the sentences; the rest do."""
    marked = _marked_units(text)
    if len(marked) > 1 and not marked[0][0][:1].isupper() and not marked[0][0][:1].isdigit():
        marked = marked[1:]  # the tail of a sentence the previous chunk holds
    found = [u for u, _ in marked]
    items = [item for _, item in marked]
    if not found:
        return text.strip()
    terms = [t for t in words(query) if t not in FILLER]
    quantity = bool(QUANTITY_WORDS & set(words(query)))
    headed = set(words(heading))
    rest = [t for t in terms if not _matches(t, headed)]
    terms = rest or terms
    hits = [{t for t in terms if _matches(t, set(words(s)))} for s in found]
    best: tuple[int, list[str]] = (-1, [])
    for start in range(len(found)):
        window: list[str] = []
        covered: set[str] = set()
        said = 0  # sentences, not counting the items of a list a kept sentence introduces
        listing = False
        for i in range(start, len(found)):
            # "ISO 50006 names four types:" keeps the list after it, up to twice the length
            listing = bool(window) and items[i] and (listing or window[-1].endswith(":"))
            limit = 2 * MAX_CHARS if listing else MAX_CHARS
            if window and len(" ".join(window)) + len(found[i]) > limit:
                break
            if not listing:
                if said == MAX_SENTENCES:
                    break
                said += 1
            window.append(found[i])
            covered |= hits[i]
        # the most query words covered; a passage's opening (where definitions and the gist
        # are) must be beaten by two words, a later run by one, unless the opening says none
        # of the words the heading does not
        score = len(covered) + (start == 0 and bool(hits[0]))
        # "roughly how much extra gas ...": a question after a quantity prefers a run with a figure
        score += quantity and any(_FIGURE.search(u) for u in window)
        if score > best[0]:
            best = (score, window)
    return " ".join(s if s[-1] in ".!?:" else s + "." for s in best[1])


def _covers(passages: list[dict[str, Any]], result: dict[str, Any]) -> list[str]:
    """What the library holds, as far as the result tells: its own list, else the titles of
    the passages it returned."""
    listed = result.get("library") or result.get("sources") or []
    titles = [str(t.get("title", t)) if isinstance(t, dict) else str(t) for t in listed]
    titles += [str(p.get("title")) for p in passages if p.get("title")]
    return list(dict.fromkeys(t for t in titles if t))


def answer(result: dict[str, Any]) -> list[str]:
    """The answer's lines from a search_knowledge result."""
    query = str(result.get("query") or "")
    passages = [p for p in result.get("passages") or [] if isinstance(p, dict)]
    incidents = bool(passages) and all(p.get("collection") == "incidents" for p in passages)
    found = relevant(query, passages)
    if not found:
        return _nothing(query, passages, result)
    head = "Similar past incidents" if incidents else "From the knowledge library"
    lines = [f'{head} (searched for "{query}"):']
    for p in found:
        citation = p.get("citation") or p.get("source") or ""
        said = condense(str(p.get("text") or ""), query, str(p.get("section") or ""))
        lines.append(f"- {said} [Source: {citation}]")
    return lines


def _nothing(query: str, passages: list[dict[str, Any]], result: dict[str, Any]) -> list[str]:
    """The honest answer when nothing found answers the query: say so, and what there is."""
    covers = _covers(passages, result)
    listed = "; ".join(covers[:MAX_LISTED])
    if len(covers) > MAX_LISTED:
        listed += f" and {len(covers) - MAX_LISTED} more"
    if str(result.get("collection")) == "incidents":
        if not passages:
            return [f'No past incidents on record match "{query}": none have been recorded yet.']
        return [f'No past incident on record matches "{query}". The closest ones: {listed}.']
    if not passages and not covers:
        return [
            f'The knowledge library has nothing on "{query}": it holds no documents yet. '
            "Add runbooks and manuals with `ems-agent knowledge add PATH`."
        ]
    return [f'The knowledge library has nothing that answers "{query}". It covers: {listed}.']


@renders(KnowledgeResult)
class KnowledgeRenderer(Renderer[KnowledgeResult]):
    def answer(self, r: KnowledgeResult) -> list[str]:
        return answer(r.model_dump())

    def subjects(self, r: KnowledgeResult) -> list[str]:
        return []

    def evidence(self, r: KnowledgeResult, out: Parts) -> None:
        out.citations.extend(p.citation for p in r.passages)
        rows: list[Row] = [
            [p.title, p.section or "", p.source, rounded(p.score, 2)] for p in r.passages
        ]
        if rows:
            columns = ["title", "section", "source", "score"]
            out.tables.append((f"passages found for {r.query!r}", columns, rows))
