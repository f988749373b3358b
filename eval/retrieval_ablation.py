"""Retrieval ablations behind README "Retrieval mechanisms": each mechanism on and off, hit@1 / hit@5 / MRR@10.

    python eval/retrieval_ablation.py --set own=eval/questions.jsonl:index \
        --set crud0=/tmp/crud-slice/questions.jsonl:/tmp/retr-crud-index [--set NAME=QUESTIONS:INDEX ...]

A set is NAME=QUESTIONS:INDEX: a CRUD-style file (rows with `doc_ids`, relevance by gold article) or the own format
(relevance by evidence string) over an index built from its archive. Every row ranks the index's own paragraphs and
chunk vectors the way `Retriever.search` does — follow-ups resolved and English questions also searched with their
Chinese words, as `QA.ask` does — so the `final` row reproduces `qa eval`'s hybrid hit@k; the variants' keyword
indexes are built in memory (a few seconds per 2,000 paragraphs) and nothing is written. Answerable questions only.
Prints one Markdown row per variant: the three numbers per set.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from qa.api import QA, normalize_history
from qa.eval.metrics import in_docs, is_relevant
from qa.index.bm25 import KeywordSpec
from qa.index.tokens import expand_query, normalize, tokenize
from qa.lexicon import STOPWORDS
from qa.query.followup import resolve_followup
from qa.query.limits import clean_history
from qa.query.question import search_query
from qa.retrieve.retriever import dense_paragraphs, rrf
from qa.settings import Settings

Ranker = Callable[[str], list[str]]  # query -> paragraph ids, best first
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
CANDIDATES = Settings.candidates


@lru_cache(maxsize=1)
def _jieba_default():  # noqa: ANN202 - jieba has no type stubs
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()  # jieba's own dictionary: no union words


def tokenizer(segmentation: str, union: bool = True) -> Callable[[str], list[str]]:
    """The product's tokenize, or the same steps with jieba's own dictionary (`union=False`)."""
    if union:
        return lambda text: tokenize(text, segmentation)
    cut = "cut_for_search" if segmentation == "search" else "cut"

    def plain(text: str) -> list[str]:
        words = (w.strip() for w in getattr(_jieba_default(), cut)(normalize(text)))
        return [w for w in words if w and w not in STOPWORDS and _WORD.search(w)]
    return plain


def keyword_ranker(texts: list[str], ids: list[str], spec: KeywordSpec, union: bool = True,
                   expand: bool = True) -> Ranker:
    """BM25 (bm25s) over `texts`; a paragraph ranks by its best row (`ids[row]` is its paragraph id)."""
    import bm25s

    tok = tokenizer(spec.segmentation, union)
    bm = bm25s.BM25(k1=spec.k1, b=spec.b)
    bm.index([tok(t) or ["<empty>"] for t in texts], show_progress=False)

    def rank(query: str) -> list[str]:
        tokens = [t for t in tok(expand_query(query) if expand else query) if t in bm.vocab_dict]
        if not tokens:
            return []
        rows, scores = bm.retrieve([tokens], k=min(CANDIDATES, len(ids)), show_progress=False, n_threads=1)
        kept = [ids[r] for r, s in zip(rows[0].tolist(), scores[0].tolist(), strict=True) if s > 0]
        return list(dict.fromkeys(kept))
    return rank


def fused(rankers: list[Ranker], k: int, weights: list[float] | None = None) -> Ranker:
    """Reciprocal-rank fusion of `rankers` (weighted when `weights` is given)."""
    def rank(query: str) -> list[str]:
        lists = [r(query) for r in rankers]
        if weights is None:
            return [pid for pid, _ in rrf(lists, k)]
        scores: dict[str, float] = {}
        for ranking, w in zip(lists, weights, strict=True):
            for i, pid in enumerate(ranking, start=1):
                scores[pid] = scores.get(pid, 0.0) + w / (k + i)
        return sorted(scores, key=lambda pid: (-scores[pid], pid))
    return rank


def variants(qa: QA) -> dict[str, Ranker]:
    """Every measured ranking of one index, by README row label."""
    store, s = qa.store, qa.settings
    chunk_texts = [f"{c.context} {c.text}" if c.context else c.text for c in store.chunks]
    chunk_ids = [c.paragraph_id for c in store.chunks]
    paragraphs = [store.paragraphs[pid] for pid in store.paragraph_ids]
    with_title = [f"{p.title} {p.text}" for p in paragraphs]
    cache: dict[str, list[str]] = {}

    def dense(query: str) -> list[str]:
        if query not in cache:
            cache[query] = dense_paragraphs(store.dense, chunk_ids, qa.retriever.query_vector(query), CANDIDATES)[0]
        return cache[query]

    chunk = keyword_ranker(chunk_texts, chunk_ids, s.chunk_keyword)
    para = keyword_ranker(with_title, store.paragraph_ids, s.paragraph_keyword)

    def para_with(**changes: object) -> Ranker:
        return keyword_ranker(with_title, store.paragraph_ids, replace(s.paragraph_keyword, **changes))

    k = s.rrf_k
    return {
        "before: dense + chunk BM25, RRF k=60": fused([dense, chunk], 60),
        f"+ rrf_k {k}": fused([dense, chunk], k),
        "+ paragraph BM25 (RRF k=60)": fused([dense, chunk, para], 60),
        f"final: dense + chunk BM25 + paragraph BM25, k={k}": fused([dense, chunk, para], k),
        "final, paragraph BM25 in search mode": fused([dense, chunk, para_with(segmentation="search")], k),
        "final, paragraph BM25 k1 1.5": fused([dense, chunk, para_with(k1=1.5)], k),
        "final, paragraph BM25 without title": fused(
            [dense, chunk, keyword_ranker([p.text for p in paragraphs], store.paragraph_ids, s.paragraph_keyword)], k),
        "final, chunk BM25 in precise mode": fused(
            [dense, keyword_ranker(chunk_texts, chunk_ids, replace(s.chunk_keyword, segmentation="precise")), para], k),
        "final without query expansion (synonyms, place aliases)": fused(
            [dense, keyword_ranker(chunk_texts, chunk_ids, s.chunk_keyword, expand=False),
             keyword_ranker(with_title, store.paragraph_ids, s.paragraph_keyword, expand=False)], k),
        "final with jieba's own dictionary (no union dictionary)": fused(
            [dense, keyword_ranker(chunk_texts, chunk_ids, s.chunk_keyword, union=False),
             keyword_ranker(with_title, store.paragraph_ids, s.paragraph_keyword, union=False)], k),
        f"alt: dense weight 0.5 + chunk BM25, k={k} (no new index)": fused([dense, chunk], k, [0.5, 1.0]),
        f"alt: dense weight 0.35 + paragraph BM25 only, k={k}": fused([dense, para], k, [0.35, 1.0]),
        "bm25 only, before (chunks)": chunk,
        "bm25 only, chunks, without query expansion": keyword_ranker(chunk_texts, chunk_ids, s.chunk_keyword,
                                                                     expand=False),
        "bm25 only, chunks, jieba's own dictionary": keyword_ranker(chunk_texts, chunk_ids, s.chunk_keyword,
                                                                    union=False),
        "bm25 only, paragraphs": para,
        "dense only": dense,
    }


def load_questions(path: Path) -> list[dict]:
    return [row for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            for row in [json.loads(line)] if row.get("answerable", True)]


def measure(qa: QA, rows: list[dict], rank: Ranker) -> tuple[float, float, float]:
    """(hit@1, hit@5, MRR@10) of `rank` over `rows`, each asked as `QA.ask` searches it."""
    lexicon = qa.retriever.lexicon()
    h1 = h5 = mrr = 0.0
    for row in rows:
        question = resolve_followup(row["question"], clean_history(normalize_history(row.get("history") or [])))
        ranking = rank(question)
        english = search_query(question, lexicon)
        if english != question:  # as qa.api._with_glossary_hits: the two top-10s fused
            ranking = [pid for pid, _ in rrf([ranking[:10], rank(english)[:10]])]
        rel = [in_docs(pid, row["doc_ids"]) if row.get("doc_ids") else
               is_relevant(qa.store.paragraphs[pid].text, row["evidence"]) for pid in ranking[:10]]
        first = next((i for i, r in enumerate(rel, start=1) if r), None)
        h1, h5, mrr = h1 + (first == 1), h5 + (first is not None and first <= 5), mrr + (1 / first if first else 0)
    n = len(rows)
    return h1 / n, h5 / n, mrr / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", required=True, metavar="NAME=QUESTIONS:INDEX")
    args = parser.parse_args()
    table: dict[str, dict[str, tuple[float, float, float]]] = {}
    names = []
    for spec in args.set:
        name, _, rest = spec.partition("=")
        questions, _, index = rest.partition(":")
        names.append(name)
        qa = QA.open(replace(Settings(), index_dir=Path(index), show_progress=False), build=False)
        rows = load_questions(Path(questions))
        for label, rank in variants(qa).items():
            table.setdefault(label, {})[name] = measure(qa, rows, rank)
    print(f"| mechanism | {' | '.join(names)} |\n|---|{'---|' * len(names)}")
    for label, by_set in table.items():
        cells = [" / ".join(f"{v:.3f}" for v in by_set[n]) for n in names]
        print(f"| {label} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
