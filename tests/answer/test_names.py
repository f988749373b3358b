"""Typed short answers: the place, person or body a 哪个城市, 谁 or 哪家 question asks for (qa/answer/names.py)."""

from __future__ import annotations

import pytest

from qa.answer.config import ComposerConfig
from qa.answer.forms import form_score, short_answer
from qa.answer.names import asked_kind, person_answer, person_names, place_answer
from qa.answer.slot import aligned_answer
from qa.index.tokens import normalize
from qa.query.question import analyze_question

CFG = ComposerConfig()


@pytest.mark.parametrize(("question", "kind"), [
    ("在哪个城市发生了袭击？", ("城市", "市")),
    ("辅警在哪一个县救人？", ("县", "县")),
    ("哪国军方否认了指控？", ("国", "国")),
    ("俄方愿意向哪个市场供应粮食？", ("", "")),  # 市场 is no kind of place
    ("活动在哪里举行？", ("", "")),
])
def test_the_asked_kind_of_place_is_the_word_after_the_question_word(question, kind):
    assert asked_kind(analyze_question(question)) == kind


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("哪个城市的福利设施收到了包裹？", "报道说,韩国蔚山市一家福利设施收到包裹。", "蔚山市"),
    ("辅警在哪个县救出了小女孩？", "近日,四川泸州古蔺县辅警王安在洪流中救出小女孩。", "古蔺县"),
    ("在哪个城市发生了枪击？", "当地时间5日晚,以色列中部城市特拉维夫发生枪击事件。", "特拉维夫"),
    ("波兰指责哪个国家侵犯领空？", "白俄罗斯否认越过边境,指责波兰捏造事实。", "白俄罗斯"),
])
def test_a_place_of_the_asked_kind_not_in_the_question(question, sentence, expected):
    assert place_answer(analyze_question(question), sentence, CFG) == expected
    assert short_answer(analyze_question(question), sentence, CFG) == expected


def test_without_an_asked_kind_the_nearest_run_of_place_words():
    q = analyze_question("记者团在哪里启动了采访活动？")
    assert place_answer(q, "记者团采访活动今天在辽宁沈阳启动。", CFG) == "辽宁沈阳"


def test_the_preposition_before_the_question_word_bounds_the_slot():
    q = analyze_question("小学生在哪里持刀行凶？")
    sentence = "一名11岁学生15日发帖称将在首尔一场演唱会上持刀行凶。"
    assert aligned_answer(q, sentence, CFG) == "首尔一场演唱会上"


@pytest.mark.parametrize(("sentence", "expected"), [
    ("以色列国防军参谋长哈勒维在一封公开信中警告称。", ["哈勒维"]),
    ("波兰总统外交政策顾问马尔钦·普日达奇7月31日在电视上发言。", ["马尔钦·普日达奇"]),
    ("国际原子能机构总干事格罗西表示,专家发现地雷。", ["格罗西"]),
    ("主任李全民在致辞中提到河南。", ["李全民"]),
    ("这座桥的设计师为符拉基米尔·安德列耶维奇·巴利，工期两年。", ["符拉基米尔·安德列耶维奇·巴利"]),
    ("他最早的音乐启蒙来自于莱昂纳尔·里奇的歌。", ["莱昂纳尔·里奇"]),
    ("以色列总理本雅明·内塔尼亚胡当天表示。", ["本雅明·内塔尼亚胡"]),
])
def test_names_after_a_title_or_written_with_a_dot(sentence, expected):
    assert [n for _, n in person_names(sentence)] == expected


def test_a_bylines_names_are_never_the_answer():
    sentence = "新华社西宁7月24日电(记者陈杰、刘诗平)江源科学考察队24日展开科考,队长王明带队。"
    assert [n for _, n in person_names(sentence)] == ["王明"]


def test_a_title_followed_by_no_name_gives_none():
    assert person_names("总统选举将于明年举行。") == []


