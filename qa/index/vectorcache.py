"""The embedding cache of an index directory: chunk key -> vector, kept across builds in `embeddings.sqlite`.

A chunk's key hashes the model name with the chunk's context and text (`qa.index.indexer.chunk_key`), so a vector is
reused whenever the same model meets the same text again: after `--rebuild`, after a file is deleted and restored,
or when an old build has been pruned. Stored through `qa.index.blobcache` (one SQLite transaction per write).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from qa.index.blobcache import BlobCache

CACHE_NAME = "embeddings.sqlite"


class VectorCache(BlobCache):
    """Vectors by chunk key; `get` returns those it has, `put` adds new ones (existing keys are kept)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "vectors", "vec")

    def get(self, keys: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        vectors = {k: np.frombuffer(blob, np.float32) for k, blob in self.get_blobs(keys).items()}
        return {k: v for k, v in vectors.items() if v.shape == (dim,)}

    def put(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        self.put_blobs((k, np.asarray(v, np.float32).tobytes()) for k, v in items)
