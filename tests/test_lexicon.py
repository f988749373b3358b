"""The domain lexicon: its data files are well formed, each word is written once, and the patterns built from them
do what their names say."""

from __future__ import annotations

import itertools
import re

import pytest

from qa.lexicon import (
    ASK_UNIT,
    DATA_DIR,
    EN_PLACE_PHRASES,
    EN_PLACES,
    EN_TERMS,
    NUMERAL_CHARS,
    ORG_NAME_SUFFIX,
    ORG_SUFFIX,
    PLACE_SUFFIX,
    QUESTION_WORD,
    QUESTION_WORDS,
    STOPWORDS,
    SUBJECT_WORD,
    SURFACE_SUFFIX,
    UNITS,
    read_pairs,
    read_words,
)
from qa.query.question import cn_to_int, int_to_cn

WORD_FILES = sorted(p.name for p in DATA_DIR.glob("*.txt") if p.name != "union_dict.txt")  # jieba's own format
PAIR_FILES = sorted(p.name for p in DATA_DIR.glob("*.tsv"))
USES = {"org_suffixes.tsv": {"question", "sentence", "followup"}, "place_suffixes.tsv": {"question", "followup"}}


@pytest.mark.parametrize("name", WORD_FILES + PAIR_FILES)
def test_every_file_says_what_it_is_and_repeats_nothing(name):
    assert (DATA_DIR / name).read_text(encoding="utf-8").startswith("# ")
    rows = read_words(name) if name.endswith(".txt") else read_pairs(name)
    assert rows and len(set(rows)) == len(rows)
    assert all(" " not in word for word in rows) if name.endswith(".txt") else all(all(row) for row in rows)


def test_words_shared_by_two_lists_are_written_once():
    groups = [("question_words.txt", "stopwords.txt", "question_fillers.txt"),
              ("en_stopwords.txt", "en_lookup_stopwords.txt")]
    for names in groups:
        for a, b in itertools.combinations(names, 2):
            assert not set(read_words(a)) & set(read_words(b)), (a, b)
    shared = set(read_words("question_words.txt"))
    assert shared <= STOPWORDS and shared <= QUESTION_WORDS


@pytest.mark.parametrize("name", sorted(USES))
def test_suffix_files_name_known_uses_longest_first(name):
    rows = read_pairs(name)
    assert {use for _, uses in rows for use in uses.split(",")} == USES[name]
    words = [w for w, _ in rows]
    assert all(words.index(long) < words.index(short) for long in words for short in words
               if long != short and long.endswith(short))


def test_units_longest_first_where_one_is_a_prefix():
    assert all(UNITS.index(long) < UNITS.index(short) for long in UNITS for short in UNITS
               if long != short and long.startswith(short))


def test_english_terms_longest_phrase_first():
    phrases = [en for en, _ in EN_TERMS]
    assert not [(long, short) for i, short in enumerate(phrases) for long in phrases[i + 1 :]
                if re.search(rf"\b{re.escape(short)}(?:s|es)?\b", long)]


def test_patterns():
    assert QUESTION_WORD.search("沙坪坝区建了多少个工会驿站").group(0) == "多少"
    assert ASK_UNIT.search("建了多少个驿站").group(1) == "个" and ASK_UNIT.search("那几年") is None
    assert PLACE_SUFFIX.sub("", "沙坪坝区") == "沙坪坝" and ORG_NAME_SUFFIX.sub("", "沙坪坝区总工会") == "沙坪坝"
    assert SURFACE_SUFFIX.match("区建了").group(0) == "区" and SUBJECT_WORD.search("总工会")
    assert "银行" in ORG_SUFFIX.split("|") and "银行" not in ORG_NAME_SUFFIX.pattern
    assert EN_PLACES["shapingba"] == "沙坪坝" and dict(EN_PLACE_PHRASES)["hong kong"] == "香港"


def test_numerals_round_trip():
    assert [cn_to_int(int_to_cn(n)) for n in range(1, 100)] == list(range(1, 100))
    assert int_to_cn(25) == "二十五" and cn_to_int("两") == 2 and NUMERAL_CHARS.startswith("一二两")
