"""The answer composer: `compose(question, evidence, config) -> Answer`, a pure function run as named stages.

1. entity gate: every place, organisation, year … the question names must occur in some retrieved paragraph;
2. candidate pool: the top hits whose paragraph (with its context) names them all;
3. dense gate: the best pool paragraph must be close enough to the question (a floor per embedding model);
4. scoring: every sentence of the pool, scored on coverage, form, rank and dense similarity;
5. choice: the best of the top sentences that passes the floors, else a sentence the question is a rewording of;
   5b. reading (only with a reader, `--reader`): the top candidates re-read by a local language model, whose quote
   picks the answer sentence among those that pass the floors and is its short answer (qa/answer/reader.py; not
   for a sentence the semantic fallback rescued);
6. extension: lists from "一是… 二是…" paragraphs, a lead-in's run, a second sentence;
7. rendering and verification: trimmed, cited with `[n]`, numbers checked against the cited paragraph.

Each stage returns its candidates or a `Refusal` with the reason "没有找到" then gives. The evidence comes from
`qa.answer.evidence.gather`; the composer touches neither the store nor the retriever. Every threshold is a named
field of `ComposerConfig`; what differs by question form is one rule entry in `qa.answer.forms`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

from qa.answer.config import ComposerConfig
from qa.answer.evidence import Evidence
from qa.answer.extend import enumeration, lead_in_run, second_sentence, semantic_match
from qa.answer.facts import BULLET
from qa.answer.forms import form_score, rule
from qa.answer.learned import SentenceScorer, blended, pool_features, sigmoid
from qa.answer.names import asked_person
from qa.answer.reader import Reader, read
from qa.answer.render import ARCHIVE_SCOPE, not_found, render
from qa.answer.scoring import (
    Candidate,
    counted_phrase,
    coverage,
    has,
    other_filler,
    presence,
    relative,
    sentence_spans,
    unmatched_count,
    unmatched_focus,
    unmatched_subject,
    unmatched_topic,
)
from qa.answer.slot import slot_fit
from qa.index.tokens import normalize
from qa.query.kinds import EntityKind, Form
from qa.query.question import Entity, Question
from qa.schema import Answer, Hit, Paragraph

log = logging.getLogger(__name__)

Pool = list[tuple[int, Hit]]  # (1-based rank, hit) of the hits that may hold the answer


@dataclass(frozen=True)
class Refusal:
    """A stage's "没有找到": which stage, and the reason shown with the answer ("" for none)."""

    stage: str
    reason: str = ""


def compose(q: Question, ev: Evidence, cfg: ComposerConfig | None = None, reader: Reader | None = None) -> Answer:
    """The cited answer to `q` from the evidence, or "没有找到" with the hits kept and the reason as a note; with a
    `reader`, the chosen sentence is re-read (stage 5b, qa/answer/reader.py)."""
    cfg = cfg or ComposerConfig()
    kept = ev.hits[: cfg.kept_hits]
    outcome = _stages(q, ev, cfg, reader)
    if isinstance(outcome, Refusal):
        log.debug("not found at %s: %s", outcome.stage, outcome.reason or "-")
        return not_found(q, kept, outcome.reason, cfg)
    chosen, quote = outcome
    return render(q, chosen, kept, cfg, quote)


@dataclass(frozen=True)
class Scored:
    """What the first four stages give: the pool, its cosines (None without a dense signal), the scored sentences."""

    pool: Pool
    cosines: list[float] | None
    candidates: list[Candidate]


def scored(q: Question, ev: Evidence, cfg: ComposerConfig) -> Scored | Refusal:
    """Stages 1-4: entity gate, candidate pool, dense gate, scoring (eval/train_scorer.py learns from their output)."""
    refused = entity_gate(q, ev)
    if refused:
        return refused
    pool = candidate_pool(q, ev, cfg)
    if isinstance(pool, Refusal):
        return pool
    cosines = dense_gate(q, ev, pool, cfg)
    if isinstance(cosines, Refusal):
        return cosines
    return Scored(pool, cosines, score_candidates(q, pool, ev, cosines, cfg))


def _stages(q: Question, ev: Evidence, cfg: ComposerConfig,
            reader: Reader | None) -> tuple[list[Candidate], str] | Refusal:
    """The chosen sentences (best first) and the reader's quote ("" without one), or the stage's refusal."""
    s = scored(q, ev, cfg)
    if isinstance(s, Refusal):
        return s
    pool, candidates = s.pool, s.candidates
    other = _answers_for_another(q, candidates, ev, cfg)
    if other:
        pool = [(r, h) for r, h in pool if h.paragraph.article_id not in other]
        candidates = [c for c in candidates if c.paragraph.article_id not in other]
    best = choose(q, candidates, cfg, ev.context)
    if best is None:
        rescued = semantic_match(q, pool, ev, cfg) if pool else None
        if rescued:
            return [rescued], ""
        if not pool:
            term, filler = next(iter(other.values()))
            return Refusal("choice", f"资料中说的是“{filler}”，没有提到“{term}”。")
        top = candidates[0] if candidates else None
        return Refusal("choice", _near_miss(q, ev.context[pool[0][1].paragraph.id], cfg, top))
    quote = ""
    if reader is not None:
        reading = read(q.text, best, candidates, reader, cfg,
                       passes=lambda c: strong_enough(q, c, cfg, ev.context[c.paragraph.id]))
        best, quote = reading.best, reading.quote
    return extend(q, best, candidates, ev, cfg), quote


