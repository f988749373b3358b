"""Hybrid retrieval: dense (faiss or Milvus) and keyword (BM25) rankings fused by reciprocal-rank fusion into paragraph
Hits.

Chunk rankings are folded into paragraph rankings (a paragraph takes the rank of its best chunk). Queries are
normalised first (NFKC, traditional → simplified); the keyword side also searches known abbreviations' full forms.
A `SearchFilter` (date range, sources) narrows both sides before ranking, in the search structures themselves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from qa.errors import IndexStateError
from qa.index.dense import DenseIndex
from qa.index.embed import Embedder
from qa.index.store import Scope, Store
from qa.index.tokens import expand_query, to_simplified
from qa.schema import Hit, SearchFilter

if TYPE_CHECKING:
    from qa.query.english import Lexicon

log = logging.getLogger(__name__)

MODES = ("hybrid", "bm25", "dense")


def rrf(rankings: Sequence[Sequence[str]], k: int = 60) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion: score(id) = sum over rankings of 1 / (k + rank), rank 1-based; best first."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def fold_to_paragraphs(chunk_rows: Sequence[int], chunk_paragraph_ids: Sequence[str]) -> list[str]:
    """Paragraph ids in the order their best chunk appears in `chunk_rows` (ranked chunk rows, -1 ignored)."""
    seen: dict[str, None] = {}
    for row in chunk_rows:
        if row >= 0:
            seen.setdefault(chunk_paragraph_ids[row], None)
    return list(seen)


def dense_paragraphs(dense: DenseIndex, chunk_pids: Sequence[str], xq: np.ndarray,
                     k: int, scope: Scope | None = None) -> tuple[list[str], dict[str, float]]:
    """The top-`k` chunks for the query vector `xq` (within `scope`), folded into paragraph ids (best chunk first)
    with each paragraph's best cosine."""
    D, I = dense.search(xq[None, :], k, scope)
    best: dict[str, float] = {}
    for d, i in zip(D[0].tolist(), I[0].tolist(), strict=True):
        if i >= 0:
            best.setdefault(chunk_pids[i], float(d))
    return fold_to_paragraphs(I[0].tolist(), chunk_pids), best


class Retriever:
    """Searches one loaded Store with one embedder; `search` returns ranked paragraph Hits.

    It keeps no per-query state: concurrent handlers may share it. The English lexicon of its paragraphs is built
    once, on first use, under a lock."""

    def __init__(self, store: Store, embedder: Embedder, candidates: int = 50, rrf_k: int = 60) -> None:
        if store.manifest.model != embedder.name:
            raise IndexStateError(f"index was built with model {store.manifest.model}, now {embedder.name}: "
                                  "run `qa index --rebuild`")
        if candidates < 1 or rrf_k < 1:
            raise ValueError(f"candidates and rrf_k must be >= 1, got {candidates}, {rrf_k}")
        self.store, self.embedder, self.candidates, self.rrf_k = store, embedder, candidates, rrf_k
        self._chunk_pids = [c.paragraph_id for c in store.chunks]
        self._lexicon: Lexicon | None = None
        self._lexicon_lock = threading.Lock()

    def query_vector(self, query: str) -> np.ndarray:
        """The embedded query (traditional characters read as simplified)."""
        return self.embedder.embed_queries([to_simplified(query)])[0]

    def lexicon(self) -> Lexicon:
        """The English → corpus-word lexicon of this store's paragraphs (built on first use, about a second)."""
        with self._lexicon_lock:
            if self._lexicon is None:
                from qa.query.english import Lexicon

                titles = dict.fromkeys(p.title for p in self.store.paragraphs.values())
                self._lexicon = Lexicon.build([*(p.text for p in self.store.paragraphs.values()), *titles])
            return self._lexicon

    def dense_ranking(self, xq: np.ndarray, scope: Scope | None = None) -> tuple[list[str], dict[str, float]]:
        """Paragraph ids by cosine of their best chunk with the query vector `xq`, with those cosines."""
        return dense_paragraphs(self.store.dense, self._chunk_pids, xq, self.candidates, scope)

    def bm25_ranking(self, query: str, scope: Scope | None = None) -> list[str]:
        _, rows = self.store.keyword.search(expand_query(query), self.candidates, scope)
        return fold_to_paragraphs(rows.tolist(), self._chunk_pids)

    def search(self, query: str, k: int = 10, mode: str = "hybrid", query_vector: np.ndarray | None = None,
               where: SearchFilter | None = None) -> list[Hit]:
        """Top `k` paragraphs for `query`; mode is hybrid (RRF of both), bm25 or dense. `query_vector` is the query
        already embedded (`query_vector(query)`), when the caller has it; `where` keeps only paragraphs of a date
        range and sources."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if not query.strip() or not self.store.chunks:
            return []
        scope = self.store.scope(where)
        if mode != "bm25":
            xq = self.query_vector(query) if query_vector is None else query_vector
            dense_ids, cosines = self.dense_ranking(xq, scope)
        else:
            dense_ids, cosines = [], {}
        bm25_ids = self.bm25_ranking(query, scope) if mode != "dense" else []
        dense_rank = {pid: r for r, pid in enumerate(dense_ids, start=1)}
        bm25_rank = {pid: r for r, pid in enumerate(bm25_ids, start=1)}
        if mode == "dense":
            fused = [(pid, cosines[pid]) for pid in dense_ids]
        elif mode == "bm25":
            fused = [(pid, 1.0 / (self.rrf_k + r)) for pid, r in bm25_rank.items()]
        else:
            fused = rrf([dense_ids, bm25_ids], self.rrf_k)
        return [Hit(self.store.paragraphs[pid], float(score), dense_rank.get(pid), bm25_rank.get(pid))
                for pid, score in fused[:k]]
