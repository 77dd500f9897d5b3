"""The general lexicon (lexicon.yaml) loaded, checked against the reader's enums and compiled,
and the scanner that finds its phrases in a question, longest match first."""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from agent.reader.slots import Action, Grain, Intent, Kpi, Op, Reason, Scope, Split
from common.errors import EMSError

LEXICON_FILE = Path(__file__).with_name("lexicon.yaml")
REFERENT_KINDS = frozenset({"that", "pair", "same", "time", "topic", "larger", "smaller"})
# Features the reader derives from slots rather than from cue words.
STRUCTURAL = frozenset(
    {
        "bias",
        "meter",
        "carrier",
        "scope",
        "period",
        "measure",
        "metric",
        "driver",
        "operation",
        "grain",
        "split",
        "threshold",
        "horizon",
        "hour_window",
        "price",
        "emission_factor",
        "rule_ref",
        "alert_ref",
        "incident_ref",
        "incident_named",
        "incident_listing",
        "action",
        "control",
        "unknown_name",
        "sql",
    }
)


class InvalidLexicon(EMSError):
    """The lexicon file does not follow its schema; the message names the entry."""


@dataclass(frozen=True)
class Entry:
    table: str
    key: str
    pattern: re.Pattern[str]
    rank: int  # the table's place in `priority`: lower wins a tie
    # The phrase's first word when it is a plain word: a question without that word cannot
    # match, so the scan skips the pattern (most of a thousand patterns, for a short question).
    # A word glued to the next by an optional space (" ?": "run ?books?") is no anchor, since
    # "runbooks" holds no word "run".
    anchor: str | None = None


ANCHOR = re.compile(r"([a-z][a-z0-9]+)(?= (?!\?)|$)")
WORD = re.compile(r"[^\W_]+")


def anchor_of(phrase: str) -> str | None:
    found = ANCHOR.match(phrase.strip())
    return found.group(1) if found else None


@dataclass(frozen=True)
class CalendarWords:
    """Month and weekday names and the words around them, in every language the lexicon
    holds: names map to a month (1-12) or a weekday (0 = Monday)."""

    months: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    weekdays: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    needs_lead: frozenset[str] = frozenset()  # names that are ordinary words too ("may")
    leads: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    after: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    # "the first week of", "die letzten 3 Tage im": a stretch of days inside a month, by its
    # place (first, second, third, fourth, last), its unit (day, days, week, weeks), the words
    # between it and the month ("of") and before it ("article")
    month_parts: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    day_leads: tuple[str, ...] = ()
    date_leads: tuple[str, ...] = ()  # before a date in numbers only ("no dia 20/10")
    month_leads: tuple[str, ...] = ()
    # each phrase ("semana passada") and the period it names in the tools' grammar
    periods: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    until: tuple[str, ...] = ()  # "up to", "até": a later day ends the period before it
    so_far: tuple[str, ...] = ()  # "so far", "bisher": a period running now ends at now
    whole: tuple[str, ...] = ()  # "full", "whole": "the last 7 full days" end yesterday
    # what, said of a day right after it, makes the day a remark and not a period asked
    # about ("the 1st of May was a holiday", "today isn't finished"), as patterns; and the
    # words that may open such a remark ("keep in mind")
    remark_after: tuple[str, ...] = ()
    remark_before: tuple[str, ...] = ()
    # "we changed the schedule on 1 May": a change the user made, said before the day it was
    # made; with another period asked, that day is context, not a period asked (as patterns)
    event_before: tuple[str, ...] = ()
    # what, said of a day, points back at a kind of day named before it ("(12 Oct was one)"
    # after "public holidays"): always a remark explaining that word, never the period asked
    remark_back: tuple[str, ...] = ()
    # words that leave a day out of the period beside the negation words ("leaving out"),
    # and words naming a day off ("yesterday's holiday") said with the day left out
    leave_out: tuple[str, ...] = ()
    holiday: tuple[str, ...] = ()
    # what, said of a stated time-of-use window's price, makes the window skip the site's
    # public holidays ("doesn't apply on public holidays", "exceto feriados"), as patterns
    holidays_off: tuple[str, ...] = ()
    range_to: tuple[str, ...] = ()  # "to", "a", "bis": join the two ends of a range of days
    range_from: tuple[str, ...] = ()  # "from", "de", "vom": may open one
    day_of: tuple[str, ...] = ()  # "of", "de": between a day and its month ("27 de setembro")
    # "same days 1-27", "dias 1 a 27": days of the month, written before their numbers, that
    # cut each month asked about to them
    days_of_each: tuple[str, ...] = ()
    day_first: frozenset[str] = frozenset()  # countries writing 12/10 for 12 October
    month_first: frozenset[str] = frozenset()  # and those writing it for 10 December


