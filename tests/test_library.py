"""The 资料库: uploads are validated, copied under safe new names and searchable at once; bad files change nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qa.api import QA
from qa.library import Library, check_file, safe_name

GOOD = ("江津区新建爱心驿站58个\n\n本报讯 近日，江津区总工会今年新建爱心驿站58个，覆盖全部镇街，"
        "为户外劳动者提供歇脚、饮水、充电等服务。\n\n驿站由区总工会统一挂牌，每个驿站配备冰箱、微波炉和急救箱。\n")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def lib(tiny_settings) -> Library:
    return Library(QA.open(tiny_settings))


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_added_file_is_listed_and_answerable_at_once(lib, tmp_path):
    upload = write(tmp_path, "江津 爱心驿站(终稿).txt", GOOD)
    before = lib.qa.store.manifest.corpus_fingerprint
    result = lib.add([upload])
    assert result.ok, result.message
    assert "已添加 1 个文件" in result.message and "江津区新建爱心驿站58个" in result.message
    (name,) = result.files
    assert name == "江津-爱心驿站-终稿.txt" and (lib.corpus_dir / name).read_text(encoding="utf-8") == GOOD
    assert ["江津区新建爱心驿站58个", "", "", 2, name] in lib.rows()
    assert lib.qa.store.manifest.corpus_fingerprint != before
    answer = lib.qa.ask("江津区新建了多少个爱心驿站？")
    assert answer.found and "58" in answer.text
    assert answer.citations[0].paragraph.file == name


def test_same_name_never_overwrites(lib, tmp_path):
    first = lib.add([write(tmp_path, "news.md", GOOD)])
    (tmp_path / "again").mkdir()
    second = lib.add([write(tmp_path / "again", "news.md", GOOD.replace("58", "59"))])
    assert first.files == ("news.md",) and second.files == ("news-2.md",)
    assert "58" in (lib.corpus_dir / "news.md").read_text(encoding="utf-8")


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
    result = lib.add([write(tmp_path, name, data)])
    assert not result.ok and says in result.message and name in result.message
    assert snapshot(lib.corpus_dir) == corpus
    assert lib.qa.store.manifest.corpus_fingerprint == fingerprint


def test_too_big_and_duplicate_files_are_refused(lib, tmp_path):
    small = Library(lib.qa, max_bytes=100)
    assert "文件太大" in small.add([write(tmp_path, "big.txt", GOOD * 5)]).message
    existing = next(p for p in lib.corpus_dir.iterdir() if p.suffix == ".jsonl")
    copy = write(tmp_path, "copy.txt", existing.read_bytes())
    result = lib.add([copy])
    assert not result.ok and "相同" in result.message and existing.name in result.message


def test_mixed_batch_adds_the_good_and_names_the_bad(lib, tmp_path):
    result = lib.add([write(tmp_path, "good.txt", GOOD), write(tmp_path, "bad.zip", b"x"), tmp_path / "gone.txt"])
    assert result.ok and result.files == ("good.txt",)
    assert "bad.zip" in result.message and "gone.txt" in result.message
    assert not lib.add([]).ok


def test_a_failed_index_update_rolls_the_upload_back(lib, tmp_path, monkeypatch):
    corpus = snapshot(lib.corpus_dir)

    def boom() -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(lib.qa, "update", boom)
    result = lib.add([write(tmp_path, "good.txt", GOOD)])
    assert not result.ok and "出错" in result.message
    assert snapshot(lib.corpus_dir) == corpus
    result = lib.delete("ws")
    assert not result.ok and snapshot(lib.corpus_dir) == corpus


def test_delete_removes_the_file_and_its_paragraphs(lib):
    assert lib.qa.ask("巫山县建立了多少个新就业形态工会组织？").found
    result = lib.delete("ws")
    assert result.ok and "巫山县推进新就业形态劳动者建会入会" in result.message
    assert not (lib.corpus_dir / "wushan.jsonl").exists()
    assert [a.id for a in lib.articles] == ["spb"]
    answer = lib.qa.ask("巫山县建立了多少个新就业形态工会组织？")
    assert all(c.paragraph.article_id != "ws" for c in answer.citations)
    assert all(h.paragraph.article_id != "ws" for h in answer.hits)


def test_delete_refuses_unknown_ids_and_files_outside_the_corpus(lib, tmp_path):
    assert not lib.delete("no-such-article").ok
    outside = write(tmp_path, "outside.txt", GOOD)
    article = lib.qa.store.articles[0]
    lib.qa.store.articles[0] = replace(article, file="../outside.txt")
    result = lib.delete(article.id)
    assert not result.ok and "不在资料库目录中" in result.message and outside.exists()


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
    assert check_file(tmp_path / "news.docx") == 2
