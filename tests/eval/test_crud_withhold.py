"""eval/crud_withhold.py (near-miss questions made from a CRUD-style archive) and the cross-set folds of
eval/train_scorer.py that keep a withheld question with its answerable twin."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import eval_script

withhold_mod = eval_script("crud_withhold")
train_scorer = eval_script("train_scorer")

ITEMS = [
    {"id": "a", "title": "", "text": "哈尔斯的股东户数增加了1054户，户均持股市值为16.18万元。"},
    {"id": "b", "title": "", "text": "英威腾的股东户数增加了5322户，户均持股市值为6.73万元。"},
    {"id": "c", "title": "", "text": "哈尔斯股东户数增加1054户，户均持股市值16.18万元（重发）。"},
    {"id": "d", "title": "", "text": "中国算力大会在银川开幕，联想集团发布两款服务器。"},
]


def _q(qid: str, question: str, answer: str, docs: list[str]) -> dict:
    return {"id": qid, "question": question, "groups": [[answer]], "doc_ids": docs, "type": "crud1doc"}


QUESTIONS = [
    _q("q1", "英威腾的户均持股市值是多少？", "6.73万元", ["b"]),
    _q("q2", "哈尔斯的户均持股市值是多少？", "16.18万元", ["a"]),  # c is a rerun the file does not list
    _q("q3", "联想集团在哪个会议上发布了服务器？", "中国算力大会", ["d"]),
    _q("q4", "哈尔斯的股东户数增加了多少户？", "1054户", ["a", "c"]),
]


def test_withheld_questions_are_unanswerable_and_their_items_gone():
    remaining, out, counts = withhold_mod.withhold(ITEMS, QUESTIONS, share=0.25, seed=0)
    drawn = {q["id"] for q in QUESTIONS if all(d not in {i["id"] for i in remaining} for d in q["doc_ids"])}
    assert counts["items removed"] == len(ITEMS) - len(remaining) > 0
    by_id = {q["id"]: q for q in out}
    for q in QUESTIONS:
        gone = [d not in {i["id"] for i in remaining} for d in q["doc_ids"]]
        if not any(gone):
            assert by_id[q["id"]] == q  # untouched, still answerable
        elif q["id"] in by_id:
            assert all(gone) and by_id[q["id"]]["answerable"] is False
    assert drawn  # the draw withheld something
    assert counts["questions drawn"] == 1
    assert sum(counts[k] for k in counts if k not in ("items removed", "questions drawn")) == len(QUESTIONS)


def test_a_question_whose_answer_a_remaining_rerun_gives_is_dropped_not_withheld():
    assert withhold_mod._still_answered("哈尔斯的户均持股市值是多少？", [["16.18万元"]],
                                        [withhold_mod.match_key(ITEMS[2]["text"])])
    # a rerun that words the question's facts otherwise still answers it
    reworded = withhold_mod.match_key("据报道，哈尔斯本期户均持有的股票市值达16.18万元。")
    assert withhold_mod._still_answered("哈尔斯的户均持股市值是多少？", [["16.18万元"]], [reworded])
    # … near the answer or, for half the question's words, anywhere in the item: a few of them far from the answer
    # belong to another story of the same item
    far = "哈尔斯公告持股。" + "另" * 200 + "某市财政拨款16.18万元。"
    key = withhold_mod.match_key
    assert not withhold_mod._still_answered("哈尔斯的户均持股市值是多少？", [["16.18万元"]], [key(far)])
    named_early = "哈尔斯户均持股市值公布。" + "另" * 200 + "为16.18万元。"
    assert withhold_mod._still_answered("哈尔斯的户均持股市值是多少？", [["16.18万元"]],
                                        [withhold_mod.match_key(named_early)])
    # a number is not found inside a longer one
    assert not withhold_mod._still_answered("锂电池出口增长了多少？", [["3%"]],
                                            [withhold_mod.match_key("锂电池出口增长13%。")])
    assert withhold_mod._still_answered("锂电池出口增长了多少？", [["3%"]], [key("锂电池出口增长3%。")])
    assert not withhold_mod._still_answered("锂电池出口增长了多少？", [["2.7"]], [key("锂电池出口增长2.71倍。")])
    assert withhold_mod._still_answered("锂电池出口增长了多少？", [["2.7"]], [key("锂电池出口增长2.7。")])  # 。→ "."
    # the answer string alone, in an unrelated item, does not count as the story
    assert not withhold_mod._still_answered("哈尔斯的户均持股市值是多少？", [["万元"]],
                                            [withhold_mod.match_key("某市财政拨款300万元。")])
    checked = 0
    for seed in range(20):  # while the rerun c remains, q2 (whose listed item is a) is never marked unanswerable
        remaining, out, _ = withhold_mod.withhold(ITEMS, QUESTIONS, share=0.25, seed=seed)
        if "c" in {i["id"] for i in remaining} and "a" not in {i["id"] for i in remaining}:
            checked += 1
            assert all(q.get("answerable", True) for q in out if q["id"] == "q2")
    assert checked


@pytest.mark.parametrize("name", ["news.jsonl.gz", "news.jsonl"])
def test_the_script_writes_the_archive_under_its_own_name_and_the_questions(tmp_path, name):
    corpus = tmp_path / name
    with (gzip.open if name.endswith(".gz") else open)(corpus, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(it, ensure_ascii=False) + "\n" for it in ITEMS)
    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8")
    out = tmp_path / "out"
    args = ["--corpus", str(corpus), "--questions", str(questions), "--out", str(out)]
    with pytest.raises(SystemExit):
        withhold_mod.main([*args, "--share", "1.5"])
    assert withhold_mod.main([*args, "--share", "0.5"]) == 0
    with (gzip.open if name.endswith(".gz") else open)(out / "news" / name, "rt", encoding="utf-8") as f:
        kept = {json.loads(line)["id"] for line in f}
    written = [json.loads(line) for line in (out / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    negatives = [json.loads(line) for line in (out / "unanswerable.jsonl").read_text(encoding="utf-8").splitlines()]
    assert kept < {it["id"] for it in ITEMS}
    assert negatives and negatives == [q for q in written if q.get("answerable") is False]
    for q in written:  # an unanswerable question lost all its items; an answerable one kept them all
        assert (set(q["doc_ids"]) <= kept) is q.get("answerable", True)


def test_folds_keep_questions_that_share_an_article_together_across_sets():
    own = [{"id": f"a{i}", "docs": [f"own{i}"]} for i in range(12)]
    crud = [{"id": f"q{i}", "docs": [f"d{i}", f"d{i + 1}"]} for i in range(0, 40, 2)]
    withheld = [{"id": f"q{i}", "docs": [f"d{i + 1}"]} for i in range(0, 40, 6)]  # some of them again, withheld
    got = train_scorer.set_folds({"own": own, "crud": crud, "withheld": withheld})
    # a set that shares no article keeps the folds it has alone (earlier cross-validated numbers stay valid)
    assert got["own"] == train_scorer.folds(own) and got["crud"] == train_scorer.folds(crud)
    fold = dict(zip([q["id"] for q in crud], got["crud"], strict=True))
    assert [fold[q["id"]] for q in withheld] == got["withheld"]
    assert len(set(got["crud"])) == train_scorer.FOLDS
    # within a later set, questions that share an article stay together, even when only one of them has an article
    # an earlier set has
    later = [{"id": "x0", "docs": ["d1", "new1"]}, {"id": "x1", "docs": ["new1"]}, {"id": "x2", "docs": ["new2"]}]
    for seed_set in ({"crud": crud, "later": later}, {"crud": crud, "later": later[::-1]}):
        got = train_scorer.set_folds(seed_set)
        fold = dict(zip([q["id"] for q in seed_set["later"]], got["later"], strict=True))
        assert fold["x0"] == fold["x1"] == got["crud"][0]  # q0 has d1
