"""👍/👎 feedback: one whole JSON line per rating, with the answer, its citations and the index build."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest
from conftest import write_corpus

from qa.api import QA
from qa.settings import Settings
from qa.ui.feedback import append_feedback, feedback_record, index_version, read_feedback


@pytest.fixture(scope="module")
def answered(tmp_path_factory):
    root = tmp_path_factory.mktemp("fb")
    settings = replace(Settings(), corpus_dir=write_corpus(root / "corpus"), index_dir=root / "index",
                       model="hashing", show_progress=False)
    qa = QA.open(settings)
    return qa, qa.ask("沙坪坝区建了多少个工会驿站？")


def test_record_holds_question_answer_citations_and_index(answered):
    qa, answer = answered
    record = feedback_record(answer, "down", "  引用不对 ", index_version(qa.store))
    assert record["rating"] == "down" and record["comment"] == "引用不对"
    assert record["question"] == "沙坪坝区建了多少个工会驿站？" and "174" in record["answer"]
    assert record["found"] is True
    assert record["citations"][0]["paragraph_id"] == "spb#p1"
    index = record["index"]
    assert index["build"] == qa.store.path.name and index["model"] == "hashing"
    assert index["corpus_fingerprint"] == qa.store.manifest.corpus_fingerprint[:12]
    assert str(record["time"]).startswith("20")


def test_append_keeps_every_record_on_its_own_line(answered, tmp_path):
    _, answer = answered
    path = tmp_path / "feedback" / "feedback.jsonl"
    threads = [threading.Thread(target=append_feedback, args=(feedback_record(answer, r, "x" * 5000), path))
               for r in ("up", "down") * 10]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20 and all(json.loads(line)["answer"] == answer.text for line in lines)
    assert len(json.loads(lines[0])["comment"]) == 2000
    assert sorted(r["rating"] for r in read_feedback(path)) == ["down"] * 10 + ["up"] * 10


def test_bad_rating_and_broken_lines(answered, tmp_path):
    _, answer = answered
    with pytest.raises(ValueError, match="rating"):
        feedback_record(answer, "meh")
    path = tmp_path / "f.jsonl"
    assert read_feedback(path) == []
    path.write_text('{"rating": "up"}\nnot json\n', encoding="utf-8")
    assert read_feedback(path) == [{"rating": "up"}]
