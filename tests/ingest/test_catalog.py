"""The library's records: tombstones hide exactly the deleted article (by file and text, not by id), survive a
round trip, and a damaged list is a clear error; the audit log appends one line per attempt."""

from __future__ import annotations

import pytest

from qa.errors import CorpusError
from qa.ingest.catalog import (
    Tombstone,
    append_audit,
    read_audit,
    read_tombstones,
    text_key,
    tombstones_path,
    without_deleted,
    write_tombstones,
)
from qa.schema import Article, Paragraph


def article(aid: str, file: str, text: str) -> Article:
    return Article(aid, "标题", (Paragraph(f"{aid}#p1", aid, 1, text, "标题", file=file),), file=file)


def test_a_tombstone_hides_the_same_text_in_the_same_file_whatever_its_id():
    gone = article("report-01", "uploads/report.txt", "旧文章。")
    t = Tombstone(gone.id, gone.title, gone.file, "2026-11-27", "admin", text_key(gone))
    moved = article("report-report-01", "uploads/report.txt", "旧文章。")  # renamed when another file took its id
    newcomer = article("report-01", "uploads/report.md", "新文章。")  # the id it had, now another article's
    same_text_elsewhere = article("copy-01", "copy.txt", "旧文章。")
    assert without_deleted([moved, newcomer, same_text_elsewhere], [t]) == [newcomer, same_text_elsewhere]


def test_old_tombstones_without_a_text_hash_match_by_file_and_id():
    t = Tombstone("a-01", "标题", "a.txt", "2026-11-27")
    assert without_deleted([article("a-01", "a.txt", "x"), article("a-02", "a.txt", "y")], [t])[0].id == "a-02"


def test_round_trip_keyed_by_file_and_text(tmp_path):
    a = article("a-01", "a.txt", "正文。")
    t = Tombstone(a.id, a.title, a.file, "2026-11-27", "admin@1.2.3.4", text_key(a))
    write_tombstones(tmp_path, {t.key: t})
    assert read_tombstones(tmp_path) == {t.key: t} and t.key.startswith("a.txt#")
    assert [p.name for p in tombstones_path(tmp_path).parent.iterdir()] == ["deleted.json"]  # no temp file left


def test_a_damaged_list_is_a_clear_error(tmp_path):
    tombstones_path(tmp_path).parent.mkdir()
    tombstones_path(tmp_path).write_text("[{", encoding="utf-8")
    with pytest.raises(CorpusError, match="deleted.json is damaged"):
        read_tombstones(tmp_path)


def test_the_audit_log_appends_one_line_per_attempt(tmp_path):
    append_audit(tmp_path, "delete", "anonymous", "10.0.0.9", {"article_id": "x"}, False, "只读")
    append_audit(tmp_path, "add", "admin", "127.0.0.1", {"files": ["a.txt"]}, True, "已添加")
    rows = read_audit(tmp_path)
    assert [(r["action"], r["who"], r["client"], r["ok"]) for r in rows] == [
        ("delete", "anonymous", "10.0.0.9", False), ("add", "admin", "127.0.0.1", True)]
    assert all(r["time"] for r in rows)
