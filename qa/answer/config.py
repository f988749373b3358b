"""Every threshold and weight of the answer composer, by name, with the reason for it, in one frozen object.

The values were calibrated on eval/questions.jsonl (the held-out set is only scored). Floors that depend on the
embedding model are keyed by the model's id as the index manifest records it (`Manifest.model_id`): the same model
given by name or by path gets the same floors; a model without an entry gets none. `Settings.composer` holds the
config in use; tests and experiments change it with `dataclasses.replace`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from qa.query.kinds import Form

E5_SMALL = "multilingual-e5-small"  # run by torch in fp32 (the id indexes recorded before the variants)
# The ids of its ONNX variants (qa.index.embed.E5_VARIANTS). ONNX fp32 gives torch's vectors (cosine 1.0000) and
# the same answers; the int8 ones move query-passage cosines by about 0.004 on average (0.02 at most) and keep these
# floors, though a few answers near a threshold change (eval/reports/latest/embed.md).
E5_SMALL_VARIANTS = (E5_SMALL, f"{E5_SMALL}:onnx", f"{E5_SMALL}:onnx-int8", f"{E5_SMALL}:onnx-mixed")


def _e5(value: float) -> Mapping[str, float]:
    """A model-keyed floor calibrated for multilingual-e5-small, the same for each way of running it."""
    return MappingProxyType(dict.fromkeys(E5_SMALL_VARIANTS, value))


@dataclass(frozen=True)
class ComposerConfig:
    """The composer's knobs. Stages: entity gate → candidate pool → dense gate → scoring → choice → extension →
    rendering and verification (qa/answer/compose.py)."""

    # candidate pool and choice
    # hits whose sentences are answer candidates: 6 → 10 (every hit kept), 2026-11-29 sixth session,
    # `eval/composer_sweep.py`: CRUD dev +4 (8 right, 4 wrong), own set unchanged, CMRC (only scored) +1 question;
    # composition median 18.5 → 26.0 ms per CRUD question (more sentences to score)
    top_hits: int = 10
    kept_hits: int = 10  # hits kept on the Answer (`retrieved` in `qa answer`)
    strong_lookahead: int = 3  # the answer is the best of this many top sentences that passes the floors
    min_sentence_chars: int = 4  # shorter sentences are never candidates
    # floors: below them the answer is "not found"
    min_coverage: float = 0.55  # weighted share of key terms/entities in the best sentence (+ its context)
    min_coverage_en: float = 0.3  # the same for English questions (the glossary translates only some words)
    min_form: float = 0.5  # number, date, identity questions: the sentence must have that form at least this well
    min_score: float = 0.5  # overall score of the best sentence
    topic_gate: bool = True  # the cited paragraph must hold one of the question's topic terms (scoring.unmatched_topic)
    # forms whose cited paragraph, holding the head of what is asked about, must hold its modifiers too (兼职 of
    # 兼职干部 where 专职干部 are counted; scoring.unmatched_focus). All forms: own set c102 refused (refusal 0.900 →
    # 0.933), no other own or CRUD dev answer changed (eval/composer_sweep.py, 2026-11-29)
    focus_gate: tuple[str, ...] = tuple(Form)
    # the count gate: for number questions, the modifiers of what is counted (Question.counted) must be in the cited
    # sentence, before it in its paragraph or in its title, not only elsewhere in the article (全国 of 多少个是全国最美
    # 驿站 where the sentence counts upgraded 驿站; scoring.unmatched_count)
    count_gate: bool = True
    # the cited sentence must not give another filler to a prepositional slot the question fills (为外卖员提供 vs
    # 为游客提供) while the question's filler is nowhere in its paragraph (scoring.other_filler): own set c103
    # refused, no other own or CRUD dev answer changed
    filler_gate: bool = True
    min_anchor_chars: int = 2  # a term written out in the sentence anchors it only from this length on
    dense_floor: Mapping[str, float] = field(default_factory=lambda: _e5(0.78))  # best paragraph cosine
    dense_floor_en: Mapping[str, float] = field(default_factory=lambda: _e5(0.72))  # cross-lingual: lower
    # the learned sentence scorer (qa/answer/learned.py, trained by `eval/train_scorer.py --weight own=5` on the own
    # set and CRUD dev): "" = hand-set score only. Cross-validated end to end (`eval/composer_sweep.py
    # --scorer-folds`: each question composed with trees trained neither on it nor on its article), 2026-11-29,
    # weight 0.05 / 0.07 / 0.1: CRUD dev accuracy 0.630 → 0.641 / 0.644 / 0.645; own set unchanged / unchanged / −1
    # (c008), so 0.07, the largest weight that costs the own set nothing
    learned_scorer: str = "sentence_scorer.json"  # its JSON file (a bare name is looked up in qa/data/)
    learned_top: int = 20  # it re-ranks this many of the hand-set score's best candidates (the answer is in them for
    # 0.97 of CRUD dev questions whose candidates hold it) …
    learned_weight: float = 0.07  # … by score + this × its log-odds that the sentence holds the answer
    min_probability: float = 0.0  # … and the chosen sentence, if re-ranked, must reach this probability of holding it
    # reading (qa/answer/reader.py, only with a reader: `--reader`): the reader is shown this many top candidates
    # and the one holding its quote answers. 5: on 300 seeded CRUD dev questions the top 5 hold the answer for 257, the
    # top 3 for 246, the top 8 for 267 at 1.6x the reading time (2026-11-30, scratch run)
    reader_top: int = 5
    reader_min_quote_chars: int = 2  # a shorter quote (个, 是) is in almost any sentence: it cannot pick one
    # score = weighted mean of these signals
    w_coverage: float = 0.5
    w_form: float = 0.25
    # … for forms whose shape score is a weak cue (forms.FormRule.weak_shape: list, person, explanation), since any
    # 、, role word (记者) or 通过 fires it in news prose. 0.25 → 0.1: `qa eval` CRUD dev accuracy 0.608 → 0.624, own
    # set 0.909 → 0.914 (in the scratch harness that chose it: 0.610 → 0.626; 0.05 the same, 0.15 0.620 / 0.914);
    # alone per form: list +7, explanation +7, person +2 CRUD questions.
    w_form_weak: float = 0.1
    w_rank: float = 0.1
    w_dense: float = 0.15
    # Bonus × slot.slot_fit (the sentence repeats the question's words around its asking slot). Own set / CRUD slice /
    # CRUD check slice accuracy: 0 → 0.891 / 0.657 / 0.583; 0.2 → 0.897 / 0.680 / 0.593; 0.4 → 0.886 / 0.693 / 0.607
    # (citation recall on the own set 0.959 → 0.947 past 0.2, so 0.2).
    w_slot: float = 0.2
    rank_decay: float = 0.3  # rank prior 1 / (1 + decay × (rank − 1))
    dense_span: float = 0.05  # a paragraph this much less similar than the best gets no dense credit
    # coverage
    asked_weight: float = 2.0  # a term of the clause holding the question word (一等奖 in …，哪个项目拿了一等奖)
    focus_weight: float = 1.5  # the asked-about term (工会驿站 in 多少个工会驿站) counts this much more
    single_char_weight: float = 0.25  # a one-character term is weak evidence
    entity_weight: float = 0.5  # a named entity's weight in coverage (presence is also enforced separately)
    province_weight: float = 0.5  # × entity_weight for a province (a district may stand for it)
    head_credit: float = 0.7  # a compound term matched only by its head noun (会员 for 工会会员)
    partial_credit: float = 0.8  # a term matched only through its shorter words: this × matched share of its chars
    focus_partial: float = 0.5  # × partial credit when the term is the focus (工会 alone for 工会驿站)
    context_lookback: int = 6  # earlier paragraphs of the same article that count as a hit's context
    context_credit: float = 0.6  # a term found only in the context (title, earlier paragraphs) counts this much
    idf_floor: float = 0.3  # term weight = floor + (1 − floor) × normalised IDF (common words such as 工会 count less)
    idf_smoothing: float = 0.5  # added to a term's document frequency
    # form scores: how well a sentence has the shape of an answer (number scores are in qa/answer/scoring.py)
    number_unit: float = 1.0  # a quantity with the asked unit (or an alias)
    number_other_unit: float = 0.45  # a quantity with another unit when a unit is asked
    number_any_unit: float = 0.9  # a quantity with a unit when none is asked
    number_bare: float = 0.6  # a bare number when none is asked
    number_base: float = 0.6  # quantity score = unit score × (base + share × focus in clause + near × focus near)
    number_share: float = 0.25
    number_near: float = 0.15
    date_full: float = 1.0  # an absolute date
    date_relative: float = 0.5  # 近日, 今年 …
    name_reach_chars: int = 20  # after a bare year, how far a name it starts is read (2024年阳光少年工会夏令营)
    dateline_dates: bool = False  # a news agency's dateline (新华社北京8月1日电) counts as a date the sentence states
    list_enumeration: float = 0.75  # three or more items joined by 、 (+ list_focus × focus next to them)
    list_focus: float = 0.25
    list_plain: float = 0.6  # a 、 or 一是 somewhere
    list_none: float = 0.3
    person_role: float = 1.0  # a role word (主席, 记者 …)
    person_none: float = 0.3
    identity_found: float = 1.0  # X是谁: the sentence says who X is (X是…, 副主席X)
    identity_none: float = 0.0  # it only names X (X说。): below min_form, so not chosen
    org_focus: float = 1.0  # an organisation named with the asked term
    org_other: float = 0.85
    org_none: float = 0.3
    place_venue: float = 1.0  # 在…举行
    place_name: float = 0.8  # a place-like name (…大学, …区)
    place_none: float = 0.3
    title_found: float = 1.0  # a 《title》 the question does not name (哪部电影)
    title_none: float = 0.3
    explain_cue: float = 0.9  # 通过, 为了 …
    explain_none: float = 0.5
    generic_form: float = 0.6
    near_chars: int = 8  # the asked-about term within this many characters of a quantity counts as next to it
    # semantic fallback (question reworded away from the source's words)
    sentence_floor: Mapping[str, float] = field(default_factory=lambda: _e5(0.90))  # least cosine
    semantic_hits: int = 3  # looks at the sentences of this many top paragraphs
    semantic_form: float = 0.6  # number/date questions need a sentence holding a number/date this well
    semantic_min_chars: int = 8  # shorter sentences are not embedded
    # extension: lists and explanations
    max_items: int = 6  # most items listed from "一是… 二是…" paragraphs
    enumeration_lookahead: int = 3  # an enumeration starts from one of this many best sentences
    lead_in_form: float = 0.5  # a best sentence below this form score may only introduce the answer
    second_ratio: float = 0.85  # a second sentence is added when it scores at least this share of the best
    second_lookahead: int = 5  # the second sentence is one of the next this many candidates
    second_room: float = 0.6  # … only when the best sentence uses at most this share of max_long_chars
    # rendering
    max_fact_chars: int = 90  # a longer sentence answering a factual question is trimmed to its fact clause(s)
    max_long_chars: int = 200  # longest answer for list/explanation questions
    max_aligned_chars: int = 30  # a short answer read from the question's slot (slot.aligned_answer) is at most this
    max_slot_first_chars: int = 20  # … and is preferred to a form's own extractor (names, orgs) up to this length
    short_clause_chars: int = 12  # a lone fact clause shorter than this keeps the clause before it
    named_values: bool = True  # a generic question's last resort: the words after the asked attribute (字石生)
    max_item_chars: int = 12  # a short answer grows over the 、-run it is one item of, items at most this long
    enumerations_asked: bool = True  # a list question's short answer is the 、-run next to its asked term
    aliases: bool = True  # a question asking another name (又叫什么) takes the names after the sentence's 又名/简称
    max_meaning_chars: int = 60  # a question asking a meaning (什么意思) takes what follows 意为/是指; 0 = off
    # a question ending with its question word (最高峰是什么) takes what the sentence names its subject after a copula
    # ([高阳山]为…最高峰) when the sentence repeats at least this much of the subject (2 characters turn up anywhere);
    # 0 = off. CMRC (only scored): 6 short answers better, none worse; own set and CRUD dev unchanged
    min_named_subject_chars: int = 4
    max_topic_chars: int = 20  # … or, when the copula opens its clause (也是…), the sentence's topic up to this long
    min_loose_left_chars: int = 3  # a loose left side (试驾了 / 驾驶着) matches this much: 2 (工会) is anywhere
    topic_chars: int = 60  # the not-found message repeats at most this much of the question
    # short answers (qa/answer/facts.py): the quantity tied most closely to the asked noun
    modifier_credit: float = 0.3  # a modifier of the asked noun (最美 in 最美的服务站) near the quantity adds this
    tie_with_modifiers: float = 1.0  # the asked noun with its modifiers from the question (兼职 + 干部)
    tie_bare: float = 0.7  # the bare asked noun
    tie_part: float = 0.5  # one of its shorter words
    tie_scale: float = 4.0  # closeness = 1 / (1 + characters between / scale)
    tie_after: int = 2  # the noun after the quantity (26处…港湾) counts as this many characters further
    tie_clause: int = 6  # a clause break in between counts as this many characters more
    short_unit: float = 1.0  # a quantity with the asked unit
    short_other_unit: float = 0.5  # … with another unit
    short_bare: float = 0.3  # … with none
    short_near: float = 0.5  # × closeness to the asked noun
    short_lead: float = 0.2  # × share of the question's terms in the short_lead_chars before a quantity (ties)
    short_lead_chars: int = 30  # 其中，智慧家庭业务收入…，同比增长[15.7%] over …服务收入…，同比增长[3.6%]
    adjacent_gap: int = 2  # the asked noun ending at most this many characters before a quantity is "adjacent"

    def dense_floor_for(self, model_id: str, english: bool) -> float | None:
        """The least best-paragraph cosine for `model_id` (None: that model has no calibrated floor)."""
        return (self.dense_floor_en if english else self.dense_floor).get(model_id)
