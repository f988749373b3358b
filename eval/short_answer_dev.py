"""Short-answer extraction alone, on the sentence that holds the gold answer (no retrieval, no sentence choice).

    python eval/short_answer_dev.py QUESTIONS.jsonl NEWS.jsonl[.gz]

For every CRUD-style question (`groups`, `doc_ids`) it finds the first sentence of a gold item that holds the first
answer group, and scores with CMRC F1 (a) that whole sentence, (b) the product's short answer from it
(`qa.answer.forms.short_answer`, falling back to the sentence when it is empty), per asked form. A development
measure for the extractors (tune on a dev split; CMRC dev is only scored, by `qa eval --cmrc`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.answer.config import ComposerConfig  # noqa: E402
from qa.answer.forms import short_answer  # noqa: E402
from qa.eval.metrics import cmrc_f1, match_key  # noqa: E402
from qa.index.tokens import normalize  # noqa: E402
from qa.ingest.chunk import split_sentences  # noqa: E402
from qa.query.question import analyze_question  # noqa: E402


def gold_sentence(texts: list[str], golds: list[str]) -> str:
    keys = [match_key(g) for g in golds]
    return next((normalize(s) for t in texts for s in split_sentences(t) if any(k in match_key(s) for k in keys)), "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("news", type=Path)
    args = ap.parse_args(argv)
    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    needed = {d for q in questions for d in q["doc_ids"]}
    opener = gzip.open if args.news.suffix == ".gz" else open
    with opener(args.news, "rt", encoding="utf-8") as f:
        texts = {row["id"]: row["text"] for row in map(json.loads, f) if row["id"] in needed}
    cfg = ComposerConfig()
    scores: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for item in questions:
        golds = item["groups"][0]
        sentence = gold_sentence([texts.get(d, "") for d in item["doc_ids"]], golds)
        if sentence:
            q = analyze_question(item["question"])
            short = short_answer(q, sentence, cfg) or sentence
            scores[str(q.form)].append((cmrc_f1(sentence, golds), cmrc_f1(short, golds)))
    every = [s for per in scores.values() for s in per]
    mean = sum(s for s, _ in every) / len(every), sum(s for _, s in every) / len(every)
    print(f"{len(every)} questions with a gold sentence; CMRC F1: sentence {mean[0]:.3f}, short answer {mean[1]:.3f}")
    print("| form | n | sentence | short answer |\n|---|---|---|---|")
    for form, per in sorted(scores.items(), key=lambda kv: -len(kv[1])):
        sentence, short = sum(s for s, _ in per) / len(per), sum(s for _, s in per) / len(per)
        print(f"| {form} | {len(per)} | {sentence:.3f} | {short:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
