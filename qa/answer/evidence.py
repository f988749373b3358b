"""The evidence bundle: everything the composer may look at for one question, gathered once from the index.

`gather(question, hits, store, embedder, query_vector, config)` reads the store and embeds with the query vector it
is given; the composer (`qa.answer.compose.compose`) then touches neither store nor retriever. Without a store
(unit tests, a bare list of hits) the bundle holds what the hits alone give: context and article paragraphs from
the hits, no dense signal, equal term weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from qa.answer.config import ComposerConfig
from qa.index.embed import Embedder
from qa.index.store import Store
from qa.index.tokens import normalize
from qa.query.question import Question
from qa.schema import Hit, Paragraph

SentenceCosines = Callable[[list[str]], np.ndarray]  # sentences -> their cosines with the question


@dataclass(frozen=True)
class Evidence:
    """What the retrieved paragraphs say about one question (read-only)."""

    hits: tuple[Hit, ...]  # ranked, best first (after any English glossary fusion)
    context: Mapping[str, str]  # paragraph id -> normalised title, source, text and earlier paragraphs
    articles: Mapping[str, Mapping[int, Paragraph]]  # article id -> its paragraphs by number
    cosines: Mapping[str, float] | None = None  # paragraph id -> cosine of its best chunk; None: no dense signal
    term_weights: Mapping[str, float] = field(default_factory=dict)  # key term -> IDF-like weight; {}: all 1
    model_id: str = ""  # the embedding model's id, for model-keyed floors
    sentence_cosines: SentenceCosines | None = None  # None: no sentence embeddings (semantic fallback off)


def gather(q: Question, hits: Sequence[Hit], store: Store | None = None, embedder: Embedder | None = None,
           query_vector: np.ndarray | None = None, config: ComposerConfig | None = None) -> Evidence:
    """The evidence for `q` from `hits`, reading `store` for context, whole articles, cosines and term weights."""
    config = config or ComposerConfig()
    hits = tuple(hits)
    articles = _articles(hits, store)
    context = MappingProxyType({h.paragraph.id: _context(h.paragraph, hits, store, config) for h in hits})
    dense = store is not None and query_vector is not None
    cosines = MappingProxyType({h.paragraph.id: _cosine(store, h.paragraph.id, query_vector) for h in hits}) \
        if dense else None
    weights = _term_weights(q, store, config) if store is not None else {}
    sentences = _sentence_cosines(embedder, query_vector) if embedder is not None and query_vector is not None \
        else None
    model_id = store.model_id if store is not None else ""
    return Evidence(hits, context, articles, cosines, MappingProxyType(weights), model_id, sentences)


def _articles(hits: tuple[Hit, ...], store: Store | None) -> Mapping[str, Mapping[int, Paragraph]]:
    """Paragraphs by number of every hit's article: the whole article from the store, else those among the hits."""
    out: dict[str, dict[int, Paragraph]] = {}
    for h in hits:
        aid = h.paragraph.article_id
        if aid in out:
            continue
        article = store.article(aid) if store is not None else None
        if article is not None:
            out[aid] = {p.n: p for p in article.paragraphs}
        else:
            out[aid] = {x.paragraph.n: x.paragraph for x in hits if x.paragraph.article_id == aid}
    return MappingProxyType(out)


def _context(p: Paragraph, hits: tuple[Hit, ...], store: Store | None, config: ComposerConfig) -> str:
    """Normalised title + source + paragraph + up to `context_lookback` earlier paragraphs of its article (from the
    store, else from the other hits)."""
    earlier = {h.paragraph.n: h.paragraph.text for h in hits
               if h.paragraph.article_id == p.article_id and p.n - config.context_lookback <= h.paragraph.n < p.n}
    if store is not None:
        for k in range(max(1, p.n - config.context_lookback), p.n):
            other = store.paragraphs.get(f"{p.article_id}#p{k}")
            if other is not None:
                earlier[k] = other.text
    return normalize(" ".join([p.context_title, p.source, p.text, *(earlier[k] for k in sorted(earlier))]))


def _cosine(store: Store, paragraph_id: str, xq: np.ndarray) -> float:
    """Cosine between the query and the best chunk of the paragraph (0 for a paragraph without chunks)."""
    rows = store.chunk_rows.get(paragraph_id)
    return float(np.max(store.vectors[rows] @ xq)) if rows else 0.0


def _term_weights(q: Question, store: Store, config: ComposerConfig) -> dict[str, float]:
    """IDF-like weights in [idf_floor, 1] over the indexed paragraphs (common words such as 工会 count less); the
    document frequencies come from the store's paragraph keyword index (`Store.doc_freq`), not a scan."""
    n = len(store.paragraphs)
    if not n or not q.terms:
        return {}
    df = store.doc_freq(q.terms)
    top = math.log((n + 1) / config.idf_smoothing)
    return {t: config.idf_floor + (1 - config.idf_floor) * math.log((n + 1) / (k + config.idf_smoothing)) / top
            for t, k in df.items()}


def _sentence_cosines(embedder: Embedder, xq: np.ndarray) -> SentenceCosines:
    def cosines(sentences: list[str]) -> np.ndarray:
        return embedder.embed_passages(sentences) @ xq
    return cosines
