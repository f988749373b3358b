"""The domain lexicon: every word list of qa/data/, read once, and the patterns built from them.

Each list lives in one plain file (one word a line, or `left<TAB>right` rows; the `#` header says what it is and
who reads it) and is imported from here by the tokenizer (qa/index/tokens.py), question analysis
(qa/query/question.py), follow-ups (qa/query/followup.py), English questions (qa/query/english.py) and the answer's
stages (qa/answer/scoring.py, extend.py, facts.py): it is domain data shared by the index and query steps, so it
sits at the top of the package, not inside either. Where two uses need different lists, both are named here from
one file (`STOPWORDS` and `QUESTION_WORDS` share question_words.txt; org_suffixes.tsv marks which use reads which
word), and the file's header says why.
Everything here is immutable, so concurrent requests share it freely. Not to be confused with `english.Lexicon`,
the English → corpus-word lookup built per index.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from types import MappingProxyType

DATA_DIR = Path(__file__).parent / "data"
USER_DICT = DATA_DIR / "union_dict.txt"  # jieba's user dictionary (word, frequency, tag), loaded by the tokenizer


def _lines(name: str) -> list[str]:
    return [line for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


@cache
def read_words(name: str) -> tuple[str, ...]:
    """The words of a one-word-a-line file in qa/data/, in file order (`#` lines are comments)."""
    return tuple(line.strip() for line in _lines(name))


@cache
def read_pairs(name: str) -> tuple[tuple[str, str], ...]:
    """The (left, right) rows of a two-column TSV file in qa/data/ (`#` lines are comments)."""
    rows = (line.split("\t") for line in _lines(name))
    return tuple((left.strip(), right.strip()) for left, right in rows)


def _used_by(name: str, use: str) -> tuple[str, ...]:
    """The words of a `word<TAB>uses` file whose comma-separated uses include `use`, in file order."""
    return tuple(word for word, uses in read_pairs(name) if use in uses.split(","))


def _grouped(rows: tuple[tuple[str, str], ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(key, values) in order of first appearance from (key, value) rows."""
    groups: dict[str, list[str]] = {}
    for key, value in rows:
        groups.setdefault(key, []).append(value)
    return tuple((key, tuple(values)) for key, values in groups.items())


# --- words that are never a topic --------------------------------------------------------------------------------
_ASKING = read_words("question_words.txt")  # shared by the two lists below
STOPWORDS = frozenset((*_ASKING, *read_words("stopwords.txt"), *read_words("en_stopwords.txt")))  # tokenizer drops
QUESTION_WORDS = frozenset((*_ASKING, *read_words("question_fillers.txt")))  # never a question's key term
QUESTION_WORD = re.compile("|".join(read_words("question_stems.txt")))  # where a question asks
EN_STOPWORDS = frozenset((*read_words("en_stopwords.txt"), *read_words("en_lookup_stopwords.txt")))
EN_GENERIC = frozenset(read_words("en_generic.txt"))  # never translated as a single word

# --- quantities --------------------------------------------------------------------------------------------------
UNITS = read_words("units.txt")  # measure words after a quantity, longest first where one is a prefix of another
ASKED_UNITS = "|".join(u for u in UNITS if u != "%")  # the units 多少/几 can ask for
MEASURE_CHARS = "".join(u for u in UNITS if len(u) == 1 and u not in "万%")  # one-character ones (万 is a magnitude)
ASK_UNIT = re.compile(rf"(?:多少|(?<![那这近前后好])几)\s*(?:万|千|百|亿)?({ASKED_UNITS})")  # 那几年 asks nothing
UNIT_NOUNS = _grouped(read_pairs("unit_nouns.tsv"))  # (unit, nouns asking for it): 元 for 资金, % for 比例
NUMERALS = tuple((numeral, int(value)) for numeral, value in read_pairs("numerals.tsv"))  # 一 1, 两 2, 十 10 …
CN_DIGITS = MappingProxyType({numeral: value for numeral, value in NUMERALS if value < 10})  # 零…九 and 两
NUMERAL_CHARS = "".join(numeral for numeral, value in NUMERALS if value)  # 一二两三…十百千: a quantity in Chinese


def _written(value: int) -> str:
    return next(numeral for numeral, v in NUMERALS if v == value)  # the first one of a value: 二, not 两


DIGIT_NAMES = "".join(_written(v) for v in range(10))  # 零一二…九: the numeral written for each digit
ORDINAL_NUMERALS = "".join(_written(v) for v in range(1, 11))  # 一…十: the numerals of 第N届

