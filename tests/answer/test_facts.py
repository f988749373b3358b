"""Short answers: the words that fill the question's slot, titles, and a typed name inside the slot's words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa.answer.config import ComposerConfig
from qa.answer.facts import (
    alias_answer,
    asked_measure,
    cause_answer,
    date_answer,
    enumeration_answer,
    named_value,
    quantity_answer,
    title_answer,
    whole_enumeration,
    year_like,
)
from qa.answer.forms import short_answer
from qa.answer.scoring import date_score, number_score, person_score
from qa.answer.slot import aligned_answer, slot_fit
from qa.query.kinds import Form
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


def test_slot_fit_prefers_the_sentence_that_repeats_the_words_around_the_slot():
    q = analyze_question("中国有多少家公司上榜世界500强？")
    fits = slot_fit(q, "今年，中国共有142家公司上榜，数量居各国之首。", CFG)
    assert fits > slot_fit(q, "其中有7家中国公司，它们是宁德时代、美团等。", CFG)
    assert 0 < fits <= 1


def test_in_a_cleft_question_the_subject_before_the_copula_is_no_side_of_the_slot():
    q = analyze_question("江西省首届职工创新成果交流大会是哪家单位主办的？")  # 是[…]主办的: who did it
    assert slot_fit(q, "近日,江西省首届职工创新成果交流大会在南昌举行。", CFG) == 0.0  # names the subject only
    q = analyze_question("中国的首都是哪里？")  # no verb after the slot: 是 is a copula, the subject its side
    assert slot_fit(q, "中国的首都是北京。", CFG) == 1.0


def test_slot_fit_finds_the_words_before_the_slot_without_their_aspect_particle():
    q = analyze_question("全市职工收入同比增长了多少？")  # the sentence writes 同比增长 without 了
    fits = slot_fit(q, "一季度，全市职工收入同比增长6.2%。", CFG)
    assert fits > slot_fit(q, "会员人数同比增长，职工收入稳步提高。", CFG)


def test_a_determiners_one_is_not_a_count():
    q = analyze_question("守军击落了多少架无人机？")
    assert number_score(q, "守军当天又击落了另一架无人机。", CFG) == 0
    assert number_score(q, "守军当天击落了12架无人机。", CFG) > 0


def test_a_bylines_reporter_is_no_sign_of_a_person_answer():
    q = analyze_question("谁主持了这次会员代表大会？")
    assert person_score(q, "本报记者 王敏 报道：会员代表大会昨日召开。", CFG) == CFG.person_none
    assert person_score(q, "区总工会主席李红主持了会员代表大会。", CFG) == CFG.person_role
    asked = analyze_question("哪位记者报道了这次会员代表大会？")  # unless the question asks for the reporter
    assert person_score(asked, "本报记者 王敏 报道：会员代表大会昨日召开。", CFG) == CFG.person_role


def test_slot_fit_is_zero_without_a_question_word_or_shared_words():
    assert slot_fit(analyze_question("沙坪坝区工会驿站"), "沙坪坝区建成工会驿站35个。", CFG) == 0
    assert slot_fit(analyze_question("工会驿站提供什么服务？"), "今天天气晴朗。", CFG) == 0


def test_the_asked_kind_noun_after_a_measure_word_ends_the_slot():
    q = analyze_question("他是从哪所学校毕业后进入供电公司工作的？")
    assert aligned_answer(q, "2020年,他从重庆电力高等专科学校毕业后进入供电公司工作。", CFG) == "重庆电力高等专科学校"


def test_a_quote_does_not_hide_the_preposition_that_bounds_the_slot():
    q = analyze_question("职工在哪些领域开展了“五小”创新？")  # (职工在 is not in the sentence: its 在 bounds the slot)
    sentence = "今年,工人们在机械、电气、“数字化”等领域开展“五小”创新。"
    assert aligned_answer(q, sentence, CFG) == "机械、电气、“数字化”等领域"


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("运行时间减少了多少分钟？", "运行时间较之前压缩1个多小时,全程运行时间压缩了64分钟。", "64分钟"),
    ("援助增加了多少亿美元？", "援助总额达到430亿美元,同比增长12%。", "430亿美元"),
    ("失业率下降了几个百分点？", "7月份失业率为5.2%,比上月下降0.3个百分点。", "0.3个百分点"),
])
def test_a_number_question_takes_the_quantity_in_its_asked_unit(question, sentence, expected):
    assert short_answer(analyze_question(question), sentence, CFG) == expected


def test_an_explanation_question_with_a_slot_gets_the_slot_as_its_short_answer():
    q = analyze_question("西部计划志愿者希望新招募的志愿者成为什么？")
    assert short_answer(q, "希望新招募的志愿者成为中国梦的实践者和贡献者。", CFG) == "中国梦的实践者和贡献者"


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("金正恩亲自试驾了什么？", "在工厂,金正恩亲自驾驶着新开发的战斗装甲车,了解其性能。", "驾驶着新开发的战斗装甲车"),
    ("图灵大会的主题是什么？", "大会主题为“通用智能,人机共生”,专家学者来汉。", "“通用智能,人机共生”"),
])
def test_the_slot_is_read_past_a_reworded_verb_and_into_a_quote(question, sentence, expected):
    assert aligned_answer(analyze_question(question), sentence, CFG) == expected


def test_of_two_equally_close_quantities_the_one_after_the_question_s_words_wins():
    q = analyze_question("智慧家庭业务收入同比增长了多少？")
    sentence = "上半年,固网及智慧家庭服务收入达到620亿元,同比增长3.6%,其中,智慧家庭业务收入达到93亿元,同比增长15.7%。"
    assert short_answer(q, sentence, CFG) == "15.7%"


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("步道有多长？", "新建步道全长约1,000米,沿江而建。", "1,000米"),  # thousands separator kept
    ("雌狸有多长？", "雄狸体长约70-75厘米，雌狸约65-70厘米。", "65-70厘米"),  # a range is one quantity
    ("这种鱼生活在水深多少的海域？", "栖息在水深0.5至10公尺的珊瑚礁区。", "0.5至10公尺"),
    ("项目建了多少年？", "项目从2019-2021年建设，历时3年。", "3年"),  # a range of years is a date
    ("这座古城有多少年历史？", "古城已有2000年历史。", "2000年"),  # years asked: 2000年 is a number of years
    ("活动持续多少天？", "活动时间为3月10-12日，共3天。", "3天"),  # 10-12日 is a date
    ("7月份全社会用电量是多少？", "7月份全社会用电量8888亿千瓦时，同比增长6.5%。", "8888亿千瓦时"),
    ("共破刑事案件多少起？", "两地警方一起行动，共破刑事案件2.38万起。", "2.38万起"),  # 一起 is "together"
    ("上半年关停了多少款小程序？", "2023 年上半年，关停小程序 87 款。", "87款"),  # a space before the unit
    ("蓄洪了多少立方米？", "蓄滞洪区共蓄洪18.47亿立方米。", "18.47亿立方米"),
    ("装机容量达到多少千瓦？", "装机容量达到500千瓦。", "500千瓦"),  # 千 of 千瓦 is no magnitude
    ("株高多少厘米？", "株高65 - 70厘米。", "65 - 70厘米"),  # only the space before a unit goes
])
def test_quantities_with_ranges_separators_and_length_units(question, sentence, expected):
    assert quantity_answer(analyze_question(question), sentence, CFG) == expected


def test_a_four_digit_year_is_a_date_unless_a_number_of_years_is_asked():
    assert year_like("2023", "年", "") and year_like("2019-2021", "年", "年")
    assert not year_like("2000", "年", "年") and not year_like("30", "年", "") and not year_like("2023", "人", "")


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("他为什么改名？", "他原名苏博，因为婶婶认为他命中缺金，改名镜宇。", "婶婶认为他命中缺金"),
    ("为什么要兴建这条路？", "为了解决南北交通问题，市里兴建了这条路。", "解决南北交通问题"),
    ("他为什么退役？", "返回中国后不久因伤病而退役。", "伤病"),  # the effect after 而 is not the reason
    ("他为什么退役？", "因此他在2010年退役。", ""),  # 因此 is no cause word
    ("工会怎样帮助职工？", "工会因为经费充足，组织了培训。", ""),  # only why questions take the reason
])
def test_a_why_questions_short_answer_is_the_clause_after_the_cause_word(question, sentence, expected):
    assert cause_answer(analyze_question(question), sentence, CFG) == expected


def test_a_list_questions_slot_runs_over_its_items():
    q = analyze_question("惜字塔通常建造在哪些地方？")
    sentence = "惜字塔通常建造于场镇街口、书院寺庙之内、道路桥梁旁边。"
    assert short_answer(q, sentence, CFG) == "场镇街口、书院寺庙之内、道路桥梁旁边"


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("李翰哪一年创立翰你设计？", "他于2005年自伦敦毕业，2009年于伦敦创立翰你设计。", "2009年"),  # the date tied to 创立
    ("公司哪年成立？", "公司成立于1994年5月30日，总部位于北京。", "1994年"),  # a year asked: the year only
    ("大会什么时候召开？", "大会于2023年6月8日召开。", "2023年6月8日"),
    ("工会哪年成立？", "1950年工会成立，1980年恢复。", "1950年"),  # 工会 成立 after it: when, not a name
    ("新票种从哪天起推出？", "自 7 月 20 日起，哈齐高铁将推出计次票。", "7月20日"),  # spaced, as IT之家 sets dates
    ("项目哪一年试投产？", "预计 2026 年上半年试投产。", "2026年"),
    ("阳光少年工会夏令营开营时间", "7月15日,2024年阳光少年工会夏令营活动在涪陵区武陵山劳模疗养休养基地正式开营。",
     "7月15日"),  # 2024年 begins the camp's name (jieba's nouns 阳光 少年 工会 夏令营)
    ("职工运动会哪天开幕？", "10月9日全市职工运动会开幕，10月12日闭幕。", "10月9日"),  # the event's own date
    ("劳模表彰大会哪天召开？", "4月28日劳模表彰大会召开，5月1日起放假。", "4月28日"),
])
def test_a_date_questions_short_answer_is_the_date_tied_to_its_terms(question, sentence, expected):
    assert date_answer(analyze_question(question), sentence, CFG) == expected


@pytest.mark.parametrize("opening", ["中新网肇庆7月26日电 (记者 蔡敏婕)", "新华社北京8月1日电", "【环球时报8月2日讯】"])
def test_a_news_agencys_dateline_is_no_date_of_the_sentence(opening):
    q = analyze_question("产业园项目预计在哪一年试投产？")
    assert date_answer(q, f"{opening}希音26日发布消息称，产业园项目建设持续提速。", CFG) == ""
    assert date_score(q, f"{opening}希音26日发布消息称，产业园项目建设持续提速。", CFG) == 0.0
    later = f"{opening}目前，该项目正在试桩，预计2026年上半年试投产。"
    assert date_answer(q, later, CFG) == "2026年"
    assert date_answer(q, later, replace(CFG, dateline_dates=True)) == "2026年"
    assert date_answer(q, f"{opening}产业园项目建设持续提速。", replace(CFG, dateline_dates=True)) != ""
    assert date_answer(q, "8月1日电力公司宣布产业园项目试投产。", CFG) == "8月1日"  # no agency, no dateline
    assert date_answer(q, "县供销社7月1日电商节开幕，产业园项目试投产。", CFG) == "7月1日"  # 电商 is no 电
    assert date_answer(q, "新华社北京8月4日电商务部称产业园项目试投产。", CFG) == ""  # but 电 before 商务部 is


def test_a_date_the_question_writes_itself_is_no_answer():
    q = analyze_question("2024年集体协商竞赛培训会是哪一天？")
    assert date_answer(q, "7月18日,区总工会联合举办了2024年集体协商竞赛培训会。", CFG) == "7月18日"


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    # a list longer than a short answer keeps the items that fit
    ("展会上有哪些企业参展？", "展会上有华为技术有限公司、中兴通讯股份有限公司、小米科技有限责任公司、联想集团参展。",
     "华为技术有限公司、中兴通讯股份有限公司"),
    # the left side's occurrence nearest the right side, not the first 美国
    ("这部剧曾在美国哪个频道播出？", "这部剧为美国真人秀的第七辑，于2008年开始于美国nbc频道播出。", "nbc频道"),
    ("他姓什么？", "他姓王，是一名律师。", "王"),  # one character can be the answer
    ("哪位调解员获评十佳律师？", "其调解员李飞律师获评十佳律师称号。", ""),  # … not a pronoun (其)
])
def test_slot_bounds(question, sentence, expected):
    assert aligned_answer(analyze_question(question), sentence, CFG) == expected


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("世宗大学的办学理念是什么？", "世宗大学的办学理念是德性、创意、服务、实践。", "德性、创意、服务、实践"),
    ("瘰鳞蛇主要分布在什么地区？", "瘰鳞蛇主要分布在东南亚、印度以及所罗门群岛一带。",
     "东南亚、印度以及所罗门群岛一带"),
])
def test_one_item_of_an_enumeration_grows_to_the_whole_enumeration(question, sentence, expected):
    assert short_answer(analyze_question(question), sentence, CFG) == expected


def test_an_enumeration_grows_only_where_a_list_comma_touches_the_answer_and_never_for_numbers():
    assert whole_enumeration("德性", "理念是德性，也讲创意、服务。", CFG) == "德性"
    assert whole_enumeration("德性", "理念是德性、创意。", replace(CFG, max_item_chars=0)) == "德性"
    q = analyze_question("新建航站楼有多大？")
    assert short_answer(q, "新建航站楼3000平方米、站坪3个机位。", CFG) == "3000平方米"


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("魏裔介的字是什么？", "魏裔介（），字石生，号贞庵，又号昆林。", "石生"),
    ("蔡琼辉当时的艺名叫什么？", "六十年代粤语片童星，当时艺名「赛宝」，邵氏电影训练班出身。", "赛宝"),
])
def test_a_generic_question_without_a_slot_takes_the_value_after_its_asked_attribute(question, sentence, expected):
    q = analyze_question(question)
    assert short_answer(q, sentence, CFG) == expected
    assert short_answer(q, sentence, replace(CFG, named_values=False)) == ""


def test_no_named_value_when_the_sentence_does_not_name_the_attribute():
    q = analyze_question("王永吉的谥号是什么？")
    assert named_value(q, "王永吉（），字修之，一字六谦，号铁山。", CFG) == ""


def test_a_list_questions_short_answer_is_the_enumeration_next_to_its_asked_term():
    q = analyze_question("这次慰问活动为职工送去了哪些物品？")
    sentence = "市总工会开展送清凉活动，为一线职工送去了不少防暑物品，如绿豆汤、藿香正气水、毛巾和草帽等。"
    assert short_answer(q, sentence, CFG) == "绿豆汤、藿香正气水、毛巾和草帽等"
    assert short_answer(q, sentence, replace(CFG, enumerations_asked=False)) == "不少防暑物品"


def test_no_enumeration_for_one_thing_asked_nor_the_questions_own_list():
    one = analyze_question("该工会获评了哪一种荣誉？")
    assert enumeration_answer(one, "该工会先后获评先进集体、模范职工之家等荣誉。", CFG) == ""
    q = analyze_question("在送清凉、送温暖活动中工会提供了哪些服务？")
    found = enumeration_answer(q, "送清凉、送温暖活动中，工会为职工提供了法律咨询、心理疏导和技能培训等服务。", CFG)
    assert "送清凉" not in found and found.endswith("法律咨询、心理疏导和技能培训等服务")


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("职工服务中心又叫什么？", "职工服务中心，又称职工之家、工会驿站，是为职工提供服务的场所。", "职工之家、工会驿站"),
    ("职工服务中心的简称是什么？", "职工服务中心又名职工家园，简称职工中心（英文缩写：WSC），成立于2010年。",
     "职工中心"),
])
def test_a_question_asking_another_name_takes_the_names_after_the_alias_word(question, sentence, expected):
    q = analyze_question(question)
    assert short_answer(q, sentence, CFG) == expected
    assert alias_answer(q, sentence, replace(CFG, aliases=False)) == ""


def test_called_what_is_not_a_why_question():
    assert analyze_question("职工服务中心简称为什么？").form is Form.GENERIC
    assert analyze_question("他为什么被称为劳模？").form is Form.EXPLANATION
    assert analyze_question("这样做为什么会失败？").form is Form.EXPLANATION


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("这部职工题材电视剧共有多少集？", "该剧共有36集，于2023年在重庆卫视首播。", "36集"),
    ("《劳动者之歌》是这个系列的第几部？", "《劳动者之歌》是该系列的第4部，讲述一线职工的故事。", "第4部"),
])
def test_a_number_keeps_the_measure_word_the_question_asks_with(question, sentence, expected):
    assert short_answer(analyze_question(question), sentence, CFG) == expected


def test_a_noun_after_the_question_word_is_not_a_measure_word():
    assert asked_measure(analyze_question("培训了多少学员？")) == ""
    assert asked_measure(analyze_question("共有多少趟列车？")) == "趟"
    q = analyze_question("该剧共有多少集？")
    assert short_answer(q, "该剧由2012集团出品。", CFG) == "2012"  # not 2012集 of 2012集团


def test_a_who_question_of_the_organisation_form_takes_a_person_when_no_organisation_is_named():
    q = analyze_question("这项焊接工艺是由谁发明的？")
    assert q.form is Form.ORG
    assert short_answer(q, "这项焊接工艺由高级技师李建国发明，已在全市推广。", CFG) == "李建国"


def test_slot_words_that_only_lead_into_a_quoted_name_give_the_name():
    q = analyze_question("市总工会拍摄了什么纪录片？")
    assert aligned_answer(q, "市总工会拍摄了一部纪录片《大国工匠》，在全市职工中播放。", CFG) == "《大国工匠》"


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("“娘家人”的意思是什么？", "职工说的“娘家人”，意思是「为职工办事的工会」，叫了多年。", "为职工办事的工会"),
    ("工会驿站指的是什么？", "工会驿站是指为户外劳动者提供饮水和充电的站点。", "为户外劳动者提供饮水和充电的站点"),
])
def test_a_question_asking_a_meaning_takes_the_words_after_the_meaning_word(question, sentence, expected):
    q = analyze_question(question)
    assert short_answer(q, sentence, CFG) == expected
    assert short_answer(q, sentence, replace(CFG, max_meaning_chars=0)) != expected
