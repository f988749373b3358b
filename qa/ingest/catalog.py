"""The library's own records, kept in the corpus directory's hidden `.union-qa/` folder (the loader skips it).

- `deleted.json`, the tombstones: articles deleted in the UI. Indexing leaves them out; their files stay as they
  were, so a delete is undone by `restore` and nothing is ever lost from disk.
- `audit.jsonl`, the audit log: one line for every write that was tried (upload, delete, restore, refused ones
  too) with when, who (the admin or "anonymous"), from where (the client's address), what, and the outcome.

Both are written atomically (the tombstones by rename, the log by one appended line each), under the index's
writer lock that the library holds for every change.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_DIR = ".union-qa"
TOMBSTONES = "deleted.json"
AUDIT_LOG = "audit.jsonl"


@dataclass(frozen=True)
class Tombstone:
    """A deleted article: what it was and who deleted it when."""

    article_id: str
    title: str
    file: str
    deleted_at: str
    by: str = ""


def tombstones_path(corpus_dir: Path) -> Path:
    return Path(corpus_dir) / STATE_DIR / TOMBSTONES


def read_tombstones(corpus_dir: Path) -> dict[str, Tombstone]:
    """Deleted articles by id ({} when there are none)."""
    path = tombstones_path(corpus_dir)
    if not path.is_file():
        return {}
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {row["article_id"]: Tombstone(**row) for row in rows}


def write_tombstones(corpus_dir: Path, tombstones: dict[str, Tombstone]) -> None:
    """Replace the tombstone list atomically (write a temp file, then rename it over the old one)."""
    path = tombstones_path(corpus_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    rows = [asdict(t) for t in sorted(tombstones.values(), key=lambda t: t.article_id)]
    tmp.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def append_audit(corpus_dir: Path, action: str, who: str, client: str, what: dict, ok: bool, message: str) -> None:
    """Append one line to the audit log: when, who, from where, what was asked, and how it ended."""
    path = Path(corpus_dir) / STATE_DIR / AUDIT_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    row = {"time": now(), "action": action, "who": who, "client": client, "what": what, "ok": ok, "message": message}
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_audit(corpus_dir: Path) -> list[dict]:
    path = Path(corpus_dir) / STATE_DIR / AUDIT_LOG
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
