"""Split paragraphs into chunks for indexing; every chunk maps back to exactly one paragraph.

A paragraph up to `max_chars` is one chunk. A longer one is cut at sentence ends (。！？；…) into pieces under the
cap (a single over-long sentence is cut hard). Every chunk carries its article title as context (`context_title`:
none for a title made from the lead), which is embedded and keyword-indexed with it but never shown as the source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa.schema import Chunk, Paragraph

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;…])(?![”’」』）)])|(?<=[。！？；!?;…][”’」』）)])")


def split_sentences(text: str) -> list[str]:
    """Cut `text` after sentence-final punctuation, keeping a closing quote with its sentence."""
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def pack_sentences(sentences: list[str], max_chars: int) -> list[str]:
    """Greedily join consecutive sentences into pieces of at most `max_chars` (longer sentences are cut)."""
    pieces: list[str] = []
    current = ""
    for sentence in sentences:
        while len(sentence) > max_chars:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        if current and len(current) + len(sentence) > max_chars:
            pieces.append(current)
            current = ""
        current += sentence
    if current:
        pieces.append(current)
    return pieces


def chunk_paragraph(paragraph: Paragraph, max_chars: int) -> list[Chunk]:
    """The chunks of one paragraph, ids `<paragraph-id>/c<k>` (1-based)."""
    pieces = [paragraph.text] if len(paragraph.text) <= max_chars else pack_sentences(
        split_sentences(paragraph.text), max_chars)
    return [Chunk(id=f"{paragraph.id}/c{k}", paragraph_id=paragraph.id, text=piece, context=paragraph.context_title)
            for k, piece in enumerate(pieces, start=1)]


def chunk_paragraphs(paragraphs: Iterable[Paragraph], max_chars: int) -> list[Chunk]:
    """All chunks of `paragraphs`, in order."""
    return [chunk for p in paragraphs for chunk in chunk_paragraph(p, max_chars)]
