"""English questions: corpus words from CC-CEDICT glosses and pinyin readings, restricted to the corpus."""

from __future__ import annotations

import pytest
from conftest import compose_text

from qa.query.english import Lexicon, is_pinyin
from qa.query.kinds import Form
from qa.query.question import analyze_question, is_english, search_query
from qa.schema import Hit, Paragraph

TEXTS = [
    "目前,该公司已在花都区的5个镇20多个村建有蓝莓种植基地,提供5000多个岗位。",
    "目前,云阳县“小三级”工会建会率达到96.5%,会员近20万人。",
    "活跃着53支市级劳模志愿者队伍,为游客提供信息咨询、景点讲解、游客疏导等志愿服务。",
    "2023年6月,卢柯宇成功获得本科学历,戴上了“学士帽”。",
]


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.build(TEXTS)


def forms(lexicon: Lexicon, question: str) -> dict[str, tuple[str, ...]]:
    return {t.english.lower(): t.forms for t in lexicon.translate(question)}


def test_dictionary_meanings_are_corpus_words(lexicon: Lexicon) -> None:
    found = forms(lexicon, "How many jobs do the blueberry planting bases provide to tourists?")
    assert "蓝莓" in found["blueberry"]
    assert "岗位" in found["jobs"]  # plural → base form
    assert "游客" in found["tourists"]
    assert all(w in "".join(TEXTS) for ws in found.values() for w in ws)  # never a word the corpus lacks


def test_names_are_read_by_their_pinyin(lexicon: Lexicon) -> None:
    found = {t.english: t for t in lexicon.translate("What rate have Yunyang County's unions reached?")}
    assert found["Yunyang"].kind == "name" and found["Yunyang"].forms[0] == "云阳"


def test_a_two_word_name_is_read_whole(lexicon: Lexicon) -> None:
    found = {t.english: t for t in lexicon.translate("When did the worker Lu Keyu get his degree?")}
    assert found["LuKeyu"].forms[0] == "卢柯宇"


def test_a_chinese_sounding_name_missing_from_the_corpus_is_unknown(lexicon: Lexicon) -> None:
    found = {t.english: t for t in lexicon.translate("How many members does Gaoxinqiao Town have?")}
    assert found["Gaoxinqiao"].kind == "unknown" and found["Gaoxinqiao"].forms == ()
    q = analyze_question("How many members does Sichuan Province have?", lexicon)
    assert any("四川" in e.forms for e in q.entities)  # no paragraph names it: the answer will be "not found"


def test_pinyin_check() -> None:
    assert is_pinyin("wushan") and is_pinyin("shapingba")
    assert not is_pinyin("agriculture") and not is_pinyin("lhasa")


def test_chinese_inside_an_english_question_is_kept(lexicon: Lexicon) -> None:
    assert forms(lexicon, "What is the rate of the '小三级' unions?")["小三级"] == ("小三级",)


def test_search_query_adds_the_chinese_forms(lexicon: Lexicon) -> None:
    query = search_query("How many jobs do the blueberry bases provide?", lexicon)
    assert "蓝莓" in query and "岗位" in query


def test_english_question_answered_from_the_translated_words(lexicon: Lexicon) -> None:
    paragraphs = [Paragraph(f"t#p{i}", "t", i, text, "资讯") for i, text in enumerate(TEXTS, start=1)]
    hits = [Hit(p, 1.0 / (60 + r), r, r) for r, p in enumerate(paragraphs, start=1)]
    q = analyze_question("How many jobs do the blueberry planting bases provide?", lexicon)
    assert q.form is Form.NUMBER and "蓝莓" in q.terms
    answer = compose_text("How many jobs do the blueberry planting bases provide?", hits)
    assert answer.found is False or "5000" in answer.text  # without a retriever there is no lexicon: no guess


def test_a_foreign_or_unlisted_place_is_a_name_the_evidence_must_hold(lexicon: Lexicon) -> None:
    q = analyze_question("What did the Lhasa federation of trade unions build?", lexicon)
    assert any("拉萨" in e.forms for e in q.entities)  # from the dictionary: no bundled paragraph names it


@pytest.mark.parametrize(("question", "english"), [
    ("How many union stations has Shapingba built?", True),
    ("<script>alert(1)</script>沙坪坝区建了多少个工会驿站？", False),  # markup is not English words
    ("<b>沙坪坝</b>区建了多少个station？", False),
])
def test_a_question_is_english_by_its_words_not_its_markup(question, english):
    assert is_english(question) is english


def test_union_service_stations_are_the_union_s_stations():
    assert analyze_question("How many union service stations has Shapingba District built?").terms == ("工会驿站",)
