"""One rule entry per question form: how a sentence is scored for it, how its short answer is extracted, how long
its answer may be, whether the sentence must hold the asked form, and whether the answer may extend over more
sentences. The composer looks forms up here instead of testing the form's name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qa.answer import facts, scoring
from qa.answer.config import ComposerConfig
from qa.answer.facts import BULLET
from qa.index.tokens import normalize
from qa.query.kinds import Form
from qa.query.question import Question

Scorer = Callable[[Question, str, ComposerConfig], float]
Extractor = Callable[[Question, str, ComposerConfig], str]


@dataclass(frozen=True)
class FormRule:
    """How the composer treats one form."""

    score: Scorer  # how well a normalised sentence has the shape of an answer, in [0, 1]
    short: Extractor  # the bare fact of a normalised sentence ("" when the form has none)
    long: bool = False  # answered by up to max_long_chars (lists, explanations), else max_fact_chars
    needs_form: bool = False  # the answer sentence must score at least min_form (a number, a date)
    extends: bool = False  # may bring a lead-in's run or a second sentence (lists, explanations)


RULES: dict[Form, FormRule] = {
    Form.NUMBER: FormRule(scoring.number_score, facts.quantity_answer, needs_form=True),
    Form.DATE: FormRule(scoring.date_score, facts.date_answer, needs_form=True),
    Form.LIST: FormRule(scoring.list_score, facts.no_answer, long=True, extends=True),
    Form.ORG: FormRule(scoring.org_score, facts.org_answer),
    Form.PERSON: FormRule(scoring.person_score, facts.person_answer),
    Form.PLACE: FormRule(scoring.place_score, facts.venue_answer),
    Form.EXPLANATION: FormRule(scoring.explanation_score, facts.no_answer, long=True, extends=True),
    Form.GENERIC: FormRule(scoring.generic_score, facts.quoted_answer),
}


def rule(q: Question) -> FormRule:
    """The rule of the question's form."""
    return RULES[q.form]


def form_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    """How well a normalised sentence has the shape of an answer to the question's form, in [0, 1]."""
    return rule(q).score(q, sentence, cfg)


def short_answer(q: Question, sentence: str, cfg: ComposerConfig) -> str:
    """The bare fact of `sentence` that the question asks for (`174个`, `2021年9月`, a name), or ""."""
    return rule(q).short(q, normalize(BULLET.sub("", sentence)), cfg)


def length_cap(q: Question, cfg: ComposerConfig) -> int:
    """The longest answer for the question's form."""
    return cfg.max_long_chars if rule(q).long else cfg.max_fact_chars
