"""Sound-alike slips of union terms (qa/query/spelling.py): read as the term only where the archive has the term and
not the slip, and only for whole words of the question."""

from __future__ import annotations

import pytest

from qa.query.spelling import read_as_terms, sound_alike_terms


def archive(*texts: str):  # noqa: ANN201
    """`count` over an archive of these paragraphs."""
    return lambda term: sum(term in t for t in texts)


NEWS = archive("沙坪坝区总工会建成工会驿站174个。", "江北区总工会推出职工服务项目104个。", "区总工会召开办公会议。")


@pytest.mark.parametrize(("question", "fixed"), [
    ("沙坪坝区建了多少个公会驿占？", "沙坪坝区建了多少个工会驿站？"),  # two slips in one term
    ("工惠驿站有多少个？", "工会驿站有多少个？"),
    ("江北区总公会推出了多少个职工服务项目？", "江北区总工会推出了多少个职工服务项目？"),
])
def test_a_union_term_typed_as_a_sound_alike_is_read_as_the_term(question, fixed):
    slips = sound_alike_terms(question, NEWS)
    assert slips and read_as_terms(question, slips) == fixed


@pytest.mark.parametrize("question", [
    "沙坪坝区建了多少个工会驿站？",  # written right
    "江西省总工会为外卖骑手做了什么？",  # 骑手 is absent, but no union term sounds like it: a near-miss stays one
    "区总工会什么时候召开办公会议？",  # 公会 inside 办公会议 is no word of the question
    "总共打算给多少人提供免费体检？",  # 总共 sounds like 总工 (of 总工会) but is the commoner word
    "龚辉是谁？",  # a name (jieba: nr) that sounds like 工会 and shares none of its characters
    "宫慧是做什么的？",
])
def test_other_words_are_left_as_written(question):
    assert sound_alike_terms(question, NEWS) == ()


def test_the_slip_is_replaced_where_it_stands_not_where_its_text_first_occurs():
    question = "办公会议后公会组织了什么活动？"  # 公会 of 办公会议 is no word; the second 公会 is the slip
    slips = sound_alike_terms(question, archive("沙坪坝区总工会建成工会驿站174个。"))
    assert [(s.start, s.text, s.term) for s in slips] == [(5, "公会", "工会")]
    assert read_as_terms(question, slips) == "办公会议后工会组织了什么活动？"


def test_a_word_the_archive_writes_is_no_slip():
    other = archive("全省建成工惠驿站300个。", "工会驿站免费开放。")  # some provinces name their stations 工惠驿站
    assert sound_alike_terms("工惠驿站有多少个？", other) == ()
