"""Answers beyond one best sentence (pure): the semantic fallback for reworded questions, lists built from
"一是… 二是…" paragraphs, the run a lead-in sentence introduces, and a second sentence for lists and explanations."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from qa.answer.config import ComposerConfig
from qa.answer.evidence import Evidence
from qa.answer.forms import form_score, rule
from qa.answer.scoring import Candidate, other_filler, sentence_spans, unmatched_count, unmatched_subject
from qa.index.tokens import normalize
from qa.lexicon import ORDINAL_NUMERALS
from qa.query.question import Question
from qa.schema import Hit, Paragraph

log = logging.getLogger(__name__)

_N = ORDINAL_NUMERALS  # 一…十
ORDINAL_LEAD = re.compile(rf"^\s*(?:[{_N}]是|第[{_N}]+[,，、:：]|其[{_N}][,，、:：]|[（(][{_N}][）)])")  # 一是, 第二,


def semantic_match(q: Question, pool: list[tuple[int, Hit]], ev: Evidence, cfg: ComposerConfig) -> Candidate | None:
    """A question reworded away from the source's words: the one sentence of the top paragraphs whose embedding is
    very close to the question's (`sentence_floor`, per model) and that has the asked form (a number for 多少).

    Only consulted when the lexical evidence is too weak, and only after every named place, organisation and year
    was found, so "北京…" or "2025年…" is still refused; only paragraphs that share the question's topic count, and
    not a count of another kind than the one asked (the count gate). None without sentence embeddings or a
    calibrated floor."""
    floor = cfg.sentence_floor.get(ev.model_id)
    if ev.sentence_cosines is None or floor is None or q.english:
        return None
    spans = [(rank, hit.paragraph, start, end, index) for rank, hit in pool[: cfg.semantic_hits]
             if hit.paragraph.kind in ("body", "list") and not unmatched_subject(q, ev.context[hit.paragraph.id], cfg)
             for index, (start, end) in enumerate(sentence_spans(hit.paragraph.text))
             if end - start >= cfg.semantic_min_chars]
    if not spans:
        return None
    cosines = ev.sentence_cosines([p.text[start:end] for _, p, start, end, _ in spans])
    j = int(cosines.argmax())
    rank, p, start, end, index = spans[j]
    form = form_score(q, normalize(p.text[start:end]), cfg)
    match = Candidate(rank, p, start, end, index, 0.0, form, float(cosines[j]))
    if (cosines[j] < floor or rule(q).needs_form and form < cfg.semantic_form
            or other_filler(q, normalize(p.text[start:end]), ev.context[p.id], cfg) is not None
            or unmatched_count(q, match, cfg)):
        log.debug("no semantic match: cosine %.3f form %.2f (%s)", cosines[j], form, p.text[start:end])
        return None
    return match


def enumeration(candidates: list[Candidate], articles: Mapping[str, Mapping[int, Paragraph]],
                cfg: ComposerConfig) -> list[Candidate]:
    """For a list question answered by consecutive "一是… 二是… 三是…" paragraphs: the lead sentence of each.

    Used when no single sentence holds an enumeration next to the asked-about term and one of the best sentences
    lies in such a paragraph; siblings are consecutive paragraphs of the same article."""
    for c in candidates[: cfg.enumeration_lookahead]:
        if c.coverage < cfg.min_coverage or not ORDINAL_LEAD.match(c.paragraph.text):
            continue
        article = articles.get(c.paragraph.article_id, {})
        run = [c.paragraph]
        for step in (-1, 1):
            n = c.paragraph.n + step
            while n in article and ORDINAL_LEAD.match(article[n].text):
                run.append(article[n])
                n += step
        if len(run) < 2:
            continue
        run.sort(key=lambda p: p.n)
        out = []
        for p in run[: cfg.max_items]:
            start, end = sentence_spans(p.text)[0]
            out.append(Candidate(c.rank, p, start, end, 0, c.coverage, c.form, c.score))
        return out
    return []


def lead_in_run(best: Candidate, cfg: ComposerConfig) -> list[Candidate]:
    """For a list or explanation whose best sentence only introduces the answer (这源于…“链条式”帮扶。), the
    ;-separated run that follows it in the paragraph (即入学时,…;在假期,…;毕业时,…。), within max_long_chars."""
    if best.form >= cfg.lead_in_form:
        return []
    spans = sentence_spans(best.paragraph.text)
    run, size = [], len(best.text)
    for index in range(best.index + 1, len(spans)):
        start, end = spans[index]
        size += end - start
        if size > cfg.max_long_chars:
            return []
        run.append(Candidate(best.rank, best.paragraph, start, end, index, best.coverage, best.form, best.score))
        if not best.paragraph.text[start:end].rstrip().endswith((";", "；")):
            break
    return run if len(run) >= 2 else []


def second_sentence(best: Candidate, candidates: list[Candidate], cfg: ComposerConfig) -> list[Candidate]:
    """The next or previous sentence of the best one's paragraph (one citation target) when it scores nearly as
    well and both fit in max_long_chars."""
    if len(best.text) > cfg.max_long_chars * cfg.second_room:
        return []
    for c in candidates[1 : 1 + cfg.second_lookahead]:
        if c.paragraph.id != best.paragraph.id or abs(c.index - best.index) != 1 or \
                c.score < cfg.second_ratio * best.score:
            continue
        if len(best.text) + len(c.text) <= cfg.max_long_chars:
            return [c]
    return []
