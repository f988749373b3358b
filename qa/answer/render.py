"""Rendering and verification (pure): trim the chosen sentences to their fact clauses, mark each with `[n]` pointing
at the paragraph and span it came from, drop any sentence with a number or date its paragraph does not hold, and
word the "没有找到" answer."""

from __future__ import annotations

import logging
import re
import unicodedata

from qa.answer.config import ComposerConfig
from qa.answer.facts import BULLET, DATE
from qa.answer.forms import form_score, length_cap, short_answer
from qa.answer.reader import quote_key
from qa.answer.scoring import CLAUSE_END, Candidate, coverage
from qa.index.tokens import normalize
from qa.lexicon import LEAD_VERB
from qa.query.kinds import Form
from qa.query.question import Question
from qa.schema import Answer, Citation, Hit

log = logging.getLogger(__name__)

ENGLISH_NOTE = "问题为英文，答案引自中文原文。"
NOT_FOUND = "根据现有资料，没有找到关于{topic}的信息。"
ARCHIVE_SCOPE = "现有资料中"  # how a refusal's reason names what was searched: the whole archive …
FILTER_SCOPE = "所选范围内的资料中"  # … or, under a search filter, the part it selects (qa/api.py)
MARKER = re.compile(r"\[\d+\]")


def render(q: Question, chosen: list[Candidate], kept: tuple[Hit, ...], cfg: ComposerConfig, quote: str = "") -> Answer:
    """The cited answer from the chosen sentences (best first), or "not found" when verification drops them all; the
    short answer is the reader's `quote` when the first cited sentence writes it out, else `forms.short_answer`'s."""
    if len(chosen) == 2 and chosen[0].paragraph.id == chosen[1].paragraph.id and chosen[1].index < chosen[0].index:
        chosen = chosen[::-1]  # same paragraph: keep the source order
    limit = length_cap(q, cfg)
    parts, citations = [], []
    held = quote_key(quote) if quote else ""
    for c in chosen:
        sentence = trim(q, c.text, limit if len(chosen) == 1 else limit // 2, cfg,
                        quote if held and held in quote_key(c.text) else "")
        bad = unsupported_numbers(sentence, c.paragraph.text)
        if bad:
            log.warning("dropped an answer sentence: %s not in %s", bad, c.paragraph.id)
            continue
        last = citations[-1] if citations else None
        if last and last.paragraph.id == c.paragraph.id and not c.paragraph.text[last.end : c.start].strip():
            citations[-1] = Citation(last.n, last.paragraph, last.start, c.end)  # next sentence: one span, one [n]
            span = c.paragraph.text[last.start : c.end]
            if len(span) <= cfg.max_long_chars:  # quote the run as written (its ;s kept), each full sentence marked
                quoted = re.sub(r"(?<=[。！？!?])(?=\S)", f"[{last.n}]", trim(q, span, cfg.max_long_chars, cfg))
                parts[-1] = f"{quoted}[{last.n}]"
                continue
        else:
            citations.append(Citation(len(citations) + 1, c.paragraph, c.start, c.end))
        parts.append(f"{sentence}[{citations[-1].n}]")
    if not citations:
        return not_found(q, kept, "", cfg)
    notes = (ENGLISH_NOTE,) if q.english else ()
    first = citations[0].sentence
    short = quote if quote and quote_key(quote) in quote_key(first) else short_answer(q, first, cfg)
    return Answer(q.text, "".join(parts), True, tuple(citations), kept, notes=notes, short=short)


def not_found(q: Question, kept: tuple[Hit, ...], reason: str, cfg: ComposerConfig) -> Answer:
    """The "没有找到" answer, naming the question's topic, with the reason as a note."""
    topic = re.sub(r"^(请问|我想知道|想问一下)|[\s？?。!！，,]+$", "", q.text.strip()) or q.text.strip()
    if len(topic) > cfg.topic_chars:  # cut, and never inside an English word: …trial pro → …trial…
        cut = topic[: cfg.topic_chars]
        after = topic[cfg.topic_chars]
        word = re.search(r"[A-Za-z0-9'-]+$", cut) if after.isascii() and after.isalnum() else None
        topic = (cut[: word.start()] if word and word.start() else cut).rstrip() + "…"
    if q.english:
        topic = f"“{topic}”"
    return Answer(q.text, NOT_FOUND.format(topic=topic), False, (), kept, notes=(reason,) if reason else ())


def trim(q: Question, sentence: str, limit: int, cfg: ComposerConfig, quote: str = "") -> str:
    """The sentence, or when longer than `limit` the clause holding the fact (the reader's `quote` if given) plus the
    clause naming its subject, joined with …… where clauses were skipped. Source wording is kept; only whole clauses
    are dropped."""
    body = BULLET.sub("", sentence).strip()
    if len(body) <= limit:
        return re.sub(r"[，,；;：:]$", "。", body)
    clauses = _clauses(body)
    norm = [normalize(c) for c in clauses]
    fact = _fact_clause(q, norm, cfg, quote)
    keep = {fact}
    if LEAD_VERB.search(norm[fact]) and fact + 1 < len(clauses):  # 预告显示，[亏损12亿元]: what it shows
        keep.add(fact + 1)
    if q.form is Form.LIST and fact + 1 < len(clauses) and norm[fact + 1].count("、"):
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
    if len(keep) == 1 and fact > 0 and len(clauses[fact]) < cfg.short_clause_chars:
        keep.add(fact - 1)
    out, last = "", None
    for i in sorted(keep):
        out += ("……" if last is not None and i != last + 1 else "") + clauses[i]
        last = i
    return re.sub(r"[，,；;：:]$", "", out) + ("" if re.search(r"[。！？!?…”]$", out) else "。")


def _clauses(text: str) -> list[str]:
    """`text` cut after each ，；： outside quotation marks (主题为“通用智能，人机共生”，… keeps its quote whole)."""
    pieces = [c for c in CLAUSE_END.split(text) if c]
    out: list[str] = []
    for i, piece in enumerate(pieces):
        open_quote = out and out[-1].count("“") > out[-1].count("”")
        if open_quote and any("”" in later for later in pieces[i:]):  # (a quote never closed: cut as usual)
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _fact_clause(q: Question, norm: list[str], cfg: ComposerConfig, quote: str = "") -> int:
    """The first clause holding the reader's `quote` or else the sentence's short answer (the 15.7% of
    智慧家庭业务收入…，同比增长15.7%), else the clause with the best (form score, coverage), the first on ties."""
    if quote:
        holding = [i for i, c in enumerate(norm) if quote_key(quote) in quote_key(c)]
        if holding:
            return holding[0]
    short = short_answer(q, "".join(norm), cfg)
    holding = [i for i, c in enumerate(norm) if short and short in c]
    if holding:
        return holding[0]
    scores = [(form_score(q, c, cfg), coverage(q, c, "", {}, cfg), -i) for i, c in enumerate(norm)]
    return max(range(len(norm)), key=lambda i: scores[i])


def unsupported_numbers(text: str, paragraph_text: str) -> list[str]:
    """Numbers and dates of an answer sentence that do not occur in the paragraph it cites (markers `[n]` ignored)."""
    text = unicodedata.normalize("NFKC", MARKER.sub("", text))
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
