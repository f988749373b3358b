"""Build or update the index from a corpus directory, re-embedding only chunks whose text is new.

Every chunk's vector is cached under a hash of (model id, context, text) in the index's embedding cache
(`qa.index.vectorcache`), so after an added, edited or removed file, and after `--rebuild`, only new text is embedded;
keyword tokens likewise (`qa.index.tokencache`), so only new text is segmented. The new build links the previous
build's segments of unchanged files instead of writing them (`qa.index.store`; not after `--rebuild`, which trusts
no file of the old build).
Articles deleted in the library (`qa.ingest.catalog` tombstones) are left out. A build holds the index's writer lock
(`qa.index.lock`) and records the corpus directory it read, which `settle` and `index_status` then go by: an index is
only ever compared with, and rebuilt from, its own corpus.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from qa.errors import CorpusError, IndexStateError, QAError
from qa.index.backend import KINDS, Backend, Rows, choose_backend, recorded_backend
from qa.index.bm25 import KeywordIndex
from qa.index.dense import DenseSpec, choose_spec
from qa.index.embed import DEFAULT_VARIANT, E5_VARIANTS, Embedder, model_name
from qa.index.lock import writer_lock
from qa.index.stages import Stage, recording, stage
from qa.index.stages import summary as stage_summary
from qa.index.store import (
    FORMAT_VERSION,
    Manifest,
    Previous,
    Saved,
    Store,
    clear_debris,
    crash_point,
    discard_build,
    load_previous,
    load_store,
    new_build,
    read_manifest,
    recorded_corpus,
    save_store,
)
from qa.index.tokencache import TOKENS_NAME, TokenCache
from qa.index.vectorcache import CACHE_NAME, VectorCache
from qa.ingest.catalog import read_tombstones, text_key, tombstones_path, without_deleted
from qa.ingest.chunk import chunk_paragraphs
from qa.ingest.load import MAX_FILE_BYTES, METADATA, corpus_paths, load_corpus_report
from qa.schema import Article, Chunk
from qa.settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)

CACHE_BLOCK = 4096  # chunks embedded between commits to the vector cache: a killed build loses at most this many


@dataclass(frozen=True)
class IndexReport:
    """What an index run did, for the CLI and the UI to print."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    problems: tuple[str, ...] = ()  # one line per skipped file or JSONL line, saying why
    deleted: int = 0  # articles left out because they were deleted in the library
    stages: tuple[Stage, ...] = ()  # wall time and memory per build stage (`qa.index.stages`), in order
    tokenised: int = 0  # keyword texts segmented with jieba (the others came from the token cache)
    written: int = 0  # bytes of the new build written
    linked: int = 0  # bytes of the new build hard-linked from the previous one (unchanged segments)

    def summary(self) -> str:
        c = self.counts
        text = (f"{c.get('articles', 0)} articles, {c.get('paragraphs', 0)} paragraphs, {c.get('chunks', 0)} chunks; "
                f"files +{len(self.added)} ~{len(self.changed)} -{len(self.removed)}; embedded {self.embedded} chunks, "
                f"reused {self.reused}; tokenised {self.tokenised} texts; wrote {_mb(self.written)}, linked "
                f"{_mb(self.linked)}; {self.seconds:.1f} s")
        if self.deleted:
            text += f"; {self.deleted} deleted articles left out"

        if self.problems:
            text += f"\nskipped ({len(self.problems)}):\n" + "\n".join(f"  {p}" for p in self.problems)
        return text


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def corpus_files(corpus_dir: Path) -> dict[str, str]:
    """A fingerprint of every file that makes the corpus — the files the loader reads (`corpus_paths`), the root
    metadata.json and the library's tombstones — keyed by path relative to `corpus_dir`: the sha256 of its bytes,
    or for a file over the loader's size limit only its size (it is refused unread)."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist: pass --corpus DIR")
    paths = [*corpus_paths(corpus_dir), corpus_dir / METADATA, tombstones_path(corpus_dir)]
    return {p.relative_to(corpus_dir).as_posix(): _fingerprint_file(p) for p in paths if p.is_file()}


def _fingerprint_file(path: Path) -> str:
    size = path.stat().st_size
    return f"size:{size}" if size > MAX_FILE_BYTES else file_sha256(path)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks (the corpus fingerprint and the library's duplicate check)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(files: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in sorted(files.items())).encode()).hexdigest()


def chunk_key(model_id: str, chunk: Chunk) -> str:
    """The embedding cache key of `chunk` under the model id `model_id` (`Embedder.model_id`): the same model
    read from any path shares vectors, and each variant of the default model (torch, ONNX fp32, int8) has its own."""
    return hashlib.sha1(f"{model_id}\0{chunk.context}\0{chunk.text}".encode()).hexdigest()


def index_status(settings: Settings, model_name: str, manifest: Manifest | None = None) -> str | None:
    """None when the index matches its own recorded corpus and `model_name`, else a short reason it is stale.
    `manifest` is the index's, when the caller has loaded it already."""
    if manifest is None:
        try:
            manifest = load_store(settings.index_dir).manifest
        except QAError as exc:
            return str(exc)
    if manifest.model != model_name:
        return f"index was built with model {manifest.model}, now {model_name}"
    corpus = recorded_corpus(manifest, settings.index_dir)
    if corpus is None:
        return None  # built from ready-made articles: nothing on disk to compare with
    if not corpus.is_dir():
        return f"its corpus {corpus} is gone"
    if manifest.corpus_fingerprint != fingerprint(corpus_files(corpus)):
        return f"corpus {corpus} changed since the index was built"
    return None


