"""The Milvus backend (Milvus Lite in a file under tmp_path): one collection per build behind an alias, pruned with
its build; a killed writer's collection is dropped by the next run; the manifest records backend, URI and collection
so readers need no flags, and a reader asking for another backend gets an error naming both; filters on the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace

import pytest
from conftest import REPO, milvus_lite, needs_milvus

from qa.api import QA
from qa.cli import main
from qa.errors import IndexStateError
from qa.index import milvus
from qa.index.backend import Backend, read_record
from qa.index.embed import HashingEmbedder
from qa.index.indexer import build_index
from qa.index.store import CRASH_ENV, current_build, load_store
from qa.schema import SearchFilter

pytestmark = needs_milvus

ROW = {"id": "jb", "title": "江北区总工会打造职工服务自选超市", "text": "江北区总工会推出职工服务项目104个。",
       "date": "2023-03-01", "source": "工人日报"}


@pytest.fixture
def lite(tiny_settings, tmp_path):
    """`tiny_settings` on Milvus Lite (the file under tmp_path), with the database's URI."""
    with milvus_lite(tmp_path / "milvus.db") as uri:
        yield replace(tiny_settings, backend=Backend("milvus", uri)), uri


def collections(uri: str) -> list[str]:
    return sorted(milvus.connect(uri).list_collections())


def add_article(settings, row: dict = ROW) -> None:
    (settings.corpus_dir / "jiangbei.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")


def test_each_build_has_its_collection_the_alias_follows_and_pruned_builds_lose_theirs(lite):
    settings, uri = lite
    first, _ = build_index(settings, HashingEmbedder())
    assert first.manifest.backend["kind"] == "milvus" and first.manifest.backend["uri"] == uri
    assert read_record(first.path) == first.manifest.backend
    add_article(settings)
    second, _ = build_index(settings, HashingEmbedder())
    client = milvus.connect(uri)
    assert client.describe_alias("union_qa")["collection_name"] == second.manifest.backend["collection"]
    assert collections(uri) == sorted([first.manifest.backend["collection"], second.manifest.backend["collection"]])
    (settings.corpus_dir / "jiangbei.jsonl").unlink()
    third, _ = build_index(settings, HashingEmbedder())  # the first build is pruned, and its collection dropped
    assert collections(uri) == sorted([second.manifest.backend["collection"], third.manifest.backend["collection"]])
    assert client.describe_alias("union_qa")["collection_name"] == third.manifest.backend["collection"]


