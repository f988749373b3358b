"""The plain baselines on a tiny corpus: jieba-BM25 without the union dictionary, dense over the index's vectors,
their RRF, and the best-overlap sentence they answer with (hashing embedder, no real model)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import write_corpus

from qa.errors import QAError
from qa.eval.baselines import PLAIN, PlainBM25, PlainDense, PlainRRF, overlap_answer, overlap_sentence, plain_systems
from qa.index.embed import HashingEmbedder
from qa.index.indexer import build_index
from qa.index.store import Store
from qa.retrieve.retriever import rrf
from qa.schema import Hit, Paragraph
from qa.settings import Settings

ROAD = {"road.jsonl": [{"id": "road", "title": "公路建设",
                        "text": "全市新建农村公路300公里。\n\n公路养护由交通局负责。"}]}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The conftest's two union articles plus an unrelated one, indexed with the hashing embedder."""
    root = tmp_path_factory.mktemp("plain")
    corpus = write_corpus(root / "corpus")
    write_corpus(corpus, ROAD)
    settings = replace(Settings(), corpus_dir=corpus, index_dir=root / "index", model="hashing", show_progress=False)
    return build_index(settings, HashingEmbedder())[0]


def ids(hits: list[Hit]) -> list[str]:
    return [h.paragraph.id for h in hits]


def test_plain_bm25_uses_jieba_without_the_union_dictionary(store: Store):
    bm25 = PlainBM25(list(store.paragraphs.values()))
    tokens = bm25._tokens("沙坪坝区总工会建成工会驿站174个，")
    assert "工会驿站" not in tokens and {"工会", "驿站"} <= set(tokens)  # the union dictionary would keep one word
    assert "，" not in tokens  # punctuation is not a term
    assert ids(bm25.search("沙坪坝区建了多少个工会驿站？", 3))[0] == "spb#p1"
    assert ids(bm25.search("巫山县新就业形态工会组织", 3))[0] == "ws#p1"
    assert bm25.search("产改", 3) == []  # no synonym expansion (产改 → 产业工人队伍建设改革): no known word, no hit
    assert all(h.bm25_rank == r for r, h in enumerate(bm25.search("公路", 5), start=1))


def test_plain_dense_ranks_paragraphs_by_their_best_chunk_against_brute_force(store: Store):
    embedder = HashingEmbedder()
    dense = PlainDense(store, embedder)
    hits = dense.search("农村公路建设", 10)
    xq = embedder.embed_queries(["农村公路建设"])[0]
    best: dict[str, float] = {}
    for chunk, v in zip(store.chunks, store.vectors, strict=True):
        best[chunk.paragraph_id] = max(best.get(chunk.paragraph_id, -2.0), float(v @ xq))
    assert sorted(ids(hits)) == sorted(best) and ids(hits)[0] == "road#p1"  # every paragraph once, the road first
    assert [h.score for h in hits] == pytest.approx([best[pid] for pid in ids(hits)], abs=1e-5)
    assert [h.score for h in hits] == pytest.approx(sorted(best.values(), reverse=True), abs=1e-5)  # ties: any order
    assert dense.search("  ", 3) == []


def test_plain_rrf_fuses_the_two_rankings(store: Store):
    bm25, dense = PlainBM25(list(store.paragraphs.values())), PlainDense(store, HashingEmbedder())
    query = "沙坪坝区工会驿站升级改造"
    fused = PlainRRF(bm25, dense).search(query, 4)
    expected = rrf([ids(dense.search(query, 50)), ids(bm25.search(query, 50))], 60)[:4]
    assert [(h.paragraph.id, h.score) for h in fused] == [(pid, pytest.approx(s)) for pid, s in expected]
    top = fused[0]
    assert top.dense_rank is not None and top.bm25_rank is not None


def test_overlap_sentence_picks_most_shared_characters():
    text = "今年以来，全市新建农村公路300公里。公路养护由交通局负责！资金来自省级补助。"
    start, end = overlap_sentence("公路养护由谁负责？", text)
    assert text[start:end] == "公路养护由交通局负责！"
    start, end = overlap_sentence("毫不相干", text)
    assert text[start:end] == "今年以来，全市新建农村公路300公里。"  # a tie (no overlap): the first sentence
    assert overlap_sentence("问题", "") == (0, 0)


def test_overlap_answer_cites_the_top_hit():
    p = Paragraph("a#p1", "a", 1, "全市新建农村公路300公里。公路养护由交通局负责。", "公路")
    q = Paragraph("b#p1", "b", 1, "公路养护由交通局负责。", "")
    answer = overlap_answer("公路养护由谁负责？", [Hit(p, 1.0), Hit(q, 0.5)])
    assert answer.found and answer.text == "公路养护由交通局负责。[1]"
    (c,) = answer.citations
    assert c.paragraph.id == "a#p1" and c.sentence == "公路养护由交通局负责。"
    assert [h.paragraph.id for h in answer.hits] == ["a#p1", "b#p1"]
    refused = overlap_answer("公路养护由谁负责？", [])
    assert not refused.found and refused.citations == ()


def test_plain_systems_answer_as_eval_systems(store: Store):
    systems = plain_systems(store, HashingEmbedder())
    assert tuple(systems) == PLAIN
    answer = systems["plain-rrf"]("沙坪坝区建成了多少个工会驿站？", [])
    assert answer.found and "174" in answer.text and answer.latency_ms > 0
    assert answer.citations[0].paragraph.id == "spb#p1"
    assert tuple(plain_systems(store, HashingEmbedder(), ["plain-dense"])) == ("plain-dense",)
    with pytest.raises(QAError, match="unknown baseline.*plain-bm25, plain-dense, plain-rrf"):
        plain_systems(store, HashingEmbedder(), ["bm25"])

