"""The reader model's file (qa/answer/llm.py): joined from installed part packages, checked, moved into place whole;
never half-written, never loaded when altered."""

from __future__ import annotations

import hashlib
import re
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qa.answer import llm
from qa.answer.llm import INSTALL, ReaderModel, ensure_model_file, part_files, reader_model
from qa.errors import QAError

PARTS = [b"GGUF-head-", b"middle-", b"tail"]


def fake_parts(root: Path, prefix: str = "fakereaderpart") -> ReaderModel:
    """Packages `<prefix>1..3` under `root`, each with one data/partNN.bin, and the model they join into."""
    for i, data in enumerate(PARTS, start=1):
        package = root / f"{prefix}{i}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("", encoding="utf-8")
        (package / "data" / f"part{i:02d}.bin").write_bytes(data)
    joined = b"".join(PARTS)
    return ReaderModel("fake.gguf", prefix, len(PARTS), hashlib.sha256(joined).hexdigest(), len(joined))


def test_the_parts_are_joined_in_order_checked_and_kept(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    model = fake_parts(tmp_path / "site")
    path = ensure_model_file(model, tmp_path / "cache")
    assert path == tmp_path / "cache" / "models" / "fake.gguf" and path.read_bytes() == b"".join(PARTS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in part_files(model)] == ["part01.bin", "part02.bin", "part03.bin"]
    for f in part_files(model):
        f.unlink()  # once joined, the parts are no longer read
    assert ensure_model_file(model, tmp_path / "cache").read_bytes() == b"".join(PARTS)
    path.write_bytes(b"GGUF-cut")  # a file cut short (or replaced) is refused, not loaded
    with pytest.raises(QAError, match="has 8 bytes, not 21: delete it"):
        ensure_model_file(model, tmp_path / "cache")


def test_an_altered_part_is_refused_and_nothing_is_left_behind(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    model = fake_parts(tmp_path / "site", "alteredreaderpart")
    (tmp_path / "site" / "alteredreaderpart2" / "data" / "part02.bin").write_bytes(b"other-")
    with pytest.raises(QAError, match="SHA-256"):
        ensure_model_file(model, tmp_path / "cache")
    assert [p.name for p in (tmp_path / "cache" / "models").iterdir() if p.suffix != ".lock"] == []


def test_a_join_killed_halfway_leaves_nothing_the_next_join_keeps(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    model = fake_parts(tmp_path / "site", "killedreaderpart")
    models = tmp_path / "cache" / "models"
    models.mkdir(parents=True)
    (models / "fake.gguf.abc123.part").write_bytes(b"GGUF-he")  # what `kill -9` during a join leaves
    (models / "tmpq1w2e3.part").write_bytes(b"GGUF")  # the same from a version before the lock
    (models / "other.gguf.def456.part").write_bytes(b"x")  # another model's join is not this one's to remove
    assert ensure_model_file(model, tmp_path / "cache").read_bytes() == b"".join(PARTS)
    assert sorted(p.name for p in models.iterdir() if p.suffix != ".lock") == ["fake.gguf", "other.gguf.def456.part"]


def test_processes_starting_at_once_join_once(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    model = fake_parts(tmp_path / "site", "concurrentreaderpart")
    joins = []

    def slow_join(model: ReaderModel, target: Path) -> None:
        joins.append(target)
        time.sleep(0.3)  # long enough for the others to reach the lock while this one holds it
        real_join(model, target)

    real_join = llm._join
    monkeypatch.setattr(llm, "_join", slow_join)
    with ThreadPoolExecutor(3) as pool:
        paths = list(pool.map(lambda _: ensure_model_file(model, tmp_path / "cache"), range(3)))
    assert len(joins) == 1 and {p.read_bytes() for p in paths} == {b"".join(PARTS)}


def test_a_missing_part_or_an_unknown_reader_is_an_error_that_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    model = fake_parts(tmp_path / "site", "partialreaderpart")
    missing = ReaderModel(model.file, model.prefix, 4, model.sha256, model.size)
    with pytest.raises(QAError, match=re.escape(f"partialreaderpart4 is not installed: run `{INSTALL}`")):
        ensure_model_file(missing, tmp_path / "cache")
    assert not (tmp_path / "cache" / "models" / "fake.gguf").exists()
    with pytest.raises(QAError, match="unknown reader 'x': choose from qwen2.5-coder-1.5b"):
        reader_model("x")


def test_the_model_is_loaded_once_and_asked_one_question_at_a_time(tmp_path, monkeypatch):
    import sys
    import threading
    import time
    import types

    from qa.answer.llm import LlamaReader

    loads, busy, overlaps = [], threading.Event(), []

    class Llama:
        def __init__(self, model_path: str, **kwargs: object) -> None:
            loads.append((model_path, kwargs["n_threads"]))

        def create_chat_completion(self, messages: list, **kwargs: object) -> dict:
            if busy.is_set():
                overlaps.append(messages)
            busy.set()
            time.sleep(0.01)
            busy.clear()
            return {"choices": [{"message": {"content": messages[1]["content"] + "的答案"}}]}

    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=Llama))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    reader = LlamaReader(fake_parts(tmp_path / "site", "threadreaderpart"), tmp_path / "cache", threads=2)
    replies: list[str] = []
    threads = [threading.Thread(target=lambda i=i: replies.append(reader("系统", f"问{i}"))) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(replies) == [f"问{i}的答案" for i in range(6)] and not overlaps
    assert loads == [(str(tmp_path / "cache" / "models" / "fake.gguf"), 2)]