def test_a_killed_writer_leaves_the_old_index_and_the_next_run_drops_its_collection(lite):
    settings, uri = lite
    store, _ = build_index(settings, HashingEmbedder())
    live = store.manifest.backend["collection"]
    milvus.close(uri)  # Milvus Lite: one process at a time; the writer below is another
    add_article(settings)
    args = [sys.executable, "-m", "qa", "index", "--index", str(settings.index_dir), "-q"]
    proc = subprocess.run(args, cwd=REPO, env=os.environ | {CRASH_ENV: "mid-vectors"}, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    orphan = [c for c in collections(uri) if c != live]
    assert len(orphan) == 1  # the killed build's collection, filled before its folder was
    assert load_store(settings.index_dir).manifest == store.manifest
    qa = QA.open(settings, HashingEmbedder(), build=False)
    assert "174" in qa.search("沙坪坝区建了多少个工会驿站？", 1)[0].paragraph.text
    new, _ = build_index(settings, HashingEmbedder())
    assert collections(uri) == sorted([live, new.manifest.backend["collection"]])
    assert not [p for p in settings.index_dir.iterdir() if p.name.startswith(".tmp-")]


def test_a_failed_build_drops_its_collection(lite, monkeypatch):
    settings, uri = lite
    store, _ = build_index(settings, HashingEmbedder())
    add_article(settings)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("qa.index.store._write_vectors", boom)
    with pytest.raises(OSError):
        build_index(settings, HashingEmbedder())
    assert collections(uri) == [store.manifest.backend["collection"]]
    assert load_store(settings.index_dir).manifest == store.manifest


def test_a_missing_collection_is_a_clear_error(lite):
    settings, uri = lite
    store, _ = build_index(settings, HashingEmbedder())
    milvus.drop(milvus.connect(uri), store.manifest.backend["collection"])
    with pytest.raises(IndexStateError, match=f"collection {store.manifest.backend['collection']} at .* missing.*"
                                              "qa index --rebuild"):
        load_store(settings.index_dir)


def test_the_cli_builds_on_milvus_and_readers_follow_the_manifest(tiny_settings, tmp_path, capsys):
    with milvus_lite(tmp_path / "lite.db") as uri:
        base = ["--index", str(tiny_settings.index_dir), "-q"]
        add_article(tiny_settings)
        assert main(["index", "--corpus", str(tiny_settings.corpus_dir), "--model", "hashing", "--backend", "milvus",
                     "--milvus-uri", uri, "--collection", "news", *base]) == 0
        manifest = json.loads((current_build(tiny_settings.index_dir) / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["backend"]["uri"] == uri and manifest["backend"]["alias"] == "news"
        assert manifest["backend"]["collection"].startswith("news_build_")
        capsys.readouterr()
        assert main(["search", "江北区推出了多少个职工服务项目？", "-k", "1", *base]) == 0
        assert "104个" in capsys.readouterr().out
        assert main(["search", "江北区推出了多少个职工服务项目？", "-k", "5", "--since", "2024-01", *base]) == 0
        assert "104个" not in capsys.readouterr().out  # dated 2023-03-01
        assert main(["search", "江北区推出了多少个职工服务项目？", "--source", "重庆工人报", *base]) == 0
        out = capsys.readouterr().out
        assert "沙坪坝" in out and "江北" not in out and "巫山" not in out  # only 沙坪坝's article names that source
        assert main(["search", "工会", "--since", "July", *base]) == 2
        assert "since must be a date" in capsys.readouterr().err


@pytest.mark.parametrize(("options", "named"), [(["--backend", "faiss"], "not faiss"),
                                                (["--milvus-uri", "OTHER"], "not milvus .*other.db"),
                                                (["--collection", "other"], "collection other"),
                                                (["--milvus-keyword", "milvus"], "keyword side milvus")])
def test_a_reader_asking_for_another_backend_gets_an_error_naming_both(lite, tmp_path, capsys, options, named):
    settings, uri = lite
    build_index(settings, HashingEmbedder())
    options = [str(tmp_path / "other.db") if o == "OTHER" else o for o in options]
    assert main(["search", "工会", "--index", str(settings.index_dir), "-q", *options]) == 2
    err = capsys.readouterr().err
    assert f"built with the milvus {uri}" in err
    assert __import__("re").search(named, err), err


def test_a_faiss_index_refuses_milvus_options_and_a_writer_may_switch(tiny_settings, tmp_path, capsys):
    build_index(tiny_settings, HashingEmbedder())
    base = ["--index", str(tiny_settings.index_dir), "-q"]
    assert main(["search", "工会", "--backend", "milvus", *base]) == 2
    assert "built with the faiss backend, not milvus" in capsys.readouterr().err
    assert main(["search", "工会", "--milvus-uri", str(tmp_path / "x.db"), *base]) == 2
    assert "need --backend milvus" in capsys.readouterr().err
    with milvus_lite(tmp_path / "switch.db") as uri:
        assert main(["index", "--backend", "milvus", "--milvus-uri", uri, *base]) == 0
        assert load_store(tiny_settings.index_dir).manifest.backend["uri"] == uri
        assert main(["index", "--backend", "faiss", *base]) == 0  # and back; the Milvus build is kept as the previous
        assert load_store(tiny_settings.index_dir).manifest.backend == {"kind": "faiss"}
        assert len(collections(uri)) == 1
        add_article(tiny_settings)
        assert main(["index", *base]) == 0  # the Milvus build is pruned: its collection and alias go with it
        assert collections(uri) == [] and milvus.connect(uri).list_aliases()["aliases"] == []


def test_milvus_full_text_search_with_the_union_dictionary(tiny_settings, tmp_path):
    with milvus_lite(tmp_path / "fts.db") as uri:
        settings = replace(tiny_settings, backend=Backend("milvus", uri, keyword="milvus"))
        add_article(settings)
        qa = QA.open(settings, HashingEmbedder())
        assert not (qa.store.path / "bm25").exists()
        hits = qa.search("沙坪壩區建了多少個工會驛站？", 3, mode="bm25")  # traditional characters, normalised first
        assert "174" in hits[0].paragraph.text
        hits = qa.search("工会", 10, mode="bm25", where=SearchFilter(sources=("工人日报",)))
        assert hits and all(h.paragraph.source == "工人日报" for h in hits)


def test_without_pymilvus_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(milvus, "installed", lambda: False)
    with pytest.raises(IndexStateError, match=r"pip install .*\[milvus\]"):
        milvus._open("/tmp/nowhere.db")


def test_a_collection_name_milvus_would_refuse_is_an_error_at_once(tiny_settings, capsys):
    args = ["index", "--index", str(tiny_settings.index_dir), "--corpus", str(tiny_settings.corpus_dir), "--model",
            "hashing", "--backend", "milvus", "--collection", "union-news", "-q"]
    assert main(args) == 2
    assert "letters, digits and underscores, got 'union-news'" in capsys.readouterr().err


def test_a_lite_uri_must_end_in_db(tmp_path):
    with pytest.raises(IndexStateError, match="ending in .db"):
        milvus._open(str(tmp_path / "milvus"))