@dataclass(frozen=True)
class Hit:
    table: str
    key: str
    start: int
    end: int


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per file loaded
class Lexicon:
    stop_words: frozenset[str]
    fillers: frozenset[str]
    ordinary: frozenset[str]
    abbreviations: Mapping[str, str]
    number_words: Mapping[str, int]
    entries: tuple[Entry, ...]
    weights: Mapping[Intent, Mapping[str, float]]
    phrase_words: frozenset[str]  # plain words used in phrases
    correctable: frozenset[str] = frozenset()  # what a misspelt word may be corrected to
    negations: frozenset[str] = frozenset()  # "not", "except", "without": leave something out
    negation_between: frozenset[str] = frozenset()  # "the", "any of": between one and its object
    dismissals: frozenset[str] = frozenset()  # "forget", "ignore": what follows is not asked
    subtractions: frozenset[str] = frozenset()  # "minus": a difference, nothing left out
    # tariff periods by name, as patterns: every language's words (a site's own come from its
    # catalogue); the off-peak ones name the hours outside the priced periods
    period_names: tuple[str, ...] = ()
    off_peak_names: tuple[str, ...] = ()
    # the hours outside a stated period, without a name ("otherwise", "sonst", "senão")
    other_hours: tuple[str, ...] = ()
    calendar: CalendarWords = CalendarWords()
    # what labels an amount per m³ as a gas's calorific value ("Brennwert"), as patterns
    calorific_labels: tuple[str, ...] = ()
    # "last night", "letzte Nacht": the night before today, as patterns
    last_night: tuple[str, ...] = ()
    # "the night of", "Nacht vom": before two days, the one night between them, as patterns
    night_of: tuple[str, ...] = ()
    # "that", "dieser", "desse": before a period, it is the one just discussed (as patterns)
    demonstratives: tuple[str, ...] = ()
    # "the factor we have in the system", "catalogue factor": the site's own emission factor,
    # not one stated earlier in the conversation (as patterns)
    own_factor: tuple[str, ...] = ()
    # "m²", "square metres": a number before one is a stated floor area
    area_units: tuple[str, ...] = ()
    # "both supplies (A + B)": what the meters named are, when each is at the top of its tree
    supply_words: frozenset[str] = frozenset()
    # "the compressor data", "pump readings": a word for a kind of meter right before one of
    # these is said of the kind, every meter of it, not of one to be asked which
    of_the_kind: frozenset[str] = frozenset()
    # "the night part", "the product", "the electricity side": nouns of the language that say
    # nothing of which meter, never taken to name one by its catalogue entry
    generic_words: frozenset[str] = frozenset()
    shift_words: tuple[str, ...] = ("shift",)  # "shift", "Schicht", "turno"
    # shift names that mean the same in each language ("late", "spät", "tarde")
    shift_names: tuple[tuple[str, ...], ...] = ()
    # words just before the whole of a share between two meters: those of "share of X in Y"
    # first, then those of "Y's share of X" ("of", German "am", Portuguese "do")
    whole_words: tuple[frozenset[str], ...] = (frozenset({"in", "within"}), frozenset({"of"}))

    def shift_aliases(self, name: str) -> tuple[str, ...]:
        """A site's shift name and the names that mean the same in the lexicon's languages."""
        same = next((line for line in self.shift_names if name.lower() in line), ())
        return tuple(dict.fromkeys((name.lower(), *same)))

    @property
    def known_words(self) -> frozenset[str]:
        return (
            self.stop_words
            | self.fillers
            | self.phrase_words
            | frozenset(self.abbreviations)
            | frozenset(self.number_words)
            | self.generic_words
        )

    def negation_before(self, words: Sequence[str], passable: Container[int] = ()) -> int | None:
        """Where in `words` (lower case, in order) the negation is that the last of them lead
        back to ("not the", "except any of"), skipping the words allowed between and the places
        `passable` names (a meter's name, a day); None when they lead to none."""
        i = len(words) - 1
        while i >= 0 and (words[i] in self.negation_between or i in passable):
            i -= 1
        return i if i >= 0 and words[i] in self.negations else None

    def dismissed(self, words: Sequence[str]) -> bool:
        """Whether the words (lower case, in order) end in a dismissal of what follows them
        ("ok forget the", "ignore")."""
        i = len(words) - 1
        while i >= 0 and words[i] in self.negation_between:
            i -= 1
        return i >= 0 and words[i] in self.dismissals

    def names_word(self, word: str) -> bool:
        """Some phrase of the lexicon is exactly this one word ("consumers", "unusual")."""
        return bool(_word_tables(self, word))

    def word_tables(self, word: str) -> tuple[str, ...]:
        """The tables (in the lexicon's order, once each) with a phrase that is exactly this one
        word: "kwh" is a unit, "unusual" an anomaly word."""
        return _word_tables(self, word)

    def rank(self, table: str) -> int:
        return next((e.rank for e in self.entries if e.table == table), len(self.entries))

    def scan(self, text: str, extra: tuple[Entry, ...] = ()) -> list[Hit]:
        """Non-overlapping phrase matches in `text`, longest first, then by table priority."""
        found: list[tuple[int, int, int, Entry]] = []
        present = frozenset(WORD.findall(text))
        for entry in (*self.entries, *extra):
            if entry.anchor is not None and entry.anchor not in present:
                continue
            for m in entry.pattern.finditer(text):
                if m.end() > m.start():
                    found.append((m.start(), m.end(), entry.rank, entry))
        found.sort(key=lambda f: (-(f[1] - f[0]), f[2], f[0]))
        taken: list[tuple[int, int]] = []
        hits: list[Hit] = []
        for start, end, _, entry in found:
            if any(start < b and end > a for a, b in taken):
                continue
            taken.append((start, end))
            hits.append(Hit(entry.table, entry.key, start, end))
        return sorted(hits, key=lambda h: h.start)


