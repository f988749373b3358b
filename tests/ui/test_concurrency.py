"""Concurrency: sessions asking at once get the answers one user alone gets, also while a file is uploaded; requests
beyond a full queue are refused at once and the server answers afterwards; what handlers share (one Retriever, which
keeps no per-query state and is handed each query vector, its English lexicon, built once under a lock, and the
embedding model) gives the sequential results under threads.

The UI tests drive the app through eval/loadtest.py (a small run of it); the thread tests need no gradio.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import REPO, eval_script

from qa.api import QA
from qa.index.embed import SentenceTransformerEmbedder
from qa.query.english import Lexicon
from qa.retrieve.retriever import Retriever
from qa.schema import Answer
from qa.settings import Settings

ROOT = REPO
DATASET = ROOT / "eval" / "questions.jsonl"
THREADS = 8
QUERIES = 200  # distinct queries, each embedded about twice per thread from one shared Retriever


@pytest.fixture(scope="module")
def loadtest() -> types.ModuleType:
    """eval/loadtest.py as a module (it needs gradio and gradio_client)."""
    pytest.importorskip("gradio")
    pytest.importorskip("gradio_client")
    return eval_script("loadtest")


@pytest.fixture
def bundled_settings(tmp_path: Path) -> Settings:
    """Settings over a copy of the bundled corpus (an upload writes into it), hashing embedder."""
    corpus = shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    return replace(Settings(), corpus_dir=corpus, index_dir=tmp_path / "index", model="hashing", show_progress=False)


# ---------- through the app ----------

def test_concurrent_sessions_answer_as_one_user_while_a_file_is_uploaded(loadtest, bundled_settings, tmp_path):
    qa = QA.open(bundled_settings)
    questions = loadtest.pick_questions(qa, DATASET, 4)
    assert len(questions) == 4
    article = tmp_path / loadtest.UPLOAD_NAME
    article.write_text(loadtest.UPLOAD_TEXT, encoding="utf-8")
    with loadtest.serving(qa, bundled_settings, tmp_path / "feedback.jsonl") as url:
        before, _ = loadtest.reference(url, questions)
        run = loadtest.run_load(url, questions, sessions=6, upload_path=article, timeout=300)
        after, _ = loadtest.reference(url, questions)
        uploaded = loadtest.single_user(url, [loadtest.UPLOAD_QUESTION])[0]
    scored = loadtest.score(run, before, after)
    assert scored["requests"] == 6 * 4 and scored["answered"] == 6 * 4
    assert scored["errors"] == 0, scored["error_samples"]
    assert scored["mismatches"] == 0, scored["mismatch_samples"]  # each equals a single-user answer, word for word
    assert run.writer["ok"], run.writer
    assert not uploaded.error and loadtest.UPLOAD_FACT in uploaded.text  # the upload is live for everyone
    assert all("没有找到" not in before[q] for q in questions[:2])  # the reference is real answers, not refusals


def test_requests_beyond_a_full_queue_are_refused_at_once_and_the_server_recovers(loadtest, tiny_settings, tmp_path):
    qa = QA.open(tiny_settings)
    question = "沙坪坝区建了多少个工会驿站？"
    feedback = tmp_path / "feedback.jsonl"
    with loadtest.serving(qa, tiny_settings, feedback) as url:
        expected = loadtest.single_user(url, [question])[0].text
    assert "174" in expected
    probe = loadtest.overload_probe(qa, tiny_settings, feedback, question, expected, requests=8, timeout=30)
    fits = probe["concurrency"] + probe["queue_size"]  # 1 running + 2 waiting
    assert probe["other"] == []  # no timeouts and no other errors: accepted or refused, nothing else
    # the handler was held until then, so these were refused without waiting for a place in the queue
    assert probe["busy_while_held"] >= 8 - fits, probe
    assert "Queue is full" in probe["busy_message"] and probe["busy_ms_max"] < 30_000
    assert [w["kind"] for w in probe["when_full"]] == ["busy"] * 3  # one by one, while the queue stays full
    assert 1 <= probe["answered"] <= fits and probe["answered_as_single_user"]
    assert probe["after"]["ok"], probe["after"]  # served normally once the load is gone
    assert "ask" not in vars(qa)  # the probe put the method back


# ---------- shared state under threads ----------

class SlowEmbedder:
    """Wraps an embedder and sleeps in every call, so threads interleave inside `query_vector` (the shared
    traditional → simplified converter, then the embedder)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.model_id = getattr(inner, "model_id", inner.name)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        time.sleep(0.001)
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self.inner.embed_passages(texts, show_progress)


