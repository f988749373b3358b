"""Run an evaluation set through several systems and score every answer (the engine behind `qa eval`).

A system is any callable `(question, history) -> Answer`; the runner knows nothing about retrieval modes.
Per question it records retrieval relevance (a hit is relevant when its paragraph contains the evidence, or, for
sets that name their gold items by `doc_ids`, when it belongs to one of them), answer correctness, CMRC EM/F1,
citation quality and latency; `aggregate` turns records into the report's numbers, per type and per asked form.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import fmean
from typing import Any

from qa.errors import QAError
from qa.eval.metrics import (
    answer_correct,
    best_span_em_f1,
    citation_precision,
    citation_recall,
    hit_at_k,
    in_docs,
    is_relevant,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    strip_markers,
)
from qa.schema import Answer, Paragraph

log = logging.getLogger(__name__)

System = Callable[[str, list], Answer]
# Rates in the order the report shows them; latency and counts follow.
METRICS = ("hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10", "accuracy", "em", "f1", "citation_recall",
           "citation_precision", "refusal_accuracy", "false_refusal_rate", "overall_accuracy")
LATENCY = ("latency_p50_ms", "latency_p95_ms")
_FIELDS = ("id", "question", "answerable", "answers", "evidence", "type")


@dataclass(frozen=True)
class EvalItem:
    """One evaluation question; `answers` are groups of alternatives: all groups must appear, any alternative counts."""

    id: str
    question: str
    answerable: bool
    answers: tuple[tuple[str, ...], ...]
    evidence: str  # exact substring of the supporting paragraph ("" when unanswerable)
    type: str  # number | date | english | traditional | followup | unanswerable | ...
    history: tuple[Any, ...] = ()  # earlier turns: {"role", "content"} dicts or plain user strings
    doc_ids: tuple[str, ...] = ()  # gold article ids; when given, relevance is by article, not by evidence
    form: str = ""  # the asked form the product detects (number, date, person, …), for a per-form breakdown


@dataclass(frozen=True)
class QuestionRecord:
    """One system's answer to one question with its scores; None where a metric does not apply."""

    id: str
    type: str
    question: str
    answerable: bool
    expected: tuple[tuple[str, ...], ...]
    answer: str
    found: bool
    correct: bool  # answerable: found and every group present; unanswerable: refused (found is False)
    scores: dict[str, float | None]
    latency_ms: float
    resolved_question: str = ""
    cited_ids: tuple[str, ...] = ()
    top: tuple[tuple[str, str], ...] = ()  # (paragraph id, snippet) of the first three hits
    error: str = ""  # the exception text when the system raised
    form: str = ""  # the item's asked form, when the set gives one


@dataclass(frozen=True)
class EvalResult:
    """Everything one run produced: per-system records, summaries and per-type breakdowns."""

    systems: tuple[str, ...]
    records: dict[str, tuple[QuestionRecord, ...]]
    summary: dict[str, dict[str, float | None]]  # system -> metric -> value
    by_type: dict[str, dict[str, dict[str, float | None]]]  # system -> type -> metric -> value
    n_items: int
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    note: str = ""  # printed at the top of the report when set
    by_form: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)  # like by_type; {} if none

    def failures(self, system: str) -> list[QuestionRecord]:
        """The records of `system` that were not correct (wrong answer, false refusal or failed refusal)."""
        return [r for r in self.records[system] if not r.correct]


def load_dataset(path: Path) -> list[EvalItem]:
    """Read the JSONL evaluation set; a malformed line raises QAError naming the line and what to fix."""
    items = read_items(path, _FIELDS, _own_item, "(history optional)")
    log.info("loaded %d evaluation questions from %s", len(items), path)
    return items