def settle(settings: Settings, corpus: Path | None = None, model: str | None = None,
           writing: bool = False, backend: dict[str, str] | None = None, replace_corpus: bool = False) -> Settings:
    """`settings` with the corpus, model and backend the index at `settings.index_dir` records, where the caller gave
    none (`backend`: the backend options given, `qa.index.backend.choose_backend`).

    A reader that names another corpus, model or backend than the recorded ones gets an IndexStateError naming both
    and what to run; a writer (`qa index`) may switch to another model or backend, and its previous build is kept.
    A writer switches to another corpus only with `replace_corpus` (`qa index --replace-corpus`), or where the
    recorded corpus folder is gone: an `--index` mistyped for another archive's must not re-index that archive from
    this corpus. With no index yet, the given (or default) corpus, model and backend are used.
    """
    index_dir = settings.index_dir
    try:
        manifest = read_manifest(index_dir)
    except IndexStateError:
        if not writing:
            raise
        manifest = None  # a broken index: the writer builds a new one
    if manifest is None:
        chosen = choose_backend(None, backend, index_dir, writing) if backend else settings.backend
        return replace(settings, corpus_dir=corpus or settings.corpus_dir, model=model or settings.model,
                       backend=chosen.located(index_dir))
    chosen = choose_backend(recorded_backend(manifest.backend, index_dir), backend or {}, index_dir, writing)
    recorded = recorded_corpus(manifest, index_dir)
    if corpus is not None and recorded is not None and Path(corpus).resolve() != recorded.resolve():
        if not writing:
            raise IndexStateError(
                f"the index at {index_dir} was built from the corpus {recorded}, not {corpus}: leave out --corpus to "
                f"use it as it is, or index {corpus} into a folder of its own with "
                f"`qa index --corpus {corpus} --index OTHER_DIR`")
        if not replace_corpus and recorded.is_dir():
            raise IndexStateError(
                f"the index at {index_dir} was built from the corpus {recorded}, not {corpus}: index {corpus} into a "
                f"folder of its own with `qa index --corpus {corpus} --index OTHER_DIR`, or add --replace-corpus to "
                f"re-index {index_dir} from {corpus} (its current build is kept as the previous one)")
        log.warning("the index at %s was built from %s; re-indexing it from %s (the previous build is kept)",
                    index_dir, recorded, corpus)
    if model is not None and model_name(model) != manifest.model:
        asked = model if model_name(model) == model else f"{model} ({model_name(model)})"
        if not writing:
            raise IndexStateError(
                f"the index at {index_dir} was built with model {manifest.model}, not {asked}: leave out --model to "
                f"use it, or re-embed it with `qa index --index {index_dir} --model {model}`")
        log.warning("the index at %s was built with model %s; re-embedding it with %s (the previous build and the "
                    "cached vectors are kept)", index_dir, manifest.model, asked)
    elif model is None and manifest.model in E5_VARIANTS and manifest.model != DEFAULT_VARIANT:
        log.info("the index at %s keeps its model %s; `qa index --index %s --model %s` re-embeds it with the "
                 "default %s", index_dir, manifest.model, index_dir, DEFAULT_MODEL, DEFAULT_VARIANT)
    return replace(settings, corpus_dir=Path(corpus or recorded or settings.corpus_dir), model=model or manifest.model,
                   backend=chosen)


