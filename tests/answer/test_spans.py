"""Short answers read as the sentence writes them, with their brackets whole, and the slot found past the ways a
sentence rewords the question (a dropped particle or 的, another measure word, a copula the other way round)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa.answer.config import ComposerConfig
from qa.answer.forms import short_answer
from qa.index.tokens import as_written
from qa.query.kinds import Form
from qa.query.question import analyze_question

CFG = ComposerConfig()


def short(question: str, sentence: str) -> str:
    return short_answer(analyze_question(question), sentence, CFG)


def test_a_short_answer_keeps_the_sentences_case_and_characters():
    assert short("该线路由哪个单位运营？", "该线路由城建第五工程局（CSCEC-5）所运营。") == "城建第五工程局（CSCEC-5）"
    assert short("大會由哪個單位主辦？", "大會由市總工會主辦，共有140支隊伍參賽。") == "市總工會"


def test_as_written_maps_a_normalized_piece_back_and_leaves_what_it_cannot_map():
    assert as_written("jr东日本", "由ＪＲ東日本經營") == "ＪＲ東日本"
    assert as_written("不在其中", "由ＪＲ東日本經營") == "不在其中"
    assert as_written("ffi", "ﬃ") == "ﬃ"  # one character that NFKC writes as three
    assert as_written("e\u0301", "e\u0301", norm="é") == "e\u0301"  # composed across characters: not mappable


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("宣传片的主题曲是什么？", "工会拍摄了宣传短片，主题曲名为《ONE WORLD ONE DREAM》。",
     "《ONE WORLD ONE DREAM》"),
    ("这项工程由什么单位承建？", "这项工程（一期）由城建第五工程局（CSCEC-5）承建。", "城建第五工程局（CSCEC-5）"),
    ("这部宣传片是哪个公司制作的作品？", "这部宣传片（Strivers）是由本地Nova公司制作的作品。", "本地Nova公司"),
])
def test_brackets_and_quotes_stay_whole_within_the_clause(question, sentence, expected):
    assert short(question, sentence) == expected


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("2023年哪支球队获得了职工足球联赛冠军？", "2023年，机关一队获得职工足球联赛冠军，并晋级省赛。", "机关一队"),
    ("老李是哪个帮派的成立者？", "老李，青龙帮的成立者。", "青龙帮"),  # (jieba tags 帮派 a verb)
    ("市总工会在2024年3月推出了什么服务的小程序？", "市总工会于2024年3月推出法律咨询服务小程序。", "法律咨询服务"),
    ("这座驿站是一座什么风格的建筑？", "这座驿站是一座徽派建筑。", "徽派"),
    ("在日常交流中职工以什么语言为主？", "在日常交流中，职工主要还是以普通话为主。", "普通话"),
    ("这片草场原是由什么动物居住？", "这片草场原是由野鹿所居住。", "野鹿"),
])
def test_the_slot_is_found_past_the_ways_a_sentence_rewords_the_question(question, sentence, expected):
    assert short(question, sentence) == expected


def test_a_slot_far_from_the_questions_subject_is_read_in_the_clause_of_its_other_side():
    sentence = ("第一工人文化宫，又名工人俱乐部（前称职工之家），是一处已经改建的老建筑，位于解放路，"
                "即是如今劳模馆的前身。")
    assert short("第一工人文化宫是什么的前身？", sentence) == "如今劳模馆"


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("全市规模最大的职工书屋叫什么？", "职工之家书屋为全市规模最大的职工书屋，藏书两万册。", "职工之家书屋"),
    ("全省第一个建在园区里的工会驿站是什么？",
     "星光驿站是高新区的驿站，设于园区东门，也是全省第一个建在园区里的工会驿站。", "星光驿站"),
])
def test_a_question_ending_with_its_question_word_takes_what_the_sentence_names_its_subject(
        question, sentence, expected):
    assert short(question, sentence) == expected


@pytest.mark.parametrize("sentence", [
    "该书屋作为试点，成为全市规模最大的职工书屋。", "该书屋被评为全市规模最大的职工书屋。",
])
def test_the_wei_of_a_longer_verb_is_no_copula(sentence):
    assert short("全市规模最大的职工书屋叫什么？", sentence) == ""


def test_places_joined_by_parts_and_conjunctions_are_one_place_but_not_by_a_time_word():
    assert short("这种茶叶原产于什么地方？", "这种茶叶原产于云南南部及缅甸北部。") == "云南南部及缅甸北部"
    assert short("他在哪里开始工作？", "他抵达上海以后开始工作。") == "上海"


def test_a_decade_is_a_date_but_not_a_year_before_daibiao():
    assert short("这种工艺在什么时候走向普及？", "至1980年代，这种工艺才走向普及。") == "1980年代"
    assert short("这个会议是哪一年召开的？", "2020年代表大会在北京召开。") == "2020年"


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("为什么说这项制度行之有效？", "这项制度让职工都能参与决策，因此是行之有效的。", "这项制度让职工都能参与决策"),
    ("工会为什么分两期建设驿站？", "鉴于日益增长的服务需求，工会分两期建设驿站。", "日益增长的服务需求"),
])
def test_a_why_questions_reason_is_read_before_a_consequence_word_or_after_a_cause_word(question, sentence, expected):
    assert short(question, sentence) == expected


def test_slot_words_that_name_nothing_are_no_answer_to_a_who_question():
    sentence = "老张在筹办职工运动会时结识了李明，从此成为好朋友。"
    assert short("老张在筹办职工运动会时与谁成为了好朋友？", sentence) == "李明"


@pytest.mark.parametrize(("question", "person"), [
    ("这个节日名字的含义是什么？", False), ("这项赛事的名字是怎么来的？", False), ("名字有什么寓意？", False),
    ("他原来的名字叫什么？", True),
])
def test_a_question_about_a_name_is_not_asking_for_a_person(question, person):
    assert (analyze_question(question).form is Form.PERSON) is person


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("职工书屋毗邻哪一公园？", "职工书屋位于解放路，毗邻人民公园，藏书两万册。", "人民公园"),
    ("老王是怎样成为技术能手的？", "老王以自学方式成为技术能手。", "以自学方式"),
    ("这项技术是怎么获得的？", "这项技术由研发中心通过三年攻关获得。", "研发中心通过三年攻关"),
])
def test_the_asked_kind_ends_the_answer_and_a_how_question_has_a_slot(question, sentence, expected):
    assert short(question, sentence) == expected


def test_the_copula_rule_is_off_at_zero():
    cfg = replace(CFG, min_named_subject_chars=0)
    q = analyze_question("全市规模最大的职工书屋叫什么？")
    assert short_answer(q, "职工之家书屋为全市规模最大的职工书屋，藏书两万册。", cfg) != "职工之家书屋"
