"""Batch answering for outside harnesses: JSONL questions in, JSONL answers out (the `qa answer` schema).

Input line: {"id", "question", "history"?}; history turns are {"role", "content"} or plain strings (user turns).
Output line: {"id", "question", "resolved_question", "answer", "short_answer", "found", "notes",
              "citations": [{"n", "paragraph_id", "title", "source", "date", "paragraph", "start", "end", "text"}],
              "retrieved": [{"paragraph_id", "title", "text", "score"}], "latency_ms"}.
`retrieved` is the ranked top 10 before composition and `text` is always the full paragraph. Fields are only
ever added, never renamed or removed.
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


def read_questions(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, row) for each usable input line; bad lines are logged with their number and skipped."""
    with path.open(encoding="utf-8-sig") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                log.warning("%s line %d is not JSON (%s): skipped", path, lineno, exc)
                continue
            if not isinstance(row, dict) or not isinstance(row.get("question"), str):
                log.warning("%s line %d has no string 'question': skipped", path, lineno)
                continue
            yield lineno, row


def answer_file(qa: QA, input_path: Path, output_path: Path, show_progress: bool = True) -> int:
    """Answer every question of `input_path` into `output_path` (written whole at the end); returns the count."""
    from tqdm import tqdm

    if not input_path.exists():
        raise QAError(f"input file {input_path} does not exist")
    rows = list(read_questions(input_path))
    out = []
    for lineno, row in tqdm(rows, desc="answering", unit="q", disable=not show_progress):
        answer = qa.ask(row["question"], row.get("history") if isinstance(row.get("history"), list) else None)
        out.append(json.dumps(answer_to_json(answer, row.get("id", lineno)), ensure_ascii=False))
    output_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = output_path.with_name(output_path.name + ".tmp")
    tmp.write_text("".join(line + "\n" for line in out), encoding="utf-8")
    tmp.replace(output_path)
    return len(out)
