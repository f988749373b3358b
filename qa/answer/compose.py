"""Extractive answer composition: pick the sentence(s) of the top hits that answer the question, cite them, or refuse.

Every candidate sentence of the top hits is scored on the question's form (a number with the asked unit, a date, an
enumeration, …; see `form_score`), on coverage of the question's key terms and entities, on its hit's fused rank and
on the dense cosine of its paragraph. The best sentence — trimmed to the clause(s) that hold the fact when long — is
the answer, with `[n]` pointing at the paragraph and the sentence's character span; for a list or explanation, a
lead-in sentence brings the ;-separated run it introduces. The answer is the best of the top sentences that pass
the floors, not only the very best. Numbers and dates of each answer sentence are checked against the cited
paragraph. Weak evidence, or a place/organisation/year the question names that no retrieved paragraph mentions,
gives "没有找到" instead of a guess. Thresholds are the constants below.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from qa.answer.facts import (
    BULLET,
    DATE,
    NEAR_CHARS,
    ORDINAL_ANSWER,
    ORG,
    QUANTITY,
    UNIT_ALIASES,
    VENUE,
    adjacent,
    focus_share,
    short_answer,
)
from qa.index.tokens import expand_query, normalize
from qa.ingest.chunk import split_sentences
from qa.query.question import Entity, Question, analyze_question, is_english, search_query
from qa.retrieve.retriever import rrf
from qa.schema import Answer, Citation, Hit, Paragraph

if TYPE_CHECKING:
    from qa.query.english import Lexicon
    from qa.retrieve.retriever import Retriever

log = logging.getLogger(__name__)

# --- thresholds (calibrated on eval/questions.jsonl; see the module docstring of each use) ---------------------------
TOP_HITS = 6  # hits whose sentences are answer candidates
MIN_COVERAGE = 0.55  # weighted share of key terms/entities in the best sentence (+ its context); below → not found
MIN_COVERAGE_EN = 0.3  # the same for English questions (the glossary translates only some words)
MIN_FORM = 0.5  # number/date questions: the best sentence must hold a number/date at least this well
MIN_SCORE = 0.5  # overall score of the best sentence; below → not found
DENSE_FLOOR = {"multilingual-e5-small": 0.78}  # best paragraph cosine below this → not found (per model; else none)
DENSE_FLOOR_EN = {"multilingual-e5-small": 0.72}  # the same for English questions (cross-lingual cosines are lower)
SENTENCE_FLOOR = {"multilingual-e5-small": 0.90}  # semantic_match: least question-sentence cosine (per model)
STRONG_LOOKAHEAD = 3  # the answer is the best of this many top sentences that passes the floors
SEMANTIC_HITS = 3  # semantic_match looks at the sentences of this many top paragraphs
SEMANTIC_FORM = 0.6  # semantic_match: number/date questions need a sentence holding a number/date this well
MAX_ITEMS = 6  # most items listed from "一是… 二是…" paragraphs
DENSE_SPAN = 0.05  # a paragraph this much less similar than the best gets no dense credit
CONTEXT_LOOKBACK = 6  # earlier paragraphs of the same article that count as a hit's context (its subject, place)
CONTEXT_CREDIT = 0.6  # a term found only in the context (title, earlier paragraphs) counts this much
MAX_FACT_CHARS = 90  # a longer sentence answering a factual question is trimmed to its fact clause(s)
MAX_LONG_CHARS = 200  # longest answer for list/explanation questions
LEAD_IN_FORM = 0.5  # list/explanation: a best sentence below this form score may only introduce the answer
SECOND_RATIO = 0.85  # a second sentence is added (lists, explanations) when it scores at least this share of the best
W_COVERAGE, W_FORM, W_RANK, W_DENSE = 0.5, 0.25, 0.1, 0.15  # score = weighted mean of these signals
ASKED_WEIGHT = 2.0  # a term of the clause holding the question word (一等奖 in …，哪个项目拿了一等奖)
FOCUS_WEIGHT = 1.5  # the asked-about term (工会驿站 in 多少个工会驿站) counts this much more in coverage
ENTITY_WEIGHT = 0.5  # weight of a named entity in coverage (presence is also enforced separately)
HEAD_CREDIT = 0.7  # a compound term matched only by its head noun (会员 for 工会会员)
PARTIAL_CREDIT = 0.8  # a term matched only through its shorter words: this × matched share of its characters

ENGLISH_NOTE = "问题为英文，答案引自中文原文。"
NOT_FOUND = "根据现有资料，没有找到关于{topic}的信息。"

_CLAUSE_END = re.compile(r"(?<=[，,；;：:])")
_MARKER = re.compile(r"\[\d+\]")
_ENUMERATION = re.compile(r"[^、，,。；;：:]{1,24}(?:、[^、，,。；;：:]{1,24}){2,}")
_ORDINAL_LEAD = re.compile(r"^\s*(?:[一二三四五六七八九十]是|第[一二三四五六七八九十]+[,，、:：]"
                           r"|其[一二三四五六七八九十][,，、:：]"
                           r"|[（(][一二三四五六七八九十][）)])")
_RELATIVE_DATE = re.compile(r"近日|日前|今年|去年|当天|近年来|目前|此前|年初|年底")
_EXPLAIN = re.compile(r"通过|为了|旨在|以便|由于|因为|目的|采取|依托|推动|着力|坚持|建立|围绕|聚焦")
_ROLE = re.compile(r"主席|书记|院长|校长|经理|记者|教授|律师|劳模|工匠|选手|负责人|职工")
_PLACE_NAME = re.compile(r"[\u4e00-\u9fff]{2,}(?:大学|学院|学校|公司|医院|基地|中心|街道|社区|园区|馆|厅|省|市|区|县)")


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

    @property
    def text(self) -> str:
        return self.paragraph.text[self.start : self.end]


def compose_answer(question: str, hits: Sequence[Hit], retriever: Retriever | None = None) -> Answer:
    """The cited answer to `question` from `hits` (best first), or a "not found" Answer with the hits kept."""
    lexicon = retriever.lexicon() if retriever is not None and is_english(question) else None
    q = analyze_question(question, lexicon)
    hits = _with_glossary_hits(question, list(hits), retriever, lexicon) if q.english else list(hits)
    kept = tuple(hits[:10])
    if not hits or not (q.terms or q.entities):
        return _not_found(q, kept, "问题中没有可检索的内容。" if hits else "")
    context = {h.paragraph.id: _context(h.paragraph, hits, retriever) for h in hits}
    missing = [e for e in q.entities if not any(_has_entity(e, h.paragraph, context[h.paragraph.id]) for h in hits)]
    if missing:
        return _not_found(q, kept, f"现有资料中没有出现“{'、'.join(e.text for e in missing)}”。")
    pool = [(r, h) for r, h in enumerate(hits[:TOP_HITS], start=1) if _supports(q, h.paragraph, context)]
    if not pool:
        return _not_found(q, kept, "")
    cosines = _cosines(question, [h for _, h in pool], retriever)
    floor = (DENSE_FLOOR_EN if q.english else DENSE_FLOOR).get(getattr(getattr(retriever, "embedder", None),
                                                                       "name", ""))
    if cosines is not None and floor is not None and max(cosines) < floor:
        log.debug("not found: best cosine %.3f < %.3f", max(cosines), floor)
        return _not_found(q, kept, "")
    df = _document_frequency(q, retriever)
    candidates = score_candidates(q, pool, context, cosines, _term_weights(df, retriever))
    if q.form in ("number", "date"):  # the answer must hold a number/date: choose among sentences that do
        candidates = [c for c in candidates if c.form >= MIN_FORM]
    best = next((c for c in candidates[:STRONG_LOOKAHEAD] if _strong_enough(q, c)), None)
    if best is None:
        rescued = semantic_match(q, pool, retriever)
        return _build(q, [rescued], kept) if rescued else _not_found(q, kept, "")
    items = enumeration(q, candidates, hits, retriever) if q.form == "list" and best.form < 1.0 else []
    if items:
        return _build(q, items, kept)
    return _build(q, [best] + (_lead_in_run(q, best) or _second(q, best, candidates)), kept)


def semantic_match(q: Question, pool: list[tuple[int, Hit]], retriever: Retriever | None) -> Candidate | None:
    """A question reworded away from the source's words: the one sentence of the top paragraphs whose embedding is
    very close to the question's (SENTENCE_FLOOR, per model) and that has the asked form (a number for 多少).

    Only consulted when the lexical evidence is too weak, and only after every named place, organisation and year
    was found, so "北京…" or "2025年…" is still refused. None without an embedder that has a calibrated floor."""
    embedder = getattr(retriever, "embedder", None)
    floor = SENTENCE_FLOOR.get(getattr(embedder, "name", ""))
    if retriever is None or floor is None or q.english:
        return None
    spans = [(rank, hit.paragraph, start, end, index) for rank, hit in pool[:SEMANTIC_HITS]
             if hit.paragraph.kind in ("body", "list")
             for index, (start, end) in enumerate(sentence_spans(hit.paragraph.text)) if end - start >= 8]
    if not spans:
        return None
    vectors = embedder.embed_passages([p.text[start:end] for _, p, start, end, _ in spans])
    cosines = vectors @ retriever.query_vector(q.text)
    j = int(cosines.argmax())
    rank, p, start, end, index = spans[j]
    form = form_score(q, normalize(p.text[start:end]))
    if cosines[j] < floor or q.form in ("number", "date") and form < SEMANTIC_FORM:
        log.debug("no semantic match: cosine %.3f form %.2f (%s)", cosines[j], form, p.text[start:end])
        return None
    return Candidate(rank, p, start, end, index, 0.0, form, float(cosines[j]))


def enumeration(q: Question, candidates: list[Candidate], hits: list[Hit],
                retriever: Retriever | None) -> list[Candidate]:
    """For a list question answered by consecutive "一是… 二是… 三是…" paragraphs: the lead sentence of each.

    Used when no single sentence holds an enumeration next to the asked-about term and one of the best three
    sentences lies in such a paragraph; siblings come from the store (or, without one, from the hits) and must be
    consecutive paragraphs of the same article."""
    for c in candidates[:3]:
        if c.coverage < MIN_COVERAGE or not _ORDINAL_LEAD.match(c.paragraph.text):
            continue
        article = _article_paragraphs(c.paragraph, hits, retriever)
        run = [c.paragraph]
        for step in (-1, 1):
            n = c.paragraph.n + step
            while n in article and _ORDINAL_LEAD.match(article[n].text):
                run.append(article[n])
                n += step
        if len(run) < 2:
            continue
        run.sort(key=lambda p: p.n)
        out = []
        for p in run[:MAX_ITEMS]:
            start, end = sentence_spans(p.text)[0]
            out.append(Candidate(c.rank, p, start, end, 0, c.coverage, c.form, c.score))
        return out
    return []


def score_candidates(q: Question, pool: list[tuple[int, Hit]], context: dict[str, str], cosines: list[float] | None,
                     weights: dict[str, float]) -> list[Candidate]:
    """Every sentence of the pool's paragraphs, scored, best first."""
    dense_rel = _relative(cosines) if cosines is not None else None
    out = []
    for j, (rank, hit) in enumerate(pool):
        p = hit.paragraph
        if p.kind == "subhead":  # a heading restates its section; the facts are in the body
            continue
        for index, (start, end) in enumerate(sentence_spans(p.text)):
            sentence = normalize(BULLET.sub("", p.text[start:end]))
            if len(sentence) < 4:
                continue
            cov = coverage(q, sentence, context[p.id], weights)
            form = form_score(q, sentence)
            prior = 1.0 / (1.0 + 0.3 * (rank - 1))
            parts = [(W_COVERAGE, cov), (W_FORM, form), (W_RANK, prior)]
            if dense_rel is not None:
                parts.append((W_DENSE, dense_rel[j]))
            score = sum(w * v for w, v in parts) / sum(w for w, _ in parts)
            out.append(Candidate(rank, p, start, end, index, cov, form, score))
    out.sort(key=lambda c: (-c.score, c.rank, c.start))
    return out


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


