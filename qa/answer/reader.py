"""Reading: a local language model quotes the answer from the composer's top candidate sentences.

The composer has chosen its sentence; the reader is shown the top `reader_top` candidates (with their article's title
and date) and the question, and asked to quote the words that answer it. When its quote is written out in one of
those candidates, that sentence is the answer and the quote its short answer; a quote found in none of them (a
paraphrase, "无") changes nothing. The reader never turns an answer into "没有找到", nor the reverse: the composer's
gates decide that. Any callable `(system, user) -> text` is a reader (qa/answer/llm.py runs a local GGUF model; tests
pass a fake).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from qa.answer.config import ComposerConfig
from qa.answer.scoring import Candidate

log = logging.getLogger(__name__)

SYSTEM = "你是严谨的新闻问答助手，只根据给出的新闻内容作答。"
ASK = "请从这些句子中摘出回答问题的原文短语，只输出答案本身；句子中没有答案就输出“无”。"
NO_ANSWER = "无"
# what a quote may drop or add and still match: spaces, quotation marks, punctuation — but not a decimal point or a
# thousands separator between digits (3.5万 is not 35万)
_IGNORED = re.compile(r"[\s“”\"'‘’《》「」，。、；;！!？?（）()]|(?<!\d)[.,:：]|[.,:：](?!\d)")
_LABEL = re.compile(r"^\s*(?:\[\d+\]|答案\s*[:：]|回答\s*[:：])\s*")  # `[2]1.2万个`, `答案：1.2万个`


class Reader(Protocol):
    """A language model: the system and user messages in, its reply out (greedy: a question always reads the same)."""

    def __call__(self, system: str, user: str) -> str: ...


@dataclass(frozen=True)
class Reading:
    """What reading gave: the answer sentence (the composer's, or the candidate holding the quote) and the quote as
    that sentence writes it ("" when no candidate that passes the composer's floors holds it)."""

    best: Candidate
    quote: str


def prompt(question: str, candidates: Sequence[Candidate]) -> str:
    """The user message: the numbered candidate sentences, each after its article's 《title》 and （date）, then the
    question and the instruction."""
    lines = []
    for i, c in enumerate(candidates, start=1):
        title = f"《{c.paragraph.title}》" if c.paragraph.title else ""
        date = f"（{c.paragraph.date}）" if c.paragraph.date else ""
        lines.append(f"[{i}]{title}{date}{c.text}")
    return "新闻句子：\n" + "\n".join(lines) + f"\n\n问题：{question}\n{ASK}"


def quote_key(text: str) -> str:
    """`text` as quotes are compared: NFKC, without spaces, quotation marks and punctuation (digits' kept)."""
    return "".join(ch for _, ch in _compared(text))


def locate(quote: str, text: str) -> str:
    """The part of `text` that the reader's `quote` matches (as `quote_key` compares), as `text` writes it; "" if
    none."""
    key, kept = quote_key(quote), _compared(text)
    found = "".join(ch for _, ch in kept).find(key) if key else -1
    if found < 0:
        return ""
    return text[kept[found][0] : kept[found + len(key) - 1][0] + 1]


def _compared(text: str) -> list[tuple[int, str]]:
    """The characters quote comparison keeps of `text` (NFKC, then `_IGNORED` dropped), each with its position in
    `text`."""
    chars = [(i, ch) for i, c in enumerate(text) for ch in unicodedata.normalize("NFKC", c)]
    dropped = {m.start() for m in _IGNORED.finditer("".join(ch for _, ch in chars))}
    return [pair for j, pair in enumerate(chars) if j not in dropped]


def read(question: str, best: Candidate, candidates: Sequence[Candidate], reader: Reader, cfg: ComposerConfig,
         passes: Callable[[Candidate], bool] = lambda c: True) -> Reading:
    """The composer's `best` re-read: the reader is shown the top `cfg.reader_top` candidates (`best` among them) and
    its quote moves the answer to the first of them that writes it out and `passes` the composer's floors (`best`
    itself when it holds the quote). A reply that is empty, "无", shorter than `reader_min_quote_chars`, only the
    question's words, or in no such candidate leaves `best` with no quote; so does a reader that fails."""
    shown = list(candidates[: cfg.reader_top])
    if best not in shown:
        shown = [best, *shown[: cfg.reader_top - 1]]
    try:
        reply = reader(SYSTEM, prompt(question, shown)).strip().splitlines()
    except Exception as exc:  # noqa: BLE001 - an optional stage: a failing model must not cost the answer
        log.warning("the reader failed, answering without it: %s", exc)
        return Reading(best, "")
    quote = _LABEL.sub("", reply[0]).strip() if reply else ""
    key = quote_key(quote)
    if len(key) < cfg.reader_min_quote_chars or key == NO_ANSWER or key in quote_key(question):
        return Reading(best, "")
    for c in [best, *(c for c in shown if c is not best)]:
        found = locate(quote, c.text)
        if found and (c is best or passes(c)):
            if c is not best:
                log.debug("the reader's quote %r moves the answer to %s", found, c.text)
            return Reading(c, found)
    log.debug("the reader's quote %r is in no candidate that passes the floors", quote)
    return Reading(best, "")
