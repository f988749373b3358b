"""The Python API: load once, then `search` and `ask` (the CLI, the batch interface and the UI all use it).

    from qa import QA
    qa = QA.open()                      # opens index/ as it is (builds it only where none exists yet)
    answer = qa.ask("沙坪坝区建了多少个工会驿站？")
    print(answer.text, [c.paragraph.id for c in answer.citations])

`QA.open` never rebuilds an existing index: it uses the corpus and model the index records, and an index that is
out of date with its corpus is opened as it is, with `stale` saying why and what to run (`qa index`). Questions and
histories are cleaned and bounded by `qa.query.limits` before any work is done.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.answer.llm import load_reader
from qa.errors import QAError
from qa.index.embed import Embedder, load_embedder
from qa.index.indexer import IndexReport, build_index, index_status, settle
from qa.index.store import Store, current_build, load_store, read_manifest
from qa.query.limits import EMPTY, MAX_QUESTION_CHARS, TOO_LONG, clean_history, clean_text, echo
from qa.retrieve.retriever import Retriever, rrf
from qa.schema import Answer, Hit, SearchFilter
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.answer.evidence import Evidence
    from qa.answer.reader import Reader
    from qa.query.english import Lexicon
    from qa.query.question import Question

log = logging.getLogger(__name__)

Turn = dict[str, str] | str  # {"role": "user"|"assistant", "content": ...} or a plain user turn


class QA:
    """A loaded index with its embedder; `ask(question, history)` composes a cited Answer."""

    def __init__(self, store: Store, embedder: Embedder, settings: Settings) -> None:
        self.settings, self.store, self.embedder = settings, store, embedder
        self.retriever = Retriever(store, embedder, settings.candidates, settings.rrf_k)
        self.stale: str | None = None  # why the index is behind its corpus, when it is
        self._reload = threading.Lock()
        self.reader: Reader | None = load_reader(settings.reader, settings.cache_dir) if settings.reader else None

    @classmethod
    def open(cls, settings: Settings | None = None, embedder: Embedder | None = None, build: bool = True) -> QA:
        """Open the index at settings.index_dir as it is, with the corpus and model it records.

        With `build`, an index that does not exist yet is built first from settings.corpus_dir; an existing one is
        never rebuilt here. When it is behind its corpus, `stale` says why (and a warning says to run `qa index`).
        """
        given = settings or Settings()
        settings = settle(given)
        if build and read_manifest(settings.index_dir) is None:
            log.info("no index at %s yet: building it from %s", settings.index_dir, settings.corpus_dir)
            embedder = embedder or load_embedder(settings)
            store, _ = build_index(settings, embedder)
            return cls(store, embedder, settings)
        if Path(given.corpus_dir).resolve() != Path(settings.corpus_dir).resolve():
            log.warning("the index at %s was built from %s: answering from that corpus, not from %s",
                        settings.index_dir, settings.corpus_dir, given.corpus_dir)
        store = load_store(settings.index_dir)
        qa = cls(store, embedder or load_embedder(settings), settings)
        qa.stale = index_status(settings, store.manifest.model, store.manifest)
        if qa.stale:
            log.warning("the index at %s is out of date (%s); answering from it as it is. To update it, run "
                        "`qa index --index %s`", settings.index_dir, qa.stale, settings.index_dir)
        if store.model_id != "hashing" and settings.composer.dense_floor_for(store.model_id, False) is None:
            log.warning("no calibrated refusal floor for the model %s (qa/answer/config.py): weak evidence is judged "
                        "on words alone, and reworded questions are not matched by meaning", store.model_id)
        return qa

    def update(self) -> IndexReport:
        """Re-index the corpus directory (only new text is embedded) and switch to the new index."""
        with self._reload:  # a question arriving meanwhile waits rather than load the same new build again
            store, report = build_index(self.settings, self.embedder)
            self.retriever = Retriever(store, self.embedder, self.settings.candidates, self.settings.rrf_k)
            self.store, self.stale = store, None
        return report

    def live(self) -> Retriever:
        """The retriever of the index's live build, loading it first when another writer (`qa index`, a second UI
        on the same index) has made a new build live since this one was loaded."""
        try:
            live = current_build(self.settings.index_dir).name
        except QAError:
            return self.retriever
        if self.store.path is None or live == self.store.path.name:
            return self.retriever
        with self._reload:
            if self.store.path is not None and live != self.store.path.name:
                try:
                    store = load_store(self.settings.index_dir)
                    self.retriever = Retriever(store, self.embedder, self.settings.candidates, self.settings.rrf_k)
                    self.store = store
                    log.info("switched to the index build %s made by another writer", live)
                except QAError as exc:
                    log.warning("keeping the loaded index: the new build %s cannot be used (%s)", live, exc)
            return self.retriever

    def search(self, query: str, k: int | None = None, mode: str = "hybrid",
               where: SearchFilter | None = None) -> list[Hit]:
        """Ranked paragraphs for `query` (`k` of them, ≥ 1; default `settings.top_k`); `where` keeps only those of a
        date range and sources."""
        return self.live().search(clean_text(query)[: MAX_QUESTION_CHARS], _top(k, self.settings.top_k), mode,
                                  where=where)

    def ask(self, question: str, history: list[Turn] | None = None, mode: str = "hybrid",
            k: int | None = None, where: SearchFilter | None = None) -> Answer:
        """Answer `question` (a follow-up is resolved against `history` first) with citations, from paragraphs
        within `where` (a date range and sources) when given.

        The question is cleaned first (`qa.query.limits`); an empty one or one over MAX_QUESTION_CHARS gets a refusal
        that says so, without any search. Then, once each: the follow-up is made standalone, the question analysed,
        embedded and searched (an English one also with its Chinese words), the evidence gathered, and composed.
        """
        from qa.answer.compose import compose
        from qa.answer.render import ARCHIVE_SCOPE, FILTER_SCOPE

        start = time.perf_counter()
        raw = question if isinstance(question, str) else ""
        question = clean_text(raw[: MAX_QUESTION_CHARS * 20])  # a longer question is refused whatever its contents
        if not question or len(question) > MAX_QUESTION_CHARS:
            n = len(question) if len(raw) <= MAX_QUESTION_CHARS * 20 else len(raw)
            text = TOO_LONG.format(n=n, limit=MAX_QUESTION_CHARS) if question else EMPTY
            return Answer(echo(question), text, False, notes=(text,),
                          latency_ms=(time.perf_counter() - start) * 1000.0)
        q, evidence = self.evidence(question, history, mode, k, where)
        answer = compose(q, evidence, self.settings.composer, self.reader)
        if where and not answer.found:  # "没有出现" may only mean "not within the filter"
            notes = tuple(n.replace(ARCHIVE_SCOPE, FILTER_SCOPE, 1) for n in answer.notes)
            answer = replace(answer, notes=(*notes, filter_note(where)))
        return replace(answer, question=question, resolved_question=q.text,
                       latency_ms=(time.perf_counter() - start) * 1000.0)

    def evidence(self, question: str, history: list[Turn] | None = None, mode: str = "hybrid", k: int | None = None,
                 where: SearchFilter | None = None) -> tuple[Question, Evidence]:
        """What `ask` composes its answer from, for a cleaned question: the analysed question (its `text` the
        follow-up made standalone) and the evidence of its search (an English one also searched with its Chinese
        words). `compose(q, evidence, config)` with `self.settings.composer` is `ask`'s answer; with another config,
        that config's (eval/composer_sweep.py compares configs this way without searching again)."""
        from qa.answer.evidence import gather
        from qa.query.followup import resolve_followup
        from qa.query.spelling import read_sound_alikes

        question = resolve_followup(question, clean_history(normalize_history(history)))
        retriever = self.live()  # one index for the whole answer, even if a writer swaps it meanwhile
        question = read_sound_alikes(question, retriever.store.doc_freq.count)  # 公会驿占 → 工会驿站
        q = self._analyze(question, retriever)
        xq = retriever.query_vector(question)
        hits = retriever.search(question, _top(k, self.settings.top_k), mode, xq, where)
        if q.english:
            hits = _with_glossary_hits(question, hits, retriever, retriever.lexicon(), where)
        return q, gather(q, hits, retriever.store, retriever.embedder, xq, self.settings.composer)

    def answer_hits(self, question: str, hits: Sequence[Hit]) -> Answer:
        """The answer composed from given `hits` (benchmarks compare retrievers this way)."""
        retriever = self.live()
        return self._compose(self._analyze(question, retriever), hits, retriever, retriever.query_vector(question))

    @staticmethod
    def _analyze(text: str, retriever: Retriever) -> Question:
        from qa.query.question import analyze_question, is_english

        return analyze_question(text, retriever.lexicon() if is_english(text) else None)

    def _compose(self, q: Question, hits: Sequence[Hit], retriever: Retriever, xq: np.ndarray) -> Answer:
        from qa.answer.compose import compose
        from qa.answer.evidence import gather

        config = self.settings.composer
        return compose(q, gather(q, hits, retriever.store, retriever.embedder, xq, config), config, self.reader)