def coverage(q: Question, sentence: str, context: str, weights: dict[str, float]) -> float:
    """Weighted share of the question's terms and entities present in the sentence (full credit) or only in its
    context (CONTEXT_CREDIT); a term may be matched in part by its shorter jieba words or by a known synonym."""
    total = got = 0.0
    for term in q.terms:
        focus = term in q.focus
        w = weights.get(term, 1.0) * (FOCUS_WEIGHT if focus else ASKED_WEIGHT if term in q.asked else 1.0) * (
            0.25 if len(term) == 1 else 1.0)
        total += w
        got += w * max(_presence(q, term, sentence, focus), CONTEXT_CREDIT * _presence(q, term, context, focus))
    for e in q.entities:
        w = ENTITY_WEIGHT * (0.5 if e.kind == "province" else 1.0)
        total += w
        got += w * (1.0 if any(f in sentence for f in e.forms) else CONTEXT_CREDIT if _in(e, context) else 0.0)
    return got / total if total else 0.0


def form_score(q: Question, sentence: str) -> float:
    """How well a normalised sentence has the shape of an answer to the question's form, in [0, 1]."""
    if q.form == "number":
        return _number_score(q, sentence)
    if q.form == "date":
        return 1.0 if DATE.search(sentence) else 0.5 if _RELATIVE_DATE.search(sentence) else 0.0
    if q.form == "list":
        return _list_score(q, sentence)
    if q.form == "person":
        return 1.0 if _ROLE.search(sentence) else 0.3
    if q.form == "org":
        names = [m.group(0) for m in ORG.finditer(sentence) if m.group(0) not in q.norm]
        return 0.3 if not names else 1.0 if any(f in n for n in names for f in q.focus) else 0.85
    if q.form == "place":
        return 1.0 if VENUE.search(sentence) else 0.8 if _PLACE_NAME.search(sentence) else 0.3
    if q.form == "explanation":
        return 0.9 if _EXPLAIN.search(sentence) else 0.5
    return 0.6