def build_index(settings: Settings, embedder: Embedder, rebuild: bool = False,
                articles: list[Article] | None = None) -> tuple[Store, IndexReport]:
    """Bring the index at `settings.index_dir` up to date with `settings.corpus_dir` and save it atomically.

    Holds the writer lock (waiting up to `settings.lock_timeout`) and first clears what a killed writer left.
    `rebuild` re-reads everything without the old build (vectors still come from the embedding cache);
    `articles` indexes ready-made articles instead of reading the corpus directory (benchmarks use it).
    """
    with writer_lock(settings.index_dir, settings.lock_timeout):
        cleared = clear_debris(settings.index_dir)
        if cleared:
            log.warning("removed what an interrupted index run left in %s: %s", settings.index_dir, ", ".join(cleared))
        with recording() as stages:
            store, report = _build(settings, embedder, rebuild, articles)
        report = replace(report, stages=tuple(stages.values()))
        log.info("index %s: %s", settings.index_dir, stage_summary(report.stages))
        return store, report


def _build(settings: Settings, embedder: Embedder, rebuild: bool,
           articles: list[Article] | None) -> tuple[Store, IndexReport]:
    start = time.perf_counter()
    problems: list[str] = []
    deleted = 0
    corpus_record = ("", "")
    with stage("load"):
        if articles is None:
            files = corpus_files(settings.corpus_dir)
            articles, problems, deleted = _read_corpus(settings.corpus_dir)
            corpus_record = _corpus_record(settings.corpus_dir, settings.index_dir)
        else:
            files = {a.id: hashlib.sha256(repr(a).encode()).hexdigest() for a in articles}
    with stage("previous"):
        old = None if rebuild else _load_previous(settings.index_dir)
    live = read_manifest(settings.index_dir)
    if not articles and not deleted and live is not None and live.counts.get("articles"):
        if problems:  # every file failed
            raise CorpusError(f"no readable article in {settings.corpus_dir} ({len(problems)} skipped, first: "
                              f"{problems[0]}); the index at {settings.index_dir} is left as it was: fix the files, "
                              "then run qa index again")
        raise CorpusError(f"{settings.corpus_dir} holds no article, so the index at {settings.index_dir} "
                          f"({live.counts['articles']} articles) is left as it was: put the files back, or delete "
                          "articles one by one in the UI's library tab (reversible)")
    if not articles and not problems and not deleted:
        log.warning("%s holds no article to index: the index at %s will answer nothing until files are added",
                    settings.corpus_dir, settings.index_dir)
    old_files = old.manifest.files if old else {}
    with stage("chunk"):
        chunks = chunk_paragraphs((p for a in articles for p in a.paragraphs), settings.chunk_chars)
        keys = [chunk_key(embedder.model_id, c) for c in chunks]
    counts = {"articles": len(articles), "paragraphs": sum(len(a.paragraphs) for a in articles), "chunks": len(chunks)}
    spec = choose_spec(len(chunks), settings.dense_exact_max)
    keyword = {"chunks": settings.chunk_keyword.record(), "paragraphs": settings.paragraph_keyword.record()}
    manifest = Manifest(FORMAT_VERSION, embedder.name, embedder.dim, fingerprint(files), files,
                        time.strftime("%Y-%m-%dT%H:%M:%S"), counts, *corpus_record,
                        model_id=embedder.model_id, dense=spec.record(), keyword=keyword)
    backend = settings.backend.located(settings.index_dir)
    embedded = tokenised = written = linked = 0
    store = None
    if old is not None and _unchanged(old, manifest, articles, keys, backend, settings.index_dir):
        store = _load_previous_store(settings.index_dir)  # nothing to write: the live build stays, and the one before
    if store is None:
        with stage("embed"):
            vectors, embedded = _vectors(settings, embedder, chunks, keys, old)
        store, saved, tokenised = _save(settings, backend, manifest, articles, chunks, keys, vectors, spec, old)
        written, linked = saved.written, saved.linked
    report = IndexReport(
        added=tuple(sorted(set(files) - set(old_files))),
        changed=tuple(sorted(f for f in files if f in old_files and files[f] != old_files[f])),
        removed=tuple(sorted(set(old_files) - set(files))),
        embedded=embedded, reused=len(chunks) - embedded, seconds=time.perf_counter() - start, counts=counts,
        problems=tuple(problems), deleted=deleted, tokenised=tokenised, written=written, linked=linked)
    log.debug("index %s: %s", settings.index_dir, report.summary())
    return store, report