def test_who_is_answered_by_the_person_nearest_the_questions_words():
    q = analyze_question("参与会谈的缅甸代表是谁？")
    assert person_answer(q, "中国大使陈海与缅甸外长丹穗进行了会谈。", CFG) == "丹穗"


def test_who_is_answered_by_a_body_when_the_sentence_names_no_one():
    q = analyze_question("谁决定对尼日尔实施军事干预？")
    assert person_answer(q, "报道指出,西共体在紧急峰会后宣布将对尼日尔实施军事干预。", CFG) == "西共体"


def test_a_place_the_question_names_in_another_form_is_not_the_answer():
    q = analyze_question("北京丰台区总工会在哪里办了讲座？")
    assert place_answer(q, "北京市丰台区总工会日前办了讲座。", CFG) == ""


def test_the_home_country_is_no_required_entity_but_still_an_answer():
    q = analyze_question("去年哪个国家的汽车出口量最大？")
    assert short_answer(q, "去年汽车出口量最大的是中国，其次是日本。", CFG) == "中国"


def test_where_a_sentence_says_something_lies():
    q = analyze_question("这座机场在什么地方？")
    assert place_answer(q, "且末机场是一个中国机场，位于新疆维吾尔自治区且末县。", CFG) == "新疆维吾尔自治区且末县"
    assert place_answer(q, "它位于该县县境南部。", CFG) == ""  # points back: names no place
    assert place_answer(q, "总部位于：北京市海淀区。", CFG) == "北京市海淀区"
    assert "3月底" not in place_answer(q, "各单位于3月底前开展培训。", CFG)  # 位于 inside 单位于 is no 位于
    assert place_answer(q, "主要分布在印度西太平洋区，包括红海。", CFG) == "印度西太平洋区"  # 分布|在: two words


def test_a_country_asked_with_its_kind_word_keeps_it():
    q = analyze_question("他是哪国著名的作家？")
    assert short_answer(q, "他是德国著名的作家。", CFG) == "德国"


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("卢柯宇是谁？", "今年25岁的卢柯宇是城口供电公司营销岗的一线工人。", "城口供电公司营销岗的一线工人"),
    ("余季平是谁？", "日前,重庆市总工会党组书记、副主席余季平在座谈会上如是说。", "重庆市总工会党组书记、副主席"),
    ("赵万一是谁？", "邀请西南政法大学教授赵万一专题讲授《公司法》。", "西南政法大学教授"),
    ("谁是郭会民？", "鸡西市社会组织工会联合会主席郭会民告诉记者。", "鸡西市社会组织工会联合会主席"),  # 组织 (v) inside
    ("李祥是谁？", "据昆明市总工会副主席李祥介绍,街区活动丰富。", "昆明市总工会副主席"),  # not 据
    ("邓兆棠是谁？", "邓兆棠（，），香港新界元朗厦村新围原居民，乡事派代表。", "香港新界元朗厦村新围原居民"),
    ("张潇是谁？", "张潇说。", ""),  # names him, says nothing of who he is
    ("张潇是谁？", "张潇说，驿站很方便。", ""),  # a comma after 说 is no opening appositive
    ("张潇是谁？", "张潇是否参加了会议，尚不清楚。", ""),  # 是否 is no copula
    ("张潇是谁？", "会见了来访的张潇。", ""),  # a description must end in a title or role
    ("张潇是谁？", "张潇是这样说的。", ""),  # a cleft's how, when or where is no description
    ("张潇是谁？", "张潇是2019年入职的。", ""),
    ("张潇是谁？", "张潇是在去年加入工会的。", ""),
    ("张潇是谁？", "张潇，2019年入职，一直在驿站工作。", ""),  # an opening clause that ends in no noun
])
def test_who_a_named_person_is_comes_from_a_copula_or_the_title_before_the_name(question, sentence, expected):
    q = analyze_question(question)
    assert short_answer(q, sentence, CFG) == expected
    assert form_score(q, normalize(sentence), CFG) == (1.0 if expected else 0.0)