def _number_score(q: Question, sentence: str) -> float:
    """Best quantity of the sentence: full marks for the asked unit with the asked-about term right next to it;
    a quantity in Chinese numerals (五项) only counts next to that term."""
    best = 0.0
    aliases = UNIT_ALIASES.get(q.unit, (q.unit,))
    if "第几" in q.norm:  # 第几个 asks for an ordinal: 首个, 第三批
        return 1.0 if ORDINAL_ANSWER.search(sentence) else 0.0
    for clause in _CLAUSE_END.split(sentence):
        share = focus_share(q, clause)
        for m in QUANTITY.finditer(clause):
            num, unit = m.group("num"), m.group("unit") or ""
            if not num[0].isdigit() and not unit or unit == "年" and q.unit != "年" and len(num) == 4:
                continue
            if re.match(r"\d+[月日]", clause[m.start():]):
                continue
            near = focus_share(q, clause[max(0, m.start() - NEAR_CHARS) : m.end() + NEAR_CHARS])
            if not num[0].isdigit() and not adjacent(q, clause, m.start(), m.end()):
                continue  # 五项举措 answers 几项举措, 培训班千余期 多少期培训班; 四个提升 not 多少个工会驿站
            if q.unit:
                base = 1.0 if unit in aliases else 0.45
            else:
                base = 0.9 if unit else 0.6
            best = max(best, base * (0.6 + 0.25 * share + 0.15 * near))
    return best