def answer_groups(value: Sequence[str | Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    """Answer groups as tuples of alternatives (a plain string is a group of one)."""
    return tuple((g,) if isinstance(g, str) else tuple(g) for g in value)


def _own_item(row: dict[str, Any]) -> EvalItem:
    groups = answer_groups(row["answers"])
    item = EvalItem(id=str(row["id"]), question=row["question"], answerable=bool(row["answerable"]), answers=groups,
                    evidence=row["evidence"] or "", type=row["type"], history=tuple(row.get("history") or ()))
    if item.answerable and (not item.answers or not all(item.answers) or not item.evidence):
        raise ValueError(f"({item.id}) an answerable question needs answer groups and evidence")
    return item


def read_items(path: Path, fields: Sequence[str], make: Callable[[dict[str, Any]], EvalItem],
               hint: str = "") -> list[EvalItem]:
    """One item per non-blank JSONL line, made by `make` from the row. Bad JSON, a missing field, a row `make`
    refuses (ValueError/TypeError) or a repeated id raises QAError naming the line and what to fix."""
    items, seen = [], set()
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            missing = [f for f in fields if f not in row]
            if missing:
                raise ValueError(f"missing field(s) {', '.join(missing)}")
            item = make(row)
        except (ValueError, TypeError) as exc:
            raise QAError(f"{path} line {n}: {exc}; each line needs {', '.join(fields)} {hint}".rstrip()) from exc
        if item.id in seen:
            raise QAError(f"{path} line {n}: duplicate id {item.id!r}; give every question its own id")
        seen.add(item.id)
        items.append(item)
    return items


def score_answer(item: EvalItem, answer: Answer, latency_ms: float, error: str = "") -> QuestionRecord:
    """Score one answer against its item (pure)."""
    rel = [_relevant(item, h.paragraph) for h in answer.hits[:10]]
    s: dict[str, float | None] = dict.fromkeys(METRICS)
    if item.answerable:
        s |= {"hit@1": hit_at_k(rel, 1), "hit@5": hit_at_k(rel, 5), "hit@10": hit_at_k(rel, 10),
              "mrr@10": mrr_at_k(rel, 10), "ndcg@10": ndcg_at_k(rel, 10), "false_refusal_rate": float(not answer.found)}
        correct = answer.found and answer_correct(answer.text, item.answers)
        s["accuracy"] = float(correct)
        span = answer.short or strip_markers(answer.text)  # the bare fact when the system gives one (CMRC-style)
        s["em"], s["f1"] = _em_f1(span, item.answers) if answer.found else (0.0, 0.0)
        if answer.found:
            s["citation_recall"], s["citation_precision"] = _citation_scores(item, answer)
    else:
        correct = not answer.found
        s["refusal_accuracy"] = float(correct)
    s["overall_accuracy"] = float(correct)
    top = tuple((h.paragraph.id, h.paragraph.text[:80]) for h in answer.hits[:3])
    return QuestionRecord(id=item.id, type=item.type, question=item.question, answerable=item.answerable,
                          expected=item.answers, answer=answer.text, found=answer.found, correct=correct, scores=s,
                          latency_ms=latency_ms, resolved_question=answer.resolved_question,
                          cited_ids=tuple(c.paragraph.id for c in answer.citations), top=top, error=error,
                          form=item.form)


def _relevant(item: EvalItem, paragraph: Paragraph) -> bool:
    """By gold article when the item names its `doc_ids`, else by the evidence string."""
    return in_docs(paragraph.id, item.doc_ids) if item.doc_ids else is_relevant(paragraph.text, item.evidence)


def _citation_scores(item: EvalItem, answer: Answer) -> tuple[float, float]:
    """(recall, precision) of the citations: relevant = holds the evidence (or, with `doc_ids`, belongs to a gold
    article); precision also counts a cited paragraph that holds some gold answer."""
    cited = [c.paragraph for c in answer.citations]
    if not item.doc_ids:
        texts = [p.text for p in cited]
        return citation_recall(texts, item.evidence), citation_precision(texts, item.evidence, item.answers)
    alternatives = [a for group in item.answers for a in group]
    good = [in_docs(p.id, item.doc_ids) for p in cited]
    either = [g or any(is_relevant(p.text, a) for a in alternatives) for g, p in zip(good, cited, strict=True)]
    return float(any(good)), (fmean(either) if either else 0.0)


def _em_f1(text: str, groups: Sequence[Sequence[str]]) -> tuple[float, float]:
    """CMRC EM/F1 per group (best alternative), averaged over the groups; one group is plain CMRC scoring."""
    pairs = [best_span_em_f1(text, list(g)) for g in groups]
    return fmean(p[0] for p in pairs), fmean(p[1] for p in pairs)


def aggregate(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    """Mean of every metric over the records where it applies (None when it applies nowhere), latency, counts."""
    out: dict[str, float | None] = {}
    for name in METRICS:
        values = [v for r in records if (v := r.scores.get(name)) is not None]
        out[name] = fmean(values) if values else None
    latencies = [r.latency_ms for r in records]
    out["latency_p50_ms"] = percentile(latencies, 50) if latencies else None
    out["latency_p95_ms"] = percentile(latencies, 95) if latencies else None
    out["n"] = float(len(records))
    out["n_answerable"] = float(sum(r.answerable for r in records))
    out["errors"] = float(sum(bool(r.error) for r in records))
    return out


def _ask(system: System, item: EvalItem) -> tuple[Answer, float, str]:
    start = time.perf_counter()
    try:
        answer = system(item.question, list(item.history))
    except Exception as exc:  # noqa: BLE001 - one failing question must not end a long run; it is recorded
        log.exception("system failed on %s", item.id)
        return Answer(question=item.question, text="", found=False), 0.0, f"{type(exc).__name__}: {exc}"
    wall = (time.perf_counter() - start) * 1000.0
    return answer, (answer.latency_ms if answer.latency_ms > 0 else wall), ""


def run_eval(items: Sequence[EvalItem], systems: dict[str, System], progress: bool = True,
             note: str = "") -> EvalResult:
    """Ask every system every question and score the answers. Latency is the Answer's own `latency_ms` when set,
    otherwise the wall time of the call."""
    if not systems:
        raise ValueError("run_eval needs at least one system, e.g. {'hybrid': callable}")
    from tqdm import tqdm

    records: dict[str, tuple[QuestionRecord, ...]] = {}
    for name, system in systems.items():
        rows = []
        for item in tqdm(items, desc=f"eval {name}", unit="q", disable=not progress):
            answer, latency, error = _ask(system, item)
            rows.append(score_answer(item, answer, latency, error))
        records[name] = tuple(rows)
    return build_result(records, len(items), note)


def build_result(records: dict[str, tuple[QuestionRecord, ...]], n_items: int, note: str = "") -> EvalResult:
    """Summaries and per-type breakdowns for already scored records."""
    summary = {name: aggregate(rows) for name, rows in records.items()}
    by_type = {name: _breakdown(rows, "type") for name, rows in records.items()}
    by_form = {name: _breakdown(rows, "form") for name, rows in records.items()
               if any(r.form for rows in records.values() for r in rows)}
    return EvalResult(systems=tuple(records), records=records, summary=summary, by_type=by_type, n_items=n_items,
                      note=note, by_form=by_form)


def _breakdown(rows: Sequence[QuestionRecord], key: str) -> dict[str, dict[str, float | None]]:
    """`aggregate` per value of the records' `key` field (type or form)."""
    values = sorted({getattr(r, key) for r in rows})
    return {v: aggregate([r for r in rows if getattr(r, key) == v]) for v in values}

