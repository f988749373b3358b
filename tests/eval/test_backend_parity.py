"""The bundled evaluation set ranks the same on Milvus as on faiss: retrieval hit@1/hit@5 (and every question's
ranking) of the hybrid, bm25 and dense modes, with the hashing embedder; with the real model too (marked `model`).

Both backends search exactly at this size (faiss IndexFlatIP, Milvus FLAT) and share the local bm25s index, so the
rankings must be equal, not merely close: bm25 identical, dense identical but for the order of paragraphs whose
cosines tie (the hashing embedder gives a few exact ties, the real model ties to 1e-7, and faiss and Milvus Lite sum
in other orders), hybrid differing only where dense ties did. Milvus' own BM25 (`--milvus-keyword milvus`) is
measured in `eval/bench_milvus.py`, not held equal here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, milvus_lite, needs_milvus

from qa.api import QA, normalize_history
from qa.eval.runner import EvalItem, aggregate, load_dataset, score_answer
from qa.index.backend import Backend
from qa.index.embed import HashingEmbedder, load_embedder
from qa.index.tokens import to_simplified
from qa.query.followup import resolve_followup
from qa.query.limits import clean_history
from qa.schema import Answer, Hit
from qa.settings import DEFAULT_MODEL, Settings

pytestmark = needs_milvus

MODES = ("hybrid", "bm25", "dense")


def standalone(items: list[EvalItem]) -> list[str]:
    """The questions with follow-ups made standalone, as `ask` does."""
    return [resolve_followup(i.question, clean_history(normalize_history(list(i.history)))) for i in items]


def rankings(qa: QA, questions: list[str], xq: np.ndarray) -> dict[str, list[tuple[Hit, ...]]]:
    """Per mode, each question's top-10 hits (`xq`: the questions embedded once, for both backends)."""
    return {mode: [tuple(qa.retriever.search(q, 10, mode, x)) for q, x in zip(questions, xq, strict=True)]
            for mode in MODES}


def ids(hits: tuple[Hit, ...]) -> tuple[str, ...]:
    return tuple(h.paragraph.id for h in hits)


def tie_groups(hits: tuple[Hit, ...]) -> list[tuple[float, frozenset[str]]]:
    """The ranking as groups of paragraphs with equal scores (to 1e-5), best first."""
    groups: list[tuple[float, set[str]]] = []
    for h in hits:
        if groups and abs(groups[-1][0] - h.score) < 1e-5:
            groups[-1][1].add(h.paragraph.id)
        else:
            groups.append((h.score, {h.paragraph.id}))
    return [(score, frozenset(group)) for score, group in groups]


def same_up_to_ties(a: tuple[Hit, ...], b: tuple[Hit, ...]) -> bool:
    """Equal scores group for group, and equal paragraphs in each group but the last (cut at k, a tie there may
    keep different members: float sums in another order decide a 1e-7 tie)."""
    ga, gb = tie_groups(a), tie_groups(b)
    return (len(ga) == len(gb) and all(abs(x[0] - y[0]) < 1e-5 for x, y in zip(ga, gb, strict=True))
            and all(x[1] == y[1] for x, y in zip(ga[:-1], gb[:-1], strict=True)))


def hit_rates(items: list[EvalItem], ranked: dict[str, list[tuple[Hit, ...]]]) -> dict[str, tuple]:
    """Per mode, (hit@1, hit@5) over the set as `qa eval` scores them."""
    out = {}
    for mode, rows in ranked.items():
        records = [score_answer(item, Answer(item.question, "", False, hits=hits), 0.0)
                   for item, hits in zip(items, rows, strict=True)]
        metrics = aggregate(records)
        out[mode] = (metrics["hit@1"], metrics["hit@5"])
    return out


@pytest.fixture(scope="module")
def items() -> list[EvalItem]:
    return load_dataset(REPO / "eval" / "questions.jsonl")


def both(tmp: Path, model: str, embedder_of) -> Iterator[tuple[QA, QA]]:  # noqa: ANN001
    """The bundled corpus indexed with faiss and with Milvus Lite; the second build reuses the first's vectors."""
    faiss_settings = replace(Settings(), corpus_dir=REPO / "corpus", index_dir=tmp / "faiss", model=model,
                             show_progress=False)
    embedder = embedder_of(faiss_settings)
    faiss_qa = QA.open(faiss_settings, embedder)
    milvus_settings = replace(faiss_settings, index_dir=tmp / "milvus")
    milvus_settings.index_dir.mkdir()
    (milvus_settings.index_dir / "embeddings.sqlite").write_bytes((tmp / "faiss" / "embeddings.sqlite").read_bytes())
    with milvus_lite(tmp / "milvus.db") as uri:
        yield faiss_qa, QA.open(replace(milvus_settings, backend=Backend("milvus", uri)), embedder)


def assert_same(pair: tuple[QA, QA], items: list[EvalItem]) -> None:
    faiss_qa, milvus_qa = pair
    assert milvus_qa.store.manifest.backend["kind"] == "milvus"
    questions = standalone(items)
    xq = faiss_qa.embedder.embed_queries([to_simplified(q) for q in questions])
    ranked_faiss, ranked_milvus = rankings(faiss_qa, questions, xq), rankings(milvus_qa, questions, xq)
    pairs = {mode: list(zip(items, ranked_faiss[mode], ranked_milvus[mode], strict=True)) for mode in MODES}
    assert [i.id for i, a, b in pairs["bm25"] if ids(a) != ids(b)] == []
    assert [i.id for i, a, b in pairs["dense"] if not same_up_to_ties(a, b)] == []
    tied = {i.id for i, a, b in pairs["dense"] if ids(a) != ids(b)}
    assert len(tied) <= 5, tied
    assert {i.id for i, a, b in pairs["hybrid"] if ids(a) != ids(b)} <= tied
    rates = hit_rates(items, ranked_faiss)
    assert rates == hit_rates(items, ranked_milvus)
    assert rates["hybrid"][1] > 0.5  # a real ranking, not two empty ones


def test_milvus_ranks_the_bundled_set_as_faiss_does(tmp_path, items):
    for pair in both(tmp_path, "hashing", lambda s: HashingEmbedder()):
        assert_same(pair, items)


@pytest.mark.model
def test_milvus_ranks_the_bundled_set_as_faiss_does_with_the_real_model(tmp_path, items):
    for pair in both(tmp_path, DEFAULT_MODEL, load_embedder):
        assert_same(pair, items)
