"""Bad corpus files: each is refused with a per-file (per-line for JSONL) Problem or imported whole, never crashes.

Every fixture is made in `tmp_path`: text in many encodings, binary data renamed to .txt, HTML with scripts, a PDF
with no text layer, corrupt zips, zip bombs (300 MB of zeros packs to ~300 KB), a sparse 200 MB file.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import logging
import random
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.ingest import load
from qa.ingest.load import MAX_FILE_BYTES, Problem, load_corpus, load_corpus_report

PAGE = "清江县总工会 开办职工夜校\n\n3月2日,清江县总工会开办职工夜校,首批学员60人,一人一案。\n"
BODY = "3月2日,清江县总工会开办职工夜校,首批学员60人,一人一案。"
MB = 1024 * 1024


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _only_problem(folder: Path) -> Problem:
    articles, problems = load_corpus_report(folder)
    assert articles == []
    [problem] = problems
    return problem


def _docx_bytes(*paragraphs: str) -> bytes:
    import docx

    document, out = docx.Document(), io.BytesIO()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(out)
    return out.getvalue()


def _zip_of_zeros(megabytes: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("word/document.xml", "w") as f:
        for _ in range(megabytes):
            f.write(bytes(MB))
    return out.getvalue()


def _blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=612, height=792)
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _zip_of_zeros(300)


def test_problem_str_names_file_and_line():
    assert str(Problem("a/news.jsonl", "not valid JSON", 3)) == "a/news.jsonl:3: not valid JSON"
    assert str(Problem("page.txt", "empty")) == "page.txt: empty"


@pytest.mark.parametrize(("name", "data"), [
    ("zero.txt", b""), ("blank.md", b" \n\t\r\n  "), ("bom-only.txt", codecs.BOM_UTF8),
    ("bom-blank.txt", codecs.BOM_UTF8 + b"\n "),
    ("utf16-blank.txt", " \n".encode("utf-16")), ("zero.docx", b""), ("zero.pdf", b""), ("zero.jsonl", b""),
    ("blank.html", b"\n\n")])
def test_empty_files_are_refused_as_empty(tmp_path, name, data):
    _write(tmp_path, name, data)
    problem = _only_problem(tmp_path)
    assert (problem.file, problem.line) == (name, None)
    assert problem.message.startswith("empty")


@pytest.mark.parametrize("kind", ["random", "all-bytes", "png", "docx", "nul-in-utf8", "elf"])
def test_binary_data_renamed_to_txt_is_not_a_text_file(tmp_path, kind):
    data = {"random": random.Random(0).randbytes(5000),
            "all-bytes": bytes(range(256)) * 4,
            "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(1).randbytes(3000),
            "docx": _docx_bytes("工会"),
            "nul-in-utf8": "工会新闻\x00\x00正文。".encode() * 50,
            "elf": b"\x7fELF\x02\x01\x01" + bytes(200) + random.Random(2).randbytes(2000)}[kind]
    _write(tmp_path, "data.txt", data)
    problem = _only_problem(tmp_path)
    assert problem.file == "data.txt" and problem.message.startswith("not a text file")


GB18030_ONLY = "𠮷"  # outside GBK: four bytes in GB18030


@pytest.mark.parametrize(("encoding", "data"), [
    ("utf-8", PAGE.encode()),
    ("utf-8 BOM", codecs.BOM_UTF8 + PAGE.encode()),
    ("gbk", PAGE.encode("gbk")),
    ("gb18030", PAGE.encode("gb18030")),
    ("utf-16 LE BOM", codecs.BOM_UTF16_LE + PAGE.encode("utf-16-le")),
    ("utf-16 BE BOM", codecs.BOM_UTF16_BE + PAGE.encode("utf-16-be")),
    ("utf-16 LE no BOM", PAGE.encode("utf-16-le")),
    ("utf-16 BE no BOM", PAGE.encode("utf-16-be")),
    ("utf-32 BOM", PAGE.encode("utf-32"))])
def test_text_encodings_decode_to_the_same_article(tmp_path, encoding, data):
    _write(tmp_path, "page.txt", data)
    articles, problems = load_corpus_report(tmp_path)
    assert problems == []
    assert [(a.title, [p.text for p in a.paragraphs]) for a in articles] == [("清江县总工会 开办职工夜校", [BODY])]


def test_gb18030_four_byte_characters_and_utf16_without_bom_text(tmp_path):
    text = f"工会为职工{GB18030_ONLY}师傅送清凉。\n" * 20
    assert load.decode(text.encode("gb18030")) == text
    ascii_text = "Union news: the district union opened 12 rest stations.\n"
    assert load.decode(ascii_text.encode("utf-16-le")) == ascii_text  # valid UTF-8 too, but its NULs say UTF-16
    assert load.decode(ascii_text.encode("utf-16-be")) == ascii_text


HTML = """<html><head><title>站点</title><script>var secret = "head script";</script>
<style>body { color: red } .ad { display: none }</style></head><body>
<h1>江北区总工会 打造职工服务自选超市</h1>
<script type="text/javascript">document.write("inline script between paragraphs"); alert(1);</script>
<p>3月9日,江北区总工会举办第三方服务项目竞赛决赛,让职工选出自己喜欢的工会特色服务项目。</p>
<noscript>请启用脚本 noscript text</noscript>
<p>自2022年7月以来,江北区总工会广泛发动第三方社会组织,共有104个项目参赛。<script>track("in p")</script></p>
<style>.x { font-weight: bold }</style>
</body></html>"""


@pytest.mark.parametrize("fallback", [False, True])
def test_html_script_and_style_text_never_reaches_a_paragraph(tmp_path, monkeypatch, fallback):
    if fallback:
        import trafilatura

        monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: None)
    _write(tmp_path, "jiangbei.html", HTML.encode())
    articles, problems = load_corpus_report(tmp_path)
    assert problems == []
    texts = [t for a in articles for t in (a.title, a.subtitle, a.section, *(p.text for p in a.paragraphs))]
    assert any("共有104个项目参赛" in t for t in texts)
    for leaked in ("secret", "script", "alert", "track(", "color", "font-weight", "noscript", "{"):
        assert not any(leaked in t for t in texts), leaked


def test_pdf_without_a_text_layer_asks_for_ocr(tmp_path):
    _write(tmp_path, "scan.pdf", _blank_pdf())
    problem = _only_problem(tmp_path)
    assert problem.file == "scan.pdf"
    assert problem.message.startswith("no text layer (scanned PDF?)") and "OCR" in problem.message


@pytest.mark.parametrize("data", [b"%PDF-1.4 garbage", b"hello, not a PDF", b"half"])
def test_broken_pdf_is_corrupt(tmp_path, data):
    _write(tmp_path, "broken.pdf", _blank_pdf()[:200] if data == b"half" else data)
    problem = _only_problem(tmp_path)
    assert problem.file == "broken.pdf" and problem.message.startswith("corrupt")


def _damaged_member() -> bytes:
    """A zip whose directory is intact but whose compressed document.xml is overwritten with junk."""
    good = bytearray(_docx_bytes(*(f"第{i}段,工会为职工办实事。" for i in range(200))))
    info = zipfile.ZipFile(io.BytesIO(bytes(good))).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    good[start + 10:start + info.compress_size - 10] = random.Random(3).randbytes(info.compress_size - 20)
    return bytes(good)


def _not_a_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "a zip, but not a Word document")
    return out.getvalue()


@pytest.mark.parametrize("kind", ["not-a-zip", "truncated", "damaged-member", "zip-but-not-docx"])
def test_corrupt_docx_is_refused(tmp_path, kind):
    data = {"not-a-zip": lambda: b"PK\x03\x04 this is not really a zip",
            "truncated": lambda: _docx_bytes("巫山县总工会推进建会入会")[:3000],
            "damaged-member": _damaged_member,
            "zip-but-not-docx": _not_a_docx}[kind]()
    _write(tmp_path, "report.docx", data)
    problem = _only_problem(tmp_path)
    assert problem.file == "report.docx" and problem.message.startswith("corrupt"), problem


@pytest.mark.parametrize("megabytes", [300, 20])  # over the size cap; under it but ~1000:1
def test_zip_bomb_docx_is_refused_without_opening_it(tmp_path, monkeypatch, bomb, megabytes):
    import docx

    monkeypatch.setattr(docx, "Document", lambda *a, **k: pytest.fail("python-docx opened a zip bomb"))
    _write(tmp_path, "bomb.docx", bomb if megabytes == 300 else _zip_of_zeros(megabytes))
    problem = _only_problem(tmp_path)
    assert problem.file == "bomb.docx" and problem.message.startswith("refused: looks like a zip bomb")
    assert f"{megabytes} MB unpacked" in problem.message


@pytest.mark.parametrize("name", ["huge.txt", "huge.jsonl", "huge.docx", "huge.pdf"])
def test_200_mb_file_is_refused_from_stat_without_reading(tmp_path, monkeypatch, name):
    with open(tmp_path / name, "wb") as f:
        f.truncate(200 * MB)  # sparse: no disk used
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"read {self}"))
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: pytest.fail("opened the zip"))
    start = time.perf_counter()
    problem = _only_problem(tmp_path)
    assert time.perf_counter() - start < 1.0
    assert problem.file == name and problem.message.startswith("too large: 200 MB, the limit is 100 MB")
    assert MAX_FILE_BYTES == 100 * MB


def test_max_bytes_is_a_parameter(tmp_path):
    _write(tmp_path, "page.txt", PAGE.encode())
    [problem] = load_corpus_report(tmp_path, max_bytes=10)[1]
    assert problem.message.startswith("too large")
    assert len(load_corpus_report(tmp_path)[0]) == 1


def test_jsonl_bad_lines_are_skipped_one_by_one_with_their_line_numbers(tmp_path):
    good = [{"id": "a1", "title": "一", "text": "第一篇正文。"}, {"title": "二", "text": "第二篇正文。"}]
    lines = [json.dumps(good[0], ensure_ascii=False).encode(),
             b"not json at all",
             b"",  # blank lines are ignored but counted
             b'["a", "list"]',
             b'"a string"',
             json.dumps({"title": "no text"}).encode(),
             json.dumps({"title": "blank", "text": "  \n "}).encode(),
             json.dumps({"title": "number", "text": 42}).encode(),
             b'{"title": "cut off", "text": "\xe5\xb7',
             b"\xff\xfe\x80 binary junk \x81",
             json.dumps(good[1], ensure_ascii=False).encode() + b"\r"]
    _write(tmp_path, "news.jsonl", b"\n".join(lines) + b"\n")
    articles, problems = load_corpus_report(tmp_path)
    assert [(a.id, a.title, a.paragraphs[0].text) for a in articles] == [("a1", "一", "第一篇正文。"),
                                                                           ("news-02", "二", "第二篇正文。")]
    assert all(p.file == "news.jsonl" for p in problems)
    got = [(p.line, p.message.split(" (")[0].split(":")[0]) for p in problems]
    assert got == [(2, "not valid JSON"), (4, "not a JSON object"), (5, "not a JSON object"), (6, "no text"),
                   (7, "no text"), (8, "no text"), (9, "not UTF-8 text"), (10, "not UTF-8 text")]
    assert "got list" in problems[1].message and "got str" in problems[2].message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig", "gb18030"])
def test_jsonl_in_other_encodings_is_read_whole(tmp_path, encoding):
    rows = [{"id": f"r{i}", "title": f"第{i}篇", "text": f"工会为职工办实事{i}件。"} for i in range(1, 4)]
    _write(tmp_path, "rows.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode(encoding))
    articles, problems = load_corpus_report(tmp_path)
    assert problems == []
    assert [(a.id, a.paragraphs[0].text) for a in articles] == [(f"r{i}", f"工会为职工办实事{i}件。")
                                                                for i in (1, 2, 3)]


def test_jsonl_with_no_good_line_is_a_file_problem_too(tmp_path):
    _write(tmp_path, "bad.jsonl", b"nope\n[]\n")
    articles, problems = load_corpus_report(tmp_path)
    assert articles == []
    assert [(p.line, p.message.startswith("no article")) for p in problems] == [(1, False), (2, False), (None, True)]


def test_a_file_yields_all_its_articles_or_none(tmp_path, monkeypatch):
    _write(tmp_path, "rows.jsonl", b'{"text": "\xe7\xac\xac\xe4\xb8\x80\xe3\x80\x82"}\n{"text": "second."}\n')
    real = load.build_article

    def fail_on_second(raw, article_id, *args, **kwargs):
        if article_id.endswith("-02"):
            raise RuntimeError("boom")
        return real(raw, article_id, *args, **kwargs)

    monkeypatch.setattr(load, "build_article", fail_on_second)
    problem = _only_problem(tmp_path)
    assert problem.file == "rows.jsonl" and "RuntimeError: boom" in problem.message


def _bad_files(bomb: bytes) -> dict[str, Callable[[Path], object]]:
    """Writers of one bad file each (name -> writer); the mixed-corpus and never-raises tests share them."""
    def sparse(path: Path) -> None:
        with open(path, "wb") as f:
            f.truncate(200 * MB)

    return {"empty.txt": lambda p: p.write_bytes(b""),
            "binary.txt": lambda p: p.write_bytes(random.Random(4).randbytes(4000)),
            "scan.pdf": lambda p: p.write_bytes(_blank_pdf()),
            "broken.pdf": lambda p: p.write_bytes(b"%PDF-1.7\n1 0 obj <<"),
            "bomb.docx": lambda p: p.write_bytes(bomb),
            "corrupt.docx": lambda p: p.write_bytes(_damaged_member()),
            "notzip.docx": lambda p: p.write_bytes(b"not a zip"),
            "scripts-only.html": lambda p: p.write_text("<html><script>alert(1)</script></html>"),
            "huge.txt": sparse,
            "all-bad.jsonl": lambda p: p.write_bytes(b"{oops\n"),
            "nul.md": lambda p: p.write_bytes(b"abc\x00def\x00" * 30)}


def test_mixed_corpus_loads_exactly_the_good_articles(tmp_path, bomb, caplog):
    for name, write in _bad_files(bomb).items():
        write(tmp_path / name)
    _write(tmp_path, "good-gbk.txt", PAGE.encode("gbk"))
    _write(tmp_path, "good-utf16.md", PAGE.encode("utf-16"))
    _write(tmp_path, "good.docx", _docx_bytes("巫山县总工会推进建会入会", "目前,巫山县已建立各类工会组织41个。"))
    _write(tmp_path, "good.html", HTML.encode())
    _write(tmp_path, "good.jsonl", '{"id": "j1", "text": "好的一行。"}\n{bad\n'.encode())
    articles, problems = load_corpus_report(tmp_path)
    assert sorted(a.file for a in articles) == ["good-gbk.txt", "good-utf16.md", "good.docx", "good.html",
                                                "good.jsonl"]
    assert sorted((p.file, p.line or 0) for p in problems) == sorted(
        [(name, 0) for name in _bad_files(bomb)] + [("all-bad.jsonl", 1), ("good.jsonl", 2)])
    with caplog.at_level(logging.WARNING, logger="qa.ingest.load"):
        assert load_corpus(tmp_path) == articles
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert all(any(name in w for w in warned) for name in _bad_files(bomb))
    assert any("good.jsonl:2: not valid JSON" in w for w in warned)


@pytest.mark.parametrize("name", ["empty.txt", "binary.txt", "scan.pdf", "broken.pdf", "bomb.docx", "corrupt.docx",
                                  "notzip.docx", "scripts-only.html", "huge.txt", "all-bad.jsonl", "nul.md"])
def test_load_corpus_report_never_raises_and_load_file_returns_nothing(tmp_path, bomb, name):
    path = tmp_path / name
    _bad_files(bomb)[name](path)
    articles, problems = load_corpus_report(tmp_path)  # must not raise
    assert articles == [] and problems and problems[-1].file == name and problems[-1].line is None
    assert load.load_file(path, tmp_path, {}) == []


def test_reader_crashes_of_any_kind_become_problems(tmp_path, monkeypatch):
    _write(tmp_path, "page.txt", PAGE.encode())

    def explode(path: Path) -> list:
        raise MemoryError("out of memory while parsing")

    monkeypatch.setitem(load.READERS, ".txt", explode)
    problem = _only_problem(tmp_path)
    assert problem.message.startswith("corrupt") and "MemoryError" in problem.message


def test_gzip_packed_jsonl_reads_as_the_jsonl_it_packs(tmp_path):
    rows = [{"id": f"g{i}", "title": f"第{i}篇", "text": f"工会为职工办实事{i}件。"} for i in range(1, 4)]
    del rows[2]["title"]  # named by its lead, in both
    del rows[1]["id"]  # numbered after its file: "news-02", in both
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode() + b"\n{bad\n"
    (tmp_path / "plain").mkdir()
    (tmp_path / "packed").mkdir()
    _write(tmp_path / "plain", "news.jsonl", data)
    _write(tmp_path / "packed", "news.JSONL.gz", gzip.compress(data))
    plain, plain_problems = load_corpus_report(tmp_path / "plain")
    packed, packed_problems = load_corpus_report(tmp_path / "packed")
    assert [a.id for a in packed] == [a.id for a in plain] == ["g1", "news-02", "g3"]
    assert [a.title for a in packed][:2] == ["第1篇", "第2篇"] and packed[2].title != "news"
    assert [(a.title, [q.text for q in a.paragraphs]) for a in packed] == [
        (a.title, [q.text for q in a.paragraphs]) for a in plain]
    assert [(p.file, p.line) for p in packed_problems] == [("news.JSONL.gz", 4)]
    assert [p.message for p in packed_problems] == [p.message for p in plain_problems]


@pytest.mark.parametrize("kind", ["bomb", "corrupt"])
def test_a_gzip_that_unpacks_too_far_or_not_at_all_is_refused(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(load, "MAX_GZIP_BYTES", MB)
    row = json.dumps({"id": "z", "text": "正文。" + "工" * (2 * MB)}, ensure_ascii=False).encode()
    _write(tmp_path, "news.jsonl.gz", gzip.compress(row) if kind == "bomb" else b"\x1f\x8b not gzip at all")
    problem = _only_problem(tmp_path)
    assert problem.file == "news.jsonl.gz"
    assert ("too large once unpacked" in problem.message) == (kind == "bomb")
    assert problem.message.startswith("corrupt") == (kind == "corrupt")


def test_files_of_an_unread_type_are_reported_not_ignored(tmp_path):
    _write(tmp_path, "page.txt", PAGE.encode())
    _write(tmp_path, "photo.JPG", b"\xff\xd8\xff\xe0 jpeg")
    _write(tmp_path, "archive.zip", b"PK\x03\x04")
    _write(tmp_path, "news.json.gz", b"\x1f\x8b")
    _write(tmp_path, ".hidden.zip", b"PK")  # hidden files and metadata.json are not corpus files
    _write(tmp_path, "metadata.json", b"{}")
    articles, problems = load_corpus_report(tmp_path)
    assert [a.file for a in articles] == ["page.txt"]
    assert [(p.file, p.message.split(";")[0]) for p in problems] == [
        ("archive.zip", "skipped: unsupported file type '.zip'"),
        ("news.json.gz", "skipped: unsupported file type '.gz'"),
        ("photo.JPG", "skipped: unsupported file type '.jpg'")]
    assert all(".jsonl.gz" in p.message for p in problems)
