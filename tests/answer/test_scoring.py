"""Form scores of qa/answer/scoring.py that read typed names (qa/answer/names.py)."""

from __future__ import annotations

from qa.answer.config import ComposerConfig
from qa.answer.scoring import person_score, place_score
from qa.query.question import analyze_question

CFG = ComposerConfig()


def test_a_sentence_naming_someone_the_question_does_not_has_the_shape_of_a_person_answer():
    q = analyze_question("谁为波兰的进口禁令辩护？")
    assert person_score(q, "报道称,波兰总统外交政策顾问马尔钦·普日达奇在电视上为禁令辩护。", CFG) == CFG.person_role
    assert person_score(q, "波兰政府宣布延长进口禁令。", CFG) == CFG.person_none


def test_a_country_answers_a_which_country_question_without_a_place_suffix():
    q = analyze_question("美国与哪个国家的海军可能发生冲突？")
    assert place_score(q, "俄罗斯海军近日举行演习。", CFG) == CFG.place_name
    assert place_score(q, "海军近日举行演习。", CFG) == CFG.place_none
