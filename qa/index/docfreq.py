"""Document frequencies of question terms over the indexed paragraphs, without scanning every paragraph.

`DocFreq(keyword, texts)` answers "in how many paragraph texts does this term occur" from the paragraph keyword
index (bm25s' sparse matrix: a token's column holds the rows it occurs in), so a question costs O(its terms) bounded
steps, not a scan of every paragraph. A paragraph that holds a term holds, for each of its characters, a token with
that character; the rows where all of them meet are the candidates (a mask per character, kept for the next
questions). Where at most `verify_max` rows are candidates their texts are checked for the term: the same count as
a scan, so rare terms, whose weight matters, are exact. Above it `verify_max` evenly spaced candidates are checked and
the share found scales the count (an estimate for common terms, where the weight is near its floor anyway). What it
misses nothing the tokens can show: characters of stopwords (的, 了, 可能) and punctuation (+) are not used to narrow.

`ScanFreq(texts)` is the old way, a substring scan of every text, memoised per term: for indexes built before the
paragraph keyword index.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np

from qa.index.bm25 import KeywordIndex
from qa.index.tokens import _WORD
from qa.lexicon import STOPWORDS

VERIFY_MAX = 2000  # candidate rows checked for the term itself; above it the count of candidates is the frequency
MASKS_MAX = 256  # per-character row masks kept (size: paragraphs bytes each)
MEMO_MAX = 50_000  # terms remembered by ScanFreq before it starts over
_UNSURE = frozenset(c for w in STOPWORDS for c in w)  # a text may hold these where the tokenizer kept no token


class DocFreq:
    """Paragraph document frequency of a term from the paragraph keyword index (row i = texts[i])."""

    def __init__(self, keyword: KeywordIndex, texts: Sequence[str], verify_max: int = VERIFY_MAX) -> None:
        scores = keyword.bm25.scores if keyword.size else {}
        self.indptr = np.asarray(scores.get("indptr", np.zeros(1, np.int64)), np.int64)
        self.indices = np.asarray(scores.get("indices", np.zeros(0, np.int64)), np.int64)
        self.vocab: dict[str, int] = dict(getattr(keyword.bm25, "vocab_dict", None) or {}) if keyword.size else {}
        self.texts = texts
        self.size = len(texts)
        self.verify_max = verify_max
        self._by_char: dict[str, np.ndarray] | None = None
        self._masks: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, terms: Iterable[str]) -> dict[str, int]:
        return {t: self.count(t) for t in terms}

    def count(self, term: str) -> int:
        """Paragraphs whose text holds `term`: exact where at most `verify_max` rows hold a token with each of its
        characters, else estimated from `verify_max` of those rows, evenly spaced."""
        if not term or not self.size:
            return 0
        masks = [self._char_rows(c) for c in set(term) if c not in _UNSURE and _WORD.match(c)]
        if not masks:
            rows = np.arange(self.size)
        else:
            rows = np.flatnonzero(np.logical_and.reduce(masks) if len(masks) > 1 else masks[0])
        if rows.size <= self.verify_max:
            return sum(term in self.texts[i] for i in rows.tolist())
        sample = rows[np.linspace(0, rows.size - 1, self.verify_max).astype(np.int64)]
        found = sum(term in self.texts[i] for i in sample.tolist())
        return round(rows.size * found / self.verify_max)

    def _char_rows(self, char: str) -> np.ndarray:
        """Mask of the rows holding a vocabulary token with `char` (the last `MASKS_MAX` asked are kept)."""
        with self._lock:
            mask = self._masks.get(char)
            if mask is not None:
                self._masks.move_to_end(char)
                return mask
        ids = self._char_map().get(char)
        mask = np.zeros(self.size, bool)
        if ids is not None and ids.size:
            starts, ends = self.indptr[ids], self.indptr[ids + 1]
            lens = ends - starts
            total = int(lens.sum())
            if total:
                offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
                mask[self.indices[offsets + np.arange(total)]] = True
        with self._lock:
            self._masks[char] = mask
            while len(self._masks) > MASKS_MAX:
                self._masks.popitem(last=False)
        return mask

    def _char_map(self) -> dict[str, np.ndarray]:
        """Character -> ids of the vocabulary tokens holding it (with postings), built on first use."""
        if self._by_char is None:
            with self._lock:
                if self._by_char is None:
                    by_char: dict[str, list[int]] = {}
                    last = len(self.indptr) - 1  # a token id at or past it has no column
                    for token, j in self.vocab.items():
                        if j < last:
                            for c in set(token):
                                by_char.setdefault(c, []).append(j)
                    self._by_char = {c: np.array(ids, np.int64) for c, ids in by_char.items()}
        return self._by_char


class ScanFreq:
    """The substring scan of every text, memoised per term (older indexes without a paragraph keyword index)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self.size = len(texts)
        self._memo: dict[str, int] = {}

    def __call__(self, terms: Iterable[str]) -> dict[str, int]:
        return {t: self.count(t) for t in terms}

    def count(self, term: str) -> int:
        known = self._memo.get(term)
        if known is None:
            known = sum(term in x for x in self.texts)
            if len(self._memo) >= MEMO_MAX:
                self._memo.clear()
            self._memo[term] = known
        return known