@lru_cache(maxsize=8192)  # bounded: a long-running agent sees ever new words
def _word_tables(lexicon: Lexicon, word: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(e.table for e in lexicon.entries if e.pattern.fullmatch(word)))


def phrase_body(phrase: str) -> str:
    """A phrase's pattern without word boundaries: spaces as spaces or hyphens."""
    body = re.sub(r" \?", r"[\\s-]*", phrase.strip())
    return re.sub(r" +", r"[\\s-]+", body)


def compile_phrases(phrases: list[str], where: str) -> re.Pattern[str]:
    """One pattern for a list of phrases; a space stands for spaces or hyphens, " ?" for
    optional ones ("kwh ?/ ?unit" matches "kwh/unit" and "kwh / unit")."""
    # the regex alternation takes the first alternative that fits: try the longest first
    parts = [f"(?:{phrase_body(p)})" for p in sorted(phrases, key=len, reverse=True)]
    try:
        return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")
    except re.error as exc:
        raise InvalidLexicon(f"lexicon {where}: a phrase is not a valid pattern: {exc}") from None


def _split(value: Any, where: str) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        raise InvalidLexicon(f"lexicon {where}: expected phrases separated by ';'")
    return [p.strip() for p in value.split(";") if p.strip()]


def _check_key(table: str, key: str) -> None:
    head = key.split("/", 1)[0]
    allowed: dict[str, frozenset[str]] = {
        "measure": frozenset(k.value for k in Kpi),
        "operation": frozenset(o.value for o in Op),
        "grain": frozenset(g.value for g in Grain),
        "split": frozenset(s.value for s in Split),
        "scope": frozenset(s.value for s in Scope),
        "referent": REFERENT_KINDS,
        "action": frozenset(a.value for a in Action),
        "unsupported": frozenset(r.value for r in Reason),
        "follow": frozenset({"follow"}),
    }
    if table in allowed and head not in allowed[table]:
        names = ", ".join(sorted(allowed[table]))
        raise InvalidLexicon(f"lexicon tables.{table}: unknown key {key!r}; keys are: {names}")


