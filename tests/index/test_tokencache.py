"""The token cache: the tokens `tokenize` gives, segmented once per text and segmentation, kept across opens; a
keyword index built from cached tokens equals one that segments its texts."""

import numpy as np

from qa.index.bm25 import KeywordIndex, KeywordSpec
from qa.index.tokencache import TokenCache, token_key
from qa.index.tokens import tokenize

TEXTS = ["沙坪坝区总工会建成工会驿站174个。", "巫山县建立新就业形态工会组织41个。", "的，。", "",
         "江北区 开展\n劳动竞赛，共有104个项目参赛。"]


def test_tokens_are_tokenize_s_and_segmented_once(tmp_path):
    with TokenCache(tmp_path / "tokens.sqlite") as cache:
        assert cache.tokens(TEXTS, "search") == [tokenize(t, "search") for t in TEXTS]
        assert cache.segmented == len(TEXTS)
        assert cache.tokens(TEXTS[:2], "search") == [tokenize(t, "search") for t in TEXTS[:2]]
        assert cache.segmented == len(TEXTS)  # known already
        assert cache.tokens(TEXTS[:1], "precise") == [tokenize(TEXTS[0], "precise")]
        assert cache.segmented == len(TEXTS) + 1  # another segmentation is another key
    with TokenCache(tmp_path / "tokens.sqlite") as cache:  # kept across opens
        assert cache.tokens(TEXTS, "search") == [tokenize(t, "search") for t in TEXTS]
        assert cache.segmented == 0 and len(cache) == len(TEXTS) + 1


def test_a_repeated_text_is_segmented_once(tmp_path):
    with TokenCache(tmp_path / "tokens.sqlite") as cache:
        assert len(cache.tokens([TEXTS[0], TEXTS[0]], "search")) == 2 and cache.segmented == 1


def test_the_key_names_the_text_and_the_segmentation():
    assert token_key("工会", "search") != token_key("工会", "precise") != token_key("工人", "precise")


def test_a_keyword_index_from_cached_tokens_equals_one_that_segments(tmp_path):
    with TokenCache(tmp_path / "tokens.sqlite") as cache:
        cached = KeywordIndex(TEXTS, KeywordSpec("search"), tokenized=cache.tokens)
    plain = KeywordIndex(TEXTS, KeywordSpec("search"))
    for query in ("工会驿站", "劳动竞赛项目", "巫山县"):
        for a, b in zip(cached.search(query, 5), plain.search(query, 5), strict=True):
            assert np.array_equal(a, b)
