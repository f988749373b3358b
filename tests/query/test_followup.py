"""Follow-up resolution: anaphoric and "那X呢" questions become standalone; self-contained ones stay unchanged."""

from __future__ import annotations

import pytest

from qa.query.followup import is_followup, resolve_followup, topic_of


def user(*questions: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": q} for q in questions]


def test_anaphoric_question_keeps_the_previous_subject():
    resolved = resolve_followup("其中多少个智能化升级了？", user("沙坪坝区建了多少个工会驿站？"))
    assert "沙坪坝区" in resolved and "工会驿站" in resolved and resolved.endswith("其中多少个智能化升级了？")
    assert "多少个工会驿站" not in resolved  # the old question word must not compete with the new one


def test_na_x_ne_substitutes_the_entity_of_the_same_kind():
    assert resolve_followup("那江北区呢？", user("沙坪坝区建了多少个工会驿站？")) == "江北区建了多少个工会驿站？"
    resolved = resolve_followup("那2023年呢？", user("2024年沙坪坝区建了多少个工会驿站？"))
    assert resolved == "2023年沙坪坝区建了多少个工会驿站？"


def test_english_and_x_substitutes_too():
    english = user("How many trade union stations did Shapingba District build?")
    assert resolve_followup("And Jiangbei?", english) == "How many trade union stations did Jiangbei District build?"
    assert resolve_followup("And Jiangbei?", user("沙坪坝区建了多少个工会驿站？")) == "江北区建了多少个工会驿站？"


def test_pronoun_is_replaced_by_the_previous_subject():
    resolved = resolve_followup("他们还做了什么？", user("沙坪坝区总工会建了多少个工会驿站？"))
    assert resolved.startswith("沙坪坝区总工会还做了什么")


def test_pronoun_subject_can_come_from_the_previous_answer():
    history = [{"role": "user", "content": "哪个区总工会建成了174个工会驿站？"},
               {"role": "assistant", "content": "近年来,沙坪坝区总工会……建成工会驿站174个。[1]"}]
    assert resolve_followup("他们还做了什么？", history).startswith("沙坪坝区总工会")


def test_demonstrative_question_gets_the_previous_topic():
    resolved = resolve_followup("这个活动什么时候举办的？", user("重庆市邮政快递业职业技能大赛有多少名选手参加？"))
    assert "重庆市邮政快递业职业技能大赛" in resolved and resolved.endswith("这个活动什么时候举办的？")


def test_chains_resolve_against_the_resolved_previous_turn():
    history = user("沙坪坝区建了多少个工会驿站？", "那江北区呢？")
    assert resolve_followup("那云阳县呢？", history) == "云阳县建了多少个工会驿站？"


@pytest.mark.parametrize("question", [
    "巫山县建立了多少个新就业形态工会组织？",
    "重庆市总工会五年来帮扶困难职工子女的资金是多少？",
    "江西职工创新成果交流大会 展出成果数量",
    "How many members does the Wushan County union have?",
])
def test_self_contained_question_is_unchanged(question):
    assert resolve_followup(question, user("沙坪坝区建了多少个工会驿站？")) == question
    assert not is_followup(question)


def test_without_history_the_question_is_unchanged():
    assert resolve_followup("其中多少个智能化升级了？", []) == "其中多少个智能化升级了？"


def test_assistant_turns_are_not_taken_as_questions():
    history = [{"role": "user", "content": "沙坪坝区建了多少个工会驿站？"},
               {"role": "assistant", "content": "巫山县已建立各类新就业形态工会组织41个。"}]
    assert resolve_followup("那江北区呢？", history) == "江北区建了多少个工会驿站？"


def test_topic_of_drops_question_words():
    assert topic_of("沙坪坝区建了多少个工会驿站？") == "沙坪坝区建了工会驿站"
    assert topic_of("这个活动什么时候举办的？") == "这个活动举办的"


def test_english_follow_ups():
    english = user("How many trade union stations did Shapingba District build?")
    assert resolve_followup("What about Jiangbei District?", english) == (
        "How many trade union stations did Jiangbei District build?")
    combined = resolve_followup("How many of them were upgraded?", english)
    assert "Shapingba" in combined and combined.endswith("How many of them were upgraded?")
    assert "Shapingba" in resolve_followup("And how many were upgraded?", english)  # a new question, not "And X?"


def test_current_question_repeated_at_the_end_of_history_is_ignored():
    history = user("沙坪坝区建了多少个工会驿站？", "那江北区呢？")
    assert resolve_followup("那江北区呢？", history) == "江北区建了多少个工会驿站？"


def test_a_short_question_continues_a_previous_one_about_a_quoted_name() -> None:
    resolved = resolve_followup("到现在一共更新了多少期？",
                                [{"role": "user", "content": "市总工会的“今日工会”专刊是哪一年开始办的？"}])
    assert "今日工会" in resolved and resolved.endswith("到现在一共更新了多少期？")


def test_english_followup_keeps_the_previous_topic_without_its_question_words() -> None:
    resolved = resolve_followup("What services do they provide to tourists?",
                                [{"role": "user", "content": "How many model-worker volunteer teams are active in "
                                  "Shenyang's scenic spots?"}])
    assert "Shenyang" in resolved and "How many" not in resolved
    assert topic_of("How many teams are active in Shenyang?") == "teams are active in Shenyang"