def _entries(raw: Mapping[str, Any], priority: list[str]) -> tuple[Entry, ...]:
    entries = []
    for table, keys in raw.items():
        if table not in priority:
            raise InvalidLexicon(f"lexicon tables.{table}: the table is not listed in priority")
        if not isinstance(keys, Mapping):
            raise InvalidLexicon(f"lexicon tables.{table}: expected a mapping of keys to phrases")
        for key, value in keys.items():
            where = f"tables.{table}.{key}"
            _check_key(table, str(key))
            # one pattern per phrase: the scan, not the alternation, picks the longest match
            for phrase in _split(value, where):
                pattern = compile_phrases([phrase], where)
                anchor = anchor_of(phrase)
                entries.append(Entry(table, str(key), pattern, priority.index(table), anchor))
    return tuple(entries)


def _weights(raw: Any, cues: frozenset[str]) -> Mapping[Intent, Mapping[str, float]]:
    if not isinstance(raw, Mapping):
        raise InvalidLexicon("lexicon intents: expected a mapping of intent to feature weights")
    known = STRUCTURAL | cues | {f"unsupported:{r.value}" for r in Reason}
    out: dict[Intent, Mapping[str, float]] = {}
    for name, weights in raw.items():
        try:
            intent = Intent(name)
        except ValueError:
            raise InvalidLexicon(f"lexicon intents: unknown intent {name!r}") from None
        unknown = set(weights) - known
        if unknown:
            raise InvalidLexicon(f"lexicon intents.{name}: unknown features {sorted(unknown)}")
        out[intent] = MappingProxyType({k: float(v) for k, v in weights.items()})
    return MappingProxyType(out)


def _words(raw: Any, where: str) -> frozenset[str]:
    if not isinstance(raw, str):
        raise InvalidLexicon(f"lexicon {where}: expected words separated by spaces")
    return frozenset(raw.split())


def _phrase_words(raw: Mapping[str, Any]) -> frozenset[str]:
    """Plain words of the phrases (no pattern syntax): what a typo may be corrected to."""
    words: set[str] = set()
    for keys in raw.values():
        for value in keys.values():
            for phrase in str(value).split(";"):
                words.update(w for w in phrase.split() if re.fullmatch(r"[a-z]{2,}", w))
    return frozenset(words)


