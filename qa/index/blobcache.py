"""A key → bytes table in one SQLite file, the storage under the index's caches (`qa.index.vectorcache`,
`qa.index.tokencache`).

Every write is one SQLite transaction, so a writer killed mid-way leaves the file as it was before its last commit;
keys already stored are kept (`INSERT OR IGNORE`). Only the writer (under `qa.index.lock.writer_lock`) opens one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Self

_BATCH = 900  # SQLite's default limit on host parameters is 999


class BlobCache:
    """Bytes by key in `table` (`key`, `column`) of the SQLite file at `path`; subclasses encode and decode."""

    def __init__(self, path: Path, table: str, column: str) -> None:
        if not (table.isidentifier() and column.isidentifier()):
            raise ValueError(f"table and column must be plain names, got {table!r}, {column!r}")
        self.path, self._table, self._column = Path(path), table, column
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, {column} BLOB NOT NULL)")

    def get_blobs(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The stored bytes of those `keys` the cache holds."""
        found: dict[str, bytes] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _BATCH):
            part = unique[start : start + _BATCH]
            found.update(self._db.execute(f"SELECT key, {self._column} FROM {self._table} WHERE key IN "
                                          f"({','.join('?' * len(part))})", part))
        return found

    def put_blobs(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Store new keys' bytes in one transaction (keys already stored keep theirs)."""
        with self._db:
            self._db.executemany(f"INSERT OR IGNORE INTO {self._table} (key, {self._column}) VALUES (?, ?)", items)

    def __len__(self) -> int:
        return int(self._db.execute(f"SELECT COUNT(*) FROM {self._table}").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