def _answers_for_another(q: Question, candidates: list[Candidate], ev: Evidence,
                         cfg: ComposerConfig) -> dict[str, tuple[str, str]]:
    """Articles (id → (the question's term, the filler)) whose top sentence gives the slot the question fills to
    someone else (为[游客]提供 for 为[外卖员]提供, `scoring.other_filler`): their other sentences answer for that
    someone else too."""
    out: dict[str, tuple[str, str]] = {}
    for c in candidates[: cfg.strong_lookahead]:
        found = other_filler(q, normalize(c.text), ev.context[c.paragraph.id], cfg)
        if found and c.paragraph.article_id not in out:
            out[c.paragraph.article_id] = found
    return out


def _near_miss(q: Question, context: str, cfg: ComposerConfig, top: Candidate | None) -> str:
    """The reason shown with "没有找到" when the archive has the question's names (in `context`, the first pool
    paragraph's) but not its topic, or its best sentence `top` counts another kind of what is asked (the count gate),
    or, asked who a named person is, only names them."""
    if q.form is Form.IDENTITY:
        name = asked_person(q)
        return f"资料中提到了“{name}”，但没有说明其身份（职务、单位等）。" if name else ""
    missing = unmatched_subject(q, context, cfg)
    counted = not missing and top is not None and bool(unmatched_count(q, top, cfg))
    names = "、".join(max((f + t for t in q.terms if f + t in q.norm), key=len, default=e.text)
                     for e in q.entities if has(e, context) for f in e.forms[:1])
    if not (missing or counted) or not names:
        return ""
    if counted:
        return f"资料中有关于“{names}”的内容，但没有给出“{counted_phrase(q)}”的数量。"
    return f"资料中有关于“{names}”的内容，但没有提到“{'、'.join(missing)}”。"


def entity_gate(q: Question, ev: Evidence) -> Refusal | None:
    """Refuse when there is nothing to look for, or a name the question gives occurs in no retrieved paragraph."""
    if not ev.hits or not (q.terms or q.entities):
        return Refusal("entity gate", "问题中没有可检索的内容。" if ev.hits else "")
    missing = [e for e in q.entities
               if not any(_has_entity(e, h.paragraph, ev.context[h.paragraph.id]) for h in ev.hits)]
    if missing:
        return Refusal("entity gate", f"{ARCHIVE_SCOPE}没有出现“{'、'.join(e.text for e in missing)}”。")
    return None


def candidate_pool(q: Question, ev: Evidence, cfg: ComposerConfig) -> Pool | Refusal:
    """The top hits whose paragraph (with its context) names every entity of the question; a province (重庆) may
    be left implicit when a place inside it that the question also names (沙坪坝) is there."""
    pool = [(r, h) for r, h in enumerate(ev.hits[: cfg.top_hits], start=1) if _supports(q, h.paragraph, ev)]
    return pool or Refusal("candidate pool")


def dense_gate(q: Question, ev: Evidence, pool: Pool, cfg: ComposerConfig) -> list[float] | None | Refusal:
    """The pool's cosines with the question (None without a dense signal); refuse when the best is below the
    model's floor."""
    if ev.cosines is None:
        return None
    cosines = [ev.cosines[h.paragraph.id] for _, h in pool]
    floor = cfg.dense_floor_for(ev.model_id, q.english)
    if floor is not None and max(cosines) < floor:
        log.debug("best cosine %.3f < %.3f", max(cosines), floor)
        return Refusal("dense gate")
    return cosines