def _save(settings: Settings, backend: Backend, manifest: Manifest, articles: list[Article], chunks: list[Chunk],
          keys: list[str], vectors: np.ndarray, spec: DenseSpec, old: Previous | None) -> tuple[Store, Saved, int]:
    """Build the search structures in a new build folder with `backend` and make the build live, linking the
    segments the live build `old` holds already and growing its HNSW graph. Keyword texts are segmented only where
    the token cache does not know them. Returns the store, what was saved and how many texts were segmented."""
    tmp = new_build(settings.index_dir, manifest.corpus_fingerprint)
    try:
        with TokenCache(settings.index_dir / TOKENS_NAME) as tokens:
            paragraphs = {p.id: p for a in articles for p in a.paragraphs}
            rows = Rows(chunks, paragraphs, vectors, [_keyword_text(c) for c in chunks], settings.chunk_keyword,
                        tokens.tokens, keys, old)
            dense, keyword, record = KINDS[backend.kind].build(backend, tmp, rows, spec, settings.show_progress)
            by_paragraph = KeywordIndex([f"{p.context_title} {p.text}" for p in paragraphs.values()],
                                        settings.paragraph_keyword, tokenized=tokens.tokens)
        store = Store(replace(manifest, backend=record), articles, chunks, keys, vectors, dense, keyword,
                      paragraph_keyword=by_paragraph)
    except BaseException:
        discard_build(tmp)
        raise
    saved = save_store(store, tmp, old.path if old is not None else None)
    store.path = saved.path
    return store, saved, tokens.segmented


def _unchanged(old: Previous, new: Manifest, articles: list[Article], keys: list[str], backend: Backend,
               index_dir: Path) -> bool:
    """The old build already holds exactly what a new one would (same format, files, corpus, model, backend, search
    structures, articles, chunks); a build of an older format, or from before the paragraph keyword index, is not."""
    same = ("format_version", "corpus_fingerprint", "model", "model_id", "dim", "corpus_dir", "dense", "keyword")
    return (all(getattr(old.manifest, f) == getattr(new, f) for f in same)
            and recorded_backend(old.manifest.backend, index_dir) == backend
            and old.chunk_keys == keys and old.articles == articles)


