"""Metric definitions checked on cases computed by hand (expected values derived in the comments)."""

from __future__ import annotations

import math

import pytest

from qa.eval.metrics import (
    answer_correct,
    best_span_em_f1,
    citation_precision,
    citation_recall,
    cmrc_em,
    cmrc_f1,
    find_lcs,
    hit_at_k,
    is_relevant,
    match_key,
    mixed_segmentation,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    remove_punctuation,
    word_tokenize,
)

F, T = False, True


# ---------------------------------------------------------------- matching


def test_match_key_folds_width_case_and_space():
    assert match_key(" ＡＩ 工会\n驿站１７４个 ") == "ai工会驿站174个"
    assert match_key("“港湾”。") == match_key('"港湾".')


def test_is_relevant_ignores_fullwidth_vs_ascii_punctuation():
    paragraph = "目前,巫山县已建立各类新就业形态工会组织41个,发展会员4896人。"
    assert is_relevant(paragraph, "工会组织41个，发展会员4896人")  # ，(full-width) vs , (ASCII)
    assert is_relevant(paragraph, "发展会员 4896 人")
    assert not is_relevant(paragraph, "发展会员4897人")
    assert not is_relevant(paragraph, "")  # empty evidence would match everything


def test_answer_correct_needs_every_group_and_any_alternative():
    groups = [["174个", "一百七十四个"], ["24个"]]
    assert answer_correct("沙坪坝区建成工会驿站174个，优选24个驿站升级改造。[1]", groups)
    assert answer_correct("建成一百七十四个驿站，其中24个升级[1][2]", groups)
    assert not answer_correct("沙坪坝区建成工会驿站174个。[1]", groups)  # second group missing
    assert answer_correct("驿站１７４个；升级２４个", groups)  # full-width digits
    assert answer_correct("驿站17[1]4个", [["174个"]])  # [n] markers are stripped before matching
    assert not answer_correct("任何文字", [])


# ---------------------------------------------------------------- retrieval


def test_hit_at_k():
    rel = [F, F, T, F]
    assert hit_at_k(rel, 1) == 0.0
    assert hit_at_k(rel, 2) == 0.0
    assert hit_at_k(rel, 3) == 1.0
    assert hit_at_k([], 10) == 0.0
    with pytest.raises(ValueError):
        hit_at_k(rel, 0)


def test_mrr_at_k_uses_first_relevant_rank():
    assert mrr_at_k([F, F, T, T], 10) == pytest.approx(1 / 3)  # first relevant at rank 3
    assert mrr_at_k([F, F, T], 2) == 0.0  # outside the cut-off
    assert mrr_at_k([T, T], 10) == 1.0


def test_ndcg_at_k_by_hand():
    # one relevant item at rank 3: DCG = 1/log2(4) = 0.5; ideal (1 relevant) = 1/log2(2) = 1 -> 0.5
    assert ndcg_at_k([F, F, T, F], 10) == pytest.approx(0.5)
    # relevant at ranks 2 and 3: DCG = 1/log2(3) + 1/log2(4) = 0.63093 + 0.5 = 1.13093
    # ideal: ranks 1 and 2 = 1 + 0.63093 = 1.63093 -> 0.69343
    assert ndcg_at_k([F, T, T], 10) == pytest.approx((1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3)))
    assert ndcg_at_k([F, T, T], 10) == pytest.approx(0.693426, abs=1e-6)
    # cut at k=2: DCG = 1/log2(3) = 0.63093; the ideal counts 2 relevant items capped at k=2 -> 1.63093 -> 0.38685
    assert ndcg_at_k([F, T, T], 2) == pytest.approx(0.386853, abs=1e-6)
    assert ndcg_at_k([T, T, F], 10) == pytest.approx(1.0)
    assert ndcg_at_k([F, F], 10) == 0.0
    # with the corpus-wide number of relevant items (sentence-transformers' qrels form): 3 relevant, only 1 found
    # at rank 1 -> DCG 1; ideal 1 + 0.63093 + 0.5 = 2.13093 -> 0.46928
    assert ndcg_at_k([T, F], 10, n_relevant=3) == pytest.approx(1 / (1 + 1 / math.log2(3) + 0.5))


# ---------------------------------------------------------------- CMRC 2018 EM / F1


