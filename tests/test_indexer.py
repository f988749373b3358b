"""Index round trip, incremental add/remove/edit, and clear errors on corrupted or mismatched indexes."""

import json
from dataclasses import replace

import numpy as np
import pytest

from qa.api import QA
from qa.embed import HashingEmbedder
from qa.errors import IndexStateError
from qa.indexer import build_index, index_status
from qa.store import load_store


class CountingEmbedder(HashingEmbedder):
    """Hashing embedder that records how many passages it embedded."""

    def __init__(self) -> None:
        super().__init__()
        self.passages = 0

    def embed_passages(self, texts, show_progress=False):
        self.passages += len(texts)
        return super().embed_passages(texts)


def test_round_trip_keeps_records_and_vectors(tiny_settings):
    store, report = build_index(tiny_settings, HashingEmbedder())
    loaded = load_store(tiny_settings.index_dir)
    assert loaded.manifest == store.manifest
    assert loaded.articles == store.articles
    assert loaded.chunks == store.chunks
    assert np.array_equal(loaded.vectors, store.vectors)
    assert report.counts["paragraphs"] == len(loaded.paragraphs) > 0
    assert index_status(tiny_settings, "hashing") is None


def test_incremental_add_edit_remove_embeds_only_new_text(tiny_settings):
    corpus = tiny_settings.corpus_dir
    emb = CountingEmbedder()
    build_index(tiny_settings, emb)
    first = emb.passages
    assert first > 0
    _, report = build_index(tiny_settings, emb)  # nothing changed
    assert emb.passages == first and report.embedded == 0

    row = {"id": "jb", "title": "江北区总工会打造职工服务自选超市", "text": "共有104个项目参赛。"}
    (corpus / "jiangbei.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    store, report = build_index(tiny_settings, emb)
    assert report.added == ("jiangbei.jsonl",) and report.embedded == emb.passages - first == 1
    assert any("104个项目" in p.text for p in store.paragraphs.values())

    row["text"] = "共有105个项目参赛。"
    (corpus / "jiangbei.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    store, report = build_index(tiny_settings, emb)
    assert report.changed == ("jiangbei.jsonl",) and report.embedded == 1
    texts = [p.text for p in store.paragraphs.values()]
    assert any("105个项目" in t for t in texts) and not any("104个项目" in t for t in texts)

    (corpus / "wushan.jsonl").unlink()
    store, report = build_index(tiny_settings, emb)
    assert report.removed == ("wushan.jsonl",) and report.embedded == 0
    assert not any("巫山" in p.text for p in store.paragraphs.values())
    assert len(store.chunks) == len(store.vectors) == len(store.dense) == len(store.keyword)


def test_incremental_result_equals_full_rebuild(tiny_settings):
    build_index(tiny_settings, HashingEmbedder())
    (tiny_settings.corpus_dir / "wushan.jsonl").unlink()
    incremental, _ = build_index(tiny_settings, HashingEmbedder())
    full, _ = build_index(tiny_settings, HashingEmbedder(), rebuild=True)
    assert incremental.chunks == full.chunks
    assert np.array_equal(incremental.vectors, full.vectors)


def test_missing_index_says_what_to_do(tmp_path):
    with pytest.raises(IndexStateError, match="qa index"):
        load_store(tmp_path / "nothing")


def test_corrupted_index_gives_clear_error(tiny_settings):
    store, _ = build_index(tiny_settings, HashingEmbedder())
    (store.path / "vectors.npy").write_bytes(b"not numpy")
    with pytest.raises(IndexStateError, match="rebuild"):
        load_store(tiny_settings.index_dir)
    (store.path / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(IndexStateError, match="rebuild"):
        load_store(tiny_settings.index_dir)


def test_model_mismatch_gives_clear_error(tiny_settings):
    build_index(tiny_settings, HashingEmbedder())
    store = load_store(tiny_settings.index_dir)
    other = HashingEmbedder()
    other.name = "some-other-model"
    with pytest.raises(IndexStateError, match="some-other-model.*qa index --rebuild"):
        QA(store, other, tiny_settings)
    assert "model" in index_status(tiny_settings, "some-other-model")


def test_crash_during_build_leaves_old_index_usable(tiny_settings, monkeypatch):
    store, _ = build_index(tiny_settings, HashingEmbedder())
    (tiny_settings.corpus_dir / "wushan.jsonl").unlink()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("qa.dense.DenseIndex.save", boom)
    with pytest.raises(OSError):
        build_index(tiny_settings, HashingEmbedder())
    survivor = load_store(tiny_settings.index_dir)
    assert survivor.manifest == store.manifest
    assert not [p for p in tiny_settings.index_dir.iterdir() if p.name.startswith(".tmp-")]


def test_hybrid_search_finds_the_paragraph(tiny_settings):
    qa = QA.open(replace(tiny_settings), HashingEmbedder())
    hits = qa.search("沙坪坝区建了多少个工会驿站？", k=3)
    assert hits and "174" in hits[0].paragraph.text
    assert hits[0].paragraph.id.endswith("#p1")
    traditional = qa.search("沙坪壩區建了多少個工會驛站？", k=3)
    assert traditional[0].paragraph.id == hits[0].paragraph.id
