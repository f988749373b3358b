"""The plain peers the product is measured against: jieba-BM25 alone, e5 dense alone, and their RRF.

Nothing of the product's domain tuning is used: BM25 segments with jieba's own default dictionary (no union words,
no synonyms, no abbreviation or place expansion) over whole paragraphs; dense search embeds the question as it is
and searches the index's own chunk vectors; fusion is plain reciprocal-rank fusion of the two. Each answers with the
sentence of its top paragraph that shares most characters with the question (`overlap_answer`), never refusing
unless nothing was retrieved. `plain_systems` gives them as `qa eval` systems, `(question, history) -> Answer`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from qa.errors import QAError
from qa.index.embed import Embedder
from qa.index.store import Store
from qa.ingest.chunk import split_sentences
from qa.retrieve.retriever import dense_paragraphs, rrf
from qa.schema import Answer, Citation, Hit, Paragraph

PLAIN = ("plain-bm25", "plain-dense", "plain-rrf")
CANDIDATES = 50  # hits each side gives to the fusion, as the product's Settings.candidates
RRF_K = 60  # the usual reciprocal-rank-fusion constant (the product tunes its own: Settings.rrf_k)
_WORD = re.compile(r"[\w\u4e00-\u9fff]")  # a token or character that holds a letter, digit or CJK character
NOT_FOUND = "没有找到"


class Search(Protocol):
    """What a plain retriever offers: the top `k` paragraphs for a query."""

    def search(self, query: str, k: int) -> list[Hit]: ...


class PlainBM25:
    """jieba's default dictionary and segmentation (punctuation dropped), bm25s over whole paragraphs."""

    def __init__(self, paragraphs: Sequence[Paragraph]) -> None:
        import bm25s
        import jieba

        self._cut = jieba.Tokenizer().lcut  # its own instance: the product's union dictionary never reaches it
        self.paragraphs = list(paragraphs)
        self.bm25 = bm25s.BM25()
        self.bm25.index([self._tokens(p.text) for p in self.paragraphs], show_progress=False)

    def _tokens(self, text: str) -> list[str]:
        return [t for t in self._cut(text) if _WORD.search(t)] or ["<empty>"]

    def search(self, query: str, k: int) -> list[Hit]:
        vocab = self.bm25.vocab_dict
        tokens = [t for t in self._tokens(query) if t in vocab]
        if not tokens or not self.paragraphs:
            return []
        rows, scores = self.bm25.retrieve([tokens], k=min(k, len(self.paragraphs)), show_progress=False, n_threads=1)
        return [Hit(self.paragraphs[r], float(s), bm25_rank=i + 1)
                for i, (r, s) in enumerate(zip(rows[0].tolist(), scores[0].tolist(), strict=True)) if s > 0]


class PlainDense:
    """The index's own chunk vectors searched with the question embedded as it is (no normalisation, no
    expansion); a paragraph ranks by its best chunk."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store, self.embedder = store, embedder
        self._chunk_pids = [c.paragraph_id for c in store.chunks]

    def search(self, query: str, k: int) -> list[Hit]:
        if not query.strip() or not self.store.chunks:
            return []
        xq = self.embedder.embed_queries([query])[0]
        ids, best = dense_paragraphs(self.store.dense, self._chunk_pids, xq, max(k, CANDIDATES))
        ids = ids[:k]
        return [Hit(self.store.paragraphs[pid], best[pid], dense_rank=r) for r, pid in enumerate(ids, start=1)]


class PlainRRF:
    """Reciprocal-rank fusion of a plain BM25 and a plain dense ranking (CANDIDATES from each)."""

    def __init__(self, bm25: PlainBM25, dense: PlainDense) -> None:
        self.bm25, self.dense = bm25, dense

    def search(self, query: str, k: int) -> list[Hit]:
        dense, keyword = self.dense.search(query, CANDIDATES), self.bm25.search(query, CANDIDATES)
        by_id = {h.paragraph.id: h.paragraph for h in [*keyword, *dense]}
        d_rank = {h.paragraph.id: r for r, h in enumerate(dense, start=1)}
        b_rank = {h.paragraph.id: r for r, h in enumerate(keyword, start=1)}
        fused = rrf([list(d_rank), list(b_rank)], RRF_K)[:k]
        return [Hit(by_id[pid], score, d_rank.get(pid), b_rank.get(pid)) for pid, score in fused]


def overlap_sentence(question: str, text: str) -> tuple[int, int]:
    """(start, end) of the sentence of `text` that holds most distinct characters of the question (letters, digits,
    CJK; the first such sentence on a tie). Empty text: (0, 0)."""
    asked = {c for c in question.lower() if _WORD.match(c)}
    best, span, pos = -1, (0, 0), 0
    for sentence in split_sentences(text):
        start = text.find(sentence, pos)
        pos = start + len(sentence)
        score = len(asked & set(sentence.lower()))
        if score > best:
            best, span = score, (start, pos)
    return span


def overlap_answer(question: str, hits: Sequence[Hit]) -> Answer:
    """The best-overlap sentence of the top hit, cited; "没有找到" when there is no hit."""
    if not hits:
        return Answer(question, NOT_FOUND, False)
    top = hits[0].paragraph
    start, end = overlap_sentence(question, top.text)
    sentence = top.text[start:end].strip()
    return Answer(question, f"{sentence}[1]", True, (Citation(1, top, start, end),), tuple(hits[:10]))


def plain_retrievers(store: Store, embedder: Embedder, names: Sequence[str] = PLAIN) -> dict[str, Search]:
    """The named plain retrievers over one store (BM25 is built once, and only when a named one needs it)."""
    unknown = [n for n in names if n not in PLAIN]
    if unknown:
        raise QAError(f"unknown baseline(s) {', '.join(unknown)}: choose from {', '.join(PLAIN)}")
    bm25 = PlainBM25(list(store.paragraphs.values())) if {"plain-bm25", "plain-rrf"} & set(names) else None
    dense = PlainDense(store, embedder)
    made: dict[str, Search] = {"plain-dense": dense}
    if bm25 is not None:
        made |= {"plain-bm25": bm25, "plain-rrf": PlainRRF(bm25, dense)}
    return {n: made[n] for n in names}


def plain_systems(store: Store, embedder: Embedder, names: Sequence[str] = PLAIN,
                  k: int = 10) -> dict[str, Callable[[str, list], Answer]]:
    """The named baselines as evaluation systems: search the top `k`, answer with the best-overlap sentence."""
    return {name: _system(search, k) for name, search in plain_retrievers(store, embedder, names).items()}


def _system(search: Search, k: int) -> Callable[[str, list], Answer]:
    def ask(question: str, history: list | None = None) -> Answer:
        start = time.perf_counter()
        answer = overlap_answer(question, search.search(question, k))
        return replace(answer, latency_ms=(time.perf_counter() - start) * 1000.0)

    return ask