# --- names -------------------------------------------------------------------------------------------------------
PROVINCES = frozenset(read_words("provinces.txt"))
NOT_ENTITIES = frozenset(read_words("not_entities.txt"))  # tagged as names by jieba, never a particular one
IMPLICIT_ENTITIES = frozenset(read_words("implicit_entities.txt"))  # 中国 …: the evidence need not name them
LOCATIVES = "中内上下里外"  # follow a noun to say where (总量中, 市内); a word starting with one may be an artefact
SURNAMES = frozenset(read_words("surnames.txt"))
COUNTRIES = frozenset(read_words("countries.txt"))  # 日本, 乌克兰: the places a 哪个国家 question asks for
PLACE_KINDS = read_pairs("place_kinds.tsv")  # (asked word, suffix): 城市 → 市, 省份 → 省, 国家 → 国
PLACE_ALIASES = read_pairs("place_aliases.tsv")  # (alias, standard name): 山城 → 重庆, 粤省 → 广东
SYNONYMS = read_pairs("synonyms.tsv")  # (abbreviation, full form): 市总 → 市总工会
# Suffixes: each use reads its own rows of one file (the files say why the lists differ).
PLACE_SUFFIXES = tuple(dict.fromkeys(s for s, _ in read_pairs("place_suffixes.tsv")))  # 市, 县 … joined to a place
PLACE_SUFFIX = re.compile(f"({'|'.join(_used_by('place_suffixes.tsv', 'question'))})$")  # 沙坪坝区 → 沙坪坝
ORG_NAME_SUFFIX = re.compile(f"({'|'.join(_used_by('org_suffixes.tsv', 'question'))})$")  # 沙坪坝区总工会 → 沙坪坝
SURFACE_SUFFIX = re.compile(f"({'|'.join(_used_by('place_suffixes.tsv', 'followup'))}|年)")  # kept in a swap: 区, 年
ORG_SUFFIX = "|".join(_used_by("org_suffixes.tsv", "sentence"))  # ends an organisation named in a sentence
SUBJECT_WORD = re.compile("|".join(_used_by("org_suffixes.tsv", "followup")))  # completes a subject: 沙坪坝区+总工会

# --- news openings (qa/ingest/clean.py, qa/answer/facts.py) --------------------------------------------------------
# an agency dateline opening a news item: 新华社北京8月1日电(商务部…), 【环球时报8月2日讯】; not 8月1日电力/电商…
AGENCY_DATELINE = (r"[【\[]?[^，。,\s【】]{0,12}?(?:社|网|报|台|经纬|客户端|新闻|APP)[^，。,\s]{0,8}?\d{1,2}月\d{1,2}日"
                   r"(?:电(?![力费价量池站动视影话子器车源厂梯竞网信台压流缆脑]|商(?!务))|讯(?![号息]))[】\]]?")

# --- answer cues (qa/answer/scoring.py, facts.py) ----------------------------------------------------------------
def cues(cue: str, file: str = "answer_cues.tsv") -> str:
    """The words of one cue of a cue file (answer_cues.tsv, name_cues.tsv) as a regex alternation, in file order."""
    return "|".join(cue_words(cue, file))


def cue_words(cue: str, file: str = "answer_cues.tsv") -> tuple[str, ...]:
    """The words of one cue of a cue file, in file order."""
    return tuple(word for word, kind in read_pairs(file) if kind == cue)


RELATIVE_DATE = re.compile(cues("relative_date"))  # 近日, 今年 …: a date relative to the article's
EXPLAIN_CUE = re.compile(cues("explain"))  # 通过, 为了 …: how or why
CAUSE_WORDS = frozenset(cue_words("cause"))  # 由于, 因为 …: the reason follows in the clause
CONSEQUENCE_WORDS = frozenset(cue_words("consequence"))  # 因此, 所以 …: the reason is the clause before
ASKS_REASON = re.compile(cues("asks_reason"))  # 为什么, 原因: a why question
ROLE_WORD = re.compile(cues("role"))  # 主席, 记者 …: a person's role
BYLINE_ROLES = frozenset(cue_words("byline"))  # 记者: in every news byline, no sign of the answer
PLACE_NAME = re.compile(rf"[\u4e00-\u9fff]{{2,}}(?:{cues('place_end')})")  # 重庆大学, 江北区
EVENT_VERBS = cues("event_verb")  # 举行, 召开 …: an event at a venue
VENUE = re.compile(rf"在[^，,。；]{{2,30}}?(?:{EVENT_VERBS})")  # 在重庆市工人文化宫举行
LOCATED = re.compile(cues("locate"))  # 位于 …: where something lies follows
VENUE_VERB = re.compile(rf"(?:{cues('event_adverb')})?(?:{EVENT_VERBS})$")  # the verb ending a venue phrase
LEAD_VERB = re.compile(rf"(?:{cues('lead_verb')})[，,：:]?$")  # 预告显示，: the clause's content is the next one
SLOT_PREPOSITION = re.compile(f"(?:{cues('slot_preposition')})$")  # 在 of 在哪里: bounds the slot's left side
NAME_TITLE = cues("title", "name_cues.tsv")  # 参谋长, 总干事 …: a name follows
NAME_END = cues("end", "name_cues.tsv")  # 在, 表示 …: ends the name before it
BYLINE = cues("byline", "name_cues.tsv")  # 记者, 通讯员 …: the names after it are the reporters''

# --- the English glossary ----------------------------------------------------------------------------------------
_EN_PLACE_ROWS = read_pairs("en_places.tsv")
EN_PLACES = MappingProxyType({en: zh for en, zh in _EN_PLACE_ROWS if " " not in en})  # one-word names, in order
EN_PLACE_PHRASES = tuple((en, zh) for en, zh in _EN_PLACE_ROWS if " " in en)  # hong kong, inner mongolia
EN_TERMS = read_pairs("en_terms.tsv")  # (english, chinese), longest phrase first
