"""Small frozen records passed between the pipeline's steps.

Article -> Paragraph (the citation unit) -> Chunk (what is embedded and indexed)
-> Hit (a retrieved paragraph) -> Citation / Answer (what the user sees).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class Paragraph:
    """One citable paragraph; `id` is `<article-id>#p<n>` with `n` 1-based inside its article."""

    id: str
    article_id: str
    n: int
    text: str  # original text, shown to the user
    title: str  # title of the article the paragraph belongs to
    kind: str = "body"  # body | caption | list | subhead
    source: str = ""  # newspaper or site, e.g. 工人日报
    date: str = ""  # ISO date (YYYY-MM-DD) where known
    file: str = ""  # corpus file the paragraph came from, relative to the corpus dir
    title_from_lead: bool = False  # the title was made from the article's lead sentence (an untitled JSONL row)

    @property
    def context_title(self) -> str:
        """The title as searchable context of the paragraph (embedded with its chunks, keyword-indexed, read by the
        gates): "" for a title made from the lead, which the text already holds and which, as chunk context, ranks
        worse than none (CRUD dev hybrid hit@1 0.605 with it, 0.620 without)."""
        return "" if self.title_from_lead else self.title


@dataclass(frozen=True)
class Article:
    """One article cut out of a page, with its metadata and repaired paragraphs."""

    id: str
    title: str
    paragraphs: tuple[Paragraph, ...]
    source: str = ""
    date: str = ""
    file: str = ""
    section: str = ""  # section label printed above the article, e.g. 宣传传播
    subtitle: str = ""  # kicker or subhead printed with the headline
    byline: str = ""  # 本报记者 … / 本报讯 …
    url: str = ""


@dataclass(frozen=True)
class Chunk:
    """A piece of one paragraph prepared for indexing; always maps back to exactly one paragraph."""

    id: str  # `<paragraph-id>/c<k>`
    paragraph_id: str
    text: str  # text as stored in the paragraph (a slice of it)
    context: str = ""  # extra text embedded with it (the paragraph's `context_title`), never shown as the source


def day_number(date: str, end: bool = False) -> int:
    """`YYYY-MM-DD` as the number YYYYMMDD; a month or a year alone is its start (day or month 00), or with `end`
    its end (99); 0 when `date` is empty or not such a date. Dates compare as these numbers, here and in Milvus."""
    m = _DATE.fullmatch(date.strip())
    if not m:
        return 0
    fill = 99 if end else 0
    month, day = (int(m[2]) if m[2] else fill), (int(m[3]) if m[3] else fill)
    return int(m[1]) * 10_000 + month * 100 + day


def _calendar_date(value: str) -> bool:
    """`value` is `YYYY-MM-DD`, `YYYY-MM` or `YYYY` and names a real day, month or year (not 2024-02-30, 2025-13)."""
    m = _DATE.fullmatch(value.strip())
    if not m:
        return False
    try:
        datetime.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class SearchFilter:
    """Which paragraphs a search may return: dated from `since` to `until` (inclusive; `YYYY-MM-DD`, `YYYY-MM` or
    `YYYY`; an undated paragraph is left out once either is set) and from one of `sources` (any when empty)."""

    since: str = ""
    until: str = ""
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value and not _calendar_date(value):
                raise ValueError(f"{name} must be a date like 2024-07-20, 2024-07 or 2024, got {value!r}")
        if self.since and self.until and day_number(self.since) > day_number(self.until, end=True):
            raise ValueError(f"since {self.since} is after until {self.until}: no paragraph can be dated between")
        if isinstance(self.sources, str):
            raise ValueError(f"sources must be a tuple of names, got the string {self.sources!r}")

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.sources)

    def bounds(self) -> tuple[int, int] | None:
        """(first, last) day numbers a paragraph's date must lie in, or None when no date bound is set."""
        if not (self.since or self.until):
            return None
        return max(1, day_number(self.since)), day_number(self.until, end=True) if self.until else 99_999_999

    def allows(self, paragraph: Paragraph) -> bool:
        bounds = self.bounds()
        if bounds and not bounds[0] <= day_number(paragraph.date) <= bounds[1]:
            return False
        return not self.sources or paragraph.source in self.sources


@dataclass(frozen=True)
class Hit:
    """A retrieved paragraph with its fused score and the rank it had on each side (1-based)."""

    paragraph: Paragraph
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None


@dataclass(frozen=True)
class Citation:
    """`[n]` in an answer: the paragraph and the character span of the supporting sentence."""

    n: int
    paragraph: Paragraph
    start: int  # span of the supporting sentence inside paragraph.text
    end: int

    @property
    def sentence(self) -> str:
        return self.paragraph.text[self.start : self.end]


@dataclass(frozen=True)
class Answer:
    """What `ask` returns: the answer text with `[n]` markers, its citations and what was retrieved."""

    question: str
    text: str
    found: bool
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()  # ranked retrieval before composition (top 10)
    resolved_question: str = ""  # standalone form of a follow-up question
    latency_ms: float = 0.0
    notes: tuple[str, ...] = field(default=())  # e.g. "问题为英文，答案引自中文原文"
    short: str = ""  # the bare fact when the question asks for one (a number with its unit, a date, a name)
