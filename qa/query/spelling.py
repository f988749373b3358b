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

import logging
import re
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

from qa.lexicon import USER_DICT
from qa.query.question import words_at

log = logging.getLogger(__name__)

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_LONGEST = 8  # characters: the longest stretch compared with a term
_NAME_FLAGS = ("nr", "ns", "nt")  # jieba: a person, place or organisation — a name, not a slip (龚辉 is no 工会)


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


class Slip(NamedTuple):
    """A stretch `norm[start:end]` of the question read as `term`."""

    start: int
    end: int
    text: str
    term: str


def sound_alike_terms(norm: str, count: Callable[[str], int]) -> tuple[Slip, ...]:
    """The slips of `norm` (a normalised Chinese question), left to right; () when there is none. `count(text)` is how
    many paragraphs of the archive hold `text`. A stretch named as a person, place or organisation by jieba (龚辉) or
    sharing no character with the term is never a slip: a pinyin slip keeps some of the term's characters."""
    from pypinyin import lazy_pinyin

    by_sound = _terms_by_sound()
    words = words_at(norm)
    bounds = {0, len(norm)} | {s for s, _, _ in words} | {s + len(w) for s, w, _ in words}
    named = {(s, s + len(w)) for s, w, f in words if f.startswith(_NAME_FLAGS)}
    slips: list[Slip] = []
    for run in _CJK.finditer(norm):
        start = run.start()
        while start < run.end():
            for end in range(min(run.end(), start + _LONGEST), start + 1, -1):
                stretch = norm[start:end]
                if start not in bounds or end not in bounds or any(start <= a and b <= end for a, b in named):
                    continue
                terms = by_sound.get("".join(lazy_pinyin(stretch)), ())
                terms = [t for t in terms if t != stretch and set(t) & set(stretch) and count(t)]
                term = max(terms, key=count, default="")
                if term and not count(stretch) and _common(stretch) < _common(term):
                    slips.append(Slip(start, end, stretch, term))
                    start = end - 1
                    break
            start += 1
    return tuple(slips)


def read_sound_alikes(question: str, count: Callable[[str], int]) -> str:
    """`question` with each slip read as its term (`sound_alike_terms` on its normalised form), written as the
    question writes the rest (traditional, full-width) where normalising kept its length; an English question as
    it is."""
    from qa.index.tokens import normalize
    from qa.query.question import is_english

    if is_english(question):
        return question
    norm = normalize(question)
    slips = sound_alike_terms(norm, count)
    if not slips:
        return question
    log.debug("read %s", "、".join(f"{s.text} as {s.term}" for s in slips))
    return read_as_terms(question if len(norm) == len(question) else norm, slips)


def read_as_terms(text: str, slips: tuple[Slip, ...]) -> str:
    """`text` (the question as written, or its normalised form: the same length) with each slip's term in its place."""
    out, at = [], 0
    for slip in slips:
        out += [text[at : slip.start], slip.term]
        at = slip.end
    return "".join([*out, text[at:]])
