"""Render an Answer as HTML for the chat UI: the answer with clickable `[n]`, and one source card per citation.

Pure functions, no Gradio. All article and user text passes through `html.escape` (and, where Markdown is parsed,
through `md_safe`, which also entity-encodes Markdown punctuation), so an article holding `<script>` or `**bold**`
shows as text. `[n]` becomes `<a href="#cite-n">`; the card `id="cite-n"` is highlighted by CSS `:target` (and by the
`.qa-active` class the page's small click handler sets, see `CLICK_JS`).
"""

from __future__ import annotations

import html
import re

from qa.schema import Answer, Citation, Hit, Paragraph

MARKER = re.compile(r"\[(\d+)\]")
_MD_OR_ENTITY = re.compile(r"&(?:[a-z]+|#x?[0-9a-f]+);|[\\`*_{}\[\]()#+\-!|~$=^]", re.IGNORECASE)
RELATED = 3  # paragraphs shown as 相关内容 under a not-found answer

EMPTY = ('<div class="qa-sources"><p class="qa-empty">提问后，这里显示答案引用的原文段落；'
         '点击答案中的 [1] 可跳到对应段落。</p></div>')


def md_safe(text: str) -> str:
    """`html.escape(text)` with Markdown/LaTeX punctuation entity-encoded, for places that parse Markdown."""
    return _MD_OR_ENTITY.sub(lambda m: m.group(0) if len(m.group(0)) > 1 else f"&#{ord(m.group(0))};",
                             html.escape(text))


def meta_line(p: Paragraph) -> str:
    """`source · date · 第n段`, omitting what is unknown (escaped)."""
    return html.escape(" · ".join(x for x in (p.source, p.date, f"第{p.n}段") if x))


def answer_html(answer: Answer, links: bool = True) -> str:
    """The answer for the chat: escaped text, `[n]` as links to `#cite-n` (or plain when not `links`), notes."""
    titles = {c.n: f"《{c.paragraph.title}》第{c.paragraph.n}段" for c in answer.citations}

    def marker(n: int) -> str:
        if not links or n not in titles:
            return f"&#91;{n}&#93;"
        return f'<a class="qa-cite" href="#cite-{n}" title="{md_safe(titles[n])}">&#91;{n}&#93;</a>'

    parts = MARKER.split(answer.text)  # text, n, text, n, …: split keeps the captured number
    body = "".join(md_safe(part) if i % 2 == 0 else marker(int(part)) for i, part in enumerate(parts))
    lines = []
    if answer.resolved_question and answer.resolved_question != answer.question:
        lines.append(f'<span class="qa-note">理解为：{md_safe(answer.resolved_question)}</span>')
    lines.append(body if answer.found else f'<span class="qa-nf-badge">没有找到</span> {body}')
    lines += [f'<span class="qa-note">注：{md_safe(note)}</span>' for note in answer.notes]
    return "<br>".join(lines)


def highlighted(text: str, start: int, end: int) -> str:
    """The paragraph escaped, with `text[start:end]` wrapped in <mark> (no mark for an empty or bad span)."""
    if not 0 <= start < end <= len(text):
        return html.escape(text)
    return f"{html.escape(text[:start])}<mark>{html.escape(text[start:end])}</mark>{html.escape(text[end:])}"


def citation_card(c: Citation) -> str:
    """One card: number, article title, source and date, 第n段, the paragraph with the sentence marked."""
    p = c.paragraph
    return (f'<article class="qa-card" id="cite-{c.n}" data-paragraph="{html.escape(p.id)}">'
            f'<div class="qa-card-head"><span class="qa-num">[{c.n}]</span> '
            f'<span class="qa-title">《{html.escape(p.title)}》</span></div>'
            f'<div class="qa-meta">{meta_line(p)}</div>'
            f'<p class="qa-text">{highlighted(p.text, c.start, c.end)}</p></article>')


def hit_item(h: Hit) -> str:
    """One retrieved paragraph with its score, for the 其他检索段落 and 相关内容 lists."""
    p = h.paragraph
    return (f'<li class="qa-hit" data-paragraph="{html.escape(p.id)}"><div class="qa-meta">'
            f'<span class="qa-title">《{html.escape(p.title)}》</span> {meta_line(p)} · 得分 {h.score:.4f}</div>'
            f'<p class="qa-text">{html.escape(p.text)}</p></li>')


