"""The embedding cache of an index directory: chunk key -> vector, kept across builds in `embeddings.sqlite`.

A chunk's key hashes the model name with the chunk's context and text (`qa.index.indexer.chunk_key`), so a vector is
reused whenever the same model meets the same text again: after `--rebuild`, after a file is deleted and restored,
or when an old build has been pruned. SQLite makes every write a transaction, so a writer killed mid-way leaves the
cache as it was before its last commit. Only the writer (under `qa.index.lock.writer_lock`) opens it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

CACHE_NAME = "embeddings.sqlite"
_BATCH = 900  # SQLite's default limit on host parameters is 999


class VectorCache:
    """Vectors by chunk key; `get` returns those it has, `put` adds new ones (existing keys are kept)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")

    def get(self, keys: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _BATCH):
            part = unique[start : start + _BATCH]
            rows = self._db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
            for key, blob in rows:
                vec = np.frombuffer(blob, np.float32)
                if vec.shape == (dim,):
                    found[key] = vec
        return found

    def put(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        with self._db:  # one transaction
            self._db.executemany("INSERT OR IGNORE INTO vectors (key, vec) VALUES (?, ?)",
                                 ((k, np.asarray(v, np.float32).tobytes()) for k, v in items))

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> VectorCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
