"""Train the composer's learned sentence scorer (qa/data/sentence_scorer.json) on development questions.

    python eval/train_scorer.py --set own=eval/questions.jsonl:index --set crud=QUESTIONS.jsonl:ARCHIVE_INDEX \
        [--out qa/data/sentence_scorer.json] [--cache DIR]

Each `--set NAME=QUESTIONS:INDEX` is a question file (the own format, or CRUD-style with `groups`/`doc_ids`) and the
index it is asked of. Every question is retrieved and its candidate sentences described (`qa.answer.learned`) the way
the composer sees them; a sentence is a positive when it holds every answer group (an unanswerable question's
sentences are all negatives). A logistic regression is fitted on all sets together and written as JSON.

Before writing, it reports — per set — how often the top sentence holds the answer when ranked by the hand-set score
and by the learned one, the learned one trained *without* that set (leave-one-set-out) and by 5-fold cross-validation
within the set, so the file is kept only where it beats the hand-set weights on questions it was not trained on.
The candidate features are cached per set (`--cache`), so retraining after a change to the fitting is quick.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa.answer.learned import (  # noqa: E402
    FEATURES,
    SCORER_PATH,
    SentenceScorer,
    pool_features,
)
from qa.eval.metrics import answer_correct  # noqa: E402

log = logging.getLogger("train_scorer")
FEATURES_VERSION = f"f{len(FEATURES)}-relative"


def collect(questions: Path, index: Path) -> list[dict]:
    """Per question: its form, whether it is answerable, and each candidate sentence's features and label."""
    from qa.answer import compose
    from qa.answer.evidence import gather
    from qa.api import QA
    from qa.eval.crud import load_crud
    from qa.eval.runner import load_dataset
    from qa.query.followup import resolve_followup
    from qa.settings import Settings

    first = json.loads(questions.read_text(encoding="utf-8").splitlines()[0])
    items = load_crud(questions) if "groups" in first else load_dataset(questions)
    qa = QA.open(Settings(index_dir=index))
    cfg = qa.settings.composer
    out = []
    for n, item in enumerate(items, 1):
        text = resolve_followup(item.question, [h if isinstance(h, dict) else {"role": "user", "content": h}
                                                for h in item.history])
        r = qa.live()
        q = qa._analyze(text, r)
        xq = r.query_vector(text)
        ev = gather(q, r.search(text, qa.settings.top_k, "hybrid", xq), r.store, r.embedder, xq, cfg)
        s = compose.scored(q, ev, cfg)
        rows = [] if isinstance(s, compose.Refusal) else [
            {"f": f, "y": int(item.answerable and answer_correct(c.text, item.answers))}
            for c, f in zip(s.candidates, pool_features(q, s.pool, ev, s.cosines, s.candidates), strict=True)]
        out.append({"id": item.id, "form": str(q.form), "answerable": item.answerable, "rows": rows})
        if n % 50 == 0:
            log.info("%s: %d/%d questions", questions.name, n, len(items))
    return out


def rows(question: dict) -> list[dict]:
    """A question's candidate features (relative ones included, as `pool_features` gives them)."""
    return [r["f"] for r in question["rows"]]


def fit(questions: list[dict]) -> SentenceScorer:
    from sklearn.linear_model import LogisticRegression

    X = np.array([[f.get(n, 0.0) for n in FEATURES] for q in questions for f in rows(q)], dtype=float)
    y = np.array([r["y"] for q in questions for r in q["rows"]])
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=0.5, max_iter=2000).fit((X - mean) / scale, y)
    return SentenceScorer(FEATURES, tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0]),
                          tuple(float(v) for v in mean), tuple(float(v) for v in scale))


def top1(questions: list[dict], score) -> float:  # noqa: ANN001 - a callable over a feature dict
    """Share of answerable questions whose best-scored candidate holds the answer."""
    answerable = [q for q in questions if q["answerable"]]
    wins = 0
    for q in answerable:
        if q["rows"]:
            scores = [score(f) for f in rows(q)]
            wins += q["rows"][scores.index(max(scores))]["y"]
    return wins / len(answerable) if answerable else 0.0


def ceiling(questions: list[dict]) -> float:
    answerable = [q for q in questions if q["answerable"]]
    return sum(any(r["y"] for r in q["rows"]) for q in answerable) / len(answerable) if answerable else 0.0


def cross_validated(questions: list[dict], folds: int = 5) -> float:
    wins = 0.0
    for k in range(folds):
        train = [q for i, q in enumerate(questions) if i % folds != k]
        test = [q for i, q in enumerate(questions) if i % folds == k]
        wins += top1(test, fit(train).probability) * sum(q["answerable"] for q in test)
    return wins / max(1, sum(q["answerable"] for q in questions))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", required=True, metavar="NAME=QUESTIONS:INDEX")
    ap.add_argument("--out", type=Path, default=SCORER_PATH)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/union-qa-scorer"))
    ap.add_argument("--dry-run", action="store_true", help="report only; write no scorer file")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args.cache.mkdir(parents=True, exist_ok=True)
    sets: dict[str, list[dict]] = {}
    for spec in args.set:
        name, _, rest = spec.partition("=")
        questions, _, index = rest.rpartition(":")
        cached = args.cache / f"{name}.{FEATURES_VERSION}.json"  # a feature change must not reuse old rows
        if cached.exists():
            sets[name] = json.loads(cached.read_text())
        else:
            sets[name] = collect(Path(questions), Path(index))
            cached.write_text(json.dumps(sets[name]))
    print("| set | questions | ceiling (a candidate holds the answer) | hand-set top-1 | learned, other sets | "
          "learned, 5-fold |")
    print("|---|---|---|---|---|---|")
    for name, qs in sets.items():
        others = [q for other, oq in sets.items() if other != name for q in oq]
        held_out = f"{top1(qs, fit(others).probability):.3f}" if others else "–"
        print(f"| {name} | {len(qs)} | {ceiling(qs):.3f} | {top1(qs, lambda f: f['hand_score']):.3f} | {held_out} | "
              f"{cross_validated(qs):.3f} |")
    scorer = fit([q for qs in sets.values() for q in qs])
    ranked = sorted(zip(scorer.names, scorer.weights, strict=True), key=lambda p: -abs(p[1]))
    print("weights (standardised):", ", ".join(f"{n} {w:+.2f}" for n, w in ranked[:12]))
    if not args.dry_run:
        scorer.save(args.out, {"sets": {n: len(q) for n, q in sets.items()}})
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

