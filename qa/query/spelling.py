"""Sound-alike slips in Chinese questions (pure): a union term typed with a pinyin input method as another word of the
same sound — 公会 for 工会, 驿占 for 驿站, 工惠驿站 for 工会驿站 — is read as the term, where the archive writes the
term and never the slip.

Only the domain's own terms are offered (the words of the union dictionary, qa/data/union_dict.txt, and the words
they are made of: 工会, 驿站 …), so a word the archive lacks is not turned into any word that sounds the same: 外卖骑手
in a question over an archive without it stays as it is (and is refused as a near-miss), not 旗手. A stretch of the
question is a slip only where it is whole jieba words of the question (公会 of 办公会议 is not), has the sound of a
term (toneless pinyin), is a rarer word than the term (not 总共 for 总工), and the archive holds the term but not the
stretch (`count`, the paragraph document frequency).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from qa.lexicon import USER_DICT
from qa.query.question import words_at

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_LONGEST = 8  # characters: the longest stretch compared with a term


@cache
def _terms_by_sound() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin → the domain terms that sound so (the union dictionary's words and their jieba words of two
    characters or more)."""
    from pypinyin import lazy_pinyin

    from qa.index.tokens import tokenize

    words = [line.split()[0] for line in USER_DICT.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    terms = dict.fromkeys(t for w in words for t in (w, *tokenize(w)) if len(t) >= 2 and _CJK.fullmatch(t))
    out: dict[str, list[str]] = {}
    for term in terms:
        out.setdefault("".join(lazy_pinyin(term)), []).append(term)
    return {sound: tuple(found) for sound, found in out.items()}


def _common(word: str) -> int:
    """How common `word` is in Chinese (jieba's dictionary count; 0 for no word): a slip is rarer than its term
    (公会 187 < 工会 981), while a word more common than the term it sounds like was meant (总共 660, not 总工 53)."""
    from qa.index.tokens import jieba_tokenizer

    return jieba_tokenizer().FREQ.get(word) or 0


def sound_alike_terms(norm: str, count: Callable[[str], int]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """`norm` (a normalised Chinese question) with each slip replaced by the term it sounds like, and the
    (slip, term) pairs; `norm` unchanged and () when there is none. `count(text)` is how many paragraphs of the
    archive hold `text`."""
    from pypinyin import lazy_pinyin

    by_sound = _terms_by_sound()
    bounds = {0, len(norm)} | {s for s, _, _ in words_at(norm)} | {s + len(w) for s, w, _ in words_at(norm)}
    fixes: list[tuple[int, int, str]] = []
    for run in _CJK.finditer(norm):
        start = run.start()
        while start < run.end():
            for end in range(min(run.end(), start + _LONGEST), start + 1, -1):
                stretch = norm[start:end]
                if start not in bounds or end not in bounds:
                    continue
                terms = by_sound.get("".join(lazy_pinyin(stretch)), ())
                term = max((t for t in terms if t != stretch and count(t)), key=count, default="")
                if term and not count(stretch) and _common(stretch) < _common(term):
                    fixes.append((start, end, term))
                    start = end - 1
                    break
            start += 1
    if not fixes:
        return norm, ()
    out, at = [], 0
    for start, end, term in fixes:
        out += [norm[at:start], term]
        at = end
    return "".join([*out, norm[at:]]), tuple((norm[s:e], t) for s, e, t in fixes)
