"""The 资料库: writes need the admin password; uploads are validated, copied under safe new names and searchable at
once; deletes are tombstones that restore undoes; source files are never removed; every write is audited."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import lock_held_elsewhere, write_corpus

from qa.api import QA
from qa.ingest.catalog import STATE_DIR, read_audit
from qa.settings import Settings
from qa.ui.library import BUSY, READ_ONLY, WRONG_PASSWORD, Caller, Library, check_file, safe_name

GOOD = ("江津区新建爱心驿站58个\n\n本报讯 近日，江津区总工会今年新建爱心驿站58个，覆盖全部镇街，"
        "为户外劳动者提供歇脚、饮水、充电等服务。\n\n驿站由区总工会统一挂牌，每个驿站配备冰箱、微波炉和急救箱。\n")


ADMIN = Caller("s3cret", "10.0.0.7")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every corpus file's bytes (the library's own state folder aside)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and STATE_DIR not in p.parts}


@pytest.fixture
def lib(tiny_settings) -> Library:
    return Library(QA.open(tiny_settings), admin_password="s3cret")


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_added_file_is_listed_and_answerable_at_once(lib, tmp_path):
    upload = write(tmp_path, "江津 爱心驿站(终稿).txt", GOOD)
    before = lib.qa.store.manifest.corpus_fingerprint
    result = lib.add([upload], ADMIN)
    assert result.ok, result.message
    assert "已添加 1 个文件" in result.message and "江津区新建爱心驿站58个" in result.message
    (name,) = result.files
    assert name == "uploads/江津-爱心驿站-终稿.txt" and (lib.corpus_dir / name).read_text(encoding="utf-8") == GOOD
    assert ["江津区新建爱心驿站58个", "", "", 2, name] in lib.rows()
    assert lib.qa.store.manifest.corpus_fingerprint != before
    answer = lib.qa.ask("江津区新建了多少个爱心驿站？")
    assert answer.found and "58" in answer.text
    assert answer.citations[0].paragraph.file == name


def test_same_name_never_overwrites(lib, tmp_path):
    first = lib.add([write(tmp_path, "news.md", GOOD)], ADMIN)
    (tmp_path / "again").mkdir()
    second = lib.add([write(tmp_path / "again", "news.md", GOOD.replace("58", "59"))], ADMIN)
    assert first.files == ("uploads/news.md",) and second.files == ("uploads/news-2.md",)
    assert "58" in (lib.corpus_dir / "uploads" / "news.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name, data, says", [
    ("virus.exe", b"MZ\x90\x00", "不支持的文件类型"),
    ("notes", b"hello", "不支持的文件类型"),
    ("empty.txt", b"", "文件是空的"),
    ("blank.md", b"  \n\n ", "没有文字"),
    ("binary.txt", bytes(range(256)) * 20, "文字编码"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "已损坏"),
    ("broken.pdf", b"%PDF-1.4 garbage", "已损坏"),
])
def test_bad_file_is_refused_with_a_message_and_nothing_changes(lib, tmp_path, name, data, says):
    corpus, fingerprint = snapshot(lib.corpus_dir), lib.qa.store.manifest.corpus_fingerprint
    result = lib.add([write(tmp_path, name, data)], ADMIN)
    assert not result.ok and says in result.message and name in result.message
    assert snapshot(lib.corpus_dir) == corpus
    assert lib.qa.store.manifest.corpus_fingerprint == fingerprint


def test_too_big_and_duplicate_files_are_refused(lib, tmp_path):
    small = Library(lib.qa, "s3cret", max_bytes=100)
    assert "文件太大" in small.add([write(tmp_path, "big.txt", GOOD * 5)], ADMIN).message
    existing = next(p for p in lib.corpus_dir.iterdir() if p.suffix == ".jsonl")
    copy = write(tmp_path, "copy.txt", existing.read_bytes())
    result = lib.add([copy], ADMIN)
    assert not result.ok and "相同" in result.message and existing.name in result.message


def test_the_same_article_in_another_file_is_not_indexed_twice(lib, tmp_path):
    assert lib.add([write(tmp_path, "first.txt", GOOD)], ADMIN).ok
    corpus, articles = snapshot(lib.corpus_dir), len(lib.articles)
    result = lib.add([write(tmp_path, "second.md", GOOD.replace("\n\n", "\n\n\n"))], ADMIN)  # same text, re-saved
    assert not result.ok and "已在资料库中" in result.message
    assert snapshot(lib.corpus_dir) == corpus and len(lib.articles) == articles


def test_mixed_batch_adds_the_good_and_names_the_bad(lib, tmp_path):
    result = lib.add([write(tmp_path, "good.txt", GOOD), write(tmp_path, "bad.zip", b"x"), tmp_path / "gone.txt"],
                     ADMIN)
    assert result.ok and result.files == ("uploads/good.txt",)
    assert "bad.zip" in result.message and "gone.txt" in result.message
    assert not lib.add([], ADMIN).ok


def test_a_failed_index_update_rolls_the_upload_back(lib, tmp_path, monkeypatch):
    corpus = snapshot(lib.corpus_dir)

    def boom() -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(lib.qa, "update", boom)
    result = lib.add([write(tmp_path, "good.txt", GOOD)], ADMIN)
    assert not result.ok and "出错" in result.message
    assert snapshot(lib.corpus_dir) == corpus
    result = lib.delete("ws", ADMIN)
    assert not result.ok and snapshot(lib.corpus_dir) == corpus and lib.deleted() == []


def test_delete_is_a_tombstone_that_restore_takes_back(lib):
    corpus = snapshot(lib.corpus_dir)
    question = "巫山县建立了多少个新就业形态工会组织？"
    assert lib.qa.ask(question).found
    result = lib.delete("ws", ADMIN)
    assert result.ok and "巫山县推进新就业形态劳动者建会入会" in result.message
    assert snapshot(lib.corpus_dir) == corpus  # the source file is untouched
    assert [a.id for a in lib.articles] == ["spb"]
    assert [(t.article_id, t.file) for t in lib.deleted()] == [("ws", "wushan.jsonl")]
    assert "另有 1 篇已删除" in lib.summary()
    answer = lib.qa.ask(question)
    assert all(c.paragraph.article_id != "ws" for c in answer.citations)
    assert all(h.paragraph.article_id != "ws" for h in answer.hits)
    fresh = QA.open(lib.qa.settings)  # the tombstone holds for a new process and for `qa index` too
    assert [a.id for a in fresh.store.articles] == ["spb"] and fresh.stale is None

    result = lib.restore("ws", ADMIN)
    assert result.ok and "已恢复" in result.message
    assert sorted(a.id for a in lib.articles) == ["spb", "ws"] and lib.deleted() == []
    assert lib.qa.ask(question).found
    assert not lib.restore("ws", ADMIN).ok


def test_delete_removes_one_article_not_its_whole_file(tmp_path):
    rows = [{"id": "a1", "title": "第一篇", "text": "江北区总工会开展职工运动会，共有104个项目参赛。"},
            {"id": "a2", "title": "第二篇", "text": "渝中区总工会为环卫工人送清凉，发放防暑用品3000份。"}]
    settings = replace(Settings(), corpus_dir=write_corpus(tmp_path / "corpus", {"two.jsonl": rows}),
                       index_dir=tmp_path / "index", model="hashing", show_progress=False)
    lib = Library(QA.open(settings), "s3cret")
    assert lib.delete("a1", ADMIN).ok
    assert [a.id for a in lib.articles] == ["a2"] and (settings.corpus_dir / "two.jsonl").exists()


def test_delete_refuses_unknown_ids(lib):
    result = lib.delete("no-such-article", ADMIN)
    assert not result.ok and "选择" in result.message
    assert not lib.restore("no-such-article", ADMIN).ok


def test_writes_need_the_admin_password_and_are_audited(lib, tmp_path, monkeypatch):
    monkeypatch.setattr("qa.ui.library.WRONG_PASSWORD_DELAY", 0.0)
    corpus, articles = snapshot(lib.corpus_dir), lib.articles
    read_only = Library(lib.qa)  # no password configured
    assert not read_only.writable
    for attempt in (lambda x: x.add([write(tmp_path, "good.txt", GOOD)], Caller("", "1.2.3.4")),
                    lambda x: x.delete("ws", Caller("anything", "1.2.3.4")),
                    lambda x: x.restore("ws", Caller("", "1.2.3.4"))):
        assert attempt(read_only).message == READ_ONLY
        result = attempt(lib)
        assert not result.ok and result.message == WRONG_PASSWORD
    assert snapshot(lib.corpus_dir) == corpus and lib.articles == articles and lib.deleted() == []
    assert lib.delete("ws", ADMIN).ok
    log = read_audit(lib.corpus_dir)
    assert [(r["action"], r["who"], r["ok"]) for r in log] == [
        ("add", "anonymous", False), ("add", "anonymous", False), ("delete", "anonymous", False),
        ("delete", "anonymous", False), ("restore", "anonymous", False), ("restore", "anonymous", False),
        ("delete", "admin", True)]
    assert log[0]["client"] == "1.2.3.4" and log[0]["what"]["files"] == ["good.txt"]
    assert log[-1]["client"] == "10.0.0.7" and log[-1]["what"]["article_id"] == "ws" and log[-1]["time"]


def test_safe_name_strips_paths_and_hidden_dots():
    assert safe_name("../../etc/passwd.TXT", set()) == "passwd.txt"
    assert safe_name("..\\..\\evil.md", set()) == "evil.md"
    assert safe_name(".hidden.txt", set()) == "hidden.txt"
    assert safe_name("新闻 稿（1）.docx", set()) == "新闻-稿-1.docx"
    assert safe_name("***.pdf", set()) == "upload.pdf"
    assert safe_name("a.txt", {"a.txt", "a-2.txt"}) == "a-3.txt"


def test_check_file_counts_paragraphs_of_docx(tmp_path):
    import docx

    document = docx.Document()
    for line in GOOD.split("\n\n"):
        document.add_paragraph(line.strip())
    document.save(tmp_path / "news.docx")
    [article] = check_file(tmp_path / "news.docx")
    assert len(article.paragraphs) == 2


def test_a_change_while_another_writer_holds_the_index_says_busy(lib, tmp_path, monkeypatch):
    monkeypatch.setattr("qa.ui.library.LOCK_WAIT", 0.2)
    corpus = snapshot(lib.corpus_dir)
    with lock_held_elsewhere(Path(lib.qa.settings.index_dir)):
        assert lib.add([write(tmp_path, "good.txt", GOOD)], ADMIN).message == BUSY
        assert lib.delete("ws", ADMIN).message == BUSY
    assert snapshot(lib.corpus_dir) == corpus and lib.deleted() == []
    assert lib.add([write(tmp_path, "good.txt", GOOD)], ADMIN).ok


def test_a_delete_hides_only_the_article_deleted_even_when_another_takes_its_id(lib, tmp_path):
    """Upload report.txt, delete it, upload another report.md: the new one is listed and answerable; the deleted
    one stays deleted although the new file now sorts first and takes its id."""
    assert lib.add([write(tmp_path, "report.txt", GOOD)], ADMIN).ok
    old = next(a for a in lib.articles if a.file == "uploads/report.txt")
    assert lib.delete(old.id, ADMIN).ok
    other = GOOD.replace("江津区", "永川区").replace("58", "36")
    (tmp_path / "b").mkdir()
    result = lib.add([write(tmp_path / "b", "report.md", other)], ADMIN)
    assert result.ok and "1 篇文章" in result.message
    files = [a.file for a in lib.articles]
    assert "uploads/report.md" in files and "uploads/report.txt" not in files
    assert [t.file for t in lib.deleted()] == ["uploads/report.txt"]
    assert "36" in lib.qa.ask("永川区新建了多少个爱心驿站？").text


def test_uploading_a_deleted_article_again_points_to_restore(lib, tmp_path):
    assert lib.add([write(tmp_path, "report.txt", GOOD)], ADMIN).ok
    assert lib.delete(next(a.id for a in lib.articles if a.file == "uploads/report.txt"), ADMIN).ok
    (tmp_path / "again").mkdir()
    result = lib.add([write(tmp_path / "again", "copy.md", GOOD + "\n")], ADMIN)
    assert not result.ok and "恢复" in result.message


def test_repeated_wrong_passwords_lock_that_address_out(lib, monkeypatch):
    from qa.ui.library import LOCKED_OUT, MAX_FAILURES

    monkeypatch.setattr("qa.ui.library.WRONG_PASSWORD_DELAY", 0.0)
    guesser = Caller("guess", "10.9.9.9")
    for _ in range(MAX_FAILURES):
        assert lib.delete("ws", guesser).message == WRONG_PASSWORD
    assert lib.delete("ws", Caller("s3cret", "10.9.9.9")).message == LOCKED_OUT  # even the right one, for a while
    assert lib.delete("ws", ADMIN).ok  # another address is not affected
