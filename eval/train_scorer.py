"""Train the composer's learned sentence scorer (qa/data/sentence_scorer.json) on development questions.

    python eval/train_scorer.py --set own=eval/questions.jsonl:index --set crud=QUESTIONS.jsonl:ARCHIVE_INDEX \
        [--weight own=5] [--out qa/data/sentence_scorer.json] [--cache DIR] [--dry-run] [--folds-out DIR]

Each `--set NAME=QUESTIONS:INDEX` is a question file (the own format, or CRUD-style with `groups`/`doc_ids`) and the
index it is asked of; `--weight NAME=W` counts that set's candidates W times (a small set beside a large one). Every
question is retrieved and its candidates described (`qa.answer.learned`) as the composer sees them before the
scorer: the `learned_top` best by the hand-set score, after the form filter. A sentence is a positive when it holds
every answer group (an unanswerable question's sentences are all negatives). Gradient-boosted trees
(scikit-learn's HistGradientBoostingClassifier) are fitted on all sets together and exported as JSON, which the
composer evaluates without scikit-learn.

Before writing, it reports per set how often the top sentence holds the answer — ranked by the hand-set score, and
by the composer's blend (score + `learned_weight` × the trees' log-odds) with trees trained *without* that set
(leave-one-set-out) and by 5-fold cross-validation (each fold scored by trees trained on the other folds and the
other sets; questions that share a source article — CRUD's `doc_ids`, the own set's evidence paragraph — stay in
one fold, across sets too: `set_folds`) — so the file is kept only where the blend
beats the hand-set score on questions it was not trained on. Candidate features are cached per set (`--cache`), so
refitting is quick.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa.answer.config import ComposerConfig  # noqa: E402
from qa.answer.learned import (  # noqa: E402
    FEATURES,
    SCORER_PATH,
    SentenceScorer,
    Tree,
    blended,
    feature_matrix,
    pool_features,
)
from qa.eval.metrics import answer_correct  # noqa: E402

log = logging.getLogger("train_scorer")
CONFIG = ComposerConfig()
FEATURES_VERSION = f"f{len(FEATURES)}-top{CONFIG.learned_top}"
FOLDS = 5
# tree settings (chosen by the 5-fold report on the own set and CRUD dev, 2026-11-29)
# (scikit-learn's default early stopping holds out 10% of the rows once there are more than 10,000: the shipped
# trees learned from 90% of the candidates and never stopped early)
TREES = {"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 40,
         "l2_regularization": 1.0, "early_stopping": "auto"}


def collect(questions: Path, index: Path) -> list[dict]:
    """Per question: its form, source articles, whether it is answerable, and its candidates' features and labels."""
    from dataclasses import replace

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
    cfg = replace(qa.settings.composer, learned_scorer="")  # the hand-set ranking the scorer re-ranks
    out = []
    for n, item in enumerate(items, 1):
        text = resolve_followup(item.question, [h if isinstance(h, dict) else {"role": "user", "content": h}
                                                for h in item.history])
        r = qa.live()
        q = qa._analyze(text, r)
        xq = r.query_vector(text)
        ev = gather(q, r.search(text, qa.settings.top_k, "hybrid", xq), r.store, r.embedder, xq, cfg)
        s = compose.scored(q, ev, cfg)
        top = [] if isinstance(s, compose.Refusal) else s.candidates[: CONFIG.learned_top]
        rows = [{"f": f, "y": int(item.answerable and answer_correct(c.text, item.answers))}
                for c, f in zip(top, pool_features(q, s.pool, ev, s.cosines, top) if top else [], strict=True)]
        out.append({"id": item.id, "docs": list(item.doc_ids) or source_article(item, r.store),
                    "form": str(q.form), "answerable": item.answerable, "rows": rows})
        if n % 50 == 0:
            log.info("%s: %d/%d questions", questions.name, n, len(items))
    return out


def source_article(item: object, store: object) -> list[str]:
    """The article holding an own-format question's evidence (questions written from one article share a fold)."""
    from qa.eval.runner import is_relevant

    if not item.evidence:
        return []
    return [next((p.article_id for p in store.paragraphs.values() if is_relevant(p.text, item.evidence)), item.id)]