def _list_score(q: Question, sentence: str) -> float:
    """An enumeration (three or more items joined by 、) scores high, highest with the asked-about term next to it
    (提供集体协商、法律咨询、…等服务 for 提供哪些服务)."""
    best = 0.6 if "、" in sentence or re.search(r"[一二三四五六七八九十]是", sentence) else 0.3
    for m in _ENUMERATION.finditer(sentence):
        around = sentence[max(0, m.start() - NEAR_CHARS) : m.end() + NEAR_CHARS]
        best = max(best, 0.75 + 0.25 * (focus_share(q, around) if q.focus else 1.0))
    return best


def unsupported_numbers(text: str, paragraph_text: str) -> list[str]:
    """Numbers and dates of an answer sentence that do not occur in the paragraph it cites (markers `[n]` ignored)."""
    text = unicodedata.normalize("NFKC", _MARKER.sub("", text))
    source = unicodedata.normalize("NFKC", paragraph_text)
    missing: list[str] = []
    for date in DATE.findall(text):
        if date not in source:
            missing.append(date)
        text = text.replace(date, " ")
    for num in re.findall(r"\d+(?:\.\d+)?%?", text):
        if not re.search(rf"(?<![\d.]){re.escape(num)}(?![\d]|\.\d)", source):
            missing.append(num)
    return missing


