"""Batch answering for outside harnesses: JSONL questions in, JSONL answers out (the `qa answer` schema).

Input line: {"id", "question", "history"?}; history turns are {"role", "content"} or plain strings (user turns).
Output line: {"id", "question", "resolved_question", "answer", "short_answer", "found", "notes",
              "citations": [{"n", "paragraph_id", "title", "source", "date", "paragraph", "start", "end", "text"}],
              "retrieved": [{"paragraph_id", "title", "text", "score"}], "latency_ms"}.
`retrieved` is the ranked top 10 before composition and `text` is always the full paragraph. A line that cannot be
asked (not JSON, no string "question") gets a row of the same fields, found false, plus "error" saying why. Fields
are only ever added, never renamed or removed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

from qa.api import QA
from qa.errors import QAError
from qa.schema import Answer

log = logging.getLogger(__name__)


def answer_to_json(answer: Answer, qid: object = None) -> dict:
    """One output line for `answer`."""
    return {
        "id": qid,
        "question": answer.question,
        "resolved_question": answer.resolved_question,
        "answer": answer.text,
        "short_answer": answer.short,
        "found": answer.found,
        "notes": list(answer.notes),
        "citations": [{"n": c.n, "paragraph_id": c.paragraph.id, "title": c.paragraph.title,
                       "source": c.paragraph.source, "date": c.paragraph.date, "paragraph": c.paragraph.n,
                       "start": c.start, "end": c.end, "text": c.paragraph.text} for c in answer.citations],
        "retrieved": [{"paragraph_id": h.paragraph.id, "title": h.paragraph.title, "text": h.paragraph.text,
                       "score": round(h.score, 6)} for h in answer.hits[:10]],
        "latency_ms": round(answer.latency_ms, 2),
    }


def read_questions(path: Path) -> Iterator[tuple[int, dict, str]]:
    """(line number, row, problem) for each non-blank input line; `problem` is "" for a usable row, else why the line
    cannot be asked (the row is then {} or what the line held). The file may be UTF-8 (with or without BOM), UTF-16,
    GBK or GB18030, as ingestion reads them."""
    from qa.ingest.load import decode

    data = path.read_bytes()
    if not data.strip():  # an empty file: no questions, no answers
        return
    try:
        text = decode(data)
    except QAError as exc:
        raise QAError(f"input file {path}: {exc}") from None
    for lineno, line in enumerate(text.split("\n"), start=1):  # JSON may hold U+2028 raw: not a line break here
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            log.warning("%s line %d is not JSON (%s): answered with an error row", path, lineno, exc)
            yield lineno, {}, f"line {lineno} is not JSON ({exc})"
            continue
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            log.warning("%s line %d has no string 'question': answered with an error row", path, lineno)
            yield lineno, row if isinstance(row, dict) else {}, f"line {lineno} has no string 'question'"
            continue
        yield lineno, row, ""


def error_row(qid: object, question: object, problem: str) -> dict:
    """The output line for an input line that cannot be asked: the schema's fields, nothing found, and `error`."""
    empty = Answer(question if isinstance(question, str) else "", "", False, notes=(problem,))
    return {**answer_to_json(empty, qid), "error": problem}


def answer_file(qa: QA, input_path: Path, output_path: Path, show_progress: bool = True) -> tuple[int, int]:
    """Answer every question of `input_path` into `output_path` (written whole at the end, never over the input);
    every non-blank input line gets one output line, in order, one that cannot be asked an `error` row. Returns
    (lines written, error rows among them)."""
    from tqdm import tqdm

    if not input_path.exists():
        raise QAError(f"input file {input_path} does not exist")
    if not input_path.is_file():
        raise QAError(f"input {input_path} is a folder, not a JSONL file")
    if output_path.exists() and output_path.resolve() == input_path.resolve():
        raise QAError(f"--output {output_path} is the input file: write the answers to another file")
    if output_path.is_dir():
        raise QAError(f"--output {output_path} is a folder: give the answers file's path")
    rows = list(read_questions(input_path))
    out, errors = [], 0
    for lineno, row, problem in tqdm(rows, desc="answering", unit="q", disable=not show_progress):
        qid = row.get("id", lineno)
        if problem:
            errors += 1
            out.append(json.dumps(error_row(qid, row.get("question"), problem), ensure_ascii=False))
            continue
        answer = qa.ask(row["question"], row.get("history") if isinstance(row.get("history"), list) else None)
        out.append(json.dumps(answer_to_json(answer, qid), ensure_ascii=False))
    output_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = output_path.with_name(output_path.name + ".tmp")
    tmp.write_text("".join(line + "\n" for line in out), encoding="utf-8")
    tmp.replace(output_path)
    return len(out), errors
