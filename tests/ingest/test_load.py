"""Loading the real corpus (ids, metadata, stability) and one tiny hand-written fixture per file format."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from qa.errors import CorpusError
from qa.ingest import load
from qa.ingest.chunk import chunk_paragraph
from qa.ingest.load import load_corpus, load_corpus_report, load_file

CORPUS = REPO / "corpus"
ARTICLES_PER_FILE = {
    "chongqing-union-innovation-cases-2024-07.txt": 9,
    "chongqing-federation-of-trade-unions-five-year-review.txt": 1,
    "chongqing-union-service-station-worker-life-quality.txt": 3,
    "gongren-ribao-2024-04-14-chongqing-huimin-qiangqi.txt": 1,
    "union-news-roundup-grassroots-union-reform.txt": 10,
}

GBK_PAGE = """职工日报 2024年05月01日 星期三

清江县总工会 开办职工夜校

本报记者 李四

3月2日,清江县总工会开办职工夜校,首批学员60人。夜校课程由工会和职业学校共同

设计,每周两晚授课。
"""


def test_real_corpus_articles_ids_and_metadata():
    articles = load_corpus(CORPUS)
    per_file: dict[str, int] = {}
    for a in articles:
        per_file[a.file] = per_file.get(a.file, 0) + 1
    assert per_file == ARTICLES_PER_FILE  # metadata.json is not an article
    for a in articles:
        stem = Path(a.file).stem
        assert re.fullmatch(re.escape(stem) + r"-\d{2}", a.id) and a.id.isascii()
        assert [p.n for p in a.paragraphs] == list(range(1, len(a.paragraphs) + 1))
        assert all(p.id == f"{a.id}#p{p.n}" and p.article_id == a.id for p in a.paragraphs)
        assert all((p.title, p.source, p.date, p.file) == (a.title, a.source, a.date, a.file) for p in a.paragraphs)
    ids = [p.id for a in articles for p in a.paragraphs]
    assert len(ids) == len(set(ids))
    grrb = next(a for a in articles if a.file.startswith("gongren-ribao"))
    assert (grrb.id, grrb.source, grrb.date) == ("gongren-ribao-2024-04-14-chongqing-huimin-qiangqi-01", "工人日报",
                                                 "2024-04-14")
    assert {a.date for a in articles if a.file.startswith("chongqing-union-innovation")} == {"2024-07"}


def test_ids_are_stable_across_two_loads():
    assert load_corpus(CORPUS) == load_corpus(CORPUS)


def test_corpus_copies_are_byte_identical_to_the_shared_pages():
    shared = Path("/work/shared/corpus")
    if not shared.is_dir():
        pytest.skip("shared corpus not mounted")
    originals = {p.read_bytes() for p in shared.glob("*.txt")}
    assert {(CORPUS / name).read_bytes() for name in ARTICLES_PER_FILE} == originals


def test_gbk_page_not_in_metadata_gets_masthead_date(tmp_path):
    (tmp_path / "page.txt").write_bytes(GBK_PAGE.encode("gbk"))
    [article] = load_corpus(tmp_path)
    assert (article.id, article.title, article.source, article.date) == ("page-01", "清江县总工会 开办职工夜校", "",
                                                                        "2024-05-01")
    assert article.byline == "本报记者 李四"
    assert [p.text for p in article.paragraphs] == [
        "3月2日,清江县总工会开办职工夜校,首批学员60人。夜校课程由工会和职业学校共同设计,每周两晚授课。"]


def test_markdown_and_metadata(tmp_path):
    (tmp_path / "notes.md").write_text("重庆工会新闻\n\n近日,市总工会召开会议。\n\n会议要求落实。\n", encoding="utf-8")
    (tmp_path / "metadata.json").write_text(json.dumps({"notes.md": {"source": "重庆工人报", "date": "2024-07-20"}}))
    [article] = load_corpus(tmp_path)
    assert (article.title, article.source, article.date) == ("重庆工会新闻", "重庆工人报", "2024-07-20")
    assert [p.id for p in article.paragraphs] == ["notes-01#p1", "notes-01#p2"]


HTML = """<html><head><title>站点</title><script>var x = 1;</script></head><body>
<nav>首页 | 新闻</nav>
<h1>江北区总工会 打造职工服务自选超市</h1>
<p>3月9日,江北区总工会举办第三方服务项目竞赛决赛,让职工选出自己喜欢的工会特色服务项目。</p>
<p>自2022年7月以来,江北区总工会广泛发动第三方社会组织,共有104个项目参赛,涉及技能提升、文化活动等。</p>
</body></html>"""


@pytest.mark.parametrize("fallback", [False, True])
def test_html_with_trafilatura_and_with_the_lxml_fallback(tmp_path, monkeypatch, fallback):
    if fallback:
        import trafilatura

        monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: None)
    (tmp_path / "jiangbei.html").write_text(HTML, encoding="utf-8")
    articles = load_corpus(tmp_path)
    texts = [t for a in articles for t in (a.title, a.subtitle, a.section, *(p.text for p in a.paragraphs))]
    assert any("共有104个项目参赛" in t for t in texts)
    assert not any("var x" in t or "首页" in t for t in texts)
    assert [a.title for a in articles] == ["江北区总工会 打造职工服务自选超市"]


def test_jsonl_rows_keep_their_ids_and_are_repaired(tmp_path):
    broken = "近年来,沙坪坝区总工会建成工会驿站174个。优选24个驿站\n\n升级改造,增加智能门禁等功能。\n\n第二段。"
    rows = [{"id": "spb", "title": "沙坪坝区总工会建驿站", "date": "2024-07-20", "source": "重庆工人报",
             "url": "http://x/1", "text": broken},
            {"title": "没有编号的文章", "text": "目前,巫山县已建立各类新就业形态工会组织41个。"},
            {"id": "empty", "title": "空", "text": ""}]
    (tmp_path / "news.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n",
                                         encoding="utf-8")
    spb, second = load_corpus(tmp_path)
    assert (spb.id, spb.date, spb.source, spb.url) == ("spb", "2024-07-20", "重庆工人报", "http://x/1")
    assert [p.text for p in spb.paragraphs] == [
        "近年来,沙坪坝区总工会建成工会驿站174个。优选24个驿站升级改造,增加智能门禁等功能。", "第二段。"]
    assert (second.id, second.paragraphs[0].id) == ("news-02", "news-02#p1")


def test_untitled_jsonl_rows_are_named_by_their_lead_not_the_file(tmp_path):
    rows = [{"id": "a", "text": "中新网西安7月27日电 (记者 阿琳娜)西安市总工会27日为300名户外劳动者送清凉。另一句。"},
            {"id": "b", "text": "近日，重庆市总工会印发关于做好高温天气户外劳动者防暑降温工作的通知，要求各区县工会"
                                "设立更多的爱心驿站并延长开放时间。"},
            {"id": "c", "title": "有标题", "text": "正文。"}]
    (tmp_path / "export.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows),
                                           encoding="utf-8")
    dated, long, titled = load_corpus(tmp_path)
    assert dated.title == "西安市总工会27日为300名户外劳动者送清凉"  # the agency dateline and final stop dropped
    assert long.title == "近日，重庆市总工会印发关于做好高温天气户外劳动者防暑降温工作的通知…"  # cut at a clause break
    assert {p.title for p in long.paragraphs} == {long.title}
    assert titled.title == "有标题"
    # a title made from the lead is shown, never searched: the text already holds it
    assert [chunk_paragraph(a.paragraphs[0], 200)[0].context for a in (dated, titled)] == ["", "有标题"]
    assert (dated.paragraphs[0].context_title, titled.paragraphs[0].context_title) == ("", "有标题")


def test_metadata_titles_a_page_but_not_a_jsonl_row(tmp_path):
    (tmp_path / "rows.jsonl").write_text(json.dumps({"id": "r1", "text": "全市各级工会为一线职工送清凉。"},
                                                    ensure_ascii=False), encoding="utf-8")
    (tmp_path / "page.txt").write_text("\n\n全市各级工会为一线职工送清凉，覆盖环卫工人一万余人。\n", encoding="utf-8")
    meta = {"rows.jsonl": {"title": "2024年工会新闻导出"}, "page.txt": {"title": "夏季送清凉"}}
    (tmp_path / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    titles = {a.file: (a.title, a.paragraphs[0].context_title) for a in load_corpus(tmp_path)}
    assert titles == {"rows.jsonl": ("全市各级工会为一线职工送清凉", ""), "page.txt": ("夏季送清凉", "夏季送清凉")}


def test_generated_docx(tmp_path):
    import docx

    document = docx.Document()
    for text in ("巫山县总工会推进建会入会", "", "目前,巫山县已建立各类新就业形态工会组织41个,发展会员4896人。"):
        document.add_paragraph(text)
    document.save(str(tmp_path / "wushan.docx"))
    [article] = load_corpus(tmp_path)
    assert article.title == "巫山县总工会推进建会入会"
    assert article.paragraphs[0].text.endswith("发展会员4896人。")


def _text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with Helvetica text lines (pypdf reads it back; CJK would need an embedded font)."""
    stream = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
               b" /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream.encode()),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def test_text_pdf_lines_are_unwrapped(tmp_path):
    (tmp_path / "report.pdf").write_bytes(_text_pdf([
        "Union News", "The district union opened twelve new rest stations for outdoor",
        "workers in the old town this spring.", "Each station has water and a microwave."]))
    [article] = load_corpus(tmp_path)
    assert article.title == "Union News"
    assert [p.text for p in article.paragraphs] == [
        "The district union opened twelve new rest stations for outdoor workers in the old town this spring.",
        "Each station has water and a microwave."]