def trim(q: Question, sentence: str, limit: int) -> str:
    """The sentence, or when longer than `limit` the clause holding the fact plus the clause naming its subject,
    joined with …… where clauses were skipped. Source wording is kept; only whole clauses are dropped."""
    body = BULLET.sub("", sentence).strip()
    if len(body) <= limit:
        return re.sub(r"[，,；;：:]$", "。", body)
    clauses = [c for c in _CLAUSE_END.split(body) if c]
    norm = [normalize(c) for c in clauses]
    fact_scores = [(form_score(q, c), coverage(q, c, "", {}), -i) for i, c in enumerate(norm)]
    fact = max(range(len(clauses)), key=lambda i: fact_scores[i])
    keep = {fact}
    if q.form == "list" and fact + 1 < len(clauses) and norm[fact + 1].count("、"):
        keep.add(fact + 1)
    missing = {t for t in (*q.terms, *(f for e in q.entities for f in e.forms)) if t not in norm[fact]}
    while missing:  # clauses naming what the kept ones lack (the subject; the second thing asked), while they fit
        helpers = [(sum(t in norm[i] for t in missing), -abs(i - fact)) for i in range(len(clauses))]
        extra = max((i for i in range(len(clauses)) if i not in keep), key=lambda i: helpers[i], default=None)
        if extra is None or helpers[extra][0] == 0 or len(keep) > 1 and (
                sum(len(clauses[i]) for i in keep) + len(clauses[extra]) > limit):
            break
        keep.add(extra)
        missing = {t for t in missing if t not in norm[extra]}
    if len(keep) == 1 and fact > 0 and len(clauses[fact]) < 12:
        keep.add(fact - 1)
    out, last = "", None
    for i in sorted(keep):
        out += ("……" if last is not None and i != last + 1 else "") + clauses[i]
        last = i
    return re.sub(r"[，,；;：:]$", "", out) + ("" if re.search(r"[。！？!?…”]$", out) else "。")


def _lead_in_run(q: Question, best: Candidate) -> list[Candidate]:
    """For a list or explanation question whose best sentence only introduces the answer (这源于…“链条式”帮扶。),
    the ;-separated run that follows it in the paragraph (即入学时,…;在假期,…;毕业时,…。), within MAX_LONG_CHARS."""
    if q.form not in ("list", "explanation") or best.form >= LEAD_IN_FORM:
        return []
    spans = sentence_spans(best.paragraph.text)
    run, size = [], len(best.text)
    for index in range(best.index + 1, len(spans)):
        start, end = spans[index]
        size += end - start
        if size > MAX_LONG_CHARS:
            return []
        run.append(Candidate(best.rank, best.paragraph, start, end, index, best.coverage, best.form, best.score))
        if not best.paragraph.text[start:end].rstrip().endswith((";", "；")):
            break
    return run if len(run) >= 2 else []


def _second(q: Question, best: Candidate, candidates: list[Candidate]) -> list[Candidate]:
    if q.form not in ("list", "explanation") or len(best.text) > MAX_LONG_CHARS * 0.6:
        return []
    for c in candidates[1:6]:  # only the next or previous sentence of the same paragraph: one citation target
        if c.paragraph.id != best.paragraph.id or abs(c.index - best.index) != 1 or c.score < SECOND_RATIO * best.score:
            continue
        if len(best.text) + len(c.text) <= MAX_LONG_CHARS:
            return [c]
    return []


