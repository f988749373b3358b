"""Answer composition on hand-made paragraphs and hits (no model): form matching, refusal, citations, verification."""

from __future__ import annotations

import re

import pytest
from conftest import compose_text

from qa.answer.config import ComposerConfig
from qa.answer.render import ENGLISH_NOTE, not_found, trim, unsupported_numbers
from qa.answer.scoring import sentence_spans
from qa.query.question import analyze_question
from qa.schema import Hit, Paragraph

SPB = "沙坪坝区总工会五项举措建驿站 真情温暖户外劳动者"


def para(article: str, n: int, text: str, title: str, date: str = "2024-07-20") -> Paragraph:
    return Paragraph(f"{article}#p{n}", article, n, text, title, date=date)


PARAGRAPHS = [
    para("spb", 1, "近年来,沙坪坝区总工会秉承“一个站点一个家”服务理念,大胆创新“沙磁工韵”五项举措,"
         "建成工会驿站174个。", SPB),
    para("spb", 2, "一是“一张图”谋划。制定“一社区一站点”目标,将112个社区全部纳入规划图。", SPB),
    para("spb", 5, "四是“智能化”升级。优选24个驿站升级改造,增加智能门禁、AI智能监控、智能语音广播等功能。", SPB),
    para("ws", 1, "目前,巫山县已建立各类新就业形态工会组织41个,发展新就业形态劳动者会员4896人。",
         "巫山县总工会高质量推进新就业形态劳动者建会入会"),
    para("cq", 3, "2023年5月,重庆市电力行业产教融合联盟成功组建,明确以畅通产业工人学历能力提升“三条通道”为主要任务。",
         "擦亮职工“幸福底色”", "2024-04-14"),
    para("jb", 2, "自2022年7月以来,江北区总工会开展提升职工生活品质特色项目竞赛,共有104个项目参赛,"
         "涉及技能提升、文化活动、体育竞技、团队建设、健康关怀等。", "江北区总工会 打造职工服务自选超市"),
]


def hits_for(*ids: str) -> list[Hit]:
    """Hits in the given order (ids are prefixes of paragraph ids), then the rest, like a fused ranking."""
    order = [p for i in ids for p in PARAGRAPHS if p.id.startswith(i)]
    order += [p for p in PARAGRAPHS if p not in order]
    return [Hit(p, 1.0 / (60 + r), r, r) for r, p in enumerate(order, start=1)]


def cited(answer) -> list[str]:
    return [c.paragraph.id for c in answer.citations]


def test_number_question_picks_the_sentence_with_the_number_and_unit():
    answer = compose_text("沙坪坝区建了多少个工会驿站？", hits_for("ws", "spb#p2", "spb#p1"))
    assert answer.found
    assert "174个" in answer.text and cited(answer) == ["spb#p1"]
    assert answer.text.endswith("[1]")


def test_number_question_prefers_the_asked_unit_and_noun():
    answer = compose_text("巫山县发展了多少名新就业形态劳动者会员？", hits_for("ws"))
    assert "4896人" in answer.text


def test_followup_style_question_finds_the_subordinate_fact():
    answer = compose_text("沙坪坝区建了工会驿站 其中多少个智能化升级了？", hits_for("spb#p1", "spb#p2", "spb#p5"))
    assert answer.found and "24个" in answer.text and cited(answer) == ["spb#p5"]


def test_date_question_returns_the_dated_sentence():
    answer = compose_text("重庆市电力行业产教融合联盟是什么时候组建的？", hits_for("spb#p1", "cq"))
    assert answer.found and "2023年5月" in answer.text and cited(answer) == ["cq#p3"]


def test_list_question_returns_the_enumeration():
    answer = compose_text("江北区的提升职工生活品质项目竞赛涉及哪些方面？", hits_for("jb", "spb#p1"))
    assert answer.found and cited(answer)[0] == "jb#p2"
    assert "技能提升、文化活动" in answer.text


@pytest.mark.parametrize("question, absent", [
    ("北京市总工会建了多少个工会驿站？", "北京"),
    ("广东省有多少个工会驿站？", "广东"),
    ("2025年沙坪坝区建了多少个工会驿站？", "2025"),
])
def test_refuses_when_the_asked_place_or_year_is_in_no_hit(question, absent):
    answer = compose_text(question, hits_for("spb#p1"))
    assert not answer.found and answer.citations == ()
    assert answer.text.startswith("根据现有资料，没有找到关于")
    assert any(absent in note for note in answer.notes)
    assert len(answer.hits) == len(PARAGRAPHS)  # hits kept for "相关内容"