def test_mixed_segmentation_splits_chinese_chars_and_keeps_english_digit_runs():
    assert mixed_segmentation("建成驿站174个") == ["建", "成", "驿", "站", "174", "个"]
    assert mixed_segmentation("使用App和5G网络") == ["使", "用", "app", "和", "5g", "网", "络"]
    assert mixed_segmentation("增长3.5%，达到1,000 人") == ["增", "长", "3.5", "%", "，", "达", "到", "1,000", "人"]
    # with rm_punc the official script drops CMRC punctuation without ending the run: "e-mail" -> "email"
    assert mixed_segmentation("e-mail：《工人日报》", rm_punc=True) == ["email", "工", "人", "日", "报"]
    assert mixed_segmentation("e-mail", rm_punc=False) == ["e", "-", "mail"]


def test_word_tokenize_follows_treebank_rules():
    assert word_tokenize("$3.88 (roughly 3,36 euros)") == ["$", "3.88", "(", "roughly", "3,36", "euros", ")"]
    assert word_tokenize('he said "hi".') == ["he", "said", "``", "hi", "''", "."]


def test_cmrc_f1_by_hand():
    # pred segments: 建 成 工 会 驿 站 174 个 (8); gold: 174 个 (2); LCS 2 -> P = 2/8, R = 1, F1 = 0.5/1.25 = 0.4
    assert cmrc_f1("建成工会驿站174个", ["174个"]) == pytest.approx(0.4)
    # 13 CJK chars + 174 + 个 = 15 segments (。 removed); gold 174个: P 2/15, R 1 -> F1 = (4/15)/(17/15) = 4/17;
    # gold 174: LCS 1 -> P 1/15, F1 = (2/15)/(16/15) = 1/8; the max over alternatives is 4/17
    assert cmrc_f1("沙坪坝区总工会建成工会驿站174个。", ["174", "174个"]) == pytest.approx(4 / 17)
    # pred segments 41 个 4896 (3), gold 4896 人 (2): P 1/3, R 1/2 -> F1 = (1/3)/(5/6) = 0.4
    assert cmrc_f1("41个4896", ["4896人"]) == pytest.approx(0.4)
    assert cmrc_f1("没有关系", ["174个"]) == 0.0
    assert cmrc_f1("", ["174个"]) == 0.0


def test_cmrc_em_removes_cmrc_punctuation_only():
    assert cmrc_em("《工人日报》", ["工人日报"]) == 1.0
    assert cmrc_em("  174个。", ["174个"]) == 1.0
    assert cmrc_em("AI-Agent", ["ai agent"]) == 0.0  # "-" removed but the inner space stays: "aiagent" != "ai agent"
    assert cmrc_em("174个.", ["174个"]) == 0.0  # ASCII "." is not in the official list
    assert remove_punctuation(" A：b，C ") == "abc"


def test_best_span_em_f1_takes_best_over_alternatives():
    assert best_span_em_f1("174个", ["一百七十四个", "174个"]) == (1.0, 1.0)
    em, f1 = best_span_em_f1("工会驿站174个", ["174个"])  # 6 segments, LCS 2: P 1/3, R 1 -> F1 0.5
    assert (em, f1) == (0.0, pytest.approx(0.5))
    with pytest.raises(ValueError):
        best_span_em_f1("174个", "174个")  # a bare string is not a list of golds


def test_find_lcs_is_contiguous():
    assert find_lcs(list("abcd"), list("xbcy")) == (["b", "c"], 2)
    assert find_lcs(list("ab"), list("ba")) == (["a"], 1)  # the first longest run found in the first argument
    assert find_lcs([], list("ab")) == ([], 0)


# ---------------------------------------------------------------- citations


def test_citation_recall_and_precision():
    evidence = "建成工会驿站174个"
    right = "近年来,沙坪坝区总工会建成工会驿站174个。"
    answer_only = "全区共有174个驿站对外开放。"  # holds an answer alternative but not the evidence
    other = "巫山县建成26处工会户外劳动者“港湾”。"
    groups = [["174个"]]
    assert citation_recall([other, right], evidence) == 1.0
    assert citation_recall([answer_only, other], evidence) == 0.0
    assert citation_recall([], evidence) == 0.0
    # right and answer_only count, other does not: 2 of 3
    assert citation_precision([right, answer_only, other], evidence, groups) == pytest.approx(2 / 3)
    assert citation_precision([other], evidence, groups) == 0.0
    assert citation_precision([], evidence, groups) == 0.0


# ---------------------------------------------------------------- latency


def test_percentile_interpolates_linearly():
    values = [40.0, 10.0, 30.0, 20.0]
    assert percentile(values, 50) == pytest.approx(25.0)  # between 20 and 30
    assert percentile(values, 95) == pytest.approx(38.5)  # position 3 * 0.95 = 2.85 -> 30 + 0.85 * 10
    assert percentile(values, 0) == 10.0 and percentile(values, 100) == 40.0
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
