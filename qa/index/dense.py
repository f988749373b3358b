"""Dense index: a faiss inner-product index over L2-normalised chunk vectors (inner product = cosine)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class DenseIndex:
    """Exact inner-product search over chunk vectors; row i of the index is chunk i of the store."""

    def __init__(self, xb: np.ndarray) -> None:
        import faiss

        if xb.ndim != 2:
            raise ValueError(f"vectors must be a 2-d array, got shape {xb.shape}")
        self.index = faiss.IndexFlatIP(xb.shape[1])
        if len(xb):
            self.index.add(np.ascontiguousarray(xb, dtype=np.float32))

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, xq: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """faiss-style (D, I) for each query row; I is -1 where fewer than k vectors exist."""
        k = max(1, min(k, len(self))) if len(self) else 1
        if not len(self):
            return np.zeros((len(xq), 1), np.float32), -np.ones((len(xq), 1), np.int64)
        return self.index.search(np.ascontiguousarray(xq, dtype=np.float32), k)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        import faiss

        self = cls.__new__(cls)
        self.index = faiss.read_index(str(path))
        return self
