"""Index round trip, incremental add/remove/edit, and clear errors on corrupted or mismatched indexes; the tests
taking `backend_settings` run on faiss and on Milvus (Milvus Lite)."""

import json
from dataclasses import replace

import numpy as np
import pytest

from qa.api import QA
from qa.errors import IndexStateError
from qa.index.embed import HashingEmbedder
from qa.index.indexer import build_index, index_status
from qa.index.store import load_store


class CountingEmbedder(HashingEmbedder):
    """Hashing embedder that records how many passages it embedded."""

    def __init__(self) -> None:
        super().__init__()
        self.passages = 0

    def embed_passages(self, texts, show_progress=False):
        self.passages += len(texts)
        return super().embed_passages(texts)


def test_round_trip_keeps_records_and_vectors(backend_settings):
    store, report = build_index(backend_settings, HashingEmbedder())
    loaded = load_store(backend_settings.index_dir)
    assert loaded.manifest == store.manifest
    assert loaded.articles == store.articles
    assert loaded.chunks == store.chunks
    assert np.array_equal(loaded.vectors, store.vectors)
    assert report.counts["paragraphs"] == len(loaded.paragraphs) > 0
    assert index_status(backend_settings, "hashing") is None


def test_incremental_add_edit_remove_embeds_only_new_text(backend_settings):
    corpus = backend_settings.corpus_dir
    emb = CountingEmbedder()
    build_index(backend_settings, emb)
    first = emb.passages
    assert first > 0
    _, report = build_index(backend_settings, emb)  # nothing changed
    assert emb.passages == first and report.embedded == 0

    row = {"id": "jb", "title": "江北区总工会打造职工服务自选超市", "text": "共有104个项目参赛。"}
    (corpus / "jiangbei.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    store, report = build_index(backend_settings, emb)
    assert report.added == ("jiangbei.jsonl",) and report.embedded == emb.passages - first == 1
    assert any("104个项目" in p.text for p in store.paragraphs.values())

    row["text"] = "共有105个项目参赛。"
    (corpus / "jiangbei.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    store, report = build_index(backend_settings, emb)
    assert report.changed == ("jiangbei.jsonl",) and report.embedded == 1
    texts = [p.text for p in store.paragraphs.values()]
    assert any("105个项目" in t for t in texts) and not any("104个项目" in t for t in texts)

    (corpus / "wushan.jsonl").unlink()
    store, report = build_index(backend_settings, emb)
    assert report.removed == ("wushan.jsonl",) and report.embedded == 0
    assert not any("巫山" in p.text for p in store.paragraphs.values())
    assert len(store.chunks) == len(store.vectors) == len(store.dense) == len(store.keyword)


def test_incremental_result_equals_full_rebuild(backend_settings):
    build_index(backend_settings, HashingEmbedder())
    (backend_settings.corpus_dir / "wushan.jsonl").unlink()
    incremental, _ = build_index(backend_settings, HashingEmbedder())
    full, _ = build_index(backend_settings, HashingEmbedder(), rebuild=True)
    assert incremental.chunks == full.chunks
    assert np.array_equal(incremental.vectors, full.vectors)


def test_missing_index_says_what_to_do(tmp_path):
    with pytest.raises(IndexStateError, match="qa index"):
        load_store(tmp_path / "nothing")


def test_corrupted_index_gives_clear_error(tiny_settings):
    store, _ = build_index(tiny_settings, HashingEmbedder())
    next((store.path / "segments").rglob("vectors.npy")).write_bytes(b"not numpy")
    with pytest.raises(IndexStateError, match="rebuild"):
        load_store(tiny_settings.index_dir)
    (store.path / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(IndexStateError, match="rebuild"):
        load_store(tiny_settings.index_dir)


def test_model_mismatch_gives_clear_error(backend_settings):
    build_index(backend_settings, HashingEmbedder())
    store = load_store(backend_settings.index_dir)
    other = HashingEmbedder()
    other.name = "some-other-model"
    with pytest.raises(IndexStateError, match="some-other-model.*qa index --rebuild"):
        QA(store, other, backend_settings)
    assert "model" in index_status(backend_settings, "some-other-model")


def test_crash_during_build_leaves_old_index_usable(tiny_settings, monkeypatch):
    store, _ = build_index(tiny_settings, HashingEmbedder())
    (tiny_settings.corpus_dir / "wushan.jsonl").unlink()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("qa.index.bm25.KeywordIndex.save", boom)
    with pytest.raises(OSError):
        build_index(tiny_settings, HashingEmbedder())
    survivor = load_store(tiny_settings.index_dir)
    assert survivor.manifest == store.manifest
    assert not [p for p in tiny_settings.index_dir.iterdir() if p.name.startswith(".tmp-")]


def test_hybrid_search_finds_the_paragraph(backend_settings):
    qa = QA.open(replace(backend_settings), HashingEmbedder())
    hits = qa.search("沙坪坝区建了多少个工会驿站？", k=3)
    assert hits and "174" in hits[0].paragraph.text
    assert hits[0].paragraph.id.endswith("#p1")
    traditional = qa.search("沙坪壩區建了多少個工會驛站？", k=3)
    assert traditional[0].paragraph.id == hits[0].paragraph.id


def test_the_embedding_cache_survives_a_rebuild(backend_settings):
    emb = CountingEmbedder()
    build_index(backend_settings, emb)
    first = emb.passages
    _, report = build_index(backend_settings, emb, rebuild=True)
    assert emb.passages == first and report.embedded == 0 and report.reused > 0
    (backend_settings.corpus_dir / "wushan.jsonl").rename(backend_settings.corpus_dir / "wushan.bak")
    build_index(backend_settings, emb)
    build_index(backend_settings, emb)  # two builds later the one holding wushan's vectors is gone...
    (backend_settings.corpus_dir / "wushan.bak").rename(backend_settings.corpus_dir / "wushan.jsonl")
    _, report = build_index(backend_settings, emb)
    assert report.embedded == 0 and emb.passages == first  # ...but the cache still has them


def test_the_manifest_records_the_corpus_and_staleness_follows_it(tiny_settings, tmp_path):
    store, _ = build_index(tiny_settings, HashingEmbedder())
    assert store.manifest.corpus_dir == str(tiny_settings.corpus_dir.resolve())
    assert store.manifest.corpus_rel == "../corpus"
    other = replace(tiny_settings, corpus_dir=tmp_path / "elsewhere")  # the settings' corpus is not what counts
    assert index_status(other, "hashing") is None
    (tiny_settings.corpus_dir / "wushan.jsonl").unlink()
    assert "changed" in index_status(other, "hashing")


def test_settle_takes_the_recorded_corpus_and_model_and_refuses_a_different_one(tiny_settings, tmp_path, caplog):
    from qa.index.indexer import settle
    from qa.settings import Settings

    fresh = replace(Settings(), index_dir=tiny_settings.index_dir)
    assert settle(fresh, tmp_path / "c", "hashing").corpus_dir == tmp_path / "c"  # no index yet: as given
    build_index(tiny_settings, HashingEmbedder())
    settled = settle(fresh)
    assert settled.corpus_dir.resolve() == tiny_settings.corpus_dir.resolve() and settled.model == "hashing"
    assert settle(fresh, tiny_settings.corpus_dir, "hashing").corpus_dir == tiny_settings.corpus_dir
    with pytest.raises(IndexStateError, match="built from the corpus .* not .*other.*OTHER_DIR"):
        settle(fresh, tmp_path / "other")
    with pytest.raises(IndexStateError, match="built with model hashing, not multilingual-e5-small"):
        settle(fresh, model="multilingual-e5-small")
    with pytest.raises(IndexStateError, match="built from the corpus .* not .*other.*--replace-corpus"):
        settle(fresh, tmp_path / "other", writing=True)  # a writer too: an --index mistyped for another archive's
    with caplog.at_level("WARNING"):
        assert settle(fresh, tmp_path / "other", writing=True, replace_corpus=True).corpus_dir == tmp_path / "other"
    assert "previous build is kept" in caplog.text


def test_a_writer_may_take_another_corpus_where_the_recorded_one_is_gone(tiny_settings, tmp_path, caplog):
    import shutil

    from qa.index.indexer import settle
    from qa.settings import Settings

    build_index(tiny_settings, HashingEmbedder())
    shutil.move(tiny_settings.corpus_dir, tmp_path / "renamed")
    fresh = replace(Settings(), index_dir=tiny_settings.index_dir)
    with caplog.at_level("WARNING"):
        assert settle(fresh, tmp_path / "renamed", writing=True).corpus_dir == tmp_path / "renamed"
    assert "re-indexing it from" in caplog.text


def test_a_moved_checkout_finds_its_corpus_again(tiny_settings, tmp_path):
    import shutil

    from qa.index.indexer import settle
    from qa.settings import Settings

    build_index(tiny_settings, HashingEmbedder())
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("corpus", "index"):
        shutil.move(tmp_path / name, moved / name)
    settled = settle(replace(Settings(), index_dir=moved / "index"))
    assert settled.corpus_dir == (moved / "corpus").resolve()
    assert index_status(settled, "hashing") is None


def test_open_builds_only_a_missing_index(backend_settings):
    emb = CountingEmbedder()
    qa = QA.open(backend_settings, emb)
    assert emb.passages > 0 and qa.stale is None
    (backend_settings.corpus_dir / "wushan.jsonl").unlink()
    before = emb.passages
    qa = QA.open(backend_settings, emb)
    assert emb.passages == before and "changed" in qa.stale
    assert any(a.id == "ws" for a in qa.store.articles)  # answered from the index as it is


def test_an_open_qa_follows_a_build_made_by_another_writer(backend_settings):
    qa = QA.open(backend_settings, HashingEmbedder())
    row = {"id": "jb", "title": "江北区总工会", "text": "江北区总工会推出职工服务项目104个。"}
    (backend_settings.corpus_dir / "jiangbei.jsonl").write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
    build_index(backend_settings, HashingEmbedder())  # as `qa index` or a second UI would
    answer = qa.ask("江北区总工会推出了多少个职工服务项目？")
    assert answer.found and "104" in answer.text


def test_the_same_article_in_two_files_is_indexed_once_and_reported(tiny_settings):
    original = (tiny_settings.corpus_dir / "wushan.jsonl").read_bytes()
    (tiny_settings.corpus_dir / "wushan2.jsonl").write_bytes(original.replace(b'"ws"', b'"ws2"'))  # read second
    store, report = build_index(tiny_settings, HashingEmbedder())
    assert sorted(a.id for a in store.articles) == ["spb", "ws"]
    assert any("ws2" in p and "repeats ws" in p for p in report.problems)


def test_an_unchanged_corpus_writes_no_new_build(backend_settings):
    first, _ = build_index(backend_settings, HashingEmbedder())
    again, report = build_index(backend_settings, HashingEmbedder())
    assert again.path == first.path and report.embedded == 0
    builds = [p for p in backend_settings.index_dir.iterdir() if p.name.startswith("build-")]
    assert len(builds) == 1


def test_a_file_over_the_size_limit_is_fingerprinted_without_being_read(tiny_settings, monkeypatch):
    from qa.index.indexer import corpus_files

    with (tiny_settings.corpus_dir / "huge.txt").open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: nothing is written to disk

    def never(*args, **kwargs):
        raise AssertionError("a file over the limit must not be hashed")

    monkeypatch.setattr("qa.index.indexer.file_sha256", lambda p: never() if p.name == "huge.txt" else "x")
    assert corpus_files(tiny_settings.corpus_dir)["huge.txt"] == f"size:{200 * 1024 * 1024}"


def test_a_damaged_tombstone_list_is_a_clear_cli_error(tiny_settings, capsys):
    from qa.cli import main
    from qa.ingest.catalog import tombstones_path

    tombstones_path(tiny_settings.corpus_dir).parent.mkdir()
    tombstones_path(tiny_settings.corpus_dir).write_text("{broken", encoding="utf-8")
    args = ["index", "--corpus", str(tiny_settings.corpus_dir), "--index", str(tiny_settings.index_dir),
            "--model", "hashing", "-q"]
    assert main(args) == 2
    assert "deleted.json is damaged" in capsys.readouterr().err


def test_a_build_holds_a_paragraph_keyword_index_as_the_settings_say(tiny_settings):
    from qa.index.bm25 import KeywordSpec

    settings = replace(tiny_settings, paragraph_keyword=KeywordSpec("precise", k1=0.8, b=0.5))
    build_index(settings, HashingEmbedder())
    store = load_store(settings.index_dir)
    assert store.paragraph_keyword is not None and len(store.paragraph_keyword) == len(store.paragraphs)
    assert store.paragraph_keyword.spec == settings.paragraph_keyword
    assert store.manifest.keyword == {"chunks": settings.chunk_keyword.record(),
                                      "paragraphs": settings.paragraph_keyword.record()}
    # row i is paragraph i: a paragraph's own words find it first, its title counts too
    for row, pid in enumerate(store.paragraph_ids):
        p = store.paragraphs[pid]
        assert store.paragraph_keyword.search(f"{p.title} {p.text}", 1)[1].tolist() == [row]


def test_a_build_from_before_the_paragraph_index_gets_it_on_the_next_run_without_embedding(tiny_settings):
    import shutil

    from qa.index.store import PARAGRAPH_BM25, current_build

    emb = CountingEmbedder()
    build_index(tiny_settings, emb)
    first = emb.passages
    folder = current_build(tiny_settings.index_dir)  # make it look like an older build
    shutil.rmtree(folder / PARAGRAPH_BM25)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["keyword"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    old = load_store(tiny_settings.index_dir)
    assert old.paragraph_keyword is None and old.manifest.keyword == {}
    assert QA.open(tiny_settings, HashingEmbedder()).search("沙坪坝区工会驿站", k=1)  # still answers, by chunks

    store, report = build_index(tiny_settings, emb)
    assert store.paragraph_keyword is not None and report.embedded == 0 and emb.passages == first
    assert load_store(tiny_settings.index_dir).paragraph_keyword is not None


def test_the_report_times_each_build_stage(backend_settings, capsys):
    _, report = build_index(backend_settings, HashingEmbedder())
    names = [s.name for s in report.stages]
    assert names[:3] == ["load", "previous", "chunk"]
    for name in ("embed", "tokenise", "bm25", "dense", "save"):
        assert name in names
    assert all(s.seconds >= 0 and s.peak_mb > 0 for s in report.stages)
    assert sum(s.seconds for s in report.stages) <= report.seconds + 0.01
    _, again = build_index(backend_settings, HashingEmbedder())  # nothing to write: no embed or save
    assert [s.name for s in again.stages] == ["load", "previous", "chunk"]


def test_stages_outside_a_recording_record_nothing():
    from qa.index.stages import recording, stage, summary

    with stage("embed"):
        pass
    with recording() as stages:
        with stage("bm25"):
            pass
        with stage("bm25"):
            pass
    assert list(stages) == ["bm25"]
    assert summary(tuple(stages.values())).startswith("stages: bm25 0.0 s; peak RSS ")


def test_a_corpus_whose_every_file_fails_leaves_the_index_as_it_was(tiny_settings):
    from qa.errors import CorpusError

    build_index(tiny_settings, HashingEmbedder())
    before = load_store(tiny_settings.index_dir).manifest
    for path in tiny_settings.corpus_dir.iterdir():
        if path.is_file():
            path.write_bytes(b"")  # an empty file is refused unread
    with pytest.raises(CorpusError, match="left as it was"):
        build_index(tiny_settings, HashingEmbedder())
    assert load_store(tiny_settings.index_dir).manifest == before


def test_an_emptied_corpus_leaves_the_index_as_it_was(tiny_settings, caplog):
    from qa.errors import CorpusError

    build_index(tiny_settings, HashingEmbedder())
    before = load_store(tiny_settings.index_dir).manifest
    for path in tiny_settings.corpus_dir.iterdir():
        if path.is_file():
            path.unlink()
    with pytest.raises(CorpusError, match="holds no article.*left as it was"):
        build_index(tiny_settings, HashingEmbedder())
    assert load_store(tiny_settings.index_dir).manifest == before
    fresh = replace(tiny_settings, index_dir=tiny_settings.index_dir.parent / "fresh")
    with caplog.at_level("WARNING"):
        store, _ = build_index(fresh, HashingEmbedder())  # a new index may start empty (the UI's uploads fill it)
    assert not store.articles and "holds no article" in caplog.text


def test_a_title_made_from_the_lead_is_shown_but_not_searched(tiny_settings, monkeypatch):
    from qa.ingest import load

    # a made title the text does not hold, to see where it goes (a real lead title repeats the text's words)
    monkeypatch.setattr(load, "lead_title", lambda texts: "麒麟标题")
    rows = [{"id": "lead", "text": "全市各级工会为一线职工送清凉。"}]
    (tiny_settings.corpus_dir / "untitled.jsonl").write_text(json.dumps(rows[0], ensure_ascii=False) + "\n",
                                                              encoding="utf-8")
    build_index(tiny_settings, HashingEmbedder())
    store = load_store(tiny_settings.index_dir)
    p = store.paragraphs["lead#p1"]
    assert (p.title, p.title_from_lead, p.context_title) == ("麒麟标题", True, "")
    assert store.paragraph_keyword.search("麒麟标题", 5)[1].size == 0
    assert store.keyword.search("麒麟标题", 5)[1].size == 0
    assert all(c.context == "" for c in store.chunks if c.paragraph_id == "lead#p1")
    assert store.keyword.search("送清凉", 5)[1].size > 0  # the row itself is indexed
