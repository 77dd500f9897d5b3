"""Keyword ranking (BM25) of the knowledge store's chunks, and its fusion with vector search.

Embeddings find passages that mean the same thing in other words; exact names (meter names,
alarm codes, `base_load`, "delta-T") are better found by the words themselves. The two rankings
are fused by reciprocal rank, which needs no tuning of one score against the other.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_WORD = re.compile(r"\w+(?:[-./]\w+)*")
RRF_K = 60  # the usual constant of reciprocal rank fusion: damps the weight of the top ranks


def tokens(text: str) -> list[str]:
    """Lower-case words without stop words, crudely singular; a hyphenated name such as
    "pump-3" yields itself and its parts, so either spelling matches."""
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        parts = [word, *re.split(r"[-./]", word)] if re.search(r"[-./]", word) else [word]
        for part in parts:
            if not part or part in ENGLISH_STOP_WORDS:
                continue
            if len(part) > 3 and part.endswith("s") and not part.endswith("ss"):
                part = part[:-1]
            out.append(part)
    return out


class BM25:
    """Okapi BM25 over a fixed list of texts."""

    def __init__(self, texts: Sequence[str], k1: float = 1.4, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.docs = [Counter(tokens(t)) for t in texts]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        frequency: Counter[str] = Counter()
        for doc in self.docs:
            frequency.update(doc.keys())
        n = len(self.docs)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in frequency.items()}

    def scores(self, query: str) -> list[float]:
        words = set(tokens(query))
        out = []
        for doc, length in zip(self.docs, self.lengths, strict=True):
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * length / (self.avg or 1.0))
            for word in words & doc.keys():
                tf = doc[word]
                score += self.idf[word] * tf * (self.k1 + 1) / (tf + norm)
            out.append(score)
        return out

    def top(self, query: str, ids: Sequence[str], n: int) -> list[str]:
        """The ids of the `n` best-scoring texts that share at least one word with the query."""
        scored = [(s, i) for s, i in zip(self.scores(query), ids, strict=True) if s > 0]
        scored.sort(key=lambda pair: -pair[0])
        return [i for _, i in scored[:n]]


def fuse(*rankings: Sequence[str], k: int = RRF_K) -> list[str]:
    """Reciprocal rank fusion: ids ordered by the sum of 1 / (k + rank) over the rankings."""
    total: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            total[item] = total.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(total, key=lambda item: -total[item])
