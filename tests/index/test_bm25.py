"""The keyword index: its spec (segmentation, k1, b) is used for documents and queries and survives save/load."""

import json

import numpy as np
import pytest

from qa.index.bm25 import SPEC_FILE, KeywordIndex, KeywordSpec

TEXTS = ["沙坪坝区总工会建成工会驿站174个。", "巫山县建立新就业形态工会组织41个。",
         "江北区开展劳动竞赛，共有104个项目参赛。"]


def test_spec_checks_its_values():
    with pytest.raises(ValueError, match="segmentation"):
        KeywordSpec("fine")
    with pytest.raises(ValueError, match="k1"):
        KeywordSpec(k1=-1.0)
    with pytest.raises(ValueError, match="b="):
        KeywordSpec(b=1.5)


def test_precise_index_matches_whole_words_only():
    search = KeywordIndex(TEXTS, KeywordSpec("search"))
    precise = KeywordIndex(TEXTS, KeywordSpec("precise"))
    # 驿站 is a word inside 工会驿站: search mode indexes it, precise mode does not
    assert search.search("驿站", 3)[1].tolist() == [0]
    assert precise.search("驿站", 3)[1].tolist() == []
    assert precise.search("工会驿站", 3)[1].tolist() == [0]


def test_k1_and_b_reach_the_scores():
    texts = ["工会 工会 工会 驿站", "工会 驿站 劳动 竞赛 项目 参赛 组织"]
    low, high = KeywordIndex(texts, KeywordSpec("precise", k1=0.5)), KeywordIndex(texts, KeywordSpec("precise", k1=3))
    assert not np.allclose(low.search("工会", 2)[0], high.search("工会", 2)[0])


def test_save_load_keeps_spec_and_ranking(tmp_path):
    index = KeywordIndex(TEXTS, KeywordSpec("precise", k1=0.9, b=0.6))
    index.save(tmp_path)
    loaded = KeywordIndex.load(tmp_path)
    assert loaded.spec == index.spec and len(loaded) == 3
    for query in ("驿站", "工会驿站", "劳动竞赛 项目"):
        s1, r1 = index.search(query, 3)
        s2, r2 = loaded.search(query, 3)
        assert r1.tolist() == r2.tolist() and np.allclose(s1, s2)


def test_an_index_saved_without_spec_reads_as_search_mode(tmp_path):
    KeywordIndex(TEXTS).save(tmp_path)
    (tmp_path / SPEC_FILE).unlink()
    assert KeywordIndex.load(tmp_path).spec == KeywordSpec()
    assert json.loads(json.dumps(KeywordSpec().record())) == {"segmentation": "search", "k1": 1.5, "b": 0.75}


def test_an_empty_index_saves_and_loads(tmp_path):
    from qa.index.bm25 import KeywordIndex

    KeywordIndex([]).save(tmp_path / "bm25")
    loaded = KeywordIndex.load(tmp_path / "bm25")
    assert len(loaded) == 0 and loaded.search("工会", 5)[1].size == 0