def test_a_long_question_is_named_cut_and_an_english_one_never_inside_a_word():
    long = "沙坪坝区总工会" * 10 + "建了多少个驿站？"
    text = not_found(analyze_question(long), (), "", ComposerConfig()).text
    assert text == f"根据现有资料，没有找到关于{long[:60]}…的信息。"
    english = "When will the SHEIN Zhaoqing industrial park start trial production?"  # 60 characters end in produ…
    text = not_found(analyze_question(english), (), "", ComposerConfig()).text
    assert text == "根据现有资料，没有找到关于“When will the SHEIN Zhaoqing industrial park start trial…”的信息。"


def test_refuses_when_the_place_is_present_but_not_with_the_asked_fact():
    answer = compose_text("江北区建了多少个工会驿站？", hits_for("jb", "spb#p1"))
    assert not answer.found


def test_refuses_an_unmentioned_amount():
    answer = compose_text("沙坪坝区工会驿站的建设补助是多少元？", hits_for("spb#p1", "spb#p2"))
    assert not answer.found


def test_refuses_off_topic_questions():
    for question in ("今天天气怎么样？", "推荐一部好看的电影"):
        answer = compose_text(question, hits_for("spb#p1"))
        assert not answer.found and answer.citations == ()


def test_no_hits_is_not_found():
    answer = compose_text("沙坪坝区建了多少个工会驿站？", [])
    assert not answer.found and answer.hits == ()


def test_traditional_and_full_width_input():
    answer = compose_text("沙坪壩區建了多少個工會驛站？", hits_for("ws", "spb#p1"))
    assert answer.found and "174个" in answer.text
    answer = compose_text("２０２３年５月組建了什麼聯盟？", hits_for("spb#p1", "cq"))
    assert answer.found and cited(answer) == ["cq#p3"]


def test_english_question_quotes_the_chinese_source_with_a_note():
    answer = compose_text("How many trade union stations did Shapingba District build?", hits_for("spb#p1"))
    assert answer.found and "174个" in answer.text and ENGLISH_NOTE in answer.notes
    refused = compose_text("How many trade union stations did Beijing build?", hits_for("spb#p1"))
    assert not refused.found


def test_citation_spans_point_at_the_supporting_sentence():
    answer = compose_text("沙坪坝区建了工会驿站 其中多少个智能化升级了？", hits_for("spb#p5"))
    citation = answer.citations[0]
    assert citation.sentence == "优选24个驿站升级改造,增加智能门禁、AI智能监控、智能语音广播等功能。"
    assert citation.paragraph.text[citation.start : citation.end] == citation.sentence


def test_every_answer_number_occurs_in_its_cited_paragraph():
    questions = ["沙坪坝区建了多少个工会驿站？", "巫山县建立了多少个新就业形态工会组织？",
                 "重庆市电力行业产教融合联盟是什么时候组建的？", "江北区的项目竞赛共有多少个项目参赛？"]
    for question in questions:
        answer = compose_text(question, hits_for())
        assert answer.found, question
        for sentence in re.findall(r"[^\[\]]+\[\d+\]", answer.text):
            n = int(re.search(r"\[(\d+)\]", sentence).group(1))
            assert unsupported_numbers(sentence, answer.citations[n - 1].paragraph.text) == []


def test_unsupported_numbers():
    source = "建成工会驿站174个,约10万人次,建会率达到96.5%。2023年5月成立。"
    assert unsupported_numbers("建成工会驿站174个。[1]", source) == []
    assert unsupported_numbers("建成工会驿站17个。[1]", source) == ["17"]
    assert unsupported_numbers("建会率96.5%,2023年5月成立", source) == []
    assert unsupported_numbers("2023年6月成立", source) == ["2023年6月"]
    assert unsupported_numbers("建成１７４个", source) == []  # full-width digits count as the same number


def test_sentence_spans_are_offsets_into_the_text():
    text = " 第一句。第二句！\n“第三句。”尾"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["第一句。", "第二句！", "“第三句。”", "尾"]


def test_trim_keeps_the_fact_clause_and_its_subject():
    q = analyze_question("沙坪坝区建了多少个工会驿站？")
    long = PARAGRAPHS[0].text
    short = trim(q, long, 40, ComposerConfig())
    assert short.startswith("沙坪坝区总工会") and "……" in short and short.endswith("建成工会驿站174个。")
    assert trim(q, long, 200, ComposerConfig()) == long


