"""A `qa index` killed with SIGKILL at any point: the previous index still loads and answers the same, and the next
`qa index` recovers and leaves no debris. Also: readers never see a half-written build, the last two builds are
kept, and writers take turns through the lock."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO, lock_held_elsewhere

from qa.api import QA
from qa.errors import IndexBusyError
from qa.index.embed import HashingEmbedder
from qa.index.indexer import build_index
from qa.index.store import CRASH_ENV, POINTER, load_store

QUESTIONS = ["沙坪坝区建了多少个工会驿站？", "巫山县建立了多少个新就业形态工会组织？", "优选多少个驿站升级改造？"]
NEW_ARTICLE = {"id": "jb", "title": "江北区总工会打造职工服务自选超市", "text": "江北区总工会推出职工服务项目104个。"}


def qa_index(settings, env: dict[str, str] | None = None, wait: bool = True) -> subprocess.Popen:
    """`python -m qa index` on `settings` in a subprocess (env adds to this process's environment)."""
    args = [sys.executable, "-m", "qa", "index", "--corpus", str(settings.corpus_dir), "--index",
            str(settings.index_dir), "--model", "hashing", "-q"]
    proc = subprocess.Popen(args, cwd=REPO, env=os.environ | (env or {}), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if wait:
        proc.wait(timeout=120)
    return proc


def answers(settings) -> list[tuple[str, tuple[str, ...]]]:
    qa = QA.open(settings, HashingEmbedder(), build=False)
    return [(a.text, tuple(c.paragraph.id for c in a.citations)) for a in map(qa.ask, QUESTIONS)]


def debris(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(".tmp-") or p.name.endswith(".tmp"))


def builds(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("build-"))


def add_article(settings) -> None:
    (settings.corpus_dir / "jiangbei.jsonl").write_text(json.dumps(NEW_ARTICLE, ensure_ascii=False) + "\n",
                                                        encoding="utf-8")


@pytest.mark.parametrize("step", ["after-embedding", "mid-vectors", "after-segments", "before-manifest",
                                  "before-pointer-swap"])
def test_kill_before_the_swap_keeps_the_old_index_and_the_next_run_recovers(tiny_settings, step):
    build_index(tiny_settings, HashingEmbedder())
    old_manifest, old_answers = load_store(tiny_settings.index_dir).manifest, answers(tiny_settings)
    add_article(tiny_settings)
    proc = qa_index(tiny_settings, {CRASH_ENV: step})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert load_store(tiny_settings.index_dir).manifest == old_manifest
    assert answers(tiny_settings) == old_answers
    proc = qa_index(tiny_settings)
    assert proc.returncode == 0, proc.stderr
    assert debris(tiny_settings.index_dir) == [] and len(builds(tiny_settings.index_dir)) == 2
    store = load_store(tiny_settings.index_dir)
    assert store.manifest.counts["articles"] == 3 and "jiangbei.jsonl" in store.manifest.files


def test_a_build_killed_while_embedding_resumes_without_embedding_again(tiny_settings):
    """Vectors reach the cache block by block, so the next run embeds only what the killed one had not."""
    build_index(tiny_settings, HashingEmbedder())
    add_article(tiny_settings)
    proc = qa_index(tiny_settings, {CRASH_ENV: "mid-embedding"})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert load_store(tiny_settings.index_dir).manifest.counts["articles"] == 2
    _, report = build_index(tiny_settings, HashingEmbedder())
    assert report.embedded == 0 and report.reused > 0
    assert load_store(tiny_settings.index_dir).manifest.counts["articles"] == 3


class FailsAfter(HashingEmbedder):
    """Embeds `blocks` calls' worth of passages, then fails as a killed model would."""

    def __init__(self, blocks: int) -> None:
        super().__init__()
        self.blocks = blocks

    def embed_passages(self, texts, show_progress=False):  # noqa: ANN001, ANN201 - the Embedder protocol
        if self.blocks == 0:
            raise RuntimeError("killed")
        self.blocks -= 1
        return super().embed_passages(texts, show_progress)


def test_a_failed_build_keeps_the_blocks_it_embedded(tiny_settings, monkeypatch):
    monkeypatch.setattr("qa.index.indexer.CACHE_BLOCK", 1)
    with pytest.raises(RuntimeError):
        build_index(tiny_settings, FailsAfter(blocks=1))  # one block of one chunk, then the failure
    _, report = build_index(tiny_settings, HashingEmbedder())
    assert report.counts["chunks"] > 1 and report.embedded == report.counts["chunks"] - 1 and report.reused == 1


def test_kill_after_the_swap_leaves_the_new_index_live(tiny_settings):
    build_index(tiny_settings, HashingEmbedder())
    add_article(tiny_settings)
    proc = qa_index(tiny_settings, {CRASH_ENV: "after-pointer-swap"})
    assert proc.returncode == -signal.SIGKILL
    assert load_store(tiny_settings.index_dir).manifest.counts["articles"] == 3
    assert qa_index(tiny_settings).returncode == 0
    assert debris(tiny_settings.index_dir) == [] and len(builds(tiny_settings.index_dir)) == 2


def test_kill_at_random_moments(tiny_settings):
    """SIGKILL after a random delay, five times: the index is always the old or the new one, whole, and answers
    as that one does."""
    build_index(tiny_settings, HashingEmbedder())
    old = load_store(tiny_settings.index_dir).manifest
    old_answers = answers(tiny_settings)
    add_article(tiny_settings)
    rng = random.Random(20261127)
    for _ in range(5):
        proc = qa_index(tiny_settings, wait=False)
        time.sleep(rng.uniform(0.2, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        manifest = load_store(tiny_settings.index_dir).manifest
        assert manifest.counts["articles"] in (old.counts["articles"], 3)
        if manifest == old:
            assert answers(tiny_settings) == old_answers
    assert qa_index(tiny_settings).returncode == 0
    assert debris(tiny_settings.index_dir) == [] and len(builds(tiny_settings.index_dir)) <= 2
    assert load_store(tiny_settings.index_dir).manifest.counts["articles"] == 3


def test_two_writers_take_turns(tiny_settings):
    build_index(tiny_settings, HashingEmbedder())
    add_article(tiny_settings)
    first, second = qa_index(tiny_settings, wait=False), qa_index(tiny_settings, wait=False)
    assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0, first.stderr.read() + second.stderr.read()
    assert debris(tiny_settings.index_dir) == [] and len(builds(tiny_settings.index_dir)) == 2
    assert load_store(tiny_settings.index_dir).manifest.counts["articles"] == 3


def test_a_writer_that_cannot_get_the_lock_says_so(tiny_settings):
    build_index(tiny_settings, HashingEmbedder())
    with lock_held_elsewhere(tiny_settings.index_dir), pytest.raises(IndexBusyError, match="still writing"):
        build_index(replace(tiny_settings, lock_timeout=0.2), HashingEmbedder())
    build_index(tiny_settings, HashingEmbedder())  # free again


def test_readers_never_see_a_half_written_build(tiny_settings):
    build_index(tiny_settings, HashingEmbedder())
    add_article(tiny_settings)
    stop, seen, errors = threading.Event(), set(), []

    def read() -> None:
        while not stop.is_set():
            try:
                seen.add(load_store(tiny_settings.index_dir).manifest.counts["articles"])
            except Exception as exc:  # noqa: BLE001 - any failure to load is what this test looks for
                errors.append(repr(exc))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for k in range(6):
            (tiny_settings.corpus_dir / "jiangbei.jsonl").write_text(
                json.dumps(NEW_ARTICLE | {"text": f"江北区总工会推出职工服务项目{100 + k}个。"}, ensure_ascii=False),
                encoding="utf-8")
            build_index(tiny_settings, HashingEmbedder())
    finally:
        stop.set()
        reader.join()
    assert errors == [] and seen <= {2, 3}


def test_only_the_last_two_builds_are_kept_and_the_pointer_names_the_newest(tiny_settings):
    names = []
    for _ in range(4):
        store, _ = build_index(tiny_settings, HashingEmbedder(), rebuild=True)
        names.append(store.path.name)
    assert builds(tiny_settings.index_dir) == sorted(names[-2:])
    assert (tiny_settings.index_dir / POINTER).read_text(encoding="utf-8").strip() == names[-1]
