"""News questions in the CRUD-RAG-derived format over an indexed news archive (`qa eval --crud FILE`).

A line is `{id, question, history?, answerable?, groups: [[alternative, …], …], doc_ids, type}`. An answer is
correct when every group has one alternative in it; a retrieved paragraph is relevant when it belongs to one of the
`doc_ids` (a paragraph id is `<article-id>#p<n>`, and an archive's JSONL row `id` is its article id), so the
archive must be indexed first (`qa index --corpus ARCHIVE --index DIR`). Each item also carries the form the product
detects in the question, so results break down by `type` (crud1doc/2doc/3doc) and by asked form (number, date, …),
and the wrong answers by where they went wrong (`failure_kind`). A line may be `answerable: false` (its items withheld
from the archive, `eval/crud_withhold.py`): such questions are scored by whether they were refused
(`unanswerable_outcome`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from statistics import fmean
from typing import Any

from qa.eval.metrics import answer_correct
from qa.eval.runner import EvalItem, EvalResult, QuestionRecord, answer_groups, read_items

log = logging.getLogger(__name__)

FIELDS = ("id", "question", "groups", "doc_ids", "type")
FAILURES = ("error", "refused", "right item, wrong sentence", "wrong item, right one in top 10",
            "right item not in top 10")
UNANSWERABLE = ("error", "refused", "answer contains the withheld answer", "answered wrongly")


def load_crud(path: Path) -> list[EvalItem]:
    """Read a CRUD-style questions file; a malformed line raises QAError naming the line and what to fix."""
    items = read_items(path, FIELDS, _crud_item)
    log.info("loaded %d CRUD questions from %s", len(items), path)
    return items


def _crud_item(row: dict[str, Any]) -> EvalItem:
    from qa.query.question import analyze_question

    groups = answer_groups(row["groups"])
    answerable = bool(row.get("answerable", True))
    if answerable and not (groups and all(groups) and row["doc_ids"]):
        raise ValueError("an answerable question needs answer groups and doc_ids")
    return EvalItem(id=str(row["id"]), question=row["question"], answerable=answerable, answers=groups,
                    evidence=row.get("evidence") or "", type=str(row["type"]), history=tuple(row.get("history") or ()),
                    doc_ids=tuple(map(str, row["doc_ids"])), form=str(analyze_question(row["question"]).form))


def unindexed(items: Sequence[EvalItem], article_ids: Iterable[str]) -> list[str]:
    """Ids of the answerable items none of whose `doc_ids` is in the index (their retrieval can only miss)."""
    indexed = set(article_ids)
    return [i.id for i in items if i.answerable and not indexed.intersection(i.doc_ids)]


def failure_kind(record: QuestionRecord) -> str:
    """Where a wrong answer to an answerable question went wrong (one of FAILURES), "" for a right one or an
    unanswerable question: the system failed (an error, not a refusal); refused; cited an item of its `doc_ids` but
    quoted a sentence without the whole answer; cited another item while one of them was among the top 10 hits; or
    none of them was retrieved. Meant for items with `doc_ids` (an item is an article); for the own format an "item"
    is the paragraph that holds the evidence."""
    if record.correct or not record.answerable:
        return ""
    if record.error:
        return FAILURES[0]
    if not record.found:
        return FAILURES[1]
    if record.scores.get("citation_recall"):
        return FAILURES[2]
    return FAILURES[3] if record.scores.get("hit@10") else FAILURES[4]


def format_crud(result: EvalResult, title: str) -> str:
    """Markdown: per system hit@1/@5, MRR@10, accuracy, refusal rate and mean ms/question; then accuracy per type
    and per asked form, the wrong answers by `failure_kind`, and (when the set has any) what each system did with the
    unanswerable questions (`unanswerable_outcome`), one column per system. Accuracy, refusal rate and the wrong
    answers' shares are over the answerable questions; per type and form, an unanswerable question counts as right
    when refused."""
    systems = list(result.systems)
    answerable = {name: [r for r in result.records[name] if r.answerable] for name in systems}
    unanswerable = {name: [r for r in result.records[name] if not r.answerable] for name in systems}
    mixed = any(unanswerable.values())
    lines = [title, "", "| system | hit@1 | hit@5 | MRR@10 | accuracy | refusal rate | ms/question |",
             "|---|---|---|---|---|---|---|"]
    for name in systems:
        s, records = result.summary[name], result.records[name]
        refused = fmean(not r.found for r in answerable[name]) if answerable[name] else None
        ms = fmean(r.latency_ms for r in records) if records else None
        cells = [_num(s.get(m)) for m in ("hit@1", "hit@5", "mrr@10", "accuracy")]
        lines.append(f"| {name} | {' | '.join(cells)} | {_num(refused)} | {_num(ms, 0)} |")
    if mixed:
        n = len(answerable[systems[0]])
        lines += ["", f"(hit@k, MRR, accuracy and refusal rate over the {n} answerable questions; the "
                  f"{len(unanswerable[systems[0]])} unanswerable ones are in the last table)"]
    for label, breakdown in (("type", result.by_type), ("asked form", result.by_form)):
        if not breakdown:
            continue
        values = sorted({v for per in breakdown.values() for v in per})
        note = " (answerable questions answered right, unanswerable ones refused)" if mixed else ""
        lines += ["", f"Accuracy by {label}{note}:", "", f"| {label} | n | {' | '.join(systems)} |",
                  "|---|---|" + "---|" * len(systems)]
        for v in values:
            n = breakdown[systems[0]].get(v, {}).get("n")
            cells = [_num(breakdown[name].get(v, {}).get("overall_accuracy")) for name in systems]
            lines.append(f"| {v} | {_num(n, 0)} | {' | '.join(cells)} |")
    lines += ["", "Wrong answers to answerable questions, by where they went wrong (share of the answerable "
              "questions):", ""]
    lines += _counts("went wrong", FAILURES, answerable, failure_kind)
    if mixed:
        lines += ["", f"Unanswerable questions ({len(unanswerable[systems[0]])}; the archive lacks their items: "
                  "`eval/crud_withhold.py`), by what the system did:", ""]
        lines += _counts("did", UNANSWERABLE, unanswerable, unanswerable_outcome)
    return "\n".join(lines)


def _counts(label: str, kinds: Sequence[str], records: dict[str, list[QuestionRecord]],
            kind_of: Callable[[QuestionRecord], str]) -> list[str]:
    """A markdown table: per kind (a row) and system (a column), how many of its records `kind_of` puts there, and
    their share of the system's records."""
    counted = {name: Counter(map(kind_of, rs)) for name, rs in records.items()}
    lines = [f"| {label} | {' | '.join(records)} |", "|---|" + "---|" * len(records)]
    for kind in kinds:
        cells = [f"{counted[name][kind]} ({_num(counted[name][kind] / max(1, len(rs)))})"
                 for name, rs in records.items()]
        lines.append(f"| {kind} | {' | '.join(cells)} |")
    return lines


def unanswerable_outcome(record: QuestionRecord) -> str:
    """What a system did with an unanswerable question (one of UNANSWERABLE): refused (right); answered with a text
    that contains the withheld answer all the same (another item says it in other words — or the string occurs there
    by chance, as a short number may); or answered wrongly — the cited non-answer that costs the most trust. A crash
    counts as an error, not a refusal."""
    if record.error:
        return UNANSWERABLE[0]
    if not record.found:
        return UNANSWERABLE[1]
    return UNANSWERABLE[2] if record.expected and answer_correct(record.answer, record.expected) else UNANSWERABLE[3]


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"
