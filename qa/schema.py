"""Small frozen records passed between the pipeline's steps.

Article -> Paragraph (the citation unit) -> Chunk (what is embedded and indexed)
-> Hit (a retrieved paragraph) -> Citation / Answer (what the user sees).
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    context: str = ""  # extra text embedded with it (article title), never shown as the source


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
