"""The learned sentence scorer: its features, relative features, the JSON round trip and its place in compose."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from qa.answer.compose import compose
from qa.answer.config import ComposerConfig
from qa.answer.evidence import gather
from qa.answer.learned import FEATURES, SentenceScorer, sentence_features, type_signals, with_relative
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


def test_scorer_round_trip_and_format_check(tmp_path):
    scorer = SentenceScorer(("hand_score",), (2.0,), -1.0, (0.5,), (0.25,))
    path = tmp_path / "s.json"
    scorer.save(path)
    loaded = SentenceScorer.load(path)
    assert loaded == scorer and loaded.probability({"hand_score": 0.9}) > loaded.probability({"hand_score": 0.1})
    path.write_text(json.dumps({"format": "something else"}), encoding="utf-8")
    with pytest.raises(ValueError, match="retrain"):
        SentenceScorer.load(path)


def test_compose_ranks_by_the_scorer_and_gates_on_its_probability(tmp_path):
    q = analyze_question("鸡西市工会联合会什么时候成立？")
    ev = gather(q, [Hit(P, 0.03, 1, 1)])
    path = tmp_path / "s.json"
    SentenceScorer(("type_match",), (3.0,), 0.0, (0.5,), (0.5,)).save(path)
    cfg = replace(ComposerConfig(), learned_scorer=str(path))
    assert "2023年6月16日" in compose(q, ev, cfg).text
    assert not compose(q, ev, replace(cfg, min_probability=0.9999)).found