def score_candidates(q: Question, pool: Pool, ev: Evidence, cosines: list[float] | None,
                     cfg: ComposerConfig) -> list[Candidate]:
    """Every sentence of the pool's paragraphs, scored, best first (for number and date questions only those that
    hold a number or date well enough); with the learned scorer, the first `learned_top` in its blended order, so
    their `score` is no longer sorted."""
    dense_rel = relative(cosines, cfg) if cosines is not None else None
    weights = dict(ev.term_weights)
    w_form = cfg.w_form_weak if rule(q).weak_shape else cfg.w_form
    out = []
    for j, (rank, hit) in enumerate(pool):
        p = hit.paragraph
        if p.kind == "subhead":  # a heading restates its section; the facts are in the body
            continue
        for index, (start, end) in enumerate(sentence_spans(p.text)):
            sentence = normalize(BULLET.sub("", p.text[start:end]))
            if len(sentence) < cfg.min_sentence_chars:
                continue
            cov = coverage(q, sentence, ev.context[p.id], weights, cfg)
            form = form_score(q, sentence, cfg)
            prior = 1.0 / (1.0 + cfg.rank_decay * (rank - 1))
            parts = [(cfg.w_coverage, cov), (w_form, form), (cfg.w_rank, prior)]
            if dense_rel is not None:
                parts.append((cfg.w_dense, dense_rel[j]))
            score = sum(w * v for w, v in parts) / sum(w for w, _ in parts)
            if cfg.w_slot:
                score += cfg.w_slot * slot_fit(q, sentence, cfg)
            out.append(Candidate(rank, p, start, end, index, cov, form, score))
    out.sort(key=lambda c: (-c.score, c.rank, c.start))
    if rule(q).needs_form:  # the answer must hold a number, a date, who X is: choose among sentences that do
        out = [c for c in out if c.form >= cfg.min_form]
    if cfg.learned_scorer and cfg.learned_top:
        out = _learned(q, pool, ev, cosines, out[: cfg.learned_top], cfg) + out[cfg.learned_top :]
    return out


def _learned(q: Question, pool: Pool, ev: Evidence, cosines: list[float] | None, candidates: list[Candidate],
             cfg: ComposerConfig) -> list[Candidate]:
    """The hand-ranked top candidates re-ranked by score + `learned_weight` × the learned scorer's log-odds
    (qa/answer/learned.py), each with its probability set."""
    try:
        scorer = SentenceScorer.load(cfg.learned_scorer)
    except (OSError, ValueError) as exc:  # a missing or stale file: answer with the hand-set order, not an error
        log.warning("learned scorer not used: %s", exc)
        return candidates
    rows = pool_features(q, pool, ev, cosines, candidates)
    margins = [scorer.margin(f) for f in rows]
    ranked = sorted(zip(candidates, margins, strict=True),
                    key=lambda cm: (-blended(cm[0].score, cm[1], cfg), cm[0].rank, cm[0].start))
    return [replace(c, probability=sigmoid(m)) for c, m in ranked]


def choose(q: Question, candidates: list[Candidate], cfg: ComposerConfig,
           contexts: Mapping[str, str]) -> Candidate | None:
    """The best of the top `strong_lookahead` sentences that passes the floors (`contexts`: paragraph id → its
    normalised context, for the topic gate)."""
    return next((c for c in candidates[: cfg.strong_lookahead]
                 if strong_enough(q, c, cfg, contexts[c.paragraph.id])), None)


def strong_enough(q: Question, best: Candidate, cfg: ComposerConfig, context: str) -> bool:
    """Coverage, overall score and (numbers, dates) form above their floors, at least one of the question's terms
    or names written out in the sentence itself (partial matches alone are too weak: 天气 ≠ 今天天气), (topic gate)
    one of its topic terms in the sentence's `context`, (focus gate) the modifiers of what is asked about there too,
    and (count gate) for a count, in the sentence, its paragraph before it or its title."""
    floor = cfg.min_coverage_en if q.english else cfg.min_coverage
    sentence = normalize(best.text)
    anchored = any(has(e, sentence) for e in q.entities) or any(
        len(t) >= cfg.min_anchor_chars and presence(q, t, sentence, cfg) == 1.0 for t in q.terms)
    weak = (best.coverage < floor or best.score < cfg.min_score or not anchored
            or cfg.topic_gate and bool(unmatched_topic(q, context, cfg))
            or bool(unmatched_focus(q, context, cfg))
            or bool(unmatched_count(q, best, cfg))
            or rule(q).needs_form and best.form < cfg.min_form
            or best.probability is not None and best.probability < cfg.min_probability)
    if weak:
        log.debug("too weak: coverage %.2f form %.2f score %.2f (%s)", best.coverage, best.form, best.score, best.text)
    return not weak


def extend(q: Question, best: Candidate, candidates: list[Candidate], ev: Evidence,
           cfg: ComposerConfig) -> list[Candidate]:
    """The best sentence, or for lists and explanations what it extends to (items, a lead-in's run, a second
    sentence)."""
    if q.form is Form.LIST and best.form < 1.0:
        items = enumeration(candidates, ev.articles, cfg)
        if items:
            return items
    if not rule(q).extends:
        return [best]
    return [best] + (lead_in_run(best, cfg) or second_sentence(best, candidates, cfg))


def _supports(q: Question, p: Paragraph, ev: Evidence) -> bool:
    ctx = ev.context[p.id]
    local = any(e.kind is EntityKind.PLACE and has(e, ctx) for e in q.entities)
    return all(_has_entity(e, p, ctx) or e.kind is EntityKind.PROVINCE and local for e in q.entities)


def _has_entity(e: Entity, p: Paragraph, context: str) -> bool:
    return has(e, context) or e.kind is EntityKind.YEAR and p.date.startswith(e.text)
