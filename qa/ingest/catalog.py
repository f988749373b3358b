"""The library's own records, kept in the corpus directory's hidden `.union-qa/` folder (the loader skips it).

- `deleted.json`, the tombstones: articles deleted in the UI. Indexing leaves them out; their files stay as they
  were, so a delete is undone by `restore` and nothing is ever lost from disk. A tombstone names the article by
  its file and a hash of its text, not by its id (ids follow file names and order, so another article may take
  the id later): it hides exactly the article that was deleted, wherever it now stands in its file.
- `audit.jsonl`, the audit log: one line for every write that was tried (upload, delete, restore, refused ones
  too) with when, who (the admin or "anonymous"), from where (the client's address), what, and the outcome.

The tombstones are replaced atomically (by rename) under the index's writer lock; the log grows by one appended
line per attempt, refused ones included.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.errors import CorpusError
from qa.schema import Article

STATE_DIR = ".union-qa"
TOMBSTONES = "deleted.json"
AUDIT_LOG = "audit.jsonl"


@dataclass(frozen=True)
class Tombstone:
    """A deleted article: what it was and who deleted it when."""

    article_id: str  # the id it had when it was deleted (what the library lists and restores by)
    title: str
    file: str
    deleted_at: str
    by: str = ""
    text: str = ""  # text_key of the article: with `file`, what the tombstone hides

    @property
    def key(self) -> str:
        """What the tombstone list is keyed by: the file and the text (ids may be taken by another article)."""
        return f"{self.file}#{self.text[:16]}" if self.text else f"{self.file}#{self.article_id}"


def text_key(article: Article) -> str:
    """A hash of an article's paragraph texts: the same article, in any file or position, has the same key."""
    return hashlib.sha256("\n".join(p.text for p in article.paragraphs).encode()).hexdigest()


def hides(tombstone: Tombstone, article: Article) -> bool:
    """The tombstone stands for this article (same file and text; tombstones without a text hash: same id)."""
    if tombstone.file != article.file:
        return False
    return tombstone.text == text_key(article) if tombstone.text else tombstone.article_id == article.id


def without_deleted(articles: Iterable[Article], tombstones: Iterable[Tombstone]) -> list[Article]:
    """The articles no tombstone hides."""
    by_file: dict[str, list[Tombstone]] = {}
    for t in tombstones:
        by_file.setdefault(t.file, []).append(t)
    return [a for a in articles if not any(hides(t, a) for t in by_file.get(a.file, ()))]


def tombstones_path(corpus_dir: Path) -> Path:
    return Path(corpus_dir) / STATE_DIR / TOMBSTONES


def read_tombstones(corpus_dir: Path) -> dict[str, Tombstone]:
    """Deleted articles by `Tombstone.key` ({} when there are none)."""
    path = tombstones_path(corpus_dir)
    if not path.is_file():
        return {}
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return {t.key: t for t in (Tombstone(**row) for row in rows)}
    except (ValueError, TypeError, KeyError) as exc:
        raise CorpusError(f"the list of deleted articles {path} is damaged ({exc}): fix the JSON by hand or move "
                          "the file away (moving it away brings the deleted articles back)") from exc


def write_tombstones(corpus_dir: Path, tombstones: dict[str, Tombstone]) -> None:
    """Replace the tombstone list atomically (write a temp file, then rename it over the old one)."""
    path = tombstones_path(corpus_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    rows = [asdict(t) for t in sorted(tombstones.values(), key=lambda t: t.key)]
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
