"""The learned sentence scorer: its features, relative features, the JSON round trip and its place in compose."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from qa.answer.compose import compose
from qa.answer.config import ComposerConfig
from qa.answer.evidence import gather
from qa.answer.learned import FEATURES, SentenceScorer, Tree, sentence_features, type_signals, with_relative
from qa.answer.scoring import Candidate
from qa.query.question import analyze_question
from qa.schema import Hit, Paragraph

P = Paragraph("a#p1", "a", 1, "2023年6月16日,鸡西市总工会指导成立工会联合会。联合会主席郭会民介绍了情况。", "鸡西")


def candidate(start: int, end: int, score: float) -> Candidate:
    return Candidate(1, P, start, end, 0, 0.5, 0.5, score)


def test_type_signals_see_dates_people_and_titles_the_question_does_not_name():
    q = analyze_question("联合会主席是谁？")
    signals = type_signals(q, "联合会主席郭会民在《工人日报》上介绍,2023年6月16日成立。")
    assert signals["has_person"] == signals["has_date"] == signals["has_title"] == 1.0
    assert type_signals(q, "联合会召开了会议。")["has_person"] == 0.0


def test_features_are_named_and_bounded():
    q = analyze_question("鸡西市工会联合会什么时候成立？")
    f = sentence_features(q, candidate(0, 24, 0.7), "鸡西 " + P.text, {}, 0.0)
    assert set(f) <= set(FEATURES) and f["type_match"] == 1.0
    assert all(0.0 <= v <= 1.0 for v in f.values())


def test_relative_features_compare_a_question_s_candidates():
    rows = with_relative([{"hand_score": 0.4}, {"hand_score": 0.9}])
    assert rows[1]["rel_hand_score"] == 0.0 and rows[0]["rel_hand_score"] == pytest.approx(-0.5)
    assert rows[1]["order_hand_score"] == 0.0 and rows[0]["order_hand_score"] == 0.1


def stump(feature: str, threshold: float, low: float, high: float) -> SentenceScorer:
    """One tree of one split: `low` at or below `threshold` of `feature`, `high` above it."""
    return SentenceScorer((feature,), -0.5, (Tree((0, 0, 0), (threshold, 0.0, 0.0), (1, -1, -1), (2, -1, -1),
                                                   (0.0, low, high)),))


def test_trees_send_a_row_left_at_or_below_the_threshold():
    scorer = stump("hand_score", 0.5, -1.0, 2.0)
    assert scorer.margin({"hand_score": 0.5}) == -1.5 and scorer.margin({"hand_score": 0.51}) == 1.5
    assert scorer.probability({"hand_score": 0.9}) > 0.5 > scorer.probability({"hand_score": 0.1})


def test_scorer_round_trip_and_format_check(tmp_path):
    scorer = stump("hand_score", 0.5, -1.0, 2.0)
    path = tmp_path / "s.json"
    scorer.save(path)
    assert SentenceScorer.load(path) == scorer
    path.write_text(json.dumps({"format": "union-qa sentence scorer 1", "weights": [1.0]}), encoding="utf-8")
    with pytest.raises(ValueError, match="retrain"):
        SentenceScorer.load(path)


def test_compose_blends_the_scorer_into_the_ranking_and_gates_on_its_probability(tmp_path):
    q = analyze_question("鸡西市工会联合会主席是谁？")
    ev = gather(q, [Hit(P, 0.03, 1, 1)])
    assert "郭会民" in compose(q, ev, ComposerConfig()).text  # the hand-set score's choice
    path = tmp_path / "s.json"
    stump("has_date", 0.5, 0.0, 30.0).save(path)  # a scorer that only wants dates
    cfg = replace(ComposerConfig(), learned_scorer=str(path), learned_weight=1.0)
    assert "2023年6月16日" in compose(q, ev, cfg).text
    assert "郭会民" in compose(q, ev, replace(cfg, learned_weight=0.0)).text  # weight 0: the hand-set order
    assert "郭会民" in compose(q, ev, replace(cfg, learned_top=0)).text  # nothing re-ranked
    assert compose(q, ev, replace(cfg, min_probability=0.5)).found
    stump("has_date", 0.5, -5.0, -5.0).save(path)  # no sentence is likely to hold the answer
    assert not compose(q, ev, replace(cfg, min_probability=0.5)).found


def test_the_shipped_scorer_loads_and_knows_every_feature_it_uses():
    scorer = SentenceScorer.load(ComposerConfig().learned_scorer)  # a bare name: the file in qa/data/
    assert scorer.trees and set(scorer.names) <= set(FEATURES)
    assert all(max(t.feature) < len(scorer.names) for t in scorer.trees)


def test_a_missing_scorer_file_leaves_the_hand_set_order(tmp_path, caplog):
    q = analyze_question("鸡西市工会联合会主席是谁？")
    ev = gather(q, [Hit(P, 0.03, 1, 1)])
    cfg = replace(ComposerConfig(), learned_scorer=str(tmp_path / "gone.json"))
    assert "郭会民" in compose(q, ev, cfg).text
    assert "learned scorer not used" in caplog.text
