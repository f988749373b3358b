"""The one writer lock of an index directory: `qa index`, the UI's uploads and deletes, and a second UI all take it.

It is an OS file lock (filelock over `flock`), so it is released when its process dies, even by `kill -9`: a
crashed writer never blocks the next one. The same thread may take it again (the library holds it around a corpus
change and the index update inside it); other threads and processes wait up to `timeout` seconds, then get an
`IndexBusyError` that says who to wait for. `acquire_waiting` is the same wait for any lock file (the reader model's
join takes it too).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from qa.errors import IndexBusyError

log = logging.getLogger(__name__)

LOCK_NAME = ".writer.lock"


@contextmanager
def writer_lock(index_dir: Path, timeout: float = 600.0) -> Iterator[None]:
    """Hold the writer lock of `index_dir` (created if missing) for the `with` block."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    try:
        lock = acquire_waiting(index_dir / LOCK_NAME, "another writer (`qa index` or the UI's library) is updating "
                               f"{index_dir}; waiting up to {timeout:.0f} s", timeout, reentrant=True)
    except Timeout as exc:
        raise IndexBusyError(f"another process is still writing the index at {index_dir} (a `qa index` run or "
                             f"an upload/delete in the UI) after {timeout:.0f} s: try again when it has "
                             "finished") from exc
    try:
        yield
    finally:
        lock.release()


def acquire_waiting(path: Path, waiting: str, timeout: float = -1, reentrant: bool = False) -> FileLock:
    """The OS file lock at `path`, acquired: when another process (or thread) holds it, `waiting` is logged and this
    one waits up to `timeout` seconds (-1: as long as it takes), else filelock's `Timeout`. `reentrant`: the same
    thread may take it again (one lock object per path). The caller releases it."""
    lock = FileLock(path, is_singleton=reentrant)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        log.warning("%s", waiting)
        lock.acquire(timeout=timeout)
    return lock
