"""Question analysis (no model, no index): the asked form, the asked unit, key terms and the asked clause."""

from __future__ import annotations

import pytest

from qa.query.kinds import EntityKind, Form
from qa.query.question import analyze_question


@pytest.mark.parametrize(("question", "form"), [
    ("重庆市第五届电力行业职业技能竞赛 参赛队伍数", Form.NUMBER),
    ("璧山区总工会帮企业设立资金池，对职工有什么好处？", Form.EXPLANATION),
    ("产业工人文化街区是由哪几方联动打造的？", Form.LIST),
    ("这次大会由谁承办？", Form.ORG),
    ("沙坪坝区总工会携手了哪家企业？", Form.ORG),
    ("谁获得了一等奖？", Form.PERSON),
    ("江北区总工会为职工做了什么？", Form.EXPLANATION),  # what did X do: X's actions, 1-3 sentences
    ("What did the Jiangbei union do for workers?", Form.EXPLANATION),
    ("市场监管局对当事人做了什么决定？", Form.GENERIC),  # asks for a thing (决定), not for actions
    # a question word must be a word of the question: 称为|什么 asks what it is called, 几内亚 is a country
    ("这种节奏型被称为什么？", Form.GENERIC),
    ("几内亚法郎的辅币单位是什么？", Form.GENERIC),
    ("他为什么辞职？", Form.EXPLANATION),
    ("入选的是第几期名录？", Form.NUMBER),  # 第|几期 (jieba splits the ordinal oddly)
    ("这颗恒星距离太阳多远？", Form.NUMBER),  # a measure: 多远, 多长, 多重 …
    ("新建的步道有多长？", Form.NUMBER),
    ("他有多重身份？", Form.GENERIC),  # 多重 as "multiple"
    ("他身披几号球衣？", Form.NUMBER),  # 几号 before a noun asks for a number
    ("比赛在几号举行？", Form.DATE),
    ("他因为什么辞职？", Form.EXPLANATION),
    ("水有多深？", Form.NUMBER),  # jieba's 有多深 holds the question word
])
def test_question_forms(question: str, form: Form) -> None:
    assert analyze_question(question).form is form


def test_a_demonstrative_few_is_not_a_question() -> None:
    q = analyze_question("新冠流行那几年，重庆工会筹了多少专款？")
    assert q.form is Form.NUMBER and q.unit != "年"


def test_a_quoted_name_is_one_term() -> None:
    q = analyze_question("丰台区总工会提出的“四个提升”包括哪些方面？")
    assert "四个提升" in q.terms and "提升" not in q.terms


def test_the_asked_clause_is_known() -> None:
    q = analyze_question("江北区第三方服务项目竞赛中，哪个项目拿了一等奖？")
    assert "一等奖" in q.asked and "竞赛" not in q.asked
    assert analyze_question("沙坪坝区建了多少个工会驿站？").asked == ()  # one clause: nothing singled out


@pytest.mark.parametrize(("question", "counted"), [
    ("沙坪坝区的工会驿站中有多少个是全国最美驿站？", ("全国", "最美", "驿站")),  # after 多少, across 个 and 是
    ("沙坪坝区全国最美驿站的数量是多少？", ("全国", "最美", "驿站")),  # before it, across 的数量是
    ("沙坪坝区的全国最美驿站有几个？", ("全国", "最美", "驿站")),
    ("鸡西市社会组织工会联合会有多少名兼职干部？", ()),  # jieba tags 兼职 a verb: left to the focus gate
    ("沙坪坝区建了多少个工会驿站？", ()),  # one word: nothing to tell kinds apart by
    ("沙坪坝区有多少个驿站获评全国最美驿站？", ()),  # a verb ends the phrase after 驿站
    ("这些选手来自哪些企业？", ()),  # not a count
])
def test_what_a_count_counts(question, counted):
    assert analyze_question(question).counted == counted


@pytest.mark.parametrize(("question", "form"), [
    ("耶伦访华时间", Form.DATE), ("工会驿站启用日期", Form.DATE), ("北京冬奥会双人滑金牌得主是谁？", Form.PERSON),
    ("春节档票房冠军是哪部电影", Form.TITLE), ("讲座讲的是哪部法律？", Form.TITLE), ("世界杯决赛队伍", Form.LIST),
    ("哪两支球队进入了决赛？", Form.LIST), ("职工创新成果交流大会主办单位", Form.ORG),
    ("行政令限制投资的是哪个国家？", Form.PLACE), ("试飞地点在哪个州？", Form.PLACE),
    ("训练营的时长是多久？", Form.NUMBER), ("劳模志愿者队伍数量", Form.NUMBER),
])
def test_keyword_style_questions_get_their_form(question, form):
    assert analyze_question(question).form is form


@pytest.mark.parametrize(("question", "entities"), [
    ("新能源车在出口总量中占比多少？", ()),  # 中占比: jieba's made-up place after 在…中
    ("中国政府对二手车有什么政策？", ()),  # the archive's own country is implicit in Chinese news
    ("中山市总工会有多少会员？", ("中山",)),  # a dictionary place starting with 中 stays
])
def test_artefacts_and_the_home_country_are_no_entities_the_evidence_must_name(question, entities):
    assert tuple(e.text for e in analyze_question(question).entities) == entities


@pytest.mark.parametrize(("question", "name"), [
    ("赵万一是谁？", "赵万一"),  # jieba cuts 赵/万一: the name is still what is asked about
    ("余季平是谁", "余季平"),
    ("谁是郭会民？", "郭会民"),
    ("请问张潇是什么人？", "张潇"),
])
def test_who_a_named_person_is_asks_for_their_identity(question, name):
    q = analyze_question(question)
    assert q.form is Form.IDENTITY
    assert [e.text for e in q.entities if e.kind is EntityKind.PERSON] == [name] and not q.terms


@pytest.mark.parametrize("question", ["昆明市总工会主席是谁？", "中国代表是谁？", "小女孩是谁？", "主席是谁？",
                                      "他是谁？", "谁是冠军？"])
def test_who_is_asked_of_a_role_or_a_thing_asks_for_a_name(question):
    assert analyze_question(question).form is Form.PERSON
