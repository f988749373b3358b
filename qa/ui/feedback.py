"""Append 👍/👎 feedback on an answer to a local JSONL file, one self-contained record per line.

A record holds what is needed to reproduce and judge the answer later: the question (and its resolved form), the
answer text, whether it was found, the cited paragraph ids, the index build it came from, the time, the rating and
the user's optional comment.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

from qa.index.store import Store
from qa.schema import Answer

log = logging.getLogger(__name__)

DEFAULT_PATH = Path("feedback") / "feedback.jsonl"
RATINGS = ("up", "down")
MAX_COMMENT = 2000  # characters kept of a comment

_lock = threading.Lock()  # the UI serves several sessions from threads; keep each line whole


def index_version(store: Store) -> dict[str, object]:
    """Which index answered: build folder name, format, model, corpus fingerprint (short) and build time."""
    m = store.manifest
    return {"build": store.path.name if store.path else "", "format_version": m.format_version, "model": m.model,
            "corpus_fingerprint": m.corpus_fingerprint[:12], "built_at": m.built_at}


def feedback_record(answer: Answer, rating: str, comment: str = "", index: dict | None = None) -> dict[str, object]:
    """The JSON-ready record for one rating of `answer`; `rating` is 'up' or 'down'."""
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}, got {rating!r}")
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rating": rating,
        "comment": (comment or "").strip()[:MAX_COMMENT],
        "question": answer.question,
        "resolved_question": answer.resolved_question,
        "answer": answer.text,
        "found": answer.found,
        "citations": [{"n": c.n, "paragraph_id": c.paragraph.id, "start": c.start, "end": c.end}
                      for c in answer.citations],
        "index": index or {},
    }


def append_feedback(record: dict[str, object], path: Path = DEFAULT_PATH) -> Path:
    """Append `record` as one JSON line to `path` (parent folders created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _lock, path.open("a", encoding="utf-8") as f:
        f.write(line)
    log.info("feedback %s recorded in %s", record.get("rating"), path)
    return path


def read_feedback(path: Path = DEFAULT_PATH) -> list[dict]:
    """All records of `path` (missing file: []); a broken line is skipped with a WARNING."""
    if not path.is_file():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except ValueError:
                log.warning("%s line %d is not JSON: skipped", path, number)
    return records
