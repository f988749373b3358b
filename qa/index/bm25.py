"""Keyword index: BM25 (bm25s) over chunks segmented by qa.index.tokens.tokenize, saved as bm25s' plain files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.index.tokens import tokenize

if TYPE_CHECKING:
    from qa.index.store import Scope


class KeywordIndex:
    """BM25 over token lists; row i is chunk i of the store. Queries use the same tokenizer as documents."""

    def __init__(self, texts: list[str], show_progress: bool = False) -> None:
        import bm25s

        self.size = len(texts)
        self.bm25 = bm25s.BM25()
        if texts:
            self.bm25.index([tokenize(t) or ["<empty>"] for t in texts], show_progress=show_progress)

    def __len__(self) -> int:
        return self.size

    def search(self, query: str, k: int, scope: Scope | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the best `k` chunks with a positive score, best first (only rows of `scope`'s mask,
        when given)."""
        vocab = getattr(self.bm25, "vocab_dict", None) or {}
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens or not self.size:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        mask = None if scope is None else scope.mask.astype(np.float32)
        rows, scores = self.bm25.retrieve([tokens], k=min(k, self.size), show_progress=False, n_threads=1,
                                          weight_mask=mask)
        keep = scores[0] > 0
        return scores[0][keep], rows[0][keep].astype(np.int64)

    def save(self, path: Path) -> None:
        path.mkdir(exist_ok=True)
        self.bm25.save(str(path), show_progress=False)
        (path / "size.txt").write_text(str(self.size))

    @classmethod
    def load(cls, path: Path) -> KeywordIndex:
        import bm25s

        self = cls.__new__(cls)
        self.size = int((path / "size.txt").read_text())
        self.bm25 = bm25s.BM25.load(str(path), show_progress=False) if self.size else bm25s.BM25()
        return self
