"""Compare answer-composer configs on evaluation sets without searching again: each question is searched once
(`QA.evidence`, what `ask` composes from), then composed with every config and scored as `qa eval` scores it.

    python eval/composer_sweep.py --set own=eval/questions.jsonl:index \
        --set crud=$CRUD/questions_dev.jsonl:/tmp/news10k/index \
        --config "" --config "w_form_weak=0.25" --config "w_slot=0.3,w_coverage=0.65"

A set is NAME=QUESTIONS:INDEX (an own-format set, a CRUD-format one when its rows have `doc_ids`, or CMRC 2018 dev
when QUESTIONS is its SQuAD-format `.json`: INDEX is then the pooled-passage index `qa eval --cmrc` builds,
`index/cmrc`, and the metrics are its EM and F1, "right" meaning F1 ≥ 0.5); a config is
comma-separated `ComposerConfig` fields (`""` is the product's own). Prints per set and config the answer metrics,
then the questions whose correctness differs from the first config. With the default config the numbers equal
`qa eval --systems hybrid` on the same index (the own set and CRUD dev: question for question). A config costs
about 15 s for the own set and CRUD dev together after one search of each question (~40 s for both).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields, replace
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

METRICS = ("accuracy", "refusal_accuracy", "citation_recall", "em", "f1", "answered")
CMRC_RIGHT_F1 = 0.5  # a CMRC question counts as right (its "accuracy", and the per-question diff) from this F1 on


def parse_config(text: str, base: object) -> object:
    """`base` (a ComposerConfig) with the `field=value` pairs of `text` set; values are read as the field's type (a
    tuple's items joined by "+": `focus_gate=number+list`)."""
    types = {f.name: type(getattr(base, f.name)) for f in fields(base)}
    changes = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = pair.partition("=")
        if name not in types:
            raise SystemExit(f"unknown composer field {name!r} (see qa/answer/config.py)")
        kind = types[name]
        if kind is bool:
            changes[name] = value.lower() in ("1", "true", "yes")
        else:
            changes[name] = tuple(filter(None, value.split("+"))) if kind is tuple else kind(value)
    return replace(base, **changes)


def load_items(path: Path) -> list:
    """The set's questions: CMRC for a `.json` file, CRUD format when its first row has `doc_ids`, else the own
    format."""
    from qa.eval.crud import load_crud
    from qa.eval.runner import load_dataset

    if path.suffix == ".json":
        from qa.eval.cmrc import load_cmrc

        try:
            return load_cmrc(path)[1]
        except (KeyError, TypeError, ValueError) as exc:
            raise SystemExit(f"{path} is not a CMRC (SQuAD-format) file: {type(exc).__name__}: {exc}") from None
    first = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return load_crud(path) if "doc_ids" in json.loads(first) else load_dataset(path)


def gather_set(questions: Path, index: Path) -> tuple[object, list]:
    """The opened index and, per question, (item, analysed question, evidence)."""
    from qa.api import QA
    from qa.query.limits import clean_text
    from qa.settings import Settings

    qa = QA.open(Settings(index_dir=index, show_progress=False), build=False)
    return qa, [(item, *qa.evidence(clean_text(item.question), list(item.history))) for item in load_items(questions)]


def score(data: list, config: object, folds: Path | None = None) -> tuple[dict, dict[str, bool]]:
    """`qa eval`'s aggregate metrics and each question's correctness for one composer config (with `folds`, each
    question's learned scorer is its fold's, `fold_config`)."""
    from qa.answer.compose import compose
    from qa.eval.cmrc import CmrcQuestion
    from qa.eval.runner import aggregate, score_answer

    if data and isinstance(data[0][0], CmrcQuestion):
        return score_cmrc(data, config)
    records = []
    for item, q, evidence in data:
        answer = replace(compose(q, evidence, fold_config(config, folds, item.id)), question=item.question,
                         resolved_question=q.text)
        records.append(score_answer(item, answer, 0.0))
    return aggregate(records), {r.id: r.correct for r in records}


def fold_config(config: object, folds: Path | None, question_id: str) -> object:
    """`config` with the learned scorer that was trained without the question (`eval/train_scorer.py
    --folds-out DIR` writes DIR/folds.json, question id → fold, and DIR/fold<k>.json); unchanged for questions not
    in folds.json, without `folds` or when `config` has no learned scorer."""
    if folds is None or not config.learned_scorer:
        return config
    fold = _folds(str(folds)).get(question_id)
    return config if fold is None else replace(config, learned_scorer=str(folds.resolve() / f"fold{fold}.json"))


@lru_cache(maxsize=2)
def _folds(folds: str) -> dict[str, int]:
    return json.loads((Path(folds) / "folds.json").read_text(encoding="utf-8"))


def score_cmrc(data: list, config: object) -> tuple[dict, dict[str, bool]]:
    """CMRC's EM and F1 as `qa eval --cmrc` scores them (`cmrc_em_f1`), the share answered, and each question's
    correctness: F1 at least `CMRC_RIGHT_F1`."""
    from qa.answer.compose import compose
    from qa.eval.cmrc import cmrc_em_f1

    scores, correct, found = [], {}, 0
    for item, q, evidence in data:
        answer = compose(q, evidence, config)
        found += answer.found
        scores.append(cmrc_em_f1(answer, item.answers))
        correct[item.id] = scores[-1][1] >= CMRC_RIGHT_F1
    n = max(1, len(data))
    return {"em": sum(e for e, _ in scores) / n, "f1": sum(f for _, f in scores) / n,
            "accuracy": sum(correct.values()) / n, "answered": found / n}, correct


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", required=True, help="NAME=QUESTIONS:INDEX")
    ap.add_argument("--config", action="append", default=None, help='field=value,… ("" = the product\'s own)')
    ap.add_argument("--scorer-folds", type=Path, metavar="DIR",
                    help="compose each question with the learned scorer of its cross-validation fold (the folder "
                         "`eval/train_scorer.py --folds-out DIR` writes), so its numbers are on questions the "
                         "scorer was not trained on")
    args = ap.parse_args(argv)
    configs = args.config or [""]
    for spec in args.set:
        name, _, paths = spec.partition("=")
        questions, _, index = paths.rpartition(":")
        t0 = time.perf_counter()
        qa, data = gather_set(Path(questions), Path(index))
        print(f"[{name}] {len(data)} questions searched in {time.perf_counter() - t0:.0f} s", flush=True)
        first: dict[str, bool] = {}
        for text in configs:
            metrics, correct = score(data, parse_config(text, qa.settings.composer), args.scorer_folds)
            shown = " ".join(f"{m} {metrics[m]:.3f}" for m in METRICS if metrics.get(m) is not None)
            print(f"[{name}] {text or '(product)'}: {shown}", flush=True)
            if not first:
                first = correct
                continue
            changed = [q for q in correct if correct[q] != first[q]]
            right = sum(correct[q] for q in changed)
            print(f"[{name}]   vs first: {right} right, {len(changed) - right} wrong"
                  + (f" ({', '.join(changed[:12])}{' …' if len(changed) > 12 else ''})" if changed else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
