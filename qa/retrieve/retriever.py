"""Hybrid retrieval: dense (faiss) and keyword (BM25) rankings fused by reciprocal-rank fusion into paragraph Hits.

Chunk rankings are folded into paragraph rankings (a paragraph takes the rank of its best chunk). Queries are
normalised first (NFKC, traditional → simplified); the keyword side also searches known abbreviations' full forms.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from qa.errors import IndexStateError
from qa.index.embed import Embedder
from qa.index.store import Store
from qa.index.tokens import expand_query, to_simplified
from qa.schema import Hit

if TYPE_CHECKING:
    from qa.query.english import Lexicon

log = logging.getLogger(__name__)

MODES = ("hybrid", "bm25", "dense")
QUERY_CACHE = 64  # recent query vectors kept: search and answer scoring embed the same question


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


class Retriever:
    """Searches one loaded Store with one embedder; `search` returns ranked paragraph Hits."""

    def __init__(self, store: Store, embedder: Embedder, candidates: int = 50, rrf_k: int = 60) -> None:
        if store.manifest.model != embedder.name:
            raise IndexStateError(f"index was built with model {store.manifest.model}, now {embedder.name}: "
                                  "run `qa index --rebuild`")
        if candidates < 1 or rrf_k < 1:
            raise ValueError(f"candidates and rrf_k must be >= 1, got {candidates}, {rrf_k}")
        self.store, self.embedder, self.candidates, self.rrf_k = store, embedder, candidates, rrf_k
        self._chunk_pids = [c.paragraph_id for c in store.chunks]
        self._rows: dict[str, list[int]] = {}
        for i, pid in enumerate(self._chunk_pids):
            self._rows.setdefault(pid, []).append(i)
        # concurrent UI handlers share one Retriever: the query-vector cache and the lexicon are built under locks
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries_lock = threading.Lock()
        self._lexicon: Lexicon | None = None
        self._lexicon_lock = threading.Lock()

    def query_vector(self, query: str) -> np.ndarray:
        """The embedded query; the latest QUERY_CACHE are kept (search and answer scoring embed the same one)."""
        text = to_simplified(query)
        with self._queries_lock:
            vector = self._queries.get(text)
            if vector is not None:
                self._queries.move_to_end(text)
                return vector
        vector = self.embedder.embed_queries([text])[0]
        vector.setflags(write=False)
        with self._queries_lock:
            self._queries[text] = vector
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector

    def lexicon(self) -> Lexicon:
        """The English → corpus-word lexicon of this store's paragraphs (built on first use, about a second)."""
        with self._lexicon_lock:
            if self._lexicon is None:
                from qa.query.english import Lexicon

                titles = dict.fromkeys(p.title for p in self.store.paragraphs.values())
                self._lexicon = Lexicon.build([*(p.text for p in self.store.paragraphs.values()), *titles])
            return self._lexicon

    def forget_query(self) -> None:
        """Drop the kept query vectors (benchmarks time the embedding of every query)."""
        with self._queries_lock:
            self._queries.clear()

    def dense_ranking(self, query: str) -> tuple[list[str], dict[str, float]]:
        """Paragraph ids by cosine of their best chunk, with those cosines."""
        xq = self.query_vector(query)[None, :]
        D, I = self.store.dense.search(xq, self.candidates)
        ids = fold_to_paragraphs(I[0].tolist(), self._chunk_pids)
        best: dict[str, float] = {}
        for d, i in zip(D[0].tolist(), I[0].tolist(), strict=True):
            if i >= 0:
                best.setdefault(self._chunk_pids[i], float(d))
        return ids, best

    def bm25_ranking(self, query: str) -> list[str]:
        _, rows = self.store.keyword.search(expand_query(query), self.candidates)
        return fold_to_paragraphs(rows.tolist(), self._chunk_pids)

    def search(self, query: str, k: int = 10, mode: str = "hybrid") -> list[Hit]:
        """Top `k` paragraphs for `query`; mode is hybrid (RRF of both), bm25 or dense."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if not query.strip() or not self.store.chunks:
            return []
        dense_ids, cosines = self.dense_ranking(query) if mode != "bm25" else ([], {})
        bm25_ids = self.bm25_ranking(query) if mode != "dense" else []
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

    def cosine(self, query: str, paragraph_ids: Sequence[str]) -> np.ndarray:
        """Cosine between the query and the best chunk of each paragraph (for answer scoring)."""
        xq = self.query_vector(query)
        out = np.zeros(len(paragraph_ids), np.float32)
        for j, pid in enumerate(paragraph_ids):
            rows = self._rows.get(pid)
            out[j] = float(np.max(self.store.vectors[rows] @ xq)) if rows else 0.0
        return out
