"""eval/compare_answers.py: answers equal but for latency compare equal; any other field is reported."""

from __future__ import annotations

import json

from conftest import eval_script

compare_answers = eval_script("compare_answers")


def write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_only_latency_may_differ(tmp_path, capsys):
    row = {"id": "q1", "answer": "174个[1]", "found": True, "citations": [], "latency_ms": 12.0}
    a = write(tmp_path / "a.jsonl", [row])
    assert compare_answers.main([str(a), str(write(tmp_path / "b.jsonl", [row | {"latency_ms": 99.0}]))]) == 0
    assert "0 of 1 differ" in capsys.readouterr().out
    changed = write(tmp_path / "c.jsonl", [row | {"answer": "175个[1]"}, {"id": "q2", "answer": ""}])
    assert compare_answers.main([str(a), str(changed)]) == 1
    out = capsys.readouterr().out
    assert "q1 answer" in out and "q2 (missing)" in out and "2 of 2 differ" in out
