"""Shared fixtures: a tiny hand-written Chinese corpus and settings that use the weightless hashing embedder, and the
same settings over each search backend (faiss; Milvus Lite in a file under tmp_path, skipped without pymilvus)."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from qa.index.milvus import installed as milvus_installed
from qa.settings import Settings

REPO = Path(__file__).resolve().parents[1]
needs_milvus = pytest.mark.skipif(not milvus_installed(),
                                  reason='pymilvus is not installed: pip install -c constraints.txt -e ".[milvus]"')
BACKENDS = [pytest.param("faiss"), pytest.param("milvus", marks=needs_milvus)]


def eval_script(name: str) -> types.ModuleType:
    """eval/<name>.py as a module, registered under its name (dataclasses look their module up while created)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "eval" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

ARTICLES = {
    "shapingba.jsonl": [
        {"id": "spb", "title": "沙坪坝区总工会建驿站", "date": "2024-07-20", "source": "重庆工人报",
         "text": "近年来,沙坪坝区总工会建成工会驿站174个。\n\n优选24个驿站升级改造,增加智能门禁等功能。"},
    ],
    "wushan.jsonl": [
        {"id": "ws", "title": "巫山县推进新就业形态劳动者建会入会", "date": "2024-07-20",
         "text": "目前,巫山县已建立各类新就业形态工会组织41个,发展会员4896人。\n\n建成26处工会户外劳动者“港湾”。"},
    ],
}


def write_corpus(folder: Path, articles: dict[str, list[dict]] = ARTICLES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in articles.items():
        (folder / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return folder


def write_cmrc(path: Path, passages: list[tuple[str, str, str, str]]) -> Path:
    """A SQuAD-format CMRC file at `path`: one document of passages (id, context, its one question, its answer)."""
    paragraphs = [{"id": pid, "context": context,
                   "qas": [{"id": f"{pid}-q", "question": question, "answers": [{"text": answer}]}]}
                  for pid, context, question, answer in passages]
    path.write_text(json.dumps({"data": [{"id": "d1", "title": "驿站", "paragraphs": paragraphs}]},
                               ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def tiny_settings(tmp_path: Path) -> Settings:
    """Settings over a fresh copy of the tiny corpus, hashing embedder, no progress bars."""
    return replace(Settings(), corpus_dir=write_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index",
                   model="hashing", show_progress=False)


@contextmanager
def milvus_lite(uri: Path) -> Iterator[str]:
    """A Milvus Lite database file for the block; its in-process server is stopped afterwards."""
    from qa.index.milvus import close

    try:
        yield str(uri)
    finally:
        close(str(uri))


@pytest.fixture(params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, tiny_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """`tiny_settings` with the faiss backend, then with Milvus (Milvus Lite, a file under tmp_path)."""
    if request.param == "faiss":
        yield tiny_settings
        return
    from qa.index.backend import Backend

    with milvus_lite(tmp_path / "milvus.db") as uri:
        yield replace(tiny_settings, backend=Backend("milvus", uri))


@contextmanager
def lock_held_elsewhere(index_dir: Path) -> Iterator[None]:
    """The index's writer lock held by another thread (as a `qa index` run or a second UI would) for the block."""
    from qa.index.lock import writer_lock

    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer_lock(index_dir):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join()


def compose_text(question: str, hits: list, lexicon: object = None) -> object:
    """The composer's answer to `question` from bare `hits` (no store, no model): the production path with the
    evidence the hits alone give."""
    from qa.answer.compose import compose
    from qa.answer.config import ComposerConfig
    from qa.answer.evidence import gather
    from qa.query.question import analyze_question

    q = analyze_question(question, lexicon)
    return compose(q, gather(q, hits), ComposerConfig())
