"""The one Chinese tokenizer: normalise, convert traditional to simplified, segment with jieba + the union dictionary.

The same `tokenize` is used to index paragraphs and to read queries, so both sides always agree (a keyword index
records its segmentation, search or precise, and reads its queries with it).
`expand_query` adds the other form of known abbreviations (市总 ↔ 市总工会, 产改 ↔ 产业工人队伍建设改革) and the
standard name of a place alias (山城 → 重庆). The stopwords and both maps come from the lexicon (qa/lexicon.py).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

from qa.lexicon import PLACE_ALIASES, STOPWORDS, SYNONYMS, USER_DICT

log = logging.getLogger(__name__)

_WORD = re.compile(r"[\w\u4e00-\u9fff]")  # keep tokens holding a letter, digit or CJK character


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII), lower-case, traditional → simplified: the form in which
    questions and paragraphs are matched (tokens, key terms, entities)."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def as_written(part: str, source: str, norm: str | None = None) -> str:
    """`part`, a piece of `norm` = `normalize(source)`, as `source` writes it (its case, traditional characters,
    full-width forms: `ＪＲ東日本` for jr东日本); `part` itself when it is not in the normalized text or when
    normalizing `source` character by character does not give `norm` (NFKC composing across characters, an OpenCC
    conversion that changes the length)."""
    norm = normalize(source) if norm is None else norm
    at = norm.find(part) if part else -1
    if at < 0:
        return part
    pieces = [unicodedata.normalize("NFKC", ch).lower() for ch in source]
    owner = [i for i, piece in enumerate(pieces) for _ in piece]  # the source character behind each normalized one
    if to_simplified("".join(pieces)) != norm or len(owner) != len(norm):
        return part
    return source[owner[at] : owner[at + len(part) - 1] + 1]


def to_simplified(text: str) -> str:
    """Convert traditional characters to simplified with OpenCC's t2s table; simplified text is unchanged."""
    return _opencc().convert(text)


# jieba's two segmentations: "search" gives each word and the dictionary words inside it (沙坪坝区 → 沙坪, 坪坝,
# 坝区, 沙坪坝, 沙坪坝区), "precise" each word once (沙坪坝区). A keyword index records which one it was built with.
SEGMENTATIONS = {"search": "cut_for_search", "precise": "cut"}


def tokenize(text: str, segmentation: str = "search") -> list[str]:
    """Segment `text` for BM25: normalised, jieba words (`segmentation`: search or precise), no punctuation or
    stopwords."""
    if segmentation not in SEGMENTATIONS:
        raise ValueError(f"segmentation must be one of {sorted(SEGMENTATIONS)}, got {segmentation!r}")
    words = getattr(jieba_tokenizer(), SEGMENTATIONS[segmentation])(normalize(text))
    return [w for w in (w.strip() for w in words) if w and w not in STOPWORDS and _WORD.search(w)]


def expand_query(text: str) -> str:
    """Append the other form of each abbreviation found in `text` (市总 → also 市总工会) and the standard name of
    each place alias (山城 → also 重庆)."""
    norm = normalize(text)
    extra = [other for short, full in SYNONYMS for word, other in ((short, full), (full, short))
             if word in norm and other not in norm]
    extra += [name for alias, name in PLACE_ALIASES if alias in norm and name not in norm]
    return text if not extra else f"{text} {' '.join(dict.fromkeys(extra))}"


@lru_cache(maxsize=1)
def jieba_tokenizer():  # noqa: ANN202 - jieba has no type stubs
    """The one jieba tokenizer (the union dictionary loaded), shared by `tokenize` and question analysis."""
    import jieba

    jieba.setLogLevel(logging.WARNING)  # jieba prints its cache chatter at INFO; silence it at its own logger only
    tok = jieba.Tokenizer()
    tok.load_userdict(str(USER_DICT))
    return tok


@lru_cache(maxsize=1)
def _opencc():  # noqa: ANN202
    import opencc

    return opencc.OpenCC("t2s")
