"""Near-miss questions on a foreign archive: withhold the source items of some CRUD questions and ask them anyway.

A CRUD-style archive answers every question it comes with; whether the product refuses when the story is missing
(`没有找到`, not a neighbouring story's sentence) cannot be measured on it. This script draws a seeded share of the
questions, removes their `doc_ids` items from the archive and writes

- `<out>/news/<the archive's file name>`: the archive without those items (`qa index --corpus <out>/news`),
- `<out>/questions.jsonl`: the withheld questions as unanswerable (`answerable: false`, groups kept for the record)
  and the questions whose items all remain, unchanged; `<out>/unanswerable.jsonl` the withheld ones alone (a set of
  negatives for `eval/train_scorer.py --set`).

A withheld question whose answer still stands in a remaining item beside the question's words (one item holds an
alternative of every group, and within 150 characters of them a quarter of the question's character pairs, or half
of them anywhere: most likely a rerun of the story the question file does not list) is dropped, as is a question
that lost only some of its items; the rest should be refused (`qa eval --crud` counts apart an answer that contains
the withheld answer all the same). The archive keeps its file name (an item without a title takes it as title, and
so as its chunks' context), so an index directory that starts with a copy of the full archive's `embeddings.sqlite`
and `tokens.sqlite` embeds nothing and builds in seconds:

    python eval/crud_withhold.py --corpus ARCHIVE.jsonl.gz --questions questions_dev.jsonl --out DIR
    mkdir DIR/index && cp ARCHIVE_INDEX/embeddings.sqlite ARCHIVE_INDEX/tokens.sqlite DIR/index/
    qa index --corpus DIR/news --index DIR/index
    qa eval --crud DIR/questions.jsonl --index DIR/index --report DIR/report
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crud_slice import read_jsonl, write_jsonl  # noqa: E402

from qa.eval.metrics import match_key  # noqa: E402

# a remaining item still answers a withheld question when it holds every answer group and the question's words: within
# WINDOW characters of the answers NEAR_OVERLAP of the question's character pairs, or anywhere in it ITEM_OVERLAP.
# Chosen loose on purpose, from reruns found by reading (reworded ones at 0.27-0.44 near the answer; a show named 100
# characters before it): a question dropped costs the set one near-miss, one kept wrongly credits a refusal
NEAR_OVERLAP = 0.25
ITEM_OVERLAP = 0.5
WINDOW = 150


def withhold(items: list[dict], questions: list[dict], share: float, seed: int) -> tuple[list[dict], list[dict], dict]:
    """(remaining items, questions with the withheld ones unanswerable, counts). A share of the questions is drawn and
    their items removed; every other question that shares one of those items loses it too (news items carry several
    questions each, so far more questions are touched than drawn), and is withheld or dropped, never half-kept."""
    rng = random.Random(seed)
    drawn = rng.sample(range(len(questions)), round(share * len(questions)))
    removed = {d for i in drawn for d in questions[i]["doc_ids"]}
    remaining = [it for it in items if it["id"] not in removed]
    texts = [match_key(f"{it.get('title', '')}{it['text']}") for it in remaining]
    out, counts = [], {"questions drawn": len(drawn), "withheld": 0, "kept answerable": 0,
                       "dropped: answer still in the archive": 0, "dropped: only some items withheld": 0}
    for q in questions:
        gone = [d in removed for d in q["doc_ids"]]
        if not any(gone):
            out.append(q)
            counts["kept answerable"] += 1
        elif not all(gone):
            counts["dropped: only some items withheld"] += 1
        elif _still_answered(q["question"], q["groups"], texts):
            counts["dropped: answer still in the archive"] += 1
        else:
            out.append({**q, "answerable": False})
            counts["withheld"] += 1
    counts["items removed"] = len(items) - len(remaining)
    return remaining, out, counts


def _still_answered(question: str, groups: list[list[str]], texts: list[str]) -> bool:
    """True when one text holds an alternative of every group (a number not inside a longer one: 3% is not in 13%)
    and, within WINDOW characters of those answers, NEAR_OVERLAP of the question's character pairs, or ITEM_OVERLAP of
    them anywhere: a rerun that words the question's facts otherwise still counts."""
    patterns = [[_answer_pattern(match_key(a)) for a in g if match_key(a)] for g in groups]
    pairs = _pairs(question)
    for t in texts:
        found = [[m.span() for p in g for m in p.finditer(t)] for g in patterns]
        if not patterns or not all(found):
            continue
        near = set().union(*(_pairs(t[max(0, a - WINDOW) : b + WINDOW]) for g in found for a, b in g))
        if len(pairs & near) >= NEAR_OVERLAP * len(pairs) or len(pairs & _pairs(t)) >= ITEM_OVERLAP * len(pairs):
            return True
    return False


def _answer_pattern(answer: str) -> re.Pattern[str]:
    """The answer as a pattern; one that starts or ends with a digit must not continue a longer number there."""
    head = r"(?<!\d)(?<!\d\.)" if answer[0].isdigit() else ""  # not 13% for 3%, nor 2.35 for 35
    tail = r"(?!\.?\d)" if answer[-1].isdigit() else ""  # not 2.71 for 2.7; a full stop after it is fine
    return re.compile(head + re.escape(answer) + tail)


def _pairs(text: str) -> set[str]:
    key = match_key(text)
    return {key[i : i + 2] for i in range(len(key) - 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, required=True, help="the archive, JSONL or JSONL.gz with id/title/text")
    p.add_argument("--questions", type=Path, required=True, help="CRUD-style questions with groups and doc_ids")
    p.add_argument("--out", type=Path, required=True, help="folder for news/ and questions.jsonl (must not exist)")
    p.add_argument("--share", type=float, default=0.1,
                   help="share of the questions drawn (default 0.1); the questions that share their items are "
                        "touched too, so several times as many end up withheld or dropped")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.out.exists():
        p.error(f"{args.out} exists; give a new folder")
    if not 0 < args.share <= 1:
        p.error("--share is a fraction of the questions, above 0 and at most 1")
    remaining, out, counts = withhold(read_jsonl(args.corpus), read_jsonl(args.questions), args.share, args.seed)
    # the archive's own file name: an item without a title takes it as title, and so as its chunks' context
    write_jsonl(args.out / "news" / args.corpus.name, remaining)
    write_jsonl(args.out / "questions.jsonl", out)
    write_jsonl(args.out / "unanswerable.jsonl", [q for q in out if q.get("answerable") is False])
    print(json.dumps(counts, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
