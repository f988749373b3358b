"""One rule entry per question form: how a sentence is scored for it, how its short answer is extracted, how long
its answer may be, whether the sentence must hold the asked form, and whether the answer may extend over more
sentences. The composer looks forms up here instead of testing the form's name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from qa.answer import facts, names, scoring, slot
from qa.answer.config import ComposerConfig
from qa.answer.facts import BULLET
from qa.index.tokens import as_written, normalize
from qa.query.kinds import Form
from qa.query.question import Question

Scorer = Callable[[Question, str, ComposerConfig], float]
Extractor = Callable[[Question, str, ComposerConfig], str]


class Slot(StrEnum):
    """How a form uses the words that fill the question's slot (`slot.aligned_answer`) as its short answer."""

    NONE = "none"  # never (numbers and dates have exact extractors)
    FIRST = "first"  # before the form's own extractor, when short enough (max_slot_first_chars)
    FALLBACK = "fallback"  # only when the form's own extractor finds nothing
    LISTED = "listed"  # before the form's own extractor when they are, or are one item of, an enumeration (鼓、锣和钹)


@dataclass(frozen=True)
class FormRule:
    """How the composer treats one form."""

    score: Scorer  # how well a normalised sentence has the shape of an answer, in [0, 1]
    short: Extractor  # the bare fact of a normalised sentence ("" when the form has none)
    long: bool = False  # answered by up to max_long_chars (lists, explanations), else max_fact_chars
    needs_form: bool = False  # the answer sentence must score at least min_form (a number, a date, who X is)
    extends: bool = False  # may bring a lead-in's run or a second sentence (lists, explanations)
    slot: Slot = Slot.NONE  # whether the words filling the question's slot (slot.aligned_answer) may be the answer
    typed_first: Callable[[Question], bool] = lambda q: False  # the form's own answer goes before the slot's words
    weak_shape: bool = False  # its form score is a weak cue (any 、, any role word, 通过/为了): weighs w_form_weak
    fallback: Extractor = facts.no_answer  # the last resort when neither its extractor nor the slot has an answer
    enumerates: bool = True  # a short answer that is one item of a 、-run is the whole run (facts.whole_enumeration)
    named: bool = False  # answered by a name: slot words that name nothing (从此, 并且, 很流行) are no answer


RULES: dict[Form, FormRule] = {
    Form.NUMBER: FormRule(scoring.number_score, facts.quantity_answer, needs_form=True, enumerates=False),
    Form.DATE: FormRule(scoring.date_score, facts.date_answer, needs_form=True, enumerates=False),
    Form.LIST: FormRule(scoring.list_score, facts.enumeration_answer, long=True, extends=True, slot=Slot.LISTED,
                        weak_shape=True),
    Form.ORG: FormRule(scoring.org_score, names.org_answer, slot=Slot.FIRST, named=True),
    Form.PERSON: FormRule(scoring.person_score, names.person_answer, slot=Slot.FIRST, weak_shape=True, named=True),
    Form.IDENTITY: FormRule(scoring.identity_score, names.identity_answer, needs_form=True, enumerates=False),
    Form.PLACE: FormRule(scoring.place_score, names.place_answer, slot=Slot.FIRST, named=True,
                         typed_first=names.asks_kind),  # 哪个城市: a place of that kind beats the slot's words
    Form.TITLE: FormRule(scoring.title_score, facts.title_answer, slot=Slot.FALLBACK, enumerates=False),
    Form.EXPLANATION: FormRule(scoring.explanation_score, facts.cause_answer, long=True, extends=True,
                               slot=Slot.FALLBACK, weak_shape=True),  # a why question's reason, else the slot's words
    Form.GENERIC: FormRule(scoring.generic_score, facts.generic_answer, slot=Slot.FIRST,
                           typed_first=facts.asks_name_or_meaning,  # 又叫什么, 什么意思: 又名…, 意为… beat the slot
                           fallback=facts.named_value),
}


def rule(q: Question) -> FormRule:
    """The rule of the question's form."""
    return RULES[q.form]


def form_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    """How well a normalised sentence has the shape of an answer to the question's form, in [0, 1]."""
    return rule(q).score(q, sentence, cfg)


def short_answer(q: Question, sentence: str, cfg: ComposerConfig) -> str:
    """The bare fact of `sentence` that the question asks for (`174个`, `2021年9月`, a name, the words that fill
    the question's slot), or "", as the sentence writes it (read on its normalized text: lower case, simplified).
    One item of an enumeration is the whole enumeration where the form allows lists."""
    r, source = rule(q), BULLET.sub("", sentence)
    text = normalize(source)
    short = _bare_fact(q, r, text, cfg) or r.fallback(q, text, cfg)
    return as_written(facts.whole_enumeration(short, text, cfg) if r.enumerates else short, source, text)


def _bare_fact(q: Question, r: FormRule, text: str, cfg: ComposerConfig) -> str:
    if r.slot is Slot.NONE:
        return r.short(q, text, cfg)
    filling, typed = slot.aligned_answer(q, text, cfg), r.short(q, text, cfg)
    if r.named and not slot.names_something(filling):
        filling = ""
    if typed and (typed in filling or r.typed_first(q)):  # the name inside the slot's words (郭会民 in 郭会民告诉记者)
        return typed
    if r.slot is Slot.FIRST and filling and len(filling) <= cfg.max_slot_first_chars:
        return filling
    if r.slot is Slot.LISTED and filling and facts.is_enumeration(facts.whole_enumeration(filling, text, cfg)):
        return filling
    return typed or filling


def length_cap(q: Question, cfg: ComposerConfig) -> int:
    """The longest answer for the question's form."""
    return cfg.max_long_chars if rule(q).long else cfg.max_fact_chars
