"""Keyword index: BM25 (bm25s) over texts segmented by qa.index.tokens.tokenize, saved as bm25s' plain files.

A `KeywordSpec` says how: jieba's segmentation (search or precise) and bm25s' k1 and b. The index saves its spec
beside bm25s' files and reads queries with the same segmentation; an index saved without one (older builds) is
the search-mode default.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.index.stages import stage
from qa.index.tokens import SEGMENTATIONS, tokenize

if TYPE_CHECKING:
    from qa.index.store import Scope

SPEC_FILE = "spec.json"
Tokenized = Callable[[Sequence[str], str], list[list[str]]]  # (texts, segmentation) -> one token list per text


@dataclass(frozen=True)
class KeywordSpec:
    """How a keyword index segments its texts (and queries) and scores them."""

    segmentation: str = "search"  # qa.index.tokens.SEGMENTATIONS
    k1: float = 1.5  # term-frequency saturation (bm25s' default)
    b: float = 0.75  # length normalisation (bm25s' default)

    def __post_init__(self) -> None:
        if self.segmentation not in SEGMENTATIONS:
            raise ValueError(f"segmentation must be one of {sorted(SEGMENTATIONS)}, got {self.segmentation!r}")
        if self.k1 < 0 or not 0 <= self.b <= 1:
            raise ValueError(f"BM25 needs k1 >= 0 and 0 <= b <= 1, got k1={self.k1!r}, b={self.b!r}")

    def record(self) -> dict[str, str | float]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict) -> KeywordSpec:
        return cls(**record)


class KeywordIndex:
    """BM25 over token lists; row i is text i as given (a chunk or a paragraph of the store)."""

    def __init__(self, texts: list[str], spec: KeywordSpec | None = None, show_progress: bool = False,
                 tokenized: Tokenized | None = None) -> None:
        """Index `texts`; `tokenized(texts, segmentation)` gives their token lists where a caller keeps them (the
        index's `qa.index.tokencache.TokenCache`), else each text is segmented here."""
        import bm25s

        self.spec = spec or KeywordSpec()
        self.size = len(texts)
        self.bm25 = bm25s.BM25(k1=self.spec.k1, b=self.spec.b)
        if texts:
            with stage("tokenise"):
                lists = tokenized(texts, self.spec.segmentation) if tokenized else [self._tokens(t) for t in texts]
                tokens = [t or ["<empty>"] for t in lists]
            with stage("bm25"):
                self.bm25.index(tokens, show_progress=show_progress)

    def __len__(self) -> int:
        return self.size

    def _tokens(self, text: str) -> list[str]:
        return tokenize(text, self.spec.segmentation)

    def search(self, query: str, k: int, scope: Scope | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the best `k` rows with a positive score, best first (only rows of `scope`'s mask, when
        given; the scope must be over the same rows: `Store.scope` for chunks, `Store.paragraph_scope` for
        paragraphs)."""
        vocab = getattr(self.bm25, "vocab_dict", None) or {}
        tokens = [t for t in self._tokens(query) if t in vocab]
        if not tokens or not self.size:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        mask = None if scope is None else scope.mask.astype(np.float32)
        rows, scores = self.bm25.retrieve([tokens], k=min(k, self.size), show_progress=False, n_threads=1,
                                          weight_mask=mask)
        keep = scores[0] > 0
        return scores[0][keep], rows[0][keep].astype(np.int64)

    def save(self, path: Path) -> None:
        path.mkdir(exist_ok=True)
        if self.size:  # bm25s cannot save an empty index; `load` reads size 0 as one
            self.bm25.save(str(path), show_progress=False)
        (path / "size.txt").write_text(str(self.size))
        (path / SPEC_FILE).write_text(json.dumps(self.spec.record()))

    @classmethod
    def load(cls, path: Path) -> KeywordIndex:
        import bm25s

        self = cls.__new__(cls)
        self.size = int((path / "size.txt").read_text())
        spec_file = path / SPEC_FILE
        self.spec = KeywordSpec.from_record(json.loads(spec_file.read_text())) if spec_file.exists() else KeywordSpec()
        self.bm25 = bm25s.BM25.load(str(path), show_progress=False) if self.size else bm25s.BM25()
        return self