def _with_glossary_hits(question: str, hits: list[Hit], retriever: Retriever, lexicon: Lexicon,
                        where: SearchFilter | None = None) -> list[Hit]:
    """An English question is also searched with the Chinese words of its places and key words (BM25 matches
    nothing in English), and both rankings are fused (RRF)."""
    from qa.query.question import search_query

    query = search_query(question, lexicon)
    if query == question:
        return hits
    try:
        extra = retriever.search(query, max(len(hits), 10), where=where)
    except Exception as exc:  # noqa: BLE001 - widening the evidence is optional
        log.warning("glossary search failed (%s)", exc)
        return hits
    by_id = {h.paragraph.id: h for h in [*extra, *hits]}
    fused = rrf([[h.paragraph.id for h in hits], [h.paragraph.id for h in extra]])
    return [replace(by_id[pid], score=score) for pid, score in fused]


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


def filter_note(where: SearchFilter) -> str:
    """The note a refusal under a search filter carries: what was searched (the rest of the archive was not)."""
    parts = []
    if where.since or where.until:
        parts.append(f"日期 {where.since or '最早'} 至 {where.until or '最新'}")
    if where.sources:
        parts.append(f"来源 {'、'.join(where.sources)}")
    return f"只查找了所选范围内的资料（{'；'.join(parts)}），范围外的资料没有查找。"


def _top(k: int | None, default: int) -> int:
    """How many paragraphs to retrieve: `k` (at least 1), or `default` when not given."""
    if k is None:
        return default
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return k
