"""CRUD-style news questions: the groups rule, relevance by document id, the loader, and `qa eval --crud` end to end
over the hand-made fixture in tests/eval/crud/ (hashing embedder, no real model)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.eval.crud import failure_kind, format_crud, load_crud, unindexed
from qa.eval.metrics import answer_correct, article_of, in_docs
from qa.eval.runner import EvalItem, build_result, score_answer
from qa.schema import Answer, Citation, Hit, Paragraph

FIXTURE = Path(__file__).parent / "crud"


def para(pid: str, text: str) -> Paragraph:
    aid, _, n = pid.partition("#p")
    return Paragraph(pid, aid, int(n), text, "")


def item(**kw: object) -> EvalItem:
    base = {"id": "c2", "question": "这两次台风主要影响了哪些地区？", "answerable": True,
            "answers": (("黄淮、华北及东北等地区",),), "evidence": "", "type": "crud2doc",
            "doc_ids": ("crud-000002", "crud-000003"), "form": "list"}
    return EvalItem(**(base | kw))  # type: ignore[arg-type]


def test_groups_rule_every_group_one_alternative():
    groups = [["2023年1月24日", "1月24日"], ["中国大陆"]]
    assert answer_correct("暴雪游戏于1月24日在中国大陆终止运营[1]", groups)
    assert not answer_correct("暴雪游戏于1月24日终止运营[1]", groups)  # the second group is missing
    assert not answer_correct("黄淮、华北等地区", [["黄淮、华北及东北等地区"]])  # a list counts only as written
    assert answer_correct("黄淮、华北及东北等地区[1][2]", [["黄淮、华北及东北等地区"]])  # markers are ignored


def test_article_of_a_paragraph_id():
    assert article_of("crud-000002#p3") == "crud-000002"
    assert article_of("a#b#p12") == "a#b"
    assert article_of("crud-000002") == "crud-000002"  # no paragraph part: its own article
    assert article_of("x#pa") == "x#pa"  # "#p" without a number is part of the id
    assert in_docs("crud-000003#p1", ("crud-000002", "crud-000003"))
    assert not in_docs("crud-000004#p1", ("crud-000002", "crud-000003"))


def test_hit_at_k_and_citations_by_document_id():
    wrong = para("crud-000004#p1", "暴雪游戏于2023年1月24日在中国大陆终止运营。")
    other = para("crud-000003#p2", "多地启动防汛应急响应。")  # a gold item's paragraph without the answer
    right = para("crud-000002#p1", "两次台风主要影响黄淮、华北及东北等地区。")
    hits = tuple(Hit(p, 1.0) for p in (wrong, other, right))
    answer = Answer("q", "两次台风主要影响黄淮、华北及东北等地区。[1][2]", True,
                    (Citation(1, right, 0, 5), Citation(2, wrong, 0, 5)), hits)
    s = score_answer(item(), answer, 10.0).scores
    assert (s["hit@1"], s["hit@5"], s["mrr@10"]) == (0.0, 1.0, 0.5)  # the gold item's paragraph at rank 2
    assert s["accuracy"] == 1.0 and s["citation_recall"] == 1.0
    assert s["citation_precision"] == 0.5  # crud-000004 is neither a gold item nor holds the answer
    refused = score_answer(item(), Answer("q", "没有找到", False, (), hits[:1]), 10.0)
    assert refused.scores["hit@5"] == 0.0 and refused.scores["false_refusal_rate"] == 1.0
    assert refused.form == "list" and not refused.correct


def test_wrong_answers_are_told_apart_by_where_they_went_wrong():
    wrong = para("crud-000004#p1", "暴雪游戏于2023年1月24日在中国大陆终止运营。")
    other = para("crud-000003#p2", "多地启动防汛应急响应。")  # a gold item's paragraph without the answer
    right = para("crud-000002#p1", "两次台风主要影响黄淮、华北及东北等地区。")

    def kind(cited: Paragraph, hits: tuple[Paragraph, ...], found: bool = True) -> str:
        answer = Answer("q", cited.text + "[1]", found, (Citation(1, cited, 0, 5),) if found else (),
                        tuple(Hit(p, 1.0) for p in hits))
        return failure_kind(score_answer(item(), answer, 10.0))

    assert kind(right, (right,)) == ""  # right
    assert kind(other, (other, wrong)) == "right item, wrong sentence"
    assert kind(wrong, (wrong, right)) == "wrong item, right one in top 10"
    assert kind(wrong, (wrong,)) == "right item not in top 10"
    assert kind(right, (right,), found=False) == "refused"
    failed = score_answer(item(), Answer("q", "出错了", False, (), ()), 10.0, error="RuntimeError: boom")
    assert failure_kind(failed) == "error"  # a crash is not counted as a refusal
    unanswerable = score_answer(item(answerable=False, answers=()), Answer("q", wrong.text, True), 10.0)
    assert failure_kind(unanswerable) == ""  # (answered where it should refuse: counted by refusal accuracy)


def test_load_crud_reads_groups_doc_ids_and_the_detected_form():
    items = load_crud(FIXTURE / "questions.jsonl")
    assert [i.id for i in items] == ["c1", "c2", "c3", "c4"]
    assert items[2].answers == (("2023年1月24日", "1月24日"),) and items[1].doc_ids == ("crud-000002", "crud-000003")
    assert [i.form for i in items] == ["person", "list", "date", "number"]
    assert [i.type for i in items] == ["crud1doc", "crud2doc", "crud3doc", "crud1doc"]
    assert unindexed(items, ["crud-000001", "crud-000003", "crud-000005"]) == ["c3"]


@pytest.mark.parametrize("row, message", [
    ({"id": "x", "question": "问？"}, "missing field"),
    ({"id": "x", "question": "问？", "groups": [], "doc_ids": ["a"], "type": "crud1doc"}, "needs answer groups"),
    ({"id": "x", "question": "问？", "groups": [["甲"]], "doc_ids": [], "type": "crud1doc"}, "doc_ids"),
])
def test_load_crud_rejects_bad_rows_with_line_number(tmp_path: Path, row: dict, message: str):
    path = tmp_path / "bad.jsonl"
    good = (FIXTURE / "questions.jsonl").read_text(encoding="utf-8").splitlines()[0]
    path.write_text(good + "\n" + json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(QAError, match=f"line 2.*{message}"):
        load_crud(path)


def test_format_crud_tables_by_type_and_form():
    right = Answer("q", "黄淮、华北及东北等地区[1]", True, (), (), latency_ms=20.0)
    records = {"a": (score_answer(item(), right, 20.0), score_answer(item(id="c5", type="crud1doc", form="date"),
                                                                     Answer("q", "没有找到", False), 40.0))}
    text = format_crud(build_result(records, 2), "title")
    assert text.startswith("title\n")
    assert "| a | 0.000 | 0.000 | 0.000 | 0.500 | 0.500 | 30 |" in text  # no hits; one right, one refused
    assert "| crud2doc | 1 | 1.000 |" in text and "| crud1doc | 1 | 0.000 |" in text
    assert "Accuracy by asked form:" in text and "| list | 1 | 1.000 |" in text
    assert "| refused | 1 (0.500) |" in text and "| right item not in top 10 | 0 (0.000) |" in text


def test_format_crud_counts_what_was_done_with_unanswerable_questions():
    withheld = item(answerable=False)  # its items were withheld from the archive
    said = para("crud-000009#p1", "另一篇报道说，台风主要影响黄淮、华北及东北等地区。")
    wrong = para("crud-000004#p1", "台风主要影响华东和华南沿海地区。")

    def answered(p: Paragraph) -> Answer:
        return Answer("q", p.text + "[1]", True, (Citation(1, p, 0, 5),), (Hit(p, 1.0),))

    records = {"a": (score_answer(withheld, Answer("q", "没有找到", False), 10.0),
                     score_answer(withheld, answered(said), 10.0), score_answer(withheld, answered(wrong), 10.0),
                     score_answer(withheld, Answer("q", "出错了", False), 10.0, error="RuntimeError: boom"),
                     score_answer(item(), answered(wrong), 10.0))}
    text = format_crud(build_result(records, 2), "title")
    unanswerable = text[text.index("Unanswerable questions (4;"):]
    for did in ("refused", "answer contains the withheld answer", "answered wrongly", "error"):
        assert f"| {did} | 1 (0.250) |" in unanswerable
    assert "over the 1 answerable questions" in text
    assert "| a | 0.000 | 0.000 | 0.000 | 0.000 | 0.000 |" in text  # accuracy and refusal rate of the answerable one
    assert "| right item not in top 10 | 1 (1.000) |" in text  # a share of the answerable questions
    only_answerable = format_crud(build_result({"a": records["a"][-1:]}, 2), "title")
    assert "Unanswerable questions" not in only_answerable


def test_qa_eval_crud_writes_its_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from qa.cli import main

    corpus = shutil.copytree(FIXTURE / "news", tmp_path / "news")
    index = ["--index", str(tmp_path / "index"), "-q"]
    assert main(["index", "--corpus", str(corpus), "--model", "hashing", *index]) == 0
    report = tmp_path / "report"
    assert main(["eval", "--crud", str(FIXTURE / "questions.jsonl"), "--report", str(report), *index]) == 0
    out = capsys.readouterr().out
    assert "| plain-rrf |" in out and "Accuracy by asked form:" in out
    data = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert data["systems"] == ["hybrid", "plain-bm25", "plain-dense", "plain-rrf"]
    assert set(data["by_type"]["hybrid"]) == {"crud1doc", "crud2doc", "crud3doc"}
    assert set(data["by_form"]["plain-bm25"]) == {"person", "list", "date", "number"}
    assert data["summary"]["plain-bm25"]["hit@1"] == 1.0  # four distinct stories: keywords find each one
    assert data["summary"]["plain-bm25"]["accuracy"] == 1.0  # and the best-overlap sentence holds each answer
    assert data["note"] == ""
    assert (report / "crud.md").read_text(encoding="utf-8").startswith("CRUD news questions: 4 from questions.jsonl")
    assert "## By asked form" in (report / "report.md").read_text(encoding="utf-8")

    # an index of another archive: every question flagged; unknown systems are refused by name
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.jsonl").write_text(json.dumps({"id": "zz", "text": "无关的新闻。"}, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    other_index = ["--index", str(tmp_path / "other-index"), "-q"]
    assert main(["index", "--corpus", str(other), "--model", "hashing", *other_index]) == 0
    args = ["eval", "--crud", str(FIXTURE / "questions.jsonl"), "--report", str(tmp_path / "r2"), *other_index]
    assert main([*args, "--systems", "plain-bm25"]) == 0
    assert json.loads((tmp_path / "r2" / "report.json").read_text(encoding="utf-8"))["note"].startswith("4 of 4")
    assert main([*args, "--systems", "hybrid,bm25x"]) == 2
    assert "unknown system(s) bm25x" in capsys.readouterr().err