def test_query_vectors_under_threads_equal_sequential_ones_and_leave_no_state(bundled_settings):
    qa = QA.open(bundled_settings)
    retriever = Retriever(qa.store, SlowEmbedder(qa.embedder))
    state = {name: id(value) for name, value in vars(retriever).items()}
    queries = [f"第{i}个區工會驛站建在哪里" for i in range(QUERIES)]  # traditional characters: read as simplified
    alone = Retriever(qa.store, qa.embedder)
    expected = {q: alone.query_vector(q).copy() for q in queries}  # one thread, one at a time

    def work(seed: int) -> list[tuple[str, np.ndarray]]:
        order = random.Random(seed).choices(queries, k=2 * QUERIES)
        return [(q, retriever.query_vector(q)) for q in order]

    with ThreadPoolExecutor(THREADS) as pool:
        results = [r for rs in pool.map(work, range(THREADS)) for r in rs]
    assert len(results) == THREADS * 2 * QUERIES
    assert all(np.array_equal(vector, expected[q]) for q, vector in results)
    assert {name: id(value) for name, value in vars(retriever).items()} == state  # nothing kept per query


def comparable(answer: Answer) -> Answer:
    return replace(answer, latency_ms=0.0)


def test_concurrent_asks_equal_sequential_ones_and_the_lexicon_is_built_once(bundled_settings, monkeypatch):
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [r["question"] for r in rows if not r.get("history")][::6]  # every type
    english = [r["question"] for r in rows if r["type"] == "english" and not r.get("history")][:THREADS]
    assert len(english) == THREADS
    sequential = QA.open(bundled_settings)
    expected = {q: comparable(sequential.ask(q)) for q in dict.fromkeys([*english, *questions])}
    assert sum(a.found for a in expected.values()) > len(expected) // 2  # mostly real answers, not refusals

    builds: list[int] = []
    build = Lexicon.build

    def counted(cls: type[Lexicon], texts: list[str]) -> Lexicon:
        builds.append(threading.get_ident())
        time.sleep(0.2)  # a slow build: the other English questions meanwhile must wait for it, not start another
        return build(texts)

    monkeypatch.setattr(Lexicon, "build", classmethod(counted))
    concurrent = QA.open(bundled_settings, embedder=sequential.embedder)
    asks = [*english, *questions, *questions]  # one English question per thread first: all need the lexicon at once
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda q: (q, comparable(concurrent.ask(q))), asks))
    assert len(answers) == len(asks)
    assert [q for q, a in answers if a != expected[q]] == []
    assert len(builds) == 1


def test_the_model_encodes_one_batch_at_a_time(tmp_path, monkeypatch):
    class FakeModel:
        """Stands in for SentenceTransformer and records how many `encode` calls overlap."""

        def __init__(self, path: str, device: str, local_files_only: bool) -> None:
            self.prompts: dict[str, str] = {"query": "query: "}
            self.active = self.most = 0

        def get_embedding_dimension(self) -> int:
            return 2

        def encode(self, texts: list[str], **kwargs: Any) -> np.ndarray:
            self.active += 1
            self.most = max(self.most, self.active)
            time.sleep(0.002)
            self.active -= 1
            return np.array([[len(t), 1.0] for t in texts], np.float32)

    fake = types.ModuleType("sentence_transformers")
    fake.SentenceTransformer = FakeModel  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sentence_transformers", fake)
    (tmp_path / "modules.json").write_text("[]", encoding="utf-8")
    embedder = SentenceTransformerEmbedder(tmp_path, "fake")
    texts = ["工会" * (i % 7 + 1) for i in range(200)]
    with ThreadPoolExecutor(THREADS) as pool:
        vectors = list(pool.map(lambda t: embedder.embed_queries([t])[0], texts))
    assert embedder.model.most == 1
    assert all(v.tolist() == [len("query: " + t), 1.0] for t, v in zip(texts, vectors, strict=True))
