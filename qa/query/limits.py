"""Bounded work per question: the size limits of a question and its history, and the characters stripped first.

Every entry point (the Python API, `qa ask`, `qa answer`, the UI and its HTTP API) goes through `QA.ask`, which
applies these, so a 50,000-character question is refused at once with "问题太长" instead of being searched, and no
control character or bidi override reaches retrieval, the answer or the page that echoes the question.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 500  # a question longer than this (after cleaning) is refused with TOO_LONG
MAX_HISTORY_TURNS = 12  # only the latest turns of a conversation are kept (follow-ups look back one or two)
MAX_TURN_CHARS = 2000  # a history turn is cut to this many characters

TOO_LONG = "问题太长（{n} 字），请把问题缩短到 {limit} 字以内再问。"
EMPTY = "请输入问题。"

_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """`text` without control characters (Cc), format characters (Cf: bidi overrides and isolates, zero-width
    marks, BOM) or unassigned code points; line breaks and tabs become single spaces; trimmed."""
    kept = (" " if ch in "\t\n\r\v\f" else ch for ch in text
            if ch in "\t\n\r\v\f" or unicodedata.category(ch) not in ("Cc", "Cf", "Cn", "Cs"))
    return _SPACES.sub(" ", "".join(kept)).strip()


def echo(question: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """A cleaned question short enough to show back to the person who asked it."""
    return question if len(question) <= limit else question[:limit] + "…"


def clean_history(turns: list[dict[str, str]]) -> list[dict[str, str]]:
    """The latest MAX_HISTORY_TURNS turns, each cleaned and cut to MAX_TURN_CHARS."""
    return [{"role": t["role"], "content": clean_text(t["content"][: MAX_TURN_CHARS * 2])[:MAX_TURN_CHARS]}
            for t in turns[-MAX_HISTORY_TURNS:]]
