"""The composer's production path on a fake Evidence with fixed cosines: the model-keyed dense floors, the semantic
fallback, the form rule table and the config all change what `compose` answers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.answer.compose import compose
from qa.answer.config import E5_SMALL, ComposerConfig
from qa.answer.evidence import Evidence, gather
from qa.answer.forms import RULES
from qa.query.kinds import Form
from qa.query.question import analyze_question
from qa.schema import Hit, Paragraph

TITLE = "沙坪坝区总工会五项举措建驿站"
P1 = Paragraph("spb#p1", "spb", 1, "近年来,沙坪坝区总工会大胆创新五项举措,建成工会驿站174个。", TITLE)
P2 = Paragraph("spb#p2", "spb", 2, "驿站为户外劳动者提供饮水、休息、充电等服务。每个驿站都配有微波炉。", TITLE)
HITS = [Hit(P1, 0.03, 1, 1), Hit(P2, 0.02, 2, 2)]


def evidence(question: str, cosine: float, model_id: str = E5_SMALL, sentences: float | None = None) -> Evidence:
    """Evidence from the two paragraphs with every paragraph cosine fixed (and every sentence cosine, if given)."""
    q = analyze_question(question)
    base = gather(q, HITS)
    cosines = {h.paragraph.id: cosine for h in HITS}
    fake = None if sentences is None else (lambda texts: np.full(len(texts), sentences, np.float32))
    return replace(base, cosines=cosines, model_id=model_id, sentence_cosines=fake)


def ask(question: str, ev: Evidence, cfg: ComposerConfig | None = None):  # noqa: ANN201
    return compose(analyze_question(question), ev, cfg or ComposerConfig())


QUESTION = "沙坪坝区建了多少个工会驿站？"


def test_the_dense_floor_of_the_model_refuses_weak_evidence():
    assert ask(QUESTION, evidence(QUESTION, 0.90)).found
    refused = ask(QUESTION, evidence(QUESTION, 0.70))
    assert not refused.found and "没有找到" in refused.text and refused.hits  # the hits are kept for the sources
    assert ask(QUESTION, evidence(QUESTION, 0.70, model_id="some-other-model")).found  # no floor for that model


def test_english_questions_have_their_own_lower_floor():
    english = "How many trade union stations did Shapingba District build?"
    assert ask(english, evidence(english, 0.75)).found  # above 0.72
    assert not ask(QUESTION, evidence(QUESTION, 0.75)).found  # below 0.78


def test_floors_follow_the_config():
    cfg = ComposerConfig()
    assert cfg.dense_floor_for(E5_SMALL, english=False) == 0.78 and cfg.dense_floor_for("x", english=False) is None
    lower = replace(cfg, dense_floor={E5_SMALL: 0.5})
    assert ask(QUESTION, evidence(QUESTION, 0.70), lower).found
    strict = replace(cfg, min_form=1.01)  # no sentence can hold the number well enough
    assert not ask(QUESTION, evidence(QUESTION, 0.90), strict).found


REWORDED = "沙坪坝那边给户外干活的人准备了什么？"  # shares almost no words with the answer sentence


def test_the_semantic_fallback_answers_a_reworded_question_only_above_its_floor():
    assert not ask(REWORDED, evidence(REWORDED, 0.90)).found  # no sentence embeddings: no fallback
    rescued = ask(REWORDED, evidence(REWORDED, 0.90, sentences=0.95))
    assert rescued.found and rescued.citations[0].paragraph.id in ("spb#p1", "spb#p2")
    assert not ask(REWORDED, evidence(REWORDED, 0.90, sentences=0.85)).found  # below the 0.90 sentence floor
    assert not ask(REWORDED, evidence(REWORDED, 0.90, model_id="other", sentences=0.99)).found  # no floor: off


def test_every_form_has_one_rule():
    assert set(RULES) == set(Form)
    assert {f for f, r in RULES.items() if r.long} == {Form.LIST, Form.EXPLANATION}
    assert {f for f, r in RULES.items() if r.needs_form} == {Form.NUMBER, Form.DATE, Form.IDENTITY}


def test_a_model_read_from_a_path_keeps_its_id(tmp_path: Path):
    from qa.index.e5convert import MODEL_ID_FILE
    from qa.index.embed import read_model_id

    (tmp_path / MODEL_ID_FILE).write_text(json.dumps({"model_id": E5_SMALL}), encoding="utf-8")
    assert read_model_id(tmp_path, str(tmp_path)) == E5_SMALL
    assert read_model_id(tmp_path / "elsewhere", "fallback") == "fallback"


@pytest.mark.parametrize("question", ["", "   ", "的", "是什么？", "多少？"])
def test_nothing_to_look_for_is_refused_with_a_reason(question):
    q = analyze_question(question)
    assert not q.terms and not q.entities  # only question words: nothing the evidence could be checked against
    answer = ask(question, evidence(question, 0.9))  # though the evidence has hits and a high cosine
    assert not answer.found and answer.notes == ("问题中没有可检索的内容。",)


def test_a_sentence_found_by_meaning_alone_must_share_the_questions_topic():
    # the near-miss: the archive names the organisation but says nothing of the topic asked about
    near_miss = "沙坪坝区总工会为外卖骑手做了什么？"
    refused = ask(near_miss, evidence(near_miss, 0.90, sentences=0.95))
    assert not refused.found
    assert any("外卖" in note and "沙坪坝" in note for note in refused.notes)  # the reason names both
    reworded = "沙坪坝区给户外劳动者的驿站配了什么？"  # its topic (户外劳动者) is in the paragraph: still answered
    assert ask(reworded, evidence(reworded, 0.90, sentences=0.95)).found


def test_a_weak_shape_cue_does_not_outweigh_the_questions_words():
    """Any role word (负责人) gives a sentence a person question's shape; for such forms (FormRule.weak_shape) the
    shape weighs w_form_weak, so the sentence that states what was asked wins over one that only names a role."""
    text = "泸州市公安局负责人介绍，辅警康安友获记个人一等奖。当天康安友辅警在齐胸的洪水中救援了一个小女孩。"
    p = Paragraph("lz#p1", "lz", 1, text, "泸州辅警洪水中救人获一等奖")
    q = analyze_question("康安友辅警救援的是谁？")
    ev = gather(q, [Hit(p, 0.03, 1, 1)])
    assert RULES[q.form].weak_shape and not RULES[Form.NUMBER].weak_shape
    assert "小女孩" in compose(q, ev, ComposerConfig()).text
    assert "负责人" in compose(q, ev, ComposerConfig(w_form_weak=ComposerConfig().w_form)).text  # as it was before



def test_a_count_of_another_kind_of_the_thing_asked_is_refused():
    """The focus gate: the paragraph counts 专职干部, the question asks for 兼职干部 — the head is there, its modifier
    is not, so the count is of another kind and the answer is "没有找到" with the reason, even through the semantic
    fallback. The same question about 专职干部 is answered."""
    text = "鸡西市总工会指导成立鸡西市社会组织工会联合会,现有会员110名,专职干部3名。"
    p = Paragraph("jx#p1", "jx", 1, text, "一家工联会的成长之路")
    gate = ComposerConfig(focus_gate=(Form.NUMBER,))

    def answer(question: str, cfg: ComposerConfig):  # noqa: ANN202
        q = analyze_question(question)
        ev = replace(gather(q, [Hit(p, 0.03, 1, 1)]), cosines={p.id: 0.9}, model_id=E5_SMALL,
                     sentence_cosines=lambda texts: np.full(len(texts), 0.95, np.float32))
        return compose(q, ev, cfg)

    asked = "鸡西市社会组织工会联合会有多少名兼职干部？"
    assert "3名" in answer(asked, replace(gate, focus_gate=())).text  # without the gate: the wrong count
    refused = answer(asked, gate)
    assert not refused.found and any("兼职" in note and "鸡西" in note for note in refused.notes)
    assert "3名" in answer("鸡西市社会组织工会联合会有多少名专职干部？", gate).text


def test_a_count_whose_kind_the_article_names_only_elsewhere_is_refused():
    """The count gate: the paragraph counts upgraded 驿站 and names 全国最美驿站 only after that sentence, so the
    focus gate (the whole paragraph) passes while the count is of another kind: "没有找到", the reason naming what is
    counted, also where the semantic fallback would take the sentence. A modifier the paragraph gives before the
    count, or its title, is enough; the gate is a config switch."""
    text = "沙坪坝区优选24个驿站升级改造,增加智能门禁等功能。对全国“最美驿站”配套补助。"
    earlier = "沙坪坝区驿站参评全国最美驿站。其中3个驿站入选。"

    def answer(question: str, paragraph_text: str, cfg: ComposerConfig, title: str = TITLE,
               sentences: float | None = None):  # noqa: ANN202
        p = Paragraph("spb#p5", "spb", 5, paragraph_text, title)
        q = analyze_question(question)
        fake = None if sentences is None else (lambda texts: np.full(len(texts), sentences, np.float32))
        ev = replace(gather(q, [Hit(p, 0.03, 1, 1)]), cosines={p.id: 0.9}, model_id=E5_SMALL, sentence_cosines=fake)
        return compose(q, ev, cfg)

    asked = "沙坪坝区的工会驿站中有多少个是全国最美驿站？"
    assert "24个" in answer(asked, text, ComposerConfig(count_gate=False)).text
    reason = ("资料中有关于“沙坪坝”的内容，但没有给出“全国最美驿站”的数量。",)
    for sentences in (None, 0.97):  # lexical choice, and the semantic fallback (a sentence cosine over its floor)
        refused = answer(asked, text, ComposerConfig(), sentences=sentences)
        assert not refused.found and refused.notes == reason
    reworded = ("沙坪坝区全国最美驿站有多少个？", "沙坪坝区全国最美驿站的数量是多少？",
                "全国范围内沙坪坝区有多少个是全国最美驿站？")
    for question in reworded:  # the phrase before 多少, or the one after (not the question's first 全国)
        assert answer(question, text, ComposerConfig()).notes == reason
    assert "3个" in answer(asked, earlier, ComposerConfig()).text
    assert "3个" in answer(asked, "其中3个驿站入选。", ComposerConfig(), title="沙坪坝区3个驿站获评全国最美驿站").text
    assert "24个" in answer("沙坪坝区有多少个驿站升级改造了？", text, ComposerConfig()).text


def test_a_sentence_that_answers_for_someone_else_is_refused():
    """The filler gate: 为游客提供 is the question's 为外卖员提供 with another filler, and 外卖员 is nowhere in the
    article, so neither that sentence nor the rest of its article answers; the same question about 游客 is
    answered."""
    texts = ["在沈阳多个景区,53支劳模志愿者队伍为游客提供信息咨询、景点讲解、游客疏导等志愿服务。",
             "沈阳市总工会还组织劳模志愿者在景区入口设置志愿服务岗,提供饮水、休息等服务。"]
    paragraphs = [Paragraph(f"sy#p{n}", "sy", n, t, "劳模变身城市旅游推荐人") for n, t in enumerate(texts, 1)]
    gate = ComposerConfig(filler_gate=True)

    def answer(question: str, cfg: ComposerConfig):  # noqa: ANN202
        q = analyze_question(question)
        ev = replace(gather(q, [Hit(p, 0.03 - 0.01 * n, n + 1, n + 1) for n, p in enumerate(paragraphs)]),
                     cosines={p.id: 0.9 for p in paragraphs}, model_id=E5_SMALL,
                     sentence_cosines=lambda texts: np.full(len(texts), 0.95, np.float32))
        return compose(q, ev, cfg)

    asked = "沈阳市总工会为外卖员提供了哪些服务？"
    assert answer(asked, replace(gate, filler_gate=False)).found  # without the gate: the tourists' services
    refused = answer(asked, gate)
    assert not refused.found and any("外卖员" in note and "游客" in note for note in refused.notes)
    assert "信息咨询" in answer("沈阳市总工会为游客提供了哪些服务？", gate).text


def test_a_title_made_from_the_lead_is_no_context_for_the_gates():
    made = replace(P1, title="驿站新闻导出", title_from_lead=True)  # a title the text does not hold, to tell them apart
    given = replace(P1, title="驿站新闻导出")
    q = analyze_question(QUESTION)
    contexts = [gather(q, [Hit(p, 0.03, 1, 1)]).context[p.id] for p in (made, given)]
    assert ["导出" in c for c in contexts] == [False, True]


def test_who_a_named_person_is_cites_what_describes_them_or_says_it_is_not_there():
    texts = ["张潇说。", "近日,鸡西市一家社会工作服务中心的负责人张潇对记者说道。"]
    paragraphs = [Paragraph(f"jx#p{n}", "jx", n, t, "社会组织建会") for n, t in enumerate(texts, 1)]

    def answer(question: str, kept: list[Paragraph]):  # noqa: ANN202
        q = analyze_question(question)
        ev = replace(gather(q, [Hit(p, 0.03 - 0.01 * n, n + 1, n + 1) for n, p in enumerate(kept)]),
                     cosines={p.id: 0.9 for p in kept}, model_id=E5_SMALL)
        return compose(q, ev, ComposerConfig())

    found = answer("张潇是谁？", paragraphs)
    assert found.found and "负责人张潇" in found.text and found.short == "鸡西市一家社会工作服务中心的负责人"
    refused = answer("张潇是谁？", paragraphs[:1])  # only 张潇说。: named, never described
    assert not refused.found and any("张潇" in note and "身份" in note for note in refused.notes)