def _read_corpus(corpus_dir: Path) -> tuple[list[Article], list[str], int]:
    """The corpus's articles less the deleted ones and less repeats of an article already read (the same text in
    another file or place), a line per skipped file, line or repeat, and how many were deleted."""
    articles, problems = load_corpus_report(corpus_dir)
    kept = without_deleted(articles, read_tombstones(corpus_dir).values())
    deleted = len(articles) - len(kept)
    first: dict[str, Article] = {}
    unique = []
    lines = [str(p) for p in problems]
    for a in kept:
        seen = first.setdefault(text_key(a), a)
        if seen is a:
            unique.append(a)
        else:
            lines.append(f"{a.file}: article {a.id} «{a.title}» repeats {seen.id} in {seen.file}: skipped")
    return unique, lines, deleted


def _corpus_record(corpus_dir: Path, index_dir: Path) -> tuple[str, str]:
    """(absolute corpus path, the same relative to the index directory) for the manifest."""
    absolute = Path(corpus_dir).resolve()
    return str(absolute), os.path.relpath(absolute, Path(index_dir).resolve())


def _vectors(settings: Settings, embedder: Embedder, chunks: list[Chunk], keys: list[str],
             old: Previous | None) -> tuple[np.ndarray, int]:
    """One vector per chunk: from the old build or the embedding cache when known, else embedded now (and cached).
    Returns the vectors and how many chunks were embedded."""
    cache: dict[str, np.ndarray] = {}
    if old is not None and old.manifest.model == embedder.name:
        cache = dict(zip(old.chunk_keys, old.vectors, strict=True))
    with VectorCache(settings.index_dir / CACHE_NAME) as stored:
        cache.update(stored.get([k for k in keys if k not in cache], embedder.dim))
        missing = list(dict.fromkeys(k for k in keys if k not in cache))
        wanted = set(missing)
        fresh_rows = sum(k in wanted for k in keys)  # a text that repeats is embedded once for all its chunks
        log.info("embedding %d new chunks (%d distinct texts; %d chunks reused) with %s", fresh_rows, len(missing),
                 len(keys) - fresh_rows, embedder.name)
        texts = {k: passage_text(chunks[i]) for i, k in enumerate(keys) if k in wanted}
        missing.sort(key=lambda k: -len(texts[k]))  # longest first across blocks too: batches pad little
        with tqdm(total=len(missing), desc="embedding", unit="chunk", disable=not settings.show_progress) as bar:
            for start in range(0, len(missing), CACHE_BLOCK):
                block = missing[start : start + CACHE_BLOCK]
                fresh = embedder.embed_passages([texts[k] for k in block])
                stored.put(zip(block, fresh, strict=True))  # committed: a killed build resumes from here
                cache.update(zip(block, fresh, strict=True))
                bar.update(len(block))
                crash_point("mid-embedding")
        crash_point("after-embedding")
        vectors = np.stack([cache[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, embedder.dim),
                                                                                           np.float32)
        stored.put(zip(keys, vectors, strict=True))
    return vectors, fresh_rows  # rows embedded now (a repeated text counts each time)


def passage_text(chunk: Chunk) -> str:
    """What is embedded for `chunk`: its context (the article title, `Paragraph.context_title`) above its text."""
    return f"{chunk.context}\n{chunk.text}" if chunk.context else chunk.text


def _keyword_text(chunk: Chunk) -> str:
    return f"{chunk.context} {chunk.text}" if chunk.context else chunk.text


def _load_previous_store(index_dir: Path) -> Store | None:
    """The live build whole, or None when its search structures cannot be read (then they are built again)."""
    try:
        return load_store(index_dir)
    except QAError as exc:
        log.warning("ignoring the old index (%s); building its search structures again", exc)
        return None


def _load_previous(index_dir: Path) -> Previous | None:
    """The live build's records and vectors (not its search structures), or None when there is none to reuse."""
    try:
        return load_previous(index_dir)
    except QAError as exc:
        if (index_dir / "CURRENT").exists():
            log.warning("ignoring the old index (%s); building from scratch", exc)
        return None
