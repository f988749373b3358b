"""Scoring a candidate sentence (pure): coverage of the question's terms and entities, and the form scores.

`coverage` is the weighted share of the question's key terms and named entities a sentence holds (full credit) or
only its context holds (`context_credit`); a term may be matched in part by its shorter jieba words or by a known
synonym. The form scores say how well a sentence has the shape of an answer (a quantity with the asked unit next to
the asked term, a date, an enumeration, …); `qa.answer.forms` picks one per form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from qa.answer.config import ComposerConfig
from qa.answer.facts import (
    DETERMINERS,
    ORDINAL_ANSWER,
    ORG,
    QUANTITY,
    UNIT_ALIASES,
    adjacent,
    content_dates,
    focus_share,
    title_answer,
    year_like,
)
from qa.answer.names import identity_answer
from qa.index.tokens import expand_query, normalize
from qa.ingest.chunk import split_sentences
from qa.lexicon import BYLINE_ROLES, EXPLAIN_CUE, ORDINAL_NUMERALS, PLACE_NAME, RELATIVE_DATE, ROLE_WORD, VENUE
from qa.query.kinds import EntityKind
from qa.query.question import Entity, Question
from qa.schema import Paragraph

CLAUSE_END = re.compile(r"(?<=[，,；;：:])")
_ENUMERATION = re.compile(r"[^、，,。；;：:]{1,24}(?:、[^、，,。；;：:]{1,24}){2,}")


@dataclass(frozen=True)
class Candidate:
    """One sentence of a hit, with its span in paragraph.text and its scores."""

    rank: int  # 1-based rank of its hit
    paragraph: Paragraph
    start: int
    end: int
    index: int  # position of the sentence in its paragraph
    coverage: float
    form: float
    score: float
    probability: float | None = None  # the learned scorer's chance that it holds the answer (None: not re-ranked)

    @property
    def text(self) -> str:
        return self.paragraph.text[self.start : self.end]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text` (split_sentences), leading/trailing whitespace excluded."""
    spans, pos = [], 0
    for piece in split_sentences(text):
        start = text.index(piece, pos)
        pos = start + len(piece)
        stripped = piece.strip()
        lead = piece.index(stripped[0]) if stripped else 0
        spans.append((start + lead, start + lead + len(stripped)))
    return spans


def coverage(q: Question, sentence: str, context: str, weights: dict[str, float], cfg: ComposerConfig) -> float:
    """Weighted share of the question's terms and entities present in the sentence (full credit) or only in its
    context (`context_credit`); a term may be matched in part by its shorter jieba words or by a known synonym."""
    total = got = 0.0
    for term in q.terms:
        focus = term in q.focus
        w = weights.get(term, 1.0) * (cfg.focus_weight if focus else cfg.asked_weight if term in q.asked else 1.0) * (
            cfg.single_char_weight if len(term) == 1 else 1.0)
        total += w
        got += w * max(presence(q, term, sentence, cfg, focus),
                       cfg.context_credit * presence(q, term, context, cfg, focus))
    for e in q.entities:
        w = cfg.entity_weight * (cfg.province_weight if e.kind is EntityKind.PROVINCE else 1.0)
        total += w
        got += w * (1.0 if any(f in sentence for f in e.forms) else cfg.context_credit if has(e, context) else 0.0)
    return got / total if total else 0.0


def presence(q: Question, term: str, text: str, cfg: ComposerConfig, focus: bool = False) -> float:
    """1 when the term (or a synonym) is in the text; else partial credit for its shorter words: `head_credit` for
    its head (Chinese compounds end with it: 会员 in 工会会员), else a share by length, less for the focus
    (工会 alone is weak evidence for 工会驿站). A role (主席) written only as its deputy (副主席) is not there."""
    if "副" + term not in q.norm and _only_deputy(term, text):
        return 0.0
    if term in text or any(alt in text for alt in _synonyms(term)) or any(alt in text for alt in q.alts(term)):
        return 1.0
    best = 0.0
    for part in q.parts(term):
        if part in text:
            head = term.endswith(part) and 2 * len(part) >= len(term)
            share = cfg.partial_credit * len(part) / len(term) * (cfg.focus_partial if focus else 1)
            best = max(best, cfg.head_credit if head else share)
    return best


def _only_deputy(term: str, text: str) -> bool:
    """`term` is a role word (主席, 书记 …) and every time `text` has it, it is a deputy's (副主席): the question asks
    for someone else."""
    return bool(ROLE_WORD.fullmatch(term)) and term in text and not re.search(rf"(?<!副){re.escape(term)}", text)


@lru_cache(maxsize=4096)
def _synonyms(term: str) -> tuple[str, ...]:
    expanded = expand_query(term)
    return tuple(normalize(w) for w in expanded[len(term):].split())


