"""Form scores of qa/answer/scoring.py that read typed names (qa/answer/names.py)."""

from __future__ import annotations

import pytest

from qa.answer.config import ComposerConfig
from qa.answer.scoring import person_score
from qa.query.question import analyze_question

CFG = ComposerConfig()


@pytest.mark.parametrize(("question", "sentence", "score"), [
    ("谁为波兰的进口禁令辩护？", "报道称,马尔钦·普日达奇在电视上为禁令进行了辩护。", CFG.person_role),  # a person
    ("谁要求尼日尔军方恢复宪法秩序？", "西共体将启用地区常备部队,恢复尼日尔宪法秩序。", CFG.person_role),  # a body
    ("谁要求尼日尔军方恢复宪法秩序？", "尼日尔军方表示将在近期恢复宪法秩序。", CFG.person_none),  # only the asked
])
def test_a_who_question_s_sentence_has_the_answer_s_shape_when_it_names_someone_else(question, sentence, score):
    assert person_score(analyze_question(question), sentence, CFG) == score