def parse_lexicon(data: Any) -> Lexicon:
    """A lexicon from its parsed YAML; raises InvalidLexicon naming the first problem."""
    if not isinstance(data, Mapping) or data.get("version") != 1:
        raise InvalidLexicon("lexicon: expected a mapping with 'version: 1'")
    for required in ("stop_words", "fillers", "tables", "priority", "intents"):
        if required not in data:
            raise InvalidLexicon(f"lexicon: missing '{required}'")
    tables = data["tables"]
    if not isinstance(tables, Mapping):
        raise InvalidLexicon("lexicon tables: expected a mapping of table names")
    cues = frozenset(str(k) for k in (tables.get("cue") or {}))
    negations, between = _negation(data.get("negation"))
    dismissals = _words((data.get("negation") or {}).get("dismiss", ""), "negation.dismiss")
    subtractions = _words((data.get("negation") or {}).get("subtract", ""), "negation.subtract")
    periods, off_peak, other_hours = _period_names(data.get("tariff_period_names"))
    return Lexicon(
        stop_words=_words(data["stop_words"], "stop_words"),
        fillers=_words(data["fillers"], "fillers"),
        ordinary=_words(data.get("ordinary_words", ""), "ordinary_words"),
        abbreviations=MappingProxyType(dict(data.get("abbreviations") or {})),
        number_words=MappingProxyType(
            {str(k): int(v) for k, v in (data.get("number_words") or {}).items()}
        ),
        entries=_entries(tables, list(data["priority"])),
        weights=_weights(data["intents"], cues),
        phrase_words=_phrase_words(tables),
        correctable=_words(data.get("correctable_words", ""), "correctable_words"),
        negations=negations,
        negation_between=between,
        dismissals=dismissals,
        subtractions=subtractions,
        period_names=periods,
        off_peak_names=off_peak,
        other_hours=other_hours,
        calendar=_calendar(data.get("calendar")),
        calorific_labels=_phrase_list(data.get("calorific_value_labels"), "calorific_value_labels"),
        last_night=_phrase_list(data.get("last_night"), "last_night"),
        night_of=_phrase_list(data.get("night_of"), "night_of"),
        demonstratives=_phrase_list(data.get("demonstratives"), "demonstratives"),
        own_factor=_phrase_list(data.get("own_factor"), "own_factor"),
        area_units=_phrase_list(data.get("area_units"), "area_units"),
        supply_words=_words(data.get("supply_words", ""), "supply_words"),
        of_the_kind=_words(data.get("of_the_kind", ""), "of_the_kind"),
        generic_words=_words(data.get("generic_words", ""), "generic_words"),
        **_shift_words(data.get("shift_words")),
        **_whole_words(data.get("share_whole")),
    )


def _whole_words(raw: Any) -> dict[str, Any]:
    """The words before the whole of a share, strongest first; English alone if none."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
        raise InvalidLexicon(
            "lexicon share_whole: expected 'in' and 'of', words separated by spaces"
        )
    return {"whole_words": tuple(_words(v, f"share_whole.{k}") for k, v in raw.items())}


def _shift_words(raw: Any) -> dict[str, Any]:
    """The words for a shift and the shift names that mean the same; English alone if none."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not isinstance(raw.get("names", []), list):
        raise InvalidLexicon("lexicon shift_words: expected 'words' and a list of 'names'")
    names = tuple(tuple(_split(line, "shift_words.names")) for line in raw.get("names", []))
    return {"shift_words": tuple(_split(raw.get("words", "shift"), "shift_words.words")),
            "shift_names": names}  # fmt: skip


def _period_names(raw: Any) -> tuple[tuple[str, ...], ...]:
    """The tariff periods' names (other, off-peak) and the words for the hours outside a
    stated period, as patterns; none when the lexicon has none."""
    if raw is None:
        return (), (), ()
    if not isinstance(raw, Mapping) or set(raw) - {"off_peak", "other", "other_hours"}:
        raise InvalidLexicon(
            "lexicon tariff_period_names: expected 'off_peak', 'other' and 'other_hours'"
        )
    out: dict[str, tuple[str, ...]] = {}
    for key in ("other", "off_peak", "other_hours"):
        where = f"tariff_period_names.{key}"
        phrases = _split(raw[key], where) if key in raw else []
        for phrase in phrases:
            compile_phrases([phrase], where)  # a bad pattern is named here, not at read time
        out[key] = tuple(phrase_body(p) for p in phrases)
    return out["other"], out["off_peak"], out["other_hours"]


def _phrase_list(raw: Any, where: str) -> tuple[str, ...]:
    """Phrases separated by ';' as patterns, longest first; none when the lexicon has none."""
    if raw is None:
        return ()
    phrases = _split(raw, where)
    compile_phrases(phrases, where)  # a bad pattern is named here, not at read time
    return tuple(phrase_body(p) for p in sorted(phrases, key=len, reverse=True))


def _names(raw: Any, where: str, size: int) -> Mapping[str, int]:
    """Lines of names, the first line numbered 1 (months) or 0 (weekdays); a hyphenated name
    is also read with a space ("segunda feira")."""
    if not isinstance(raw, list) or len(raw) != size:
        raise InvalidLexicon(f"lexicon calendar.{where}: expected {size} lines of names")
    first = 1 if where == "months" else 0
    out: dict[str, int] = {}
    for i, line in enumerate(raw):
        for name in _words(line, f"calendar.{where}"):
            if name in out:
                raise InvalidLexicon(f"lexicon calendar.{where}: {name!r} is listed twice")
            out[name] = out[name.replace("-", " ")] = i + first
    return MappingProxyType(out)


