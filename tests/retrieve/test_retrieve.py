import itertools
from pathlib import Path

import numpy as np
import pytest
from conftest import BACKENDS

from qa.index.backend import KINDS, Backend, Rows
from qa.index.dense import FLAT, DenseIndex
from qa.index.milvus import close
from qa.index.store import Manifest, Store
from qa.retrieve.retriever import fold_to_paragraphs, rrf
from qa.schema import Chunk, Paragraph, SearchFilter


def test_rrf_matches_hand_computed_scores():
    fused = dict(rrf([["a", "b", "c"], ["b", "d"]], k=60))
    assert fused["b"] == 1 / 62 + 1 / 61
    assert fused["a"] == 1 / 61
    assert fused["d"] == 1 / 62
    assert [pid for pid, _ in rrf([["a", "b", "c"], ["b", "d"]], k=60)][0] == "b"


def test_rrf_against_brute_force_on_random_rankings():
    rng = np.random.default_rng(0)
    items = [f"p{i}" for i in range(12)]
    for _ in range(20):
        rankings = [list(rng.permutation(items)[: rng.integers(1, 12)]) for _ in range(3)]
        brute = {i: sum(1 / (60 + r.index(i) + 1) for r in rankings if i in r) for i in itertools.chain(*rankings)}
        fused = rrf(rankings, 60)
        assert dict(fused) == brute
        assert [s for _, s in fused] == sorted(brute.values(), reverse=True)


def test_fold_to_paragraphs_keeps_best_chunk_order():
    pids = ["p1", "p1", "p2", "p3"]
    assert fold_to_paragraphs([1, 3, 0, -1, 2], pids) == ["p1", "p3", "p2"]


def test_dense_index_matches_brute_force():
    rng = np.random.default_rng(1)
    xb = rng.normal(size=(50, 16)).astype(np.float32)
    xb /= np.linalg.norm(xb, axis=1, keepdims=True)
    xq = xb[:3] + 0.01
    D, I = DenseIndex(xb).search(xq, 5)
    brute = np.argsort(-(xq @ xb.T), axis=1)[:, :5]
    assert (I == brute).all()
    assert np.allclose(D, np.take_along_axis(xq @ xb.T, brute, axis=1), atol=1e-5)


# ---------- the search structures of every backend, against brute force, with and without a filter ----------

SOURCES = ("工人日报", "重庆工人报", "")
WORDS = ("工会", "驿站", "职工", "劳动者", "港湾", "服务", "会员", "组织")


def synthetic_rows(n: int = 60, d: int = 16) -> Rows:
    """`n` chunks of one paragraph each, with dates over 2023-2024 (some missing or month-only), three sources,
    unit vectors and texts of a few union words."""
    rng = np.random.default_rng(2)
    xb = rng.normal(size=(n, d)).astype(np.float32)
    xb /= np.linalg.norm(xb, axis=1, keepdims=True)
    dates = ["", "2023-05-02", "2024-01-15", "2024-07", "2024-07-20", "2024-12-31"]
    paragraphs = {f"a{i}#p1": Paragraph(f"a{i}#p1", f"a{i}", 1, "x", "t", source=SOURCES[i % 3],
                                        date=dates[i % len(dates)]) for i in range(n)}
    chunks = [Chunk(f"a{i}#p1/c1", f"a{i}#p1", "x") for i in range(n)]
    texts = [" ".join(rng.choice(WORDS, size=rng.integers(1, 5))) for _ in range(n)]
    return Rows(chunks, paragraphs, xb, texts)


@pytest.fixture(params=BACKENDS)
def structures(request: pytest.FixtureRequest, tmp_path: Path):
    """(dense, keyword, rows, store-like scope maker) of one backend over `synthetic_rows`."""
    rows = synthetic_rows()
    folder = tmp_path / "index" / "build-x"
    folder.mkdir(parents=True)
    backend = Backend() if request.param == "faiss" else Backend("milvus", str(tmp_path / "m.db"), keyword="milvus")
    dense, keyword, _ = KINDS[backend.kind].build(backend, folder, rows, FLAT, False)
    store = Store(Manifest(1, "m", 16, "", {}, "", {}), [], list(rows.chunks), [], rows.vectors, dense, keyword)
    store.paragraphs = dict(rows.paragraphs)
    yield dense, keyword, rows, store.scope
    if backend.kind == "milvus":
        close(backend.uri)


WHERE = [None, SearchFilter(since="2024-01-01"), SearchFilter(until="2024-07"), SearchFilter(sources=("工人日报",)),
         SearchFilter("2024-07-01", "2024-12-31", ("重庆工人报", "工人日报")), SearchFilter(since="2030")]


@pytest.mark.parametrize("where", WHERE, ids=str)
def test_dense_search_matches_brute_force_within_the_filter(structures, where):
    dense, _, rows, scope = structures
    allowed = [i for i, c in enumerate(rows.chunks) if where is None or where.allows(rows.paragraphs[c.paragraph_id])]
    xq = rows.vectors[:3] + 0.01
    D, I = dense.search(xq, 5, scope(where))
    sims = xq @ rows.vectors[allowed].T
    brute = np.array(allowed, np.int64)[np.argsort(-sims, axis=1)[:, :5]] if allowed else np.zeros((3, 0), np.int64)
    assert (I[:, : brute.shape[1]] == brute).all() and (I[:, brute.shape[1]:] == -1).all()
    assert np.allclose(D[:, : brute.shape[1]], -np.sort(-sims, axis=1)[:, :5], atol=1e-5)


@pytest.mark.parametrize("where", WHERE, ids=str)
def test_keyword_search_returns_only_matching_rows_within_the_filter(structures, where):
    _, keyword, rows, scope = structures
    scores, found = keyword.search("驿站 港湾", 100, scope(where))
    allowed = {i for i, c in enumerate(rows.chunks) if where is None or where.allows(rows.paragraphs[c.paragraph_id])}
    expected = {i for i in allowed if {"驿站", "港湾"} & set(rows.texts[i].split())}
    assert set(found.tolist()) == expected
    assert list(scores) == sorted(scores, reverse=True) and (scores > 0).all()