@pytest.mark.parametrize(("question", "sentence", "kept"), [
    # the clause holding the short answer, not the one with the same words and another number
    ("全程运行时间压缩了多少分钟？",
     "记者从中国铁路昆明局集团有限公司获悉，自2023年7月25日起，中老铁路实施新的列车运行图，昆明南至万象国际旅客列车"
     "运行时间较之前明显缩短，通关效率明显提升，将全程运行时间从10小时30分压缩至9小时26分，压缩了64分钟。", "64分钟"),
    # a clause ending in a lead verb keeps what it introduces
    ("华侨城A的业绩预告显示了什么？",
     "此前华侨城A披露的2023年半年度业绩预告显示，2023年1月1日至2023年6月30日，华侨城预计归属于上市公司股东的净利润"
     "亏损12亿元-17亿元，2022年同期盈利1.05亿元，比2022年同期下降1237.92%-1712.06%。", "2023年1月1日至"),
    # a quote is not cut at its comma
    ("图灵大会的主题是什么？",
     "大会主题为“通用智能，人机共生”，来自计算机科学领域的国内外顶尖专家学者来汉“论剑”，围绕人工智能、物联网、人机交互等热点"
     "话题展开深入讨论，旨在推动计算机科学的发展。", "“通用智能，人机共生”"),
])
def test_trim_keeps_the_answer_of_a_long_sentence(question, sentence, kept):
    short = trim(analyze_question(question), sentence, 40, ComposerConfig())
    assert kept in short and len(short) < len(sentence)


def test_an_unclosed_quote_does_not_keep_the_rest_of_the_sentence_whole():
    q = analyze_question("图灵大会的主题是什么？")
    sentence = ("大会主题为“通用智能，来自计算机科学领域的国内外顶尖专家学者来汉论剑，"
                "围绕人工智能、物联网、人机交互等热点话题展开深入讨论，"
                "旨在推动计算机科学的发展，为人类社会的进步贡献力量，会议期间还举办了多场分论坛和展览活动。")
    assert len(trim(q, sentence, 90, ComposerConfig())) <= 90


MEASURES = [para("m", n, text, SPB) for n, text in enumerate([
    "沙坪坝区总工会大胆创新五项举措建驿站。",
    "一是“一张图”谋划。制定“一社区一站点”目标。",
    "二是“差异化”补贴。根据面积给予建设补助。",
    "三是“低成本”运行。引进第三方经营。",
    "工作人员表示,驿站还将继续扩容。",
], start=1)]


def test_list_question_over_numbered_paragraphs_lists_each_lead_sentence():
    hits = [Hit(p, 1.0 / (60 + r), r, r) for r, p in enumerate([MEASURES[2], MEASURES[0], MEASURES[1], MEASURES[3],
                                                                  MEASURES[4]], start=1)]
    answer = compose_text("沙坪坝区总工会建驿站的五项举措包括哪些？", hits)
    assert answer.text == "一是“一张图”谋划。[1]二是“差异化”补贴。[2]三是“低成本”运行。[3]"
    assert cited(answer) == ["m#p2", "m#p3", "m#p4"]
    assert [c.sentence for c in answer.citations] == ["一是“一张图”谋划。", "二是“差异化”补贴。", "三是“低成本”运行。"]


def test_keyword_only_query_is_answered():
    answer = compose_text("巫山县 新就业形态工会组织 数量", hits_for("ws"))
    assert answer.found and "41个" in answer.text


def test_chinese_numeral_quantity_needs_the_asked_noun_next_to_it():
    p = para("bj", 1, "此次活动是推进“四个提升”的举措之一,“四个提升”即工会驿站服务品质全面提升。",
             "北京丰台区总开展活动")
    refused = compose_text("北京丰台区建了多少个工会驿站？", [Hit(p, 1.0)])
    assert not refused.found
    answer = compose_text("沙坪坝区总工会有几项举措？", [Hit(MEASURES[0], 1.0)])
    assert answer.found and "五项举措" in answer.text


def test_person_question_finds_the_named_role():
    p = para("x", 1, "近日,重庆市总工会召开座谈会。重庆市总工会党组书记、副主席余季平在座谈会上讲话。", "座谈会")
    answer = compose_text("谁在重庆市总工会座谈会上讲话？", [Hit(p, 1.0)])
    assert answer.found and "余季平" in answer.text


