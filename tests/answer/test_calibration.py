"""Calibration: the real default model over the bundled corpus still scores what the committed report says.

The other tests use the hashing embedder or fixed cosines, so only this module reaches the model-keyed floors of
`ComposerConfig` (dense_floor, dense_floor_en, sentence_floor of `semantic_match`) and the tuned weights with real
cosines. It loads multilingual-e5-small as the product does (its default variant, on ONNX Runtime: converted and
exported once into the default cache, $UNION_QA_CACHE or ~/.cache/union-qa, then reused), indexes corpus/ into a
temporary folder once, and asks the questions through the code `qa eval` runs (`load_dataset`, `run_eval`, the
hybrid system of `qa_systems`).

The slice is the whole of eval/questions.jsonl: 212 questions, follow-ups with their history, English, traditional
and the 31 unanswerable ones. The module takes about 25 s on 2 idle cores (model and index 12 s, questions 10 s), so
a subset would save little and make the numbers incomparable with the report. Each metric must reach the committed
report's hybrid value minus MARGIN.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from qa.api import QA
from qa.eval.cli import qa_systems
from qa.eval.report import load_report
from qa.eval.runner import EvalItem, EvalResult, load_dataset, run_eval, score_answer
from qa.index.embed import E5_VARIANTS, load_embedder, model_name
from qa.settings import DEFAULT_MODEL, Settings

pytestmark = [pytest.mark.calibration, pytest.mark.model]

REPO = Path(__file__).resolve().parents[2]
DATASET = REPO / "eval" / "questions.jsonl"
REPORT = REPO / "eval" / "reports" / "latest"
SYSTEM = "hybrid"
# Answer quality, and the ranking the retrieval settings were tuned for (Settings.rrf_k, the paragraph keyword index:
# README "Retrieval mechanisms"); going back to the chunk-only RRF at k=60 drops hit@1 from 0.844 to 0.802.
CHECKED = ("accuracy", "refusal_accuracy", "citation_recall", "hit@1", "mrr@10")
# The run is deterministic on one machine (it reproduces report.json question for question), so the margin only
# absorbs float differences between CPUs near a threshold. 0.02 lets about 3 of the 181 answerable questions flip for
# accuracy and citation recall, but no refusal: one of the 31 unanswerable questions is worth 0.032, and a refusal
# that stops working is what the floors are there to prevent.
MARGIN = 0.02
# No question of the set is refused by a dense floor alone: the best paragraph cosine of every question that reaches
# the floor is above it (Chinese ones 0.835 or more against dense_floor 0.78; unanswerable ones are refused by the
# lexical floors too). So the guard takes the answered question nearest each floor and raises that floor just past
# the question's best cosine: answered at the committed floor, refused at the raised one. b069 (English) is at
# 0.737 against dense_floor_en 0.72; b058 (a follow-up) at 0.891 is the lowest Chinese question answered without
# semantic_match (a005, reworded, is at 0.875 but answered only through that fallback).
FLOOR_CASES = [("dense_floor_en", "b069", 0.02), ("dense_floor", "b058", 0.12)]
# b079 (reworded: 粤省 for 广东) is answered only through semantic_match (sentence cosine 0.933, floor 0.90).
SEMANTIC_QUESTION = "b079"


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> QA:
    """The bundled corpus indexed with the default model (cached where the product caches it)."""
    settings = replace(Settings(), corpus_dir=REPO / "corpus", index_dir=tmp_path_factory.mktemp("calib") / "index",
                       show_progress=False)
    return QA.open(settings, embedder=load_embedder(settings))


@pytest.fixture(scope="module")
def items() -> list[EvalItem]:
    return load_dataset(DATASET)


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    return load_report(REPORT)


@pytest.fixture(scope="module")
def result(qa: QA, items: list[EvalItem]) -> EvalResult:
    return run_eval(items, qa_systems(qa, [SYSTEM]), progress=False)


def by_id(items: list[EvalItem], question_id: str) -> EvalItem:
    return next(i for i in items if i.id == question_id)


def ask_correct(qa: QA, item: EvalItem) -> bool:
    """Whether the hybrid system answers `item` correctly, scored as `qa eval` scores it."""
    return score_answer(item, qa.ask(item.question, list(item.history)), 0.0).correct


def set_floor(qa: QA, monkeypatch: pytest.MonkeyPatch, table: str, value: float | None) -> None:
    """Let `qa` answer with the composer's model-keyed floor `table` set to `value` for its model (None: removed)."""
    config = qa.settings.composer
    floors = {m: v for m, v in getattr(config, table).items() if m != qa.store.model_id}
    if value is not None:
        floors[qa.store.model_id] = value
    composer = replace(config, **{table: MappingProxyType(floors)})
    monkeypatch.setattr(qa, "settings", replace(qa.settings, composer=composer))


def test_the_model_keys_the_calibrated_floors(qa: QA) -> None:
    model = qa.store.model_id
    assert model == E5_VARIANTS[model_name(DEFAULT_MODEL)].model_id
    for table in ("dense_floor", "dense_floor_en", "sentence_floor"):
        assert model in getattr(qa.settings.composer, table), f"ComposerConfig.{table} has no entry for {model!r}"


def test_committed_report_is_for_this_evaluation_set(items: list[EvalItem], committed: dict[str, Any]) -> None:
    asked = {r["id"]: r["question"] for r in committed["records"][SYSTEM]}
    assert asked == {i.id: i.question for i in items}, (
        f"{REPORT}/report.json was written for another version of {DATASET.name}: rerun `qa eval`")


@pytest.mark.parametrize("metric", CHECKED)
def test_metric_holds_the_committed_level(metric: str, result: EvalResult, committed: dict[str, Any]) -> None:
    expected = committed["summary"][SYSTEM][metric] - MARGIN
    actual = result.summary[SYSTEM][metric]
    if actual >= expected:
        return
    before = {r["id"]: r["scores"].get(metric) for r in committed["records"][SYSTEM]}
    now = {r.id: r.scores.get(metric) for r in result.records[SYSTEM]}
    regressed = [q for q, score in before.items() if score == 1.0 and now.get(q) != 1.0]
    pytest.fail(f"{metric} {actual:.3f} < {expected:.3f} (committed {expected + MARGIN:.3f} - {MARGIN}); "
                f"right before, wrong now: {', '.join(regressed) or 'none'}")


@pytest.mark.parametrize("table, question_id, raise_by", FLOOR_CASES)
def test_dense_floor_is_live(table: str, question_id: str, raise_by: float, qa: QA, items: list[EvalItem],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    item = by_id(items, question_id)
    assert ask_correct(qa, item), f"{item.id} is no longer answered correctly with the committed {table}"
    floor = getattr(qa.settings.composer, table)[qa.store.model_id] + raise_by
    set_floor(qa, monkeypatch, table, floor)
    assert not qa.ask(item.question, list(item.history)).found, (
        f"{item.id} is still answered with {table} raised to {floor:.2f}: the composer never compares the dense "
        "cosine with the floor, or the question's best cosine rose past it (pick the nearest question again)")


def test_semantic_match_answers_a_reworded_question(qa: QA, items: list[EvalItem],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    item = by_id(items, SEMANTIC_QUESTION)
    assert ask_correct(qa, item), f"{item.id} is no longer answered correctly"
    set_floor(qa, monkeypatch, "sentence_floor", None)
    assert not qa.ask(item.question, list(item.history)).found, (
        f"{item.id} is answered without semantic_match: it no longer guards the sentence-embedding fallback")
