"""Plain-text rendering of hits and answers for the terminal (`qa search`, `qa ask`)."""

from __future__ import annotations

import textwrap

from qa.schema import Answer, Hit, Paragraph


def where(p: Paragraph) -> str:
    """`《title》 source date · 第n段 (id)`, omitting what is unknown."""
    meta = " ".join(x for x in (p.source, p.date) if x)
    return f"《{p.title}》{' ' + meta if meta else ''} · 第{p.n}段 ({p.id})"


def format_hits(hits: list[Hit]) -> str:
    if not hits:
        return "没有检索到相关段落。"
    lines = []
    for rank, h in enumerate(hits, start=1):
        ranks = f"dense#{h.dense_rank or '-'} bm25#{h.bm25_rank or '-'}"
        lines.append(f"{rank}. {where(h.paragraph)}  score={h.score:.4f} {ranks}")
        lines.append(textwrap.indent(textwrap.fill(h.paragraph.text, 60), "   "))
    return "\n".join(lines)


def format_answer(answer: Answer) -> str:
    lines = [answer.text]
    if answer.resolved_question and answer.resolved_question != answer.question:
        lines.insert(0, f"(理解为：{answer.resolved_question})")
    lines += [f"注：{n}" for n in answer.notes]
    if answer.citations:
        lines.append("\n来源：")
        for c in answer.citations:
            lines.append(f"[{c.n}] {where(c.paragraph)}")
            lines.append(textwrap.indent(textwrap.fill(f"…{c.sentence}…", 60), "    "))
    elif answer.hits:
        lines.append("\n相关内容：")
        lines += [f"- {where(h.paragraph)}" for h in answer.hits[:3]]
    return "\n".join(lines)