def matrix(question: dict) -> np.ndarray:
    return np.array(feature_matrix([r["f"] for r in question["rows"]]), dtype=float).reshape(-1, len(FEATURES))


def fit(parts: Sequence[tuple[list[dict], float]]) -> SentenceScorer:
    """Trees fitted on every candidate of the (questions, weight) parts, exported as a SentenceScorer."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    qs = [(q, w) for questions, w in parts for q in questions if q["rows"]]
    X = np.vstack([q["X"] for q, _ in qs])
    y = np.concatenate([[r["y"] for r in q["rows"]] for q, _ in qs])
    weights = np.concatenate([np.full(len(q["rows"]), w) for q, w in qs])
    model = HistGradientBoostingClassifier(**TREES, random_state=0).fit(X, y, sample_weight=weights)
    trees = []
    for (predictor,) in model._predictors:  # binary: one tree per iteration
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append(Tree(tuple(int(i) for i in nodes["feature_idx"]), tuple(float(t) for t in nodes["num_threshold"]),
                          tuple(-1 if is_leaf else int(i) for i, is_leaf in zip(nodes["left"], leaf, strict=True)),
                          tuple(-1 if is_leaf else int(i) for i, is_leaf in zip(nodes["right"], leaf, strict=True)),
                          tuple(float(v) for v in nodes["value"])))
    scorer = SentenceScorer(FEATURES, float(model._baseline_prediction.ravel()[0]), tuple(trees))
    # the export reads scikit-learn's private tree arrays: check it against the library on a sample of rows
    sample = X[:: max(1, len(X) // 500)]
    exported = [scorer.margin(dict(zip(FEATURES, row, strict=True))) for row in sample]
    if not np.allclose(exported, model.decision_function(sample), atol=1e-9):
        raise SystemExit("the exported trees do not reproduce scikit-learn's margins: check the export in fit()")
    return scorer


def top1(questions: list[dict], rank: Callable[[dict], np.ndarray]) -> tuple[int, int]:
    """(answerable questions whose best-ranked candidate holds the answer, answerable questions)."""
    answerable = [q for q in questions if q["answerable"]]
    return sum(q["rows"][int(np.argmax(rank(q)))]["y"] for q in answerable if q["rows"]), len(answerable)


def hand(q: dict) -> np.ndarray:
    return q["X"][:, FEATURES.index("hand_score")]


def blend(scorer: SentenceScorer) -> Callable[[dict], np.ndarray]:
    """The composer's ranking: hand-set score + learned_weight × the trees' log-odds."""
    return lambda q: np.array([blended(r["f"]["hand_score"], scorer.margin(r["f"]), CONFIG) for r in q["rows"]])


def folds(questions: list[dict], k: int = FOLDS) -> list[int]:
    """Each question's fold; questions sharing a source article (`docs`) share a fold."""
    group = groups(questions)
    order = {g: i % k for i, g in enumerate(np.random.RandomState(0).permutation(sorted(set(group))))}
    return [order[g] for g in group]


