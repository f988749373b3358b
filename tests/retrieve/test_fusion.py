"""The retriever's fusion: dense, chunk BM25 and paragraph BM25 rankings through RRF with Settings.rrf_k."""

from dataclasses import replace

import pytest

from qa.index.embed import HashingEmbedder
from qa.index.indexer import build_index
from qa.retrieve.retriever import Retriever, rrf

ROWS = {
    "a.jsonl": [
        {"id": "a", "title": "沙坪坝区总工会建驿站",
         "text": "沙坪坝区总工会建成工会驿站174个。\n\n驿站提供饮水、休息等服务。"},
        {"id": "b", "title": "巫山县新就业形态劳动者入会",
         "text": "巫山县建立新就业形态工会组织41个。\n\n建成工会驿站26处。"},
        {"id": "c", "title": "江北区劳动竞赛", "text": "江北区开展劳动竞赛，共有104个项目参赛。"},
    ],
}


@pytest.fixture
def retriever(tiny_settings, tmp_path):
    from tests.conftest import write_corpus

    settings = replace(tiny_settings, corpus_dir=write_corpus(tmp_path / "fusion", ROWS))
    store, _ = build_index(settings, HashingEmbedder())
    return Retriever(store, HashingEmbedder(), settings.candidates, settings.rrf_k)


QUERIES = ["沙坪坝区建了多少个工会驿站？", "巫山县工会驿站", "劳动竞赛项目", "新就业形态劳动者入会"]


@pytest.mark.parametrize("query", QUERIES)
def test_hybrid_is_rrf_of_dense_chunk_and_paragraph_rankings(retriever, query):
    dense, _ = retriever.dense_ranking(retriever.query_vector(query))
    chunk, paragraph = retriever.bm25_ranking(query), retriever.paragraph_bm25_ranking(query)
    assert paragraph, "the paragraph keyword index takes part"
    expected = {pid: sum(1 / (retriever.rrf_k + r.index(pid) + 1) for r in (dense, chunk, paragraph) if pid in r)
                for pid in {*dense, *chunk, *paragraph}}
    hits = retriever.search(query, k=10)
    assert [h.paragraph.id for h in hits] == [pid for pid, _ in sorted(expected.items(), key=lambda kv: (-kv[1],
                                                                                                         kv[0]))][:10]
    assert all(h.score == pytest.approx(expected[h.paragraph.id]) for h in hits)
    for h in hits:
        ranks = [r.index(h.paragraph.id) + 1 for r in (chunk, paragraph) if h.paragraph.id in r]
        assert h.bm25_rank == (min(ranks) if ranks else None)


def test_bm25_mode_fuses_both_keyword_rankings(retriever):
    query = "巫山县工会驿站"
    fused = rrf([retriever.bm25_ranking(query), retriever.paragraph_bm25_ranking(query)], retriever.rrf_k)
    assert [(h.paragraph.id, h.score) for h in retriever.search(query, 10, "bm25")] == fused[:10]


def test_the_paragraph_ranking_reads_the_query_with_its_own_segmentation(retriever):
    # 沙坪 is a word inside 沙坪坝区: the chunk index (search mode) has it, the paragraph index (precise) does not
    assert retriever.bm25_ranking("沙坪") and not retriever.paragraph_bm25_ranking("沙坪")


def test_a_small_rrf_k_lets_a_first_place_outweigh_two_middling_ones():
    # x is first on one side and sixth on the other, y third on both
    rankings = [["x", "a", "y", "b", "c", "d"], ["e", "f", "y", "g", "h", "x"]]
    assert [p for p, _ in rrf(rankings, 60)][0] == "y"  # 1/61 + 1/66 < 2/63
    assert [p for p, _ in rrf(rankings, 5)][0] == "x"  # 1/6 + 1/11 > 2/8


def test_qa_fuses_with_the_settings_rrf_k(tiny_settings):
    from qa.api import QA

    assert QA.open(replace(tiny_settings, rrf_k=7), HashingEmbedder()).retriever.rrf_k == 7