def has(e: Entity, text: str) -> bool:
    """The entity, in one of its forms, is in `text` (a number only as a whole number)."""
    return any(f in text for f in e.forms) if e.kind is not EntityKind.NUMBER else any(
        re.search(rf"(?<![\d.]){re.escape(f)}(?![\d])", text) for f in e.forms)


def unmatched_topic(q: Question, context: str, cfg: ComposerConfig) -> list[str]:
    """The question's topic terms (not part of a name it gives: 省总工会 in 江西省总工会) when none of them is in
    `context`, even in part; [] when one is, or the question has none. A sentence found by meaning alone must still
    share the question's topic: "江西省总工会为外卖骑手做了什么" is not answered by "大会由江西省总工会主办"."""
    topic = [t for t in q.terms if len(t) >= 2 and not _names_part(q, t)]
    if not topic or any(presence(q, t, context, cfg) >= cfg.head_credit for t in topic):
        return []
    return topic


def unmatched_focus(q: Question, context: str, cfg: ComposerConfig) -> list[str]:
    """For the forms of `cfg.focus_gate`: the modifiers of what the question asks about that `context` lacks wholly
    (no part of them either: 智能 counts for 智能化), while it has their head (兼职 of 兼职干部 where the paragraph
    counts 专职干部): the paragraph speaks of another kind of the thing asked. A missing head is left to coverage
    (reworded: 专款 for 专项资金). English questions are left out: the glossary translates only some of their words."""
    focus = [t for t in q.focus if len(t) >= 2 and not _names_part(q, t)]
    if q.form not in cfg.focus_gate or q.english or len(focus) < 2 or focus[-1] != q.focus[-1]:
        return []
    return _missing_modifiers(q, focus, context, cfg)


def _missing_modifiers(q: Question, phrase: Sequence[str], text: str, cfg: ComposerConfig) -> list[str]:
    """The modifiers of `phrase` (its words but the last, the head) that `text` lacks wholly (no part of them either:
    智能 counts for 智能化), where `text` has the head; [] where it lacks the head (left to coverage)."""
    if presence(q, phrase[-1], text, cfg, focus=True) < 1.0:
        return []
    return [t for t in phrase[:-1] if presence(q, t, text, cfg, focus=True) == 0.0]


def unmatched_count(q: Question, c: Candidate, cfg: ComposerConfig) -> list[str]:
    """For number questions (`cfg.count_gate`): the modifiers of what is counted (`q.counted`) that neither the
    candidate sentence, its paragraph before it nor its title has (no part of them either), while that window has
    the head: a count of another kind of the thing (24个驿站升级改造 for 多少个是全国最美驿站) whose article names the
    kind only elsewhere, where the focus gate (the whole paragraph) passes. A missing head is left to coverage."""
    if not cfg.count_gate or not q.counted:
        return []
    return _missing_modifiers(q, q.counted, normalize(f"{c.paragraph.title}。{c.paragraph.text[: c.end]}"), cfg)


def counted_phrase(q: Question) -> str:
    """What a number question counts as it writes it (全国最美驿站), from its counted modifiers to its head."""
    end = q.norm.rfind(q.counted[-1])
    start = q.norm.rfind(q.counted[0], 0, max(end, 0) + 1)
    return q.norm[start : end + len(q.counted[-1])] if 0 <= start <= end else "".join(q.counted)


def unmatched_subject(q: Question, context: str, cfg: ComposerConfig) -> list[str]:
    """What `context` lacks of the question's subject: its topic terms (`unmatched_topic`), else the modifiers of
    what it asks about (`unmatched_focus`); empty when the paragraph is about what is asked."""
    return unmatched_topic(q, context, cfg) or unmatched_focus(q, context, cfg)


_PREPOSITIONS = "为给向对帮替"  # they introduce who an action is for or aimed at: 为外卖员提供, 向农民工发放


def other_filler(q: Question, sentence: str, context: str, cfg: ComposerConfig) -> tuple[str, str] | None:
    """(the question's term, the sentence's filler) when the question puts a topic term after a preposition and
    before a word (为[外卖员]提供) and the sentence fills the same frame with something else (为[游客]提供) while the
    term is nowhere in the paragraph's `context`: the sentence answers for someone else."""
    if not cfg.filler_gate or q.english:
        return None
    for term in q.terms:
        at = q.norm.find(term)
        if len(term) < 2 or at < 1 or q.norm[at - 1] not in _PREPOSITIONS or _names_part(q, term):
            continue
        after = q.norm[at + len(term) : at + len(term) + 2]
        if len(after) < 2 or presence(q, term, context, cfg) >= cfg.head_credit:
            continue
        m = re.search(rf"{re.escape(q.norm[at - 1])}([^，。,；;！？]{{1,12}}?){re.escape(after)}", sentence)
        if m and term not in m.group(1):
            return term, m.group(1)
    return None