def groups(questions: list[dict]) -> list[str]:
    """Each question's group: questions linked by shared source articles (`docs`) have one, else its own id."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for q in questions:
        for d in q["docs"][1:]:
            parent[root(d)] = root(q["docs"][0])
    return [root(q["docs"][0]) if q["docs"] else q["id"] for q in questions]


def set_folds(sets: dict[str, list[dict]]) -> dict[str, list[int]]:
    """Each set's folds (`folds`), except that a group of questions (`groups`) one of whose source articles a question
    of an earlier set has (a CRUD question asked again of an archive that withholds its article,
    eval/crud_withhold.py) takes that earlier question's fold, so no fold's trees have seen its twin. Should a group's
    articles lie in two folds of earlier sets, the first one found wins and its twin in the other fold is seen (not so
    for crud_withhold's questions: each keeps all of one CRUD question's articles). A set that shares no article with
    an earlier one keeps the folds it has alone."""
    out: dict[str, list[int]] = {}
    seen: dict[str, int] = {}
    for name, questions in sets.items():
        own, group = folds(questions), groups(questions)
        inherited: dict[str, int] = {}
        for q, g in zip(questions, group, strict=True):
            for d in q["docs"]:
                if d in seen:
                    inherited.setdefault(g, seen[d])
        out[name] = [inherited.get(g, f) for g, f in zip(group, own, strict=True)]
        for q, f in zip(questions, out[name], strict=True):
            for d in q["docs"]:
                seen.setdefault(d, f)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", required=True, metavar="NAME=QUESTIONS:INDEX")
    ap.add_argument("--weight", action="append", default=[], metavar="NAME=W")
    ap.add_argument("--out", type=Path, default=SCORER_PATH)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/union-qa-scorer"))
    ap.add_argument("--dry-run", action="store_true", help="report only; write no scorer file")
    ap.add_argument("--folds-out", type=Path, metavar="DIR",
                    help="also write the cross-validation trees (DIR/fold<k>.json) and each question's fold "
                         "(DIR/folds.json) for `eval/composer_sweep.py --scorer-folds DIR`")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args.cache.mkdir(parents=True, exist_ok=True)
    weight = {name: float(w) for name, _, w in (spec.partition("=") for spec in args.weight)}
    unknown = set(weight) - {spec.partition("=")[0] for spec in args.set}
    if unknown:
        ap.error(f"--weight names no --set: {', '.join(sorted(unknown))}")
    sets: dict[str, list[dict]] = {}
    for spec in args.set:
        name, _, rest = spec.partition("=")
        questions, _, index = rest.rpartition(":")
        # a feature change must not reuse old rows (a change to the hand-set score or the questions wants a new --cache)
        cached = args.cache / f"{name}.{FEATURES_VERSION}.json"
        if cached.exists():
            sets[name] = json.loads(cached.read_text())
        else:
            sets[name] = collect(Path(questions), Path(index))
            cached.write_text(json.dumps(sets[name]))
        for q in sets[name]:
            q["X"] = matrix(q)
    print(f"top-1 candidate holds the answer (learned_weight {CONFIG.learned_weight}, the {CONFIG.learned_top} best "
          "hand-set candidates re-ranked):\n")
    print("| set | questions | ceiling (a candidate holds it) | hand-set | blend, trained on other sets | "
          f"blend, {FOLDS}-fold |")
    print("|---|---|---|---|---|---|")
    fold_of = set_folds(sets)
    fold_models = [fit([([q for q, f in zip(qs, fold_of[n], strict=True) if f != k], weight.get(n, 1.0))
                        for n, qs in sets.items()]) for k in range(FOLDS)]
    for name, qs in sets.items():
        others = [(oq, weight.get(o, 1.0)) for o, oq in sets.items() if o != name]
        wins, n = top1(qs, hand)
        if not n:  # unanswerable questions only: their candidates are negatives, there is no top-1 to score
            print(f"| {name} | {len(qs)} | – | – | – | – |")
            continue
        held_out = f"{top1(qs, blend(fit(others)))[0] / n:.3f}" if others else "–"
        cv = sum(top1([q for q, f in zip(qs, fold_of[name], strict=True) if f == k], blend(m))[0]
                 for k, m in enumerate(fold_models))
        ceiling = sum(any(r["y"] for r in q["rows"]) for q in qs if q["answerable"])
        print(f"| {name} | {len(qs)} | {ceiling / n:.3f} | {wins / n:.3f} | {held_out} | {cv / n:.3f} |")
    if args.folds_out:
        args.folds_out.mkdir(parents=True, exist_ok=True)
        for k, m in enumerate(fold_models):
            m.save(args.folds_out / f"fold{k}.json", {"fold": k})
        (args.folds_out / "folds.json").write_text(json.dumps(
            {q["id"]: f for name, qs in sets.items() for q, f in zip(qs, fold_of[name], strict=True)}))
    if not args.dry_run:
        scorer = fit([(qs, weight.get(n, 1.0)) for n, qs in sets.items()])
        scorer.save(args.out, {"sets": {n: len(q) for n, q in sets.items()}, "weights": weight, "trees": TREES})
        print(f"\nwrote {args.out} ({len(scorer.trees)} trees)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
