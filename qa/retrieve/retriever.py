"""Hybrid retrieval: three rankings fused by reciprocal-rank fusion into paragraph Hits.

The rankings are dense (faiss or Milvus, chunk vectors), BM25 over chunks (jieba search mode) and BM25 over whole
paragraphs with their titles (precise mode; absent in indexes built before it, which fuse the other two). Chunk
rankings are folded into paragraph rankings (a paragraph takes the rank of its best chunk). Queries are normalised
first (NFKC, traditional → simplified); the keyword sides also search known abbreviations' full forms. A
`SearchFilter` (date range, sources) narrows every side before ranking, in the search structures themselves.
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
from qa.settings import Settings

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

    def __init__(self, store: Store, embedder: Embedder, candidates: int = Settings.candidates,
                 rrf_k: int = Settings.rrf_k) -> None:
        if store.manifest.model != embedder.name:
            raise IndexStateError(f"index was built with model {store.manifest.model}, now {embedder.name}: "
                                  "run `qa index --rebuild`")
        if candidates < 1 or rrf_k < 1:
            raise ValueError(f"candidates and rrf_k must be >= 1, got {candidates}, {rrf_k}")
        self.store, self.embedder, self.candidates, self.rrf_k = store, embedder, candidates, rrf_k
        self._chunk_pids = [c.paragraph_id for c in store.chunks]
        if store.paragraph_keyword is None and store.chunks:
            where = store.path.parent if store.path is not None else "DIR"
            log.warning("the index at %s was built before the paragraph keyword index: ranking by chunks only. Run "
                        "`qa index --index %s` to add it (nothing is embedded again)", where, where)
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

    def dense_ranking(self, xq: np.ndarray, where: SearchFilter | None = None) -> tuple[list[str], dict[str, float]]:
        """Paragraph ids by cosine of their best chunk with the query vector `xq`, with those cosines."""
        return dense_paragraphs(self.store.dense, self._chunk_pids, xq, self.candidates, self.store.scope(where))

    def bm25_ranking(self, query: str, where: SearchFilter | None = None) -> list[str]:
        """Paragraph ids by the BM25 score of their best chunk (abbreviations expanded)."""
        _, rows = self.store.keyword.search(expand_query(query), self.candidates, self.store.scope(where))
        return fold_to_paragraphs(rows.tolist(), self._chunk_pids)

    def paragraph_bm25_ranking(self, query: str, where: SearchFilter | None = None) -> list[str]:
        """Paragraph ids by the BM25 score of the whole paragraph with its title; [] without that index."""
        if self.store.paragraph_keyword is None:
            return []
        _, rows = self.store.paragraph_keyword.search(expand_query(query), self.candidates,
                                                      self.store.paragraph_scope(where))
        return [self.store.paragraph_ids[r] for r in rows.tolist()]

    def keyword_rankings(self, query: str, where: SearchFilter | None = None) -> list[list[str]]:
        """The keyword rankings that found anything: chunk BM25, then paragraph BM25."""
        return [r for r in (self.bm25_ranking(query, where), self.paragraph_bm25_ranking(query, where)) if r]

    def search(self, query: str, k: int = 10, mode: str = "hybrid", query_vector: np.ndarray | None = None,
               where: SearchFilter | None = None) -> list[Hit]:
        """Top `k` paragraphs for `query`; mode is hybrid (RRF of the dense and both keyword rankings), bm25 (RRF of
        the keyword rankings) or dense. `query_vector` is the query already embedded (`query_vector(query)`), when
        the caller has it; `where` keeps only paragraphs of a date range and sources. A Hit's `bm25_rank` is its
        best rank on a keyword side."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if not query.strip() or not self.store.chunks:
            return []
        if mode != "bm25":
            xq = self.query_vector(query) if query_vector is None else query_vector
            dense_ids, cosines = self.dense_ranking(xq, where)
        else:
            dense_ids, cosines = [], {}
        keyword = self.keyword_rankings(query, where) if mode != "dense" else []
        dense_rank = {pid: r for r, pid in enumerate(dense_ids, start=1)}
        bm25_rank: dict[str, int] = {}
        for ranking in keyword:
            for r, pid in enumerate(ranking, start=1):
                bm25_rank[pid] = min(r, bm25_rank.get(pid, r))
        if mode == "dense":
            fused = [(pid, cosines[pid]) for pid in dense_ids]
        else:
            fused = rrf([dense_ids, *keyword] if mode == "hybrid" else keyword, self.rrf_k)
        return [Hit(self.store.paragraphs[pid], float(score), dense_rank.get(pid), bm25_rank.get(pid))
                for pid, score in fused[:k]]
