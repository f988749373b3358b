"""The Python API: load once, then `search` and `ask` (the CLI, the batch interface and the UI all use it).

    from qa import QA
    qa = QA.open()                      # builds the index on first use
    answer = qa.ask("沙坪坝区建了多少个工会驿站？")
    print(answer.text, [c.paragraph.id for c in answer.citations])
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from qa.embed import Embedder, load_embedder
from qa.indexer import IndexReport, build_index, index_status
from qa.retrieve import Retriever
from qa.schema import Answer, Hit
from qa.settings import Settings
from qa.store import Store, load_store

log = logging.getLogger(__name__)

Turn = dict[str, str] | str  # {"role": "user"|"assistant", "content": ...} or a plain user turn


class QA:
    """A loaded index with its embedder; `ask(question, history)` composes a cited Answer."""

    def __init__(self, store: Store, embedder: Embedder, settings: Settings) -> None:
        self.settings, self.store, self.embedder = settings, store, embedder
        self.retriever = Retriever(store, embedder, settings.candidates, settings.rrf_k)

    @classmethod
    def open(cls, settings: Settings | None = None, embedder: Embedder | None = None, build: bool = True) -> QA:
        """Load the index at settings.index_dir; when `build`, (re)build it first if missing or stale."""
        settings = settings or Settings()
        embedder = embedder or load_embedder(settings)
        if build:
            reason = index_status(settings, embedder.name)
            if reason:
                log.info("building the index: %s", reason)
                store, _ = build_index(settings, embedder)
                return cls(store, embedder, settings)
        return cls(load_store(settings.index_dir), embedder, settings)

    def update(self) -> IndexReport:
        """Re-index the corpus directory (only new text is embedded) and switch to the new index."""
        store, report = build_index(self.settings, self.embedder)
        self.store = store
        self.retriever = Retriever(store, self.embedder, self.settings.candidates, self.settings.rrf_k)
        return report

    def search(self, query: str, k: int | None = None, mode: str = "hybrid") -> list[Hit]:
        return self.retriever.search(query, k or self.settings.top_k, mode)

    def ask(self, question: str, history: list[Turn] | None = None, mode: str = "hybrid",
            k: int | None = None) -> Answer:
        """Answer `question` (a follow-up is resolved against `history` first) with citations."""
        from qa.answer import compose_answer
        from qa.followup import resolve_followup

        start = time.perf_counter()
        resolved = resolve_followup(question, normalize_history(history))
        hits = self.search(resolved, k, mode)
        answer = compose_answer(resolved, hits, self.retriever)
        return replace(answer, question=question, resolved_question=resolved,
                       latency_ms=(time.perf_counter() - start) * 1000.0)


def normalize_history(history: list[Any] | None) -> list[dict[str, str]]:
    """History as role/content dicts; a plain string is a user turn; malformed turns are dropped."""
    turns = []
    for turn in history or []:
        if isinstance(turn, str):
            turns.append({"role": "user", "content": turn})
        elif isinstance(turn, dict) and isinstance(turn.get("content"), str):
            turns.append({"role": turn.get("role") if turn.get("role") == "assistant" else "user",
                          "content": turn["content"]})
    return turns
