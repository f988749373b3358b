"""HTML rendering of answers: escaping, the <mark>ed span, [n] links and the not-found look."""

from __future__ import annotations

import re

from qa.schema import Answer, Citation, Hit, Paragraph
from qa.ui.cards import answer_html, citation_card, highlighted, md_safe, sources_html

EVIL = "<script>alert(1)</script>**加粗** [链接](http://example.com) # 标题 $x$"


def para(pid: str = "a#p1", text: str = "前文。沙坪坝区总工会建成工会驿站174个。后文。",
         title: str = "沙坪坝区总工会建驿站", n: int = 1) -> Paragraph:
    return Paragraph(pid, pid.split("#")[0], n, text, title, source="重庆工人报", date="2024-07-20")


def found_answer() -> Answer:
    p1, p2, p3 = para(), para("a#p2", "优选24个驿站升级改造。", n=2), para("b#p1", "巫山县建立工会组织41个。", "巫山")
    start = p1.text.index("沙坪坝")
    cites = (Citation(1, p1, start, p1.text.index("后文")), Citation(2, p2, 0, len(p2.text)))
    return Answer("沙坪坝区建了多少个工会驿站？", "沙坪坝区总工会建成工会驿站174个。[1]其中24个升级。[2]", True, cites,
                  hits=(Hit(p1, 0.03), Hit(p2, 0.02), Hit(p3, 0.01)), resolved_question="沙坪坝区建了多少个工会驿站？")


def test_mark_wraps_exactly_the_supporting_sentence():
    card = citation_card(found_answer().citations[0])
    assert "前文。<mark>沙坪坝区总工会建成工会驿站174个。</mark>后文。" in card
    assert 'id="cite-1"' in card and "《沙坪坝区总工会建驿站》" in card
    assert "重庆工人报 · 2024-07-20 · 第1段" in card


def test_bad_span_shows_the_paragraph_without_mark():
    assert highlighted("abc", 2, 1) == "abc"
    assert highlighted("abc", 0, 9) == "abc"
    assert highlighted("a<b", 1, 2) == "a<mark>&lt;</mark>b"


def test_markers_become_links_to_their_cards_only_when_asked():
    a = found_answer()
    linked = answer_html(a)
    assert re.findall(r'href="#cite-(\d)"', linked) == ["1", "2"]
    plain = answer_html(a, links=False)
    assert "href" not in plain and "&#91;1&#93;" in plain
    dangling = answer_html(Answer("q", "某句。[7]", True, a.citations))
    assert "href" not in dangling and "&#91;7&#93;" in dangling


def test_sources_panel_has_one_card_per_citation_and_the_other_hits_collapsed():
    html = sources_html(found_answer())
    assert html.count('class="qa-card"') == 2
    details = html[html.index("<details"):]
    assert "巫山县建立工会组织41个。" in details and "得分 0.0100" in details
    assert "优选24个" not in details  # already cited above


def test_article_and_user_text_is_escaped_everywhere():
    p = para(text=EVIL, title=EVIL)
    a = Answer(EVIL, EVIL + "[1]", True, (Citation(1, p, 0, 10),), hits=(Hit(p, 0.5),), resolved_question=EVIL + "?")
    for html in (sources_html(a), answer_html(a), md_safe(EVIL), sources_html(Answer(EVIL, EVIL, False, hits=a.hits))):
        assert "<script>" not in html and "&lt;script&gt;" in html
    chat = answer_html(a)
    for raw in ("**", "[链接]", "(http", "# ", "$x$"):  # Markdown/LaTeX syntax is entity-encoded for the chatbot
        assert raw not in chat
    assert "&#42;&#42;加粗&#42;&#42;" in chat


def test_md_safe_keeps_html_entities_intact():
    assert md_safe("a & b 'c' \"d\"") == "a &amp; b &#x27;c&#x27; &quot;d&quot;"
    assert md_safe("1*2") == "1&#42;2"


def test_not_found_is_a_distinct_box_with_related_paragraphs():
    hits = tuple(Hit(para(f"a#p{i}", f"段落{i}。", n=i), 0.1 / i) for i in range(1, 6))
    a = Answer("北京2025年建了多少驿站？", "根据现有资料，没有找到关于北京2025年驿站的信息。", False, hits=hits,
               notes=("现有资料中没有出现“北京、2025”。",))
    html = sources_html(a)
    assert 'class="qa-notfound"' in html and "没有找到" in html and "相关内容" in html
    assert 'class="qa-card"' not in html and "<mark>" not in html
    related = html[html.index("相关内容"):html.index("<details")]
    assert [f"段落{i}" in related for i in range(1, 6)] == [True, True, True, False, False]
    assert "北京、2025" in html
    chat = answer_html(a)
    assert "qa-nf-badge" in chat and "href" not in chat
    assert "qa-nf-badge" not in answer_html(found_answer())


def test_follow_up_shows_how_it_was_understood():
    a = Answer("其中多少个升级了？", "优选24个驿站升级改造。[1]", True, found_answer().citations[1:],
               resolved_question="沙坪坝区工会驿站 其中多少个升级了？")
    assert "理解为：沙坪坝区工会驿站" in answer_html(a)
    assert "理解为" not in answer_html(found_answer())
