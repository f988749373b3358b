"""The dense index type follows the number of vectors; HNSW results checked against brute force; save/load keeps
the type and its search parameters; older flat indexes load unchanged; the manifest records the choice."""

import json
from dataclasses import replace
from types import SimpleNamespace

import faiss
import numpy as np
import pytest

from qa.index.dense import FLAT, HNSW, DenseIndex, DenseSpec, choose_spec
from qa.index.embed import HashingEmbedder
from qa.index.indexer import build_index
from qa.index.store import current_build, load_store


def clustered(n: int, seed: int, d: int = 48, centres: int = 30) -> np.ndarray:
    """Unit vectors around a few centres sharing a common direction (as sentence embeddings do)."""
    rng = np.random.default_rng(0)
    common, C = rng.standard_normal(d), rng.standard_normal((centres, d))
    draw = np.random.default_rng(seed)
    x = (3 * common + C[draw.integers(centres, size=n)] + 0.5 * draw.standard_normal((n, d))).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute_force(xb: np.ndarray, xq: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(xq @ xb.T), axis=1)[:, :k]


def recall(I: np.ndarray, gt: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(I, gt, strict=True)]))


def test_type_switches_above_the_threshold():
    assert choose_spec(1000, exact_max=1000) == FLAT
    assert choose_spec(1001, exact_max=1000) == HNSW
    assert DenseIndex(clustered(40, 1), choose_spec(40, exact_max=10)).spec.kind == "hnsw"
    assert isinstance(DenseIndex(clustered(40, 1)).index, faiss.IndexFlatIP)  # small: exact by default


@pytest.mark.parametrize("k", [10, 50])
def test_hnsw_matches_brute_force(k):
    xb, xq = clustered(3000, 1), clustered(100, 2)
    index = DenseIndex(xb, choose_spec(len(xb), exact_max=500))
    assert isinstance(index.index, faiss.IndexHNSWFlat)
    D, I = index.search(xq, k)
    assert recall(I, brute_force(xb, xq, k)) >= 0.98
    assert np.allclose(D, np.take_along_axis(xq @ xb.T, I, axis=1), atol=1e-5)  # scores are exact cosines


def test_k_above_ef_search_still_returns_k():
    xb, xq = clustered(2000, 1), clustered(50, 2)
    index = DenseIndex(xb, DenseSpec("hnsw", m=16, ef_construction=40, ef_search=8))
    _, I = index.search(xq, 50)
    assert (I >= 0).all() and recall(I, brute_force(xb, xq, 50)) >= 0.9
    assert index.index.hnsw.efSearch == 8  # the per-call parameter leaves the shared index alone


def test_save_load_keeps_type_and_search_parameters(tmp_path):
    xb, xq = clustered(1000, 1), clustered(20, 2)
    spec = DenseSpec("hnsw", m=16, ef_construction=40, ef_search=77)
    index = DenseIndex(xb, spec)
    index.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss", DenseSpec.from_record(json.loads(json.dumps(spec.record()))))
    assert loaded.spec == spec and loaded.index.hnsw.efSearch == 77
    assert all(np.array_equal(a, b) for a, b in zip(loaded.search(xq, 10), index.search(xq, 10), strict=True))
    with pytest.raises(ValueError, match="IndexHNSWFlat"):
        DenseIndex.load(tmp_path / "dense.faiss", FLAT)  # a manifest that does not match the file


def test_older_flat_index_loads_unchanged(tmp_path):
    xb, xq = clustered(500, 1), clustered(20, 2)
    old = faiss.IndexFlatIP(xb.shape[1])  # what every earlier version wrote
    old.add(xb)
    faiss.write_index(old, str(tmp_path / "dense.faiss"))
    loaded = DenseIndex.load(tmp_path / "dense.faiss")
    assert loaded.spec == FLAT and len(loaded) == 500
    assert np.array_equal(loaded.search(xq, 10)[1], brute_force(xb, xq, 10))


def test_spec_names_what_is_wrong():
    with pytest.raises(ValueError, match="'flat', 'hnsw'"):
        DenseSpec("ivf")
    with pytest.raises(ValueError, match="ef_search"):
        DenseSpec("hnsw", m=32, ef_construction=80)


def test_manifest_records_the_choice(tiny_settings):
    store, _ = build_index(tiny_settings, HashingEmbedder())
    assert store.manifest.dense == {"kind": "flat"} and store.dense.spec == FLAT
    small = replace(tiny_settings, dense_exact_max=1)  # the tiny corpus now counts as large
    store, report = build_index(small, HashingEmbedder())
    assert report.embedded == 0  # a new build of the same vectors, nothing embedded again
    assert store.manifest.dense == HNSW.record() == {"kind": "hnsw", "m": 32, "ef_construction": 80,
                                                     "ef_search": 128}
    loaded = load_store(small.index_dir)
    assert loaded.manifest == store.manifest and loaded.dense.spec == HNSW
    assert loaded.dense.index.hnsw.efSearch == HNSW.ef_search
    xq = loaded.vectors[:3]
    assert np.array_equal(loaded.dense.search(xq, 3)[1], brute_force(loaded.vectors, xq, 3))