def test_broken_empty_and_hidden_files_are_skipped_with_a_warning(tmp_path, caplog):
    shutil.copy(CORPUS / "gongren-ribao-2024-04-14-chongqing-huimin-qiangqi.txt", tmp_path / "good.txt")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "broken.docx").write_bytes(b"not a zip file")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tmp_path / ".hidden.txt").write_text("隐藏文件。", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="qa.ingest.load"):
        articles = load_corpus(tmp_path)
    assert [a.file for a in articles] == ["good.txt"]
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    for name in ("binary.txt", "empty.md", "broken.docx", "broken.pdf"):
        assert name in warned
    assert ".hidden" not in warned


def test_load_file_alone_and_errors(tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes(GBK_PAGE.encode("gb18030"))
    [article] = load_file(path, tmp_path, {"page.txt": {"source": "职工日报", "title": "夜校"}})
    assert (article.source, article.title) == ("职工日报", "清江县总工会 开办职工夜校")  # the page's own headline wins
    with pytest.raises(CorpusError, match="encoding"):
        load.decode(bytes(range(256)) * 4)
    with pytest.raises(CorpusError, match="--corpus"):
        load_corpus(tmp_path / "missing")


@pytest.mark.parametrize(("data", "reason"), [(b"{not json", "Expecting"), (b'["a"]', "one JSON object"),
                                              (b"\x00\x01\x02" * 50, "not a text file")])
def test_broken_metadata_is_a_problem_and_the_articles_still_load(tmp_path, caplog, data, reason):
    (tmp_path / "notes.md").write_text("重庆工会新闻\n\n近日,市总工会召开会议。\n", encoding="utf-8")
    (tmp_path / "metadata.json").write_bytes(data)
    articles, [problem] = load_corpus_report(tmp_path)
    assert [a.file for a in articles] == ["notes.md"] and articles[0].source == ""
    assert problem.file == "metadata.json" and problem.message.startswith("ignored") and reason in problem.message
    with caplog.at_level(logging.WARNING, logger="qa.ingest.load"):
        assert load_corpus(tmp_path) == articles
    assert any(str(problem) in r.getMessage() for r in caplog.records)


def test_load_file_logs_each_problem_with_file_and_line(tmp_path, caplog):
    path = tmp_path / "sub" / "rows.jsonl"
    path.parent.mkdir()
    path.write_text('{"text": "第一篇。"}\nbroken\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="qa.ingest.load"):
        [article] = load_file(path, tmp_path, {})
    assert (article.id, article.file) == ("rows-01", "sub/rows.jsonl")
    [record] = caplog.records
    assert record.getMessage().startswith("skipped sub/rows.jsonl:2: not valid JSON")
