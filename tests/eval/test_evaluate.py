"""The evaluation runner and the report, driven by two hand-made systems whose scores are computed by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.eval.report import format_summary, load_report, write_report
from qa.eval.runner import EvalItem, load_dataset, run_eval
from qa.schema import Answer, Citation, Hit, Paragraph

P1 = Paragraph("spb#p1", "spb", 1, "近年来,沙坪坝区总工会建成工会驿站174个。", "沙坪坝区总工会建驿站")
P2 = Paragraph("ws#p1", "ws", 1, "目前,巫山县已建立各类新就业形态工会组织41个,发展会员4896人。", "巫山县建会入会")
P3 = Paragraph("ws#p2", "ws", 2, "建成26处工会户外劳动者“港湾”。", "巫山县建会入会")
P4 = Paragraph("spb#p2", "spb", 2, "优选24个驿站升级改造,增加智能门禁等功能。", "沙坪坝区总工会建驿站")
REFUSAL = "资料中没有找到答案。"

ROWS = [
    {"id": "q1", "question": "沙坪坝区建成了多少个工会驿站？", "history": [], "answerable": True,
     "answers": [["174个", "174"]], "evidence": "建成工会驿站174个", "type": "number"},
    {"id": "q2", "question": "发展了多少会员？建了多少组织？", "answerable": True, "type": "followup",
     "history": [{"role": "user", "content": "巫山县新就业形态工会建设情况如何？"}],
     "answers": [["4896人"], ["41个"]], "evidence": "工会组织41个，发展会员4896人"},  # full-width comma on purpose
    {"id": "q3", "question": "沙坪坝区工会驿站的年度预算是多少？", "history": [], "answerable": False,
     "answers": [], "evidence": "", "type": "unanswerable"},
]


def cite(n: int, p: Paragraph) -> Citation:
    return Citation(n, p, 0, len(p.text))


def hits(*paragraphs: Paragraph) -> tuple[Hit, ...]:
    return tuple(Hit(p, 1.0 / i) for i, p in enumerate(paragraphs, start=1))


def perfect(question: str, history: list) -> Answer:
    """Right answers; q1 cites one good and one unrelated paragraph; q2 ranks the evidence second."""
    if question.startswith("沙坪坝区建成"):
        return Answer(question, "174个[1]", True, (cite(1, P1), cite(2, P4)), hits(P1, P4, P3), latency_ms=100.0)
    if question.startswith("发展了"):
        assert history == [{"role": "user", "content": "巫山县新就业形态工会建设情况如何？"}]
        return Answer(question, "41个，4896人[1]", True, (cite(1, P2),), hits(P3, P2, P1), "巫山县发展了多少会员？",
                      latency_ms=200.0)
    return Answer(question, REFUSAL, False, (), hits(P4), latency_ms=300.0)


def refuse(question: str, history: list) -> Answer:
    """Always refuses; always retrieves P3, P4, P1, P2 (q1's evidence at rank 3, q2's at rank 4)."""
    return Answer(question, REFUSAL, False, (), hits(P3, P4, P1, P2))


@pytest.fixture
def items(tmp_path: Path) -> list[EvalItem]:
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS) + "\n", encoding="utf-8")
    return load_dataset(path)


def test_load_dataset_reads_groups_and_history(items: list[EvalItem]):
    assert [i.id for i in items] == ["q1", "q2", "q3"]
    assert items[1].answers == (("4896人",), ("41个",))
    assert items[1].history[0]["content"].startswith("巫山县")
    assert not items[2].answerable and items[2].answers == ()


@pytest.mark.parametrize("row, message", [
    ({"id": "x", "question": "问？"}, "missing field"),
    ({**ROWS[0], "evidence": ""}, "needs answer groups and evidence"),
    ({**ROWS[0], "answers": []}, "needs answer groups and evidence"),
])
def test_load_dataset_rejects_bad_rows_with_line_number(tmp_path: Path, row: dict, message: str):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[2], ensure_ascii=False) + "\n" + json.dumps(row, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    with pytest.raises(QAError, match=f"line 2.*{message}"):
        load_dataset(path)


def test_load_dataset_rejects_duplicate_ids(tmp_path: Path):
    path = tmp_path / "dup.jsonl"
    path.write_text((json.dumps(ROWS[0], ensure_ascii=False) + "\n") * 2, encoding="utf-8")
    with pytest.raises(QAError, match="duplicate id 'q1'"):
        load_dataset(path)


def test_run_eval_aggregates_by_hand(items: list[EvalItem]):
    result = run_eval(items, {"hybrid": perfect, "bm25": refuse}, progress=False)
    assert result.systems == ("hybrid", "bm25") and result.n_items == 3
    s = result.summary["hybrid"]
    # retrieval over q1 (evidence at rank 1) and q2 (rank 2; its full-width comma still matches P2's ASCII comma)
    assert s["hit@1"] == 0.5 and s["hit@5"] == 1.0 and s["hit@10"] == 1.0
    assert s["mrr@10"] == pytest.approx((1 + 1 / 2) / 2)
    assert s["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3)) / 2)  # q2: 1/log2(3) = 0.63093 -> mean 0.81546
    assert s["accuracy"] == 1.0
    # q1 "174个" EM 1 F1 1; q2 "41个，4896人" vs groups [4896人], [41个]: EM 0 each; F1: 4 segments, LCS 2 -> 2/3 each
    assert s["em"] == pytest.approx(0.5)
    assert s["f1"] == pytest.approx((1 + 2 / 3) / 2)
    assert s["citation_recall"] == 1.0
    assert s["citation_precision"] == pytest.approx((1 / 2 + 1) / 2)  # q1: P4 holds neither evidence nor answer
    assert s["refusal_accuracy"] == 1.0 and s["false_refusal_rate"] == 0.0 and s["overall_accuracy"] == 1.0
    assert s["latency_p50_ms"] == 200.0
    assert s["latency_p95_ms"] == pytest.approx(290.0)  # position 2 * 0.95 = 1.9 -> 200 + 0.9 * 100
    assert (s["n"], s["n_answerable"], s["errors"]) == (3, 2, 0)

    r = result.summary["bm25"]
    assert r["hit@1"] == 0.0 and r["hit@5"] == 1.0
    assert r["mrr@10"] == pytest.approx((1 / 3 + 1 / 4) / 2)
    assert r["ndcg@10"] == pytest.approx((0.5 + 1 / math.log2(5)) / 2)  # ranks 3 and 4
    assert r["accuracy"] == 0.0 and r["em"] == 0.0 and r["f1"] == 0.0
    assert r["citation_recall"] is None and r["citation_precision"] is None  # never answered
    assert r["refusal_accuracy"] == 1.0 and r["false_refusal_rate"] == 1.0
    assert r["overall_accuracy"] == pytest.approx(1 / 3)
    assert r["latency_p50_ms"] > 0  # no latency in the Answer: the wall time of the call is used


def test_run_eval_breakdowns_and_failures(items: list[EvalItem]):
    result = run_eval(items, {"hybrid": perfect, "bm25": refuse}, progress=False)
    by_type = result.by_type["hybrid"]
    assert set(by_type) == {"number", "followup", "unanswerable"}
    assert by_type["followup"]["hit@1"] == 0.0 and by_type["number"]["hit@1"] == 1.0
    assert by_type["unanswerable"]["hit@1"] is None and by_type["unanswerable"]["refusal_accuracy"] == 1.0
    assert result.failures("hybrid") == []
    failed = result.failures("bm25")
    assert [f.id for f in failed] == ["q1", "q2"]
    assert failed[0].expected == (("174个", "174"),) and failed[0].answer == REFUSAL and not failed[0].found
    assert [pid for pid, _ in failed[0].top] == ["ws#p2", "spb#p2", "spb#p1"]
    assert result.records["hybrid"][1].resolved_question == "巫山县发展了多少会员？"


def test_run_eval_records_a_failing_system_and_goes_on(items: list[EvalItem]):
    def flaky(question: str, history: list) -> Answer:
        if history:
            raise RuntimeError("index went away")
        return perfect(question, history)

    result = run_eval(items, {"flaky": flaky}, progress=False)
    rec = result.records["flaky"][1]
    assert rec.error == "RuntimeError: index went away" and not rec.found and not rec.correct
    assert result.summary["flaky"]["errors"] == 1
    assert result.summary["flaky"]["false_refusal_rate"] == 0.5


def second_hybrid(question: str, history: list) -> Answer:
    """Like `perfect` but answers q1 wrongly."""
    answer = perfect(question, history)
    if question.startswith("沙坪坝区建成"):
        return Answer(question, "24个[1]", True, (cite(1, P4),), answer.hits)
    return answer


def second_bm25(question: str, history: list) -> Answer:
    """Now answers q1 right, and loses q2's evidence from its hits."""
    if question.startswith("沙坪坝区建成"):
        return Answer(question, "沙坪坝区建成工会驿站174个。[1]", True, (cite(1, P1),), hits(P1), latency_ms=5.0)
    return Answer(question, REFUSAL, False, (), hits(P3, P4), latency_ms=5.0)