def test_older_manifest_without_dense_loads_as_flat(tiny_settings):
    build_index(tiny_settings, HashingEmbedder())
    path = current_build(tiny_settings.index_dir) / "manifest.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    del record["dense"]
    path.write_text(json.dumps(record), encoding="utf-8")
    store = load_store(tiny_settings.index_dir)
    assert store.manifest.dense == {"kind": "flat"} and isinstance(store.dense.index, faiss.IndexFlatIP)
    _, report = build_index(tiny_settings, HashingEmbedder())
    assert report.embedded == 0 and load_store(tiny_settings.index_dir).path == store.path  # still up to date


SPEC = DenseSpec("hnsw", m=16, ef_construction=40, ef_search=64)


def grown_case() -> tuple[DenseIndex, np.ndarray, list[str]]:
    """An HNSW index of 2,500 rows grown to a corpus that lost rows 100-199 and gained 500 rows in the middle."""
    x = clustered(3000, 1)
    old_keys = [f"k{i}" for i in range(2500)]
    index = DenseIndex(x[:2500], SPEC)
    new_keys = old_keys[:100] + old_keys[200:1200] + [f"n{i}" for i in range(500)] + old_keys[1200:]
    xb = np.concatenate([x[:100], x[200:1200], x[2500:], x[1200:2500]])
    assert index.grow(old_keys, new_keys, xb, SPEC)
    return index, xb, new_keys


def test_a_grown_graph_searches_the_new_rows_as_a_fresh_one():
    """An update adds the new rows to the previous build's graph and leaves the lost ones in it as dead nodes:
    results are rows of the new build, only live ones, as close to brute force as a fresh graph."""
    index, xb, _ = grown_case()
    assert len(index) == len(xb) == 2900 and index.dead == 100 and index.index.ntotal == 3000
    xq = clustered(100, 2)
    for k in (10, 50):
        D, I = index.search(xq, k)
        assert recall(I, brute_force(xb, xq, k)) >= 0.98
        assert np.allclose(D, np.take_along_axis(xq @ xb.T, I, axis=1), atol=1e-5)
    _, I = index.search(xb, 1)
    assert np.mean(I[:, 0] == np.arange(len(xb))) >= 0.99  # each row, kept or new, is found at its new place


def test_a_grown_graph_keeps_to_the_scope_and_survives_save_and_load(tmp_path):
    index, xb, _ = grown_case()
    mask = np.zeros(len(xb), bool)
    mask[1100:1600] = True  # the new rows and some kept ones
    xq = clustered(30, 2)
    exact = 1100 + brute_force(xb[1100:1600], xq, 20)
    for searched in (index, DenseIndex(xb, SPEC)):  # grown, and a fresh graph of the same rows
        # a filter that keeps few rows is searched exactly (HNSW's walk, filtered, found 0.80 of these, grown 0.76)
        assert np.array_equal(searched.search(xq, 20, SimpleNamespace(mask=mask))[1], exact)
    index.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss", SPEC)
    assert len(loaded) == 2900 and loaded.dead == 100
    assert all(np.array_equal(a, b) for a, b in zip(loaded.search(xq, 10), index.search(xq, 10), strict=True))


def test_growing_refuses_another_spec_and_too_many_dead_nodes():
    x = clustered(1000, 1)
    keys = [f"k{i}" for i in range(1000)]
    index = DenseIndex(x, SPEC)
    assert not index.grow(keys, keys, x, HNSW)  # other parameters: build afresh
    half = keys[::2]
    assert not index.grow(keys, half, x[::2], SPEC)  # 500 of 1,000 nodes dead: build afresh
    assert len(index) == 1000 and index.rows_of is None  # and the index is left as it was
    assert index.grow(keys, [*keys, "new"], np.concatenate([x, clustered(1, 3)]), SPEC)
    assert len(index) == 1001 and index.rows_of is None  # appended rows keep node = row: nothing to map


def test_an_update_grows_the_live_hnsw_graph_and_answers_as_a_rebuild(tiny_settings, monkeypatch):
    from conftest import write_corpus

    small = replace(tiny_settings, dense_exact_max=1)  # HNSW for a small corpus
    more = [{"id": f"m{i}", "title": f"第{i}号工会驿站", "text": f"第{i}号工会驿站今年为职工提供服务{i * 7}项。"}
            for i in range(30)]
    write_corpus(small.corpus_dir, {"more.jsonl": more})
    build_index(small, HashingEmbedder())
    (small.corpus_dir / "wushan.jsonl").unlink()  # rows lost: dead nodes
    write_corpus(small.corpus_dir, {"jiangbei.jsonl": [{"id": "jb", "title": "江北区总工会打造职工服务自选超市",
                                                         "text": "江北区总工会推出职工服务项目104个。"}]})
    with monkeypatch.context() as m:
        m.setattr(DenseIndex, "__init__", lambda *a: pytest.fail("the graph was built afresh"))
        grown, report = build_index(small, HashingEmbedder())
    assert report.embedded == 1 and grown.dense.dead > 0 and (grown.path / "dense.rows.npy").is_file()
    loaded = load_store(small.index_dir)
    assert loaded.dense.dead == grown.dense.dead and len(loaded.dense) == len(loaded.chunks)
    xq = np.asarray(loaded.vectors)
    D, I = loaded.dense.search(xq, 5)
    fresh, _ = build_index(small, HashingEmbedder(), rebuild=True)
    assert fresh.dense.dead == 0 and not (fresh.path / "dense.rows.npy").exists()
    assert np.array_equal(I[:, 0], np.arange(len(xq)))  # every chunk finds itself at its row of the new build
    assert np.allclose(D, fresh.dense.search(xq, 5)[0], atol=1e-6)  # and the same neighbours as a rebuild
