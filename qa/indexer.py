"""Build or update the index from a corpus directory, re-embedding only chunks whose text is new.

Every chunk's vector is cached under a hash of (model, context, text), so after an added, edited or removed file
only the new chunks are embedded; removed ones simply drop out. `index_status` tells whether an index is stale.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.chunk import chunk_paragraphs
from qa.dense import DenseIndex
from qa.embed import Embedder
from qa.errors import CorpusError, QAError
from qa.keyword import KeywordIndex
from qa.schema import Article, Chunk
from qa.settings import Settings
from qa.store import FORMAT_VERSION, Manifest, Store, load_store, save_store

log = logging.getLogger(__name__)

CORPUS_SUFFIXES = {".txt", ".md", ".html", ".htm", ".jsonl", ".docx", ".pdf", ".json"}


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

    def summary(self) -> str:
        c = self.counts
        return (f"{c.get('articles', 0)} articles, {c.get('paragraphs', 0)} paragraphs, {c.get('chunks', 0)} chunks; "
                f"files +{len(self.added)} ~{len(self.changed)} -{len(self.removed)}; embedded {self.embedded} chunks, "
                f"reused {self.reused}; {self.seconds:.1f} s")


def corpus_files(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every corpus file (articles and metadata.json), keyed by path relative to `corpus_dir`."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist: pass --corpus DIR")
    return {str(p.relative_to(corpus_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(corpus_dir.rglob("*"))
            if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES and not p.name.startswith(".")}


def fingerprint(files: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in sorted(files.items())).encode()).hexdigest()


def chunk_key(model: str, chunk: Chunk) -> str:
    return hashlib.sha1(f"{model}\0{chunk.context}\0{chunk.text}".encode()).hexdigest()


def index_status(settings: Settings, model_name: str) -> str | None:
    """None when the index matches the corpus and model, else a short reason it must be (re)built."""
    try:
        manifest = load_store(settings.index_dir).manifest
    except QAError as exc:
        return str(exc)
    if manifest.model != model_name:
        return f"index was built with model {manifest.model}, now {model_name}"
    if manifest.corpus_fingerprint != fingerprint(corpus_files(settings.corpus_dir)):
        return f"corpus {settings.corpus_dir} changed since the index was built"
    return None


def build_index(settings: Settings, embedder: Embedder, rebuild: bool = False,
                articles: list[Article] | None = None) -> tuple[Store, IndexReport]:
    """Bring the index at `settings.index_dir` up to date with `settings.corpus_dir` and save it atomically.

    `articles` indexes ready-made articles instead of reading the corpus directory (benchmarks use it).
    """
    from qa.load import load_corpus

    start = time.perf_counter()
    if articles is None:
        files = corpus_files(settings.corpus_dir)
        articles = load_corpus(settings.corpus_dir)
    else:
        files = {a.id: hashlib.sha256(repr(a).encode()).hexdigest() for a in articles}
    old = None if rebuild else _load_previous(settings.index_dir)
    old_files = old.manifest.files if old else {}
    chunks = chunk_paragraphs((p for a in articles for p in a.paragraphs), settings.chunk_chars)
    keys = [chunk_key(embedder.name, c) for c in chunks]
    reuse = old is not None and old.manifest.model == embedder.name
    cache = dict(zip(old.chunk_keys, old.vectors, strict=True)) if reuse else {}
    missing = [i for i, k in enumerate(keys) if k not in cache]
    log.info("embedding %d new chunks (%d cached) with %s", len(missing), len(chunks) - len(missing), embedder.name)
    fresh = embedder.embed_passages([_passage(chunks[i]) for i in missing], show_progress=settings.show_progress)
    vectors = np.zeros((len(chunks), embedder.dim), np.float32)
    for row, i in enumerate(missing):
        vectors[i] = fresh[row]
    for i, k in enumerate(keys):
        if k in cache:
            vectors[i] = cache[k]
    counts = {"articles": len(articles), "paragraphs": sum(len(a.paragraphs) for a in articles), "chunks": len(chunks)}
    manifest = Manifest(FORMAT_VERSION, embedder.name, embedder.dim, fingerprint(files), files,
                        time.strftime("%Y-%m-%dT%H:%M:%S"), counts)
    store = Store(manifest, articles, chunks, keys, vectors, DenseIndex(vectors),
                  KeywordIndex([_keyword_text(c) for c in chunks], show_progress=False))
    store.path = save_store(store, settings.index_dir)
    report = IndexReport(
        added=tuple(sorted(set(files) - set(old_files))),
        changed=tuple(sorted(f for f in files if f in old_files and files[f] != old_files[f])),
        removed=tuple(sorted(set(old_files) - set(files))),
        embedded=len(missing), reused=len(chunks) - len(missing), seconds=time.perf_counter() - start, counts=counts)
    log.debug("index %s: %s", settings.index_dir, report.summary())
    return store, report


def _passage(chunk: Chunk) -> str:
    return f"{chunk.context}\n{chunk.text}" if chunk.context else chunk.text


def _keyword_text(chunk: Chunk) -> str:
    return f"{chunk.context} {chunk.text}" if chunk.context else chunk.text


def _load_previous(index_dir: Path) -> Store | None:
    try:
        return load_store(index_dir)
    except QAError as exc:
        if (index_dir / "CURRENT").exists():
            log.warning("ignoring the old index (%s); building from scratch", exc)
        return None