def _phrase_map(raw: Any, where: str) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise InvalidLexicon(f"lexicon calendar.{where}: expected a mapping of keys to phrases")
    out = {str(k): tuple(_split(v, f"calendar.{where}.{k}")) for k, v in raw.items()}
    return MappingProxyType(out)


def _optional(raw: Any, where: str) -> tuple[str, ...]:
    return () if raw is None else tuple(_split(raw, where))


def _calendar(raw: Any) -> CalendarWords:
    """The calendar words; none when the lexicon has none (no month or day is then read)."""
    if raw is None:
        return CalendarWords()
    if not isinstance(raw, Mapping):
        raise InvalidLexicon("lexicon calendar: expected a mapping")
    order = raw.get("date_order") or {}
    if not isinstance(order, Mapping):
        raise InvalidLexicon("lexicon calendar.date_order: expected 'day_first' and 'month_first'")
    periods = {
        phrase: str(period)
        for period, phrases in _phrase_map(raw.get("periods", {}), "periods").items()
        for phrase in phrases
    }
    return CalendarWords(
        months=_names(raw.get("months"), "months", 12),
        weekdays=_names(raw.get("weekdays"), "weekdays", 7),
        needs_lead=_words(raw.get("needs_lead", ""), "calendar.needs_lead"),
        leads=_phrase_map(raw.get("leads", {}), "leads"),
        after=_phrase_map(raw.get("after", {}), "after"),
        month_parts=_phrase_map(raw.get("month_parts", {}), "month_parts"),
        day_leads=_optional(raw.get("day_leads"), "calendar.day_leads"),
        date_leads=_optional(raw.get("date_leads"), "calendar.date_leads"),
        month_leads=_optional(raw.get("month_leads"), "calendar.month_leads"),
        until=_optional(raw.get("until"), "calendar.until"),
        so_far=_optional(raw.get("so_far"), "calendar.so_far"),
        whole=_optional(raw.get("whole"), "calendar.whole"),
        remark_after=_optional(raw.get("remark_after"), "calendar.remark_after"),
        remark_before=_optional(raw.get("remark_before"), "calendar.remark_before"),
        event_before=_optional(raw.get("event_before"), "calendar.event_before"),
        remark_back=_optional(raw.get("remark_back"), "calendar.remark_back"),
        leave_out=_optional(raw.get("leave_out"), "calendar.leave_out"),
        holiday=_optional(raw.get("holiday"), "calendar.holiday"),
        holidays_off=_optional(raw.get("holidays_off"), "calendar.holidays_off"),
        range_to=_optional(raw.get("range_to"), "calendar.range_to"),
        range_from=_optional(raw.get("range_from"), "calendar.range_from"),
        day_of=_optional(raw.get("day_of"), "calendar.day_of"),
        days_of_each=_optional(raw.get("days_of_each"), "calendar.days_of_each"),
        periods=MappingProxyType(periods),
        day_first=_words(order.get("day_first", ""), "calendar.date_order.day_first"),
        month_first=_words(order.get("month_first", ""), "calendar.date_order.month_first"),
    )


def _negation(raw: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The negation words and the words between; with none, no word leaves anything out."""
    if raw is None:
        return frozenset(), frozenset()
    if not isinstance(raw, Mapping) or not isinstance(raw.get("words"), str):
        raise InvalidLexicon(
            "lexicon negation: expected 'words' and 'between', words separated by spaces"
        )
    return _words(raw["words"], "negation.words"), _words(raw.get("between", ""), "between")


def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """Read and check a lexicon file (the shipped one by default)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidLexicon(f"cannot read lexicon {path}: {exc}") from None
    return parse_lexicon(data)


@cache
def default_lexicon() -> Lexicon:
    return load_lexicon()