def _names_part(q: Question, term: str) -> bool:
    """The term is written right after a name the question gives, or its suffix (江西 + 省总工会, 沙坪坝 + 区 +
    总工会), or right before it."""
    return any(re.search(rf"{re.escape(f)}.?{re.escape(term)}", q.norm) or term + f in q.norm
               for e in q.entities for f in e.forms)


def relative(values: list[float], cfg: ComposerConfig) -> list[float]:
    """Dense credit in [0, 1]: 1 for the best paragraph, falling linearly to 0 at `dense_span` below it."""
    hi = max(values)
    return [max(0.0, 1.0 - (hi - v) / cfg.dense_span) for v in values]


# ---------- form scores: how well a normalised sentence has the shape of an answer, in [0, 1] ----------

def number_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    """Best quantity of the sentence: full marks for the asked unit with the asked-about term right next to it;
    a quantity in Chinese numerals (五项) only counts next to that term."""
    best = 0.0
    aliases = UNIT_ALIASES.get(q.unit, (q.unit,))
    if "第几" in q.norm:  # 第几个 asks for an ordinal: 首个, 第三批
        return 1.0 if ORDINAL_ANSWER.search(sentence) else 0.0
    for clause in CLAUSE_END.split(sentence):
        share = focus_share(q, clause)
        for m in QUANTITY.finditer(clause):
            num, unit = m.group("num"), m.group("unit") or ""
            if not num[0].isdigit() and not unit or year_like(num, unit, q.unit):
                continue
            if re.match(r"\d+[月日]", clause[m.start():]):
                continue
            if not num[0].isdigit() and m.start() and clause[m.start() - 1] in DETERMINERS:
                continue  # 另一架, 每一个, 这一批: a determiner's 一 counts nothing
            near = focus_share(q, clause[max(0, m.start() - cfg.near_chars) : m.end() + cfg.near_chars])
            if not num[0].isdigit() and not adjacent(q, clause, m.start(), m.end(), cfg.adjacent_gap):
                continue  # 五项举措 answers 几项举措, 培训班千余期 多少期培训班; 四个提升 not 多少个工会驿站
            if q.unit:
                base = cfg.number_unit if unit in aliases else cfg.number_other_unit
            else:
                base = cfg.number_any_unit if unit else cfg.number_bare
            best = max(best, base * (cfg.number_base + cfg.number_share * share + cfg.number_near * near))
    return best


def date_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    if content_dates(sentence, cfg):
        return cfg.date_full
    return cfg.date_relative if RELATIVE_DATE.search(sentence) else 0.0


def list_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    """An enumeration (three or more items joined by 、) scores high, highest with the asked-about term next to it
    (提供集体协商、法律咨询、…等服务 for 提供哪些服务)."""
    best = cfg.list_plain if "、" in sentence or re.search(rf"[{ORDINAL_NUMERALS}]是", sentence) else cfg.list_none
    for m in _ENUMERATION.finditer(sentence):
        around = sentence[max(0, m.start() - cfg.near_chars) : m.end() + cfg.near_chars]
        best = max(best, cfg.list_enumeration + cfg.list_focus * (focus_share(q, around) if q.focus else 1.0))
    return best


def person_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    """A role word (主席, 负责人 …) in the sentence; a byline's 记者 only when the question names it."""
    roles = (m.group(0) for m in ROLE_WORD.finditer(sentence))
    return cfg.person_role if any(r not in BYLINE_ROLES or r in q.norm for r in roles) else cfg.person_none


def identity_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    """The sentence says who the person a `X是谁` question names is (X是…, or a title right before the name)."""
    return cfg.identity_found if identity_answer(q, sentence, cfg) else cfg.identity_none


def org_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    names = [m.group(0) for m in ORG.finditer(sentence) if m.group(0) not in q.norm]
    if not names:
        return cfg.org_none
    return cfg.org_focus if any(f in n for n in names for f in q.focus) else cfg.org_other


def place_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    return cfg.place_venue if VENUE.search(sentence) else cfg.place_name if PLACE_NAME.search(sentence) \
        else cfg.place_none


def title_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    """A 《title》 the question does not already name."""
    return cfg.title_found if title_answer(q, sentence, cfg) else cfg.title_none


def explanation_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    return cfg.explain_cue if EXPLAIN_CUE.search(sentence) else cfg.explain_none


def generic_score(q: Question, sentence: str, cfg: ComposerConfig) -> float:
    return cfg.generic_form
