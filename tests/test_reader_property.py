"""Nothing is silently dropped: for any question, every token is consumed by exactly one slot,
is a stop word, filler or punctuation, or is reported in `unused`. Questions are made from the
sites' names, the lexicon's words, periods, numbers, units and random words; and from arbitrary
text, which must never make the reader fail."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agent.reader import Frame, Reading, default_lexicon, follow, read
from agent.reader.text import Token
from tests.reader_plants import NOW, PLANTS

LEXICON = default_lexicon()
QUIET = LEXICON.stop_words | LEXICON.fillers
NAMES = sorted({k.label for plant in PLANTS.values() for k in plant.keys})
WORDS = sorted(w for w in LEXICON.phrase_words if len(w) > 2)
PHRASES = [
    "last week", "in September", "from 5 to 11 October", "the first half of 2026", "H1",
    "the week of 12 October", "since Monday", "same period last year", "November last year",
    "YTD", "yesterday", "22:00-06:00", "above 500 kW for more than 30 minutes", "top 3",
    "at 0.30 €/kWh", "peak 8-20 weekdays at 0.30", "0.35 kg/kWh", "30-minute demand",
    "rule 3", "incident 5: replaced the seal", "the two", "both", "as a percentage",
    "and the week before", "power factor", "export to excel", "lst wk", "compresor 2",
]  # fmt: skip
NUMBERS = st.one_of(
    st.integers(0, 5000).map(str),
    st.floats(0, 2000, allow_nan=False).map(lambda f: f"{f:.2f}"),
    st.sampled_from(["0,42", "1,200", "12/10/2026", "2026-10-05", "#4", "10pm"]),
)
FRAGMENT = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(NAMES).map(lambda n: n.upper().replace(" ", "-")),
    st.sampled_from(WORDS),
    st.sampled_from(sorted(QUIET)),
    st.sampled_from(PHRASES),
    NUMBERS,
    st.sampled_from(["kW", "kWh", "€", "%", "MWh", "degC", "?", ",", "'s", "-", ":"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß", min_size=1, max_size=9),
)
SEPARATOR = st.sampled_from([" ", " ", " ", ", ", "-", " - ", "? "])


@st.composite
def questions(draw: st.DrawFn) -> str:
    parts = draw(st.lists(FRAGMENT, min_size=1, max_size=12))
    seps = draw(st.lists(SEPARATOR, min_size=len(parts), max_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, seps, strict=True)).strip()


def _quiet(t: Token) -> bool:
    return not t.is_content or t.norm in QUIET or (t.corrected_from or t.norm) in QUIET


def _accounted(r: Reading) -> None:
    claimed: list[int] = []
    for _, item in r.slots():
        claimed += item.words.tokens
        if item.words.tokens:
            assert r.question[item.words.start : item.words.end] == item.words.text
    assert len(claimed) == len(set(claimed)), "a token was consumed by two slots"
    unused = {i for u in r.unused for i in u.words.tokens}
    assert not unused & set(claimed), "a consumed token is also reported unused"
    for t in r.tokens:
        assert t.index in claimed or t.index in unused or _quiet(t), (
            f"{t.text!r} in {r.question!r} was dropped silently"
        )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=questions(), plant=st.sampled_from(sorted(PLANTS)))
@example(question="deviation expect", plant="werk")  # a forecast word beside a baseline
def test_every_token_is_consumed_quiet_or_reported(question: str, plant: str) -> None:
    _accounted(read(question, PLANTS[plant], NOW))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=questions(), second=questions(), plant=st.sampled_from(sorted(PLANTS)))
def test_a_follow_up_consumes_only_its_own_words(first: str, second: str, plant: str) -> None:
    vocab = PLANTS[plant]
    previous = Frame(read(first, vocab, NOW))
    _accounted(follow(read(second, vocab, NOW), previous, NOW))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_is_read_without_failing(text: str) -> None:
    _accounted(read(text, PLANTS["werk"], NOW))
