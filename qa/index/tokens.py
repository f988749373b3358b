"""The one Chinese tokenizer: normalise, convert traditional to simplified, segment with jieba + the union dictionary.

The same `tokenize` is used to index paragraphs and to read queries, so both sides always agree.
`expand_query` adds the other form of known abbreviations (市总 ↔ 市总工会, 产改 ↔ 产业工人队伍建设改革).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parents[1] / "data"
_WORD = re.compile(r"[\w\u4e00-\u9fff]")  # keep tokens holding a letter, digit or CJK character

STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 等 也 都 有 为 对 把 被 将 由 从 以 其 之 这 那 个 中 上 下 来 去 又
    还 并 或 就 而 但 吗 呢 吧 啊 么 什么 多少 几 哪 哪些 哪个 哪里 哪儿 哪一年 哪年 怎么 怎样
    如何 为什么 为何 是否 是不是 谁 何时 什么时候 请问 一下 可以 能 会 要 吗 呢 请 问 哪家
    哪位 多大 多长 多久 情况 the a an of to in on for and or is are was were what which who
    whom how many much when where why did does do has have had by with""".split()
)


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII), lower-case, traditional → simplified."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def to_simplified(text: str) -> str:
    """Convert traditional characters to simplified with OpenCC's t2s table; simplified text is unchanged."""
    return _opencc().convert(text)


def tokenize(text: str) -> list[str]:
    """Segment `text` for BM25: normalised, jieba search-mode words, no punctuation or stopwords."""
    words = _jieba().cut_for_search(normalize(text))
    return [w for w in (w.strip() for w in words) if w and w not in STOPWORDS and _WORD.search(w)]


def expand_query(text: str) -> str:
    """Append the other form of each abbreviation found in `text` (市总 → also 市总工会)."""
    norm = normalize(text)
    extra = [other for short, full in _synonyms() for word, other in ((short, full), (full, short))
             if word in norm and other not in norm]
    extra += [name for alias, name in place_aliases() if alias in norm and name not in norm]
    return text if not extra else f"{text} {' '.join(dict.fromkeys(extra))}"


@lru_cache(maxsize=1)
def _jieba():  # noqa: ANN202 - jieba has no type stubs
    import jieba

    jieba.setLogLevel(logging.WARNING)  # jieba prints its cache chatter at INFO; silence it at its own logger only
    tok = jieba.Tokenizer()
    tok.load_userdict(str(DATA_DIR / "union_dict.txt"))
    return tok


@lru_cache(maxsize=1)
def _opencc():  # noqa: ANN202
    import opencc

    return opencc.OpenCC("t2s")


@cache
def read_pairs(name: str) -> tuple[tuple[str, str], ...]:
    """The (left, right) rows of a two-column TSV file in qa/data/ (`#` lines are comments)."""
    rows = (line.split("\t") for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#"))
    return tuple((left.strip(), right.strip()) for left, right in rows)


def _synonyms() -> tuple[tuple[str, str], ...]:
    return read_pairs("synonyms.tsv")  # abbreviation, full form


def place_aliases() -> tuple[tuple[str, str], ...]:
    """(alias, standard name) pairs from qa/data/place_aliases.tsv (山城 → 重庆, 粤省 → 广东)."""
    return read_pairs("place_aliases.tsv")