def test_write_report_twice_lists_deltas_and_regressions(items: list[EvalItem], tmp_path: Path):
    first = run_eval(items, {"hybrid": perfect, "bm25": refuse}, progress=False, note="answer columns use a stub")
    md = write_report(first, tmp_path / "r1")
    text = md.read_text(encoding="utf-8")
    assert text.splitlines()[2] == "> **Note:** answer columns use a stub"
    assert "| hybrid | 0.500 | 1.000 | 1.000 | 0.750 |" in text
    assert "### bm25: 2 of 3" in text and "**q1** (number)" in text and "`ws#p2`" in text
    assert "### hybrid: 0 of 3" in text and "Compared with" not in text
    assert (tmp_path / "r1" / "chart.png").read_bytes()[:4] == b"\x89PNG"
    saved = load_report(tmp_path / "r1")
    assert saved["note"] == "answer columns use a stub" and len(saved["records"]["bm25"]) == 3

    second = run_eval(items, {"hybrid": second_hybrid, "bm25": second_bm25}, progress=False)
    write_report(second, tmp_path / "r2", previous=tmp_path / "r1" / "report.json")
    data = load_report(tmp_path / "r2" / "report.json")
    changes = data["comparison"]["changes"]
    assert [(e["id"], e["what"]) for e in changes["hybrid"]["regressed"]] == [("q1", "answer")]
    assert changes["hybrid"]["improved"] == []
    assert [(e["id"], e["what"]) for e in changes["bm25"]["improved"]] == [("q1", "answer")]
    assert [(e["id"], e["what"]) for e in changes["bm25"]["regressed"]] == [("q2", "hit@5")]
    assert data["comparison"]["deltas"]["hybrid"]["accuracy"] == [1.0, 0.5]
    text = (tmp_path / "r2" / "report.md").read_text(encoding="utf-8")
    assert "**hybrid**: 0 improved, 1 regressed" in text
    assert "- regressed: q1 (number, answer)" in text and "- improved: q1 (number, answer)" in text
    assert "1.000 → 0.500 (-0.500)" in text
    assert "Note:" not in text


def test_write_report_survives_an_unreadable_previous_report(items: list[EvalItem], tmp_path: Path):
    bad = tmp_path / "old.json"
    bad.write_text("{not json", encoding="utf-8")
    result = run_eval(items, {"hybrid": perfect}, progress=False)
    text = write_report(result, tmp_path / "out", previous=bad).read_text(encoding="utf-8")
    assert "No comparison: cannot read the previous report" in text
    assert load_report(tmp_path / "out")["comparison"] is None


def test_format_summary_puts_systems_side_by_side(items: list[EvalItem]):
    result = run_eval(items, {"hybrid": perfect, "bm25": refuse}, progress=False, note="trivial answers")
    lines = format_summary(result).splitlines()
    assert lines[0] == "NOTE: trivial answers"
    assert lines[1].split()[-2:] == ["hybrid", "bm25"]
    hit1 = next(line for line in lines if line.startswith("hit@1"))
    assert hit1.split()[1:] == ["0.500", "0.000"]
    cite = next(line for line in lines if line.startswith("cite R"))
    assert cite.split()[2:] == ["1.000", "–"]
