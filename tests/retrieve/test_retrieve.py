import itertools

import numpy as np

from qa.index.dense import DenseIndex
from qa.retrieve.retriever import fold_to_paragraphs, rrf


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