def _build(q: Question, chosen: list[Candidate], kept: tuple[Hit, ...]) -> Answer:
    if len(chosen) == 2 and chosen[0].paragraph.id == chosen[1].paragraph.id and chosen[1].index < chosen[0].index:
        chosen = chosen[::-1]  # same paragraph: keep the source order
    limit = MAX_FACT_CHARS if q.form in ("number", "date", "person", "org", "place", "generic") else MAX_LONG_CHARS
    parts, citations = [], []
    for c in chosen:
        sentence = trim(q, c.text, limit if len(chosen) == 1 else limit // 2)
        bad = unsupported_numbers(sentence, c.paragraph.text)
        if bad:
            log.warning("dropped an answer sentence: %s not in %s", bad, c.paragraph.id)
            continue
        last = citations[-1] if citations else None
        if last and last.paragraph.id == c.paragraph.id and not c.paragraph.text[last.end : c.start].strip():
            citations[-1] = Citation(last.n, last.paragraph, last.start, c.end)  # next sentence: one span, one [n]
            span = c.paragraph.text[last.start : c.end]
            if len(span) <= MAX_LONG_CHARS:  # quote the run as written (its ;s kept), each full sentence marked
                quoted = re.sub(r"(?<=[。！？!?])(?=\S)", f"[{last.n}]", trim(q, span, MAX_LONG_CHARS))
                parts[-1] = f"{quoted}[{last.n}]"
                continue
        else:
            citations.append(Citation(len(citations) + 1, c.paragraph, c.start, c.end))
        parts.append(f"{sentence}[{citations[-1].n}]")
    if not citations:
        return _not_found(q, kept, "")
    notes = (ENGLISH_NOTE,) if q.english else ()
    return Answer(q.text, "".join(parts), True, tuple(citations), kept, notes=notes,
                  short=short_answer(q, citations[0].sentence))


def _strong_enough(q: Question, best: Candidate) -> bool:
    """Coverage, overall score and (numbers, dates) form above their floors, and at least one of the question's
    terms or names written out in the sentence itself (partial matches alone are too weak: 天气 ≠ 今天天气)."""
    floor = MIN_COVERAGE_EN if q.english else MIN_COVERAGE
    sentence = normalize(best.text)
    anchored = any(_in(e, sentence) for e in q.entities) or any(
        len(t) >= 2 and _presence(q, t, sentence) == 1.0 for t in q.terms)
    weak = (best.coverage < floor or best.score < MIN_SCORE or not anchored
            or q.form in ("number", "date") and best.form < MIN_FORM)
    if weak:
        log.debug("not found: coverage %.2f form %.2f score %.2f (%s)", best.coverage, best.form, best.score, best.text)
    return not weak


def _not_found(q: Question, kept: tuple[Hit, ...], reason: str) -> Answer:
    topic = re.sub(r"^(请问|我想知道|想问一下)|[\s？?。!！，,]+$", "", q.text.strip()) or q.text.strip()
    return Answer(q.text, NOT_FOUND.format(topic=topic[:60]), False, (), kept, notes=(reason,) if reason else ())


def _presence(q: Question, term: str, text: str, focus: bool = False) -> float:
    """1 when the term (or a synonym) is in the text; else partial credit for its shorter words: HEAD_CREDIT for
    its head (Chinese compounds end with it: 会员 in 工会会员), else a share by length, halved for the focus
    (工会 alone is weak evidence for 工会驿站)."""
    if term in text or any(alt in text for alt in _synonyms(term)) or any(alt in text for alt in q.alts(term)):
        return 1.0
    best = 0.0
    for part in q.parts(term):
        if part in text:
            head = term.endswith(part) and 2 * len(part) >= len(term)
            best = max(best, HEAD_CREDIT if head else PARTIAL_CREDIT * len(part) / len(term) * (0.5 if focus else 1))
    return best


@lru_cache(maxsize=4096)
def _synonyms(term: str) -> tuple[str, ...]:
    expanded = expand_query(term)
    return tuple(normalize(w) for w in expanded[len(term):].split())


def _in(e: Entity, text: str) -> bool:
    return any(f in text for f in e.forms) if e.kind != "number" else any(
        re.search(rf"(?<![\d.]){re.escape(f)}(?![\d])", text) for f in e.forms)


def _with_glossary_hits(question: str, hits: list[Hit], retriever: Retriever | None,
                        lexicon: Lexicon | None) -> list[Hit]:
    """English question: also search with its Chinese glossary words and fuse both rankings (RRF), so that BM25 can
    contribute. A no-op when the caller already searched with `search_query` or there is no retriever."""
    query = search_query(question, lexicon)
    if retriever is None or query == question:
        return hits
    try:
        extra = retriever.search(query, max(len(hits), 10))
    except Exception as exc:  # noqa: BLE001 - widening the evidence is optional
        log.warning("glossary search failed (%s)", exc)
        return hits
    by_id = {h.paragraph.id: h for h in [*extra, *hits]}
    fused = rrf([[h.paragraph.id for h in hits], [h.paragraph.id for h in extra]])
    return [replace(by_id[pid], score=score) for pid, score in fused]


def _supports(q: Question, p: Paragraph, context: dict[str, str]) -> bool:
    """The paragraph (with its context) names every entity of the question; a province (重庆) may be left implicit
    when a place inside it that the question also names (沙坪坝) is there."""
    ctx = context[p.id]
    local = any(e.kind == "place" and _in(e, ctx) for e in q.entities)
    return all(_has_entity(e, p, ctx) or e.kind == "province" and local for e in q.entities)


def _article_paragraphs(p: Paragraph, hits: list[Hit], retriever: Retriever | None) -> dict[int, Paragraph]:
    """Paragraphs of p's article by number: from the store when there is one, else those among the hits."""
    store = getattr(retriever, "store", None)
    if store is not None:
        for article in store.articles:
            if article.id == p.article_id:
                return {x.n: x for x in article.paragraphs}
    return {h.paragraph.n: h.paragraph for h in hits if h.paragraph.article_id == p.article_id}


def _has_entity(e: Entity, p: Paragraph, context: str) -> bool:
    return _in(e, context) or e.kind == "year" and p.date.startswith(e.text)


def _context(p: Paragraph, hits: list[Hit], retriever: Retriever | None) -> str:
    """Normalised title + paragraph + up to CONTEXT_LOOKBACK earlier paragraphs of its article (from the store,
    else from the other hits)."""
    earlier = {h.paragraph.n: h.paragraph.text for h in hits
               if h.paragraph.article_id == p.article_id and p.n - CONTEXT_LOOKBACK <= h.paragraph.n < p.n}
    store = getattr(retriever, "store", None)
    if store is not None:
        for k in range(max(1, p.n - CONTEXT_LOOKBACK), p.n):
            other = store.paragraphs.get(f"{p.article_id}#p{k}")
            if other is not None:
                earlier[k] = other.text
    return normalize(" ".join([p.title, p.source, p.text, *(earlier[k] for k in sorted(earlier))]))


def _cosines(question: str, hits: list[Hit], retriever: Retriever | None) -> list[float] | None:
    if retriever is None or not hits:
        return None
    try:
        return [float(x) for x in retriever.cosine(question, [h.paragraph.id for h in hits])]
    except Exception as exc:  # noqa: BLE001 - the dense signal is optional; lexical signals still decide
        log.warning("dense cosine unavailable (%s); answering from lexical signals", exc)
        return None


def _relative(values: list[float]) -> list[float]:
    """Dense credit in [0, 1]: 1 for the best paragraph, falling linearly to 0 at DENSE_SPAN below it."""
    hi = max(values)
    return [max(0.0, 1.0 - (hi - v) / DENSE_SPAN) for v in values]


def _document_frequency(q: Question, retriever: Retriever | None) -> dict[str, int]:
    """In how many indexed paragraphs each key term occurs (empty without a store)."""
    store = getattr(retriever, "store", None)
    texts = [p.text for p in store.paragraphs.values()] if store is not None else []
    return {t: sum(t in x for x in texts) for t in q.terms} if texts else {}


def _term_weights(df: dict[str, int], retriever: Retriever | None) -> dict[str, float]:
    """IDF-like weights in [0.3, 1] from the indexed paragraphs (common words such as 工会 count less); 1 without."""
    store = getattr(retriever, "store", None)
    if not df or store is None:
        return {}
    n = len(store.paragraphs)
    top = math.log((n + 1) / 0.5)
    return {t: 0.3 + 0.7 * math.log((n + 1) / (k + 0.5)) / top for t, k in df.items()}