def other_hits(answer: Answer, skip: set[str]) -> str:
    """Collapsible list of the retrieved paragraphs not shown above ('' when there are none)."""
    rest = [h for h in answer.hits if h.paragraph.id not in skip]
    if not rest:
        return ""
    items = "".join(hit_item(h) for h in rest)
    return (f'<details class="qa-more"><summary>其他检索到的段落（{len(rest)}）</summary>'
            f'<ol class="qa-hits">{items}</ol></details>')


def sources_html(answer: Answer) -> str:
    """The sources panel for one answer: citation cards, or a 没有找到 box with 相关内容, then the other hits."""
    asked = f'<div class="qa-meta qa-for">问题：{html.escape(answer.question)}</div>'
    if answer.found:
        cards = "".join(citation_card(c) for c in answer.citations)
        cited = {c.paragraph.id for c in answer.citations}
        return f'<div class="qa-sources"><h3 class="qa-h">来源</h3>{asked}{cards}{other_hits(answer, cited)}</div>'
    notes = "".join(f'<p class="qa-note">{html.escape(n)}</p>' for n in answer.notes)
    box = (f'<div class="qa-notfound" role="status"><div class="qa-nf-title">没有找到</div>'
           f'<p>{html.escape(MARKER.sub("", answer.text))}</p>{notes}</div>')
    related = answer.hits[:RELATED]
    shown = {h.paragraph.id for h in related}
    rel = (f'<h3 class="qa-h">相关内容</h3><ol class="qa-hits qa-related">{"".join(hit_item(h) for h in related)}</ol>'
           if related else "")
    return f'<div class="qa-sources">{asked}{box}{rel}{other_hits(answer, shown)}</div>'


def error_html(message: str) -> str:
    """A friendly error box for the sources panel."""
    return f'<div class="qa-sources"><div class="qa-error" role="alert">{html.escape(message)}</div></div>'


CSS = """
.qa-sources { font-size: 15px; line-height: 1.7; }
.qa-h { font-size: 15px; font-weight: 600; margin: 4px 0 2px; }
.qa-for { margin-bottom: 8px; }
.qa-empty { color: #6b7280; }
.qa-card { border: 1px solid #e5e7eb; border-left: 4px solid #93c5fd; border-radius: 8px; padding: 10px 12px;
  margin: 0 0 10px; scroll-margin-top: 80px; transition: background-color .3s, border-color .3s; }
.qa-card:target, .qa-card.qa-active { border-color: #f59e0b; border-left-color: #f59e0b; background: #fffbeb;
  box-shadow: 0 0 0 3px rgba(245, 158, 11, .25); }
.qa-card mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.qa-card:target mark, .qa-card.qa-active mark { background: #fbbf24; }
.qa-num { font-weight: 700; color: #1d4ed8; }
.qa-title { font-weight: 600; }
.qa-meta { color: #6b7280; font-size: 13px; }
.qa-text { margin: 6px 0 0; white-space: pre-wrap; }
.qa-notfound { border: 1px solid #f59e0b; background: #fffbeb; border-radius: 8px; padding: 10px 12px;
  margin-bottom: 12px; }
.qa-nf-title { font-weight: 700; color: #b45309; }
.qa-note { color: #6b7280; font-size: 13px; }
.qa-error { border: 1px solid #fca5a5; background: #fef2f2; color: #991b1b; border-radius: 8px; padding: 10px 12px; }
.qa-hits { padding-left: 1.2em; margin: 6px 0; }
.qa-hit { margin-bottom: 8px; }
.qa-hit .qa-text { color: #374151; font-size: 14px; }
.qa-more summary { cursor: pointer; color: #374151; margin-top: 6px; }
a.qa-cite { font-weight: 700; text-decoration: none; color: #1d4ed8; padding: 0 1px; }
a.qa-cite:hover { text-decoration: underline; }
.qa-nf-badge { background: #fef3c7; color: #92400e; border-radius: 4px; padding: 0 6px; font-weight: 600; }
"""

CLICK_JS = """
<script>
document.addEventListener("click", function (event) {
  var link = event.target && event.target.closest ? event.target.closest('a[href^="#cite-"]') : null;
  if (!link) { return; }
  var card = document.getElementById(link.getAttribute("href").slice(1));
  if (!card) { return; }
  event.preventDefault();
  event.stopPropagation();
  document.querySelectorAll(".qa-card.qa-active").forEach(function (c) { c.classList.remove("qa-active"); });
  card.classList.add("qa-active");
  card.scrollIntoView({behavior: "smooth", block: "center"});
}, true);
</script>
"""