def test_adjacent_sentences_of_one_paragraph_share_one_citation():
    p = para("w", 1, "沙坪坝区总工会为什么建驿站？为了让户外劳动者有歇脚的地方,总工会通过整合资源建设驿站。"
             "驿站提供饮水、休息、充电等服务。", "沙坪坝区总工会建驿站")
    answer = compose_text("沙坪坝区总工会如何建设驿站，提供哪些服务？", [Hit(p, 1.0)])
    assert answer.found
    assert len(answer.citations) == len(set(c.paragraph.id for c in answer.citations))
    for c in answer.citations:
        assert c.paragraph.text[c.start : c.end] == c.sentence


JX_TITLE = "江西省首届职工创新成果交流大会举行"
JX = [para("jx", 1, "近日,江西省首届职工创新成果交流大会在南昌举行。", JX_TITLE),
      para("jx", 2, "此次大会由江西省总工会主办,各设区市总工会及产业系统工会共同承办。", JX_TITLE)]


def test_organisation_question_picks_the_sentence_naming_one() -> None:
    hits = [Hit(p, 1.0 / (60 + r), r, r) for r, p in enumerate(JX, start=1)]
    answer = compose_text("江西省首届职工创新成果交流大会是由哪个单位主办的？", hits)
    assert answer.found and answer.citations[0].paragraph.id == "jx#p2"
    assert answer.short == "江西省总工会"


def test_ordinal_question_finds_the_ordinal() -> None:
    title = "产业工人文化街区揭牌"
    km = [para("km", 1, "近日,云南省昆明市盘龙区“产业工人文化街区”揭牌。", title),
          para("km", 2, "这是由盘龙区总工会、金辰街道、天祥社区联动打造的云南首个“产业工人文化街区”。", title)]
    hits = [Hit(p, 1.0 / (60 + r), r, r) for r, p in enumerate(km, start=1)]
    answer = compose_text("昆明盘龙区的“产业工人文化街区”是云南第几个这样的街区？", hits)
    assert answer.found and answer.short == "首个"


def test_a_lead_in_sentence_brings_the_run_it_introduces() -> None:
    text = ("每年9月初,总有困难职工子女向工会“娘家人”表示感谢。这源于重庆市总工会对困难职工子女开展的“链条式”帮扶。"
            "即入学时,有金秋助学金支持;在假期,工会提供社会实践岗位;毕业时,工会还可提供过渡性公益岗位。")
    p = para("cq", 17, text, "擦亮职工“幸福底色”")
    answer = compose_text("重庆市总工会对困难职工子女的“链条式”帮扶包括哪些环节？", [Hit(p, 1.0, 1, 1)])
    assert answer.found and len(answer.citations) == 1
    assert "金秋助学金支持;在假期" in answer.text and "公益岗位" in answer.text  # quoted as written
    assert all(part.endswith("]") or not part for part in re.split(r"(?<=\])", answer.text))
    citation = answer.citations[0]
    assert p.text[citation.start : citation.end].endswith("过渡性公益岗位。")


def test_organisation_short_answer_is_the_doer_of_the_asked_verb() -> None:
    hits = [Hit(p, 1.0 / (60 + r), r, r) for r, p in enumerate(JX, start=1)]
    answer = compose_text("江西省首届职工创新成果交流大会由谁承办？", hits)
    assert answer.found and answer.short == "产业系统工会"  # not 江西省总工会, which 主办


def test_short_answer_takes_the_quantity_of_the_asked_noun_phrase() -> None:
    from qa.answer.forms import short_answer

    q = analyze_question("云阳县总工会配齐配强的兼职干部有多少名？")
    assert short_answer(q, "配齐配强专职干部531名,兼职干部2574名。", ComposerConfig()) == "2574名"
    q = analyze_question("五年多来全国最美的服务站有几个？")
    sentence = "累计建成户外劳动者服务站2340个,其中全国最美工会户外劳动者服务站60个。"
    assert short_answer(q, sentence, ComposerConfig()) == "60个"


def test_a_deputy_does_not_answer_who_holds_the_role():
    deputy = [Hit(para("km", 4, "据昆明市总工会副主席李祥介绍，文化街区丰富了工会活动。", "昆明打造产业工人文化街区"),
                  0.1, 1, 1)]
    refused = compose_text("昆明市总工会主席是谁？", deputy)
    assert not refused.found and any("主席" in note for note in refused.notes)
    assert "李祥" in compose_text("昆明市总工会副主席是谁？", deputy).text
