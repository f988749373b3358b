"""Short answers: the words that fill the question's slot, titles, and a typed name inside the slot's words."""

from __future__ import annotations

import pytest

from qa.answer.config import ComposerConfig
from qa.answer.facts import aligned_answer, title_answer
from qa.answer.forms import short_answer
from qa.query.question import analyze_question

CFG = ComposerConfig()


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("这次技能竞赛由哪个单位主办？", "这次技能竞赛由市总工会主办,共有140支队伍参赛。", "市总工会"),
    ("工会驿站为户外劳动者提供了什么服务？", "工会驿站为户外劳动者提供了免费饮水服务。", "免费饮水服务"),
    ("职工书屋设在什么地方？", "职工书屋设在工人文化宫二楼,每天开放。", "工人文化宫二楼"),
])
def test_the_slot_is_read_between_the_questions_own_words(question, sentence, expected):
    assert aligned_answer(analyze_question(question), sentence, CFG) == expected


def test_no_slot_when_the_sentence_shares_no_words_with_the_question():
    assert aligned_answer(analyze_question("工会驿站提供什么服务？"), "今天天气晴朗。", CFG) == ""


def test_a_typed_name_inside_the_slot_is_the_short_answer():
    q = analyze_question("鸡西市社会组织工会联合会主席是谁？")
    assert short_answer(q, "鸡西市社会组织工会联合会主席郭会民告诉记者,工会越办越好。", CFG) == "郭会民"


def test_title_questions_answer_with_the_title_the_question_does_not_name():
    q = analyze_question("讲座讲的是哪部法律？")
    assert q.form == "title"
    assert title_answer(q, "教授专题讲授《公司法》和《劳动法》。", CFG) == "《公司法》"
    assert short_answer(q, "教授专题讲授《公司法》。", CFG) == "《公司法》"
