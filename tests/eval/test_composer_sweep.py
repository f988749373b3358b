"""eval/composer_sweep.py: configs are read as ComposerConfig fields, and composing `QA.evidence` with the product's
config is `QA.ask`, follow-ups included (so the sweep's numbers are `qa eval`'s)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import eval_script, write_cmrc

from qa.answer.compose import compose
from qa.answer.config import ComposerConfig
from qa.api import QA

sweep = eval_script("composer_sweep")


def test_a_config_is_read_as_typed_composer_fields():
    cfg = sweep.parse_config("w_slot=0.3, topic_gate=false,strong_lookahead=5", ComposerConfig())
    assert (cfg.w_slot, cfg.topic_gate, cfg.strong_lookahead) == (0.3, False, 5)
    assert sweep.parse_config("", ComposerConfig()) == ComposerConfig()
    with pytest.raises(SystemExit, match="unknown composer field"):
        sweep.parse_config("w_slots=0.3", ComposerConfig())


def test_each_question_gets_the_scorer_of_its_cross_validation_fold(tmp_path):
    (tmp_path / "folds.json").write_text(json.dumps({"q1": 0, "q2": 3}), encoding="utf-8")
    cfg = ComposerConfig()
    assert sweep.fold_config(cfg, tmp_path, "q2").learned_scorer == str(tmp_path.resolve() / "fold3.json")
    assert sweep.fold_config(cfg, tmp_path, "q9") == cfg  # not in any fold: the config's own scorer
    assert sweep.fold_config(cfg, None, "q1") == cfg
    hand = replace(cfg, learned_scorer="")
    assert sweep.fold_config(hand, tmp_path, "q1") == hand  # the hand-set config stays hand-set


def test_composing_the_evidence_is_what_ask_answers(tiny_settings, tmp_path):
    qa = QA.open(tiny_settings)
    history = ["沙坪坝区建了多少个工会驿站？"]
    for question, turns in [("沙坪坝区建了多少个工会驿站？", []), ("其中多少个升级改造了？", history),
                            ("巫山县发展了多少会员？", [])]:
        q, evidence = qa.evidence(question, turns)
        asked = qa.ask(question, turns)
        composed = compose(q, evidence, qa.settings.composer)
        assert (composed.text, composed.short, composed.found) == (asked.text, asked.short, asked.found)
        assert q.text == asked.resolved_question
    assert "24" in qa.ask("其中多少个升级改造了？", history).text  # the follow-up was resolved, not asked bare
    rows = [{"id": "a", "question": "沙坪坝区建了多少个工会驿站？", "answerable": True, "answers": [["174个"]],
             "evidence": "建成工会驿站174个", "type": "number"}]
    (tmp_path / "set.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    _, data = sweep.gather_set(tmp_path / "set.jsonl", tiny_settings.index_dir)
    metrics, correct = sweep.score(data, qa.settings.composer)
    assert correct == {"a": True} and metrics["accuracy"] == 1.0
    _, refused = sweep.score(data, replace(qa.settings.composer, min_score=2.0))  # a floor nothing reaches
    assert refused == {"a": False}


def test_a_cmrc_set_scores_as_qa_eval_cmrc(tmp_path):
    """A SQuAD-format `.json` set is CMRC: composed with the product's config, its EM and F1 are `run_cmrc`'s."""
    from qa.eval.cmrc import cmrc_settings, run_cmrc
    from qa.settings import Settings

    path = write_cmrc(tmp_path / "cmrc.json", [
        ("p1", "沙坪坝区总工会建成工会驿站174个。", "沙坪坝区建成了多少个工会驿站？", "174个"),
        ("p2", "巫山县已建立新就业形态工会组织41个。", "巫山县建立了多少个新就业形态工会组织？", "41个"),
        ("p3", "江西省首届职工创新成果交流大会在南昌举行。", "首届职工创新成果交流大会由谁主办？", "江西省总工会")])
    settings = cmrc_settings(replace(Settings(), index_dir=tmp_path / "index", model="hashing", show_progress=False))
    hybrid = run_cmrc(path, settings, systems=("hybrid",))["systems"]["hybrid"]
    _, rows = sweep.gather_set(path, settings.index_dir)
    metrics, correct = sweep.score(rows, settings.composer)
    assert (round(metrics["em"], 4), round(metrics["f1"], 4)) == (hybrid["em"], hybrid["f1"])
    assert correct["p1-q"] and correct["p2-q"] and not correct["p3-q"]  # the organiser is nowhere in the passage
    strict, _ = sweep.score(rows, replace(settings.composer, min_score=2.0))  # a floor nothing reaches
    assert (strict["f1"], strict["answered"]) == (0.0, 0.0)
    (tmp_path / "rows.json").write_text('[{"id": "a", "question": "问"}]', encoding="utf-8")
    with pytest.raises(SystemExit, match="not a CMRC"):
        sweep.load_items(tmp_path / "rows.json")
