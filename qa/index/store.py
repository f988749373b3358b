"""The persistent index: paragraphs, chunks, vectors, the dense and BM25 search structures, and a versioned manifest.

Layout of an index directory: `CURRENT` names the live build folder `build-<time>-<hash>/`, which holds
`manifest.json`, `backend.json`, `segments.json` and `segments/<sha256>/` (the row data: `articles.json`,
`paragraphs.jsonl`, `chunks.jsonl` with each chunk's embedding cache key and `vectors.npy`, for up to 1,000
consecutive articles of one source file; `qa.index.segments`), `bm25/` (over chunks), `bm25-paragraphs/` (over whole
paragraphs with their titles; builds before it have none) and, for an HNSW index only, `dense.faiss` (a flat index is
made again from the vectors when loaded). Beside the builds: the embedding and token caches (`embeddings.sqlite`,
`tokens.sqlite`) and the writer lock. With the Milvus backend a collection of the build's own holds the chunks'
vectors and metadata instead of `dense.faiss`, and with Milvus' BM25 also their text instead of `bm25/`
(`qa.index.backend`); the paragraph index stays local.

Writing stays incremental: a segment is named by a hash of its contents and never changed once written, so a new
build hard-links every segment the build it was made from holds under the same name and writes only the segments of
new or changed files (`Saved` counts the bytes written and linked); keyword texts already segmented come from the
token cache. What every build writes whole is what depends on all rows: the BM25 score matrices (bm25s stores
idf-weighted scores, and each idf and the average length move when the archive grows), the HNSW graph, the segment
list and the manifest. Builds of format 1 (all rows in one set of files at the build's top, `dense.faiss` always)
still load; the next `qa index` writes the index in segments.

A new build is written to a hidden `.tmp-…` folder (`new_build`), renamed, and made live by an atomic rename of
`CURRENT`, so a writer killed at any point leaves the old index loadable and readers never see a half-written build.
The previous build is kept beside the live one (the last two); removing an older one only drops its links to the
segments a newer build shares. The next writer clears what a killed one left (`clear_debris`), a Milvus collection
included. The manifest records the corpus directory, the model and the backend an index was built with, so commands
that only read an index never confuse it with another corpus. `load_store` is the exact inverse of `save_store` and
checks the format version. Writers hold `qa.index.lock.writer_lock`; this module does not take it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexStateError
from qa.index.backend import DENSE_FILE, Shape, discard_folder, kind_of, read_record
from qa.index.bm25 import KeywordIndex
from qa.index.dense import FLAT, DenseSpec
from qa.index.docfreq import DocFreq, ScanFreq
from qa.index.embed import recorded_name
from qa.index.segments import RowData, Written, read_rows, read_segments, write_segments
from qa.index.stages import stage
from qa.schema import Article, Chunk, SearchFilter, day_number

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: row data in segments (`qa.index.segments`), no dense.faiss for a flat index
READS = (1, 2)  # format 1: the rows in one set of files at the build's top, and dense.faiss always
POINTER = "CURRENT"
PARAGRAPH_BM25 = "bm25-paragraphs"  # the paragraph keyword index's folder in a build
CRASH_ENV = "UNION_QA_CRASH_AT"  # tests only: the writer kills itself (SIGKILL) at the named step of save_store


@dataclass(frozen=True)
class Manifest:
    """What an index was built from: format, model and dimension, a fingerprint of every corpus file, and which
    faiss index the vectors are in."""

    format_version: int
    model: str
    dim: int
    corpus_fingerprint: str
    files: dict[str, str]  # corpus-relative file name -> sha256 of its bytes
    built_at: str
    counts: dict[str, int]
    corpus_dir: str = ""  # absolute path of the corpus directory; "" when built from ready-made articles
    corpus_rel: str = ""  # the same, relative to the index directory (found again when both move together)
    model_id: str = ""  # what the model is (e5 read from any path: multilingual-e5-small); "" in older indexes
    dense: dict = field(default_factory=FLAT.record)  # dense index kind and parameters (DenseSpec); older: flat
    backend: dict = field(default_factory=lambda: {"kind": "faiss"})  # where the search structures live; older: faiss
    keyword: dict = field(default_factory=dict)  # {"chunks"|"paragraphs": KeywordSpec record}; older: {}


class Scope:
    """A search filter as each search structure takes it: `where` for Milvus (the server filters), `mask` (one bool
    per row of the structure it filters: chunks or paragraphs; computed on first use) for faiss and bm25s."""

    def __init__(self, where: SearchFilter, days: np.ndarray, sources: np.ndarray) -> None:
        self.where, self._days, self._sources = where, days, sources

    @cached_property
    def mask(self) -> np.ndarray:
        keep = np.ones(len(self._days), bool)
        bounds = self.where.bounds()
        if bounds:
            keep &= (self._days >= bounds[0]) & (self._days <= bounds[1])
        if self.where.sources:
            keep &= np.isin(self._sources, list(self.where.sources))
        return keep


@dataclass
class Store:
    """A loaded index: records plus the search structures, row i of `vectors`, `dense` and `keyword` being chunks[i]
    and row i of `paragraph_keyword` paragraph i in article order (`paragraph_ids`; None in older builds). `dense`
    and `keyword` are `qa.index.dense.DenseIndex` and `qa.index.bm25.KeywordIndex` or their Milvus twins
    (`qa.index.milvus`); `paragraph_keyword` is always a local `KeywordIndex`."""

    manifest: Manifest
    articles: list[Article]
    chunks: list[Chunk]
    chunk_keys: list[str]  # content hash per chunk, the embedding cache key
    vectors: np.ndarray
    dense: Any
    keyword: Any
    path: Path | None = None
    paragraph_keyword: KeywordIndex | None = None

    def __post_init__(self) -> None:
        self.paragraphs = {p.id: p for a in self.articles for p in a.paragraphs}
        self.paragraph_ids = list(self.paragraphs)  # row order of `paragraph_keyword`
        self.chunk_rows: dict[str, list[int]] = {}  # paragraph id -> its chunks' rows
        for i, chunk in enumerate(self.chunks):
            self.chunk_rows.setdefault(chunk.paragraph_id, []).append(i)
        self._articles = {a.id: a for a in self.articles}

    def scope(self, where: SearchFilter | None) -> Scope | None:
        """`where` for the search structures; None when it filters nothing."""
        if not where:
            return None
        return Scope(where, *self._chunk_meta)

    def paragraph_scope(self, where: SearchFilter | None) -> Scope | None:
        """`where` over the rows of `paragraph_keyword` (`paragraph_ids`); None when it filters nothing."""
        if not where:
            return None
        return Scope(where, *self._paragraph_meta)

    @cached_property
    def _chunk_meta(self) -> tuple[np.ndarray, np.ndarray]:
        """Each chunk row's paragraph date (as `day_number`) and source, for local filtering."""
        rows = [self.paragraphs[c.paragraph_id] for c in self.chunks]
        return (np.array([day_number(p.date) for p in rows], np.int64),
                np.array([p.source for p in rows], dtype=object))

    @cached_property
    def _paragraph_meta(self) -> tuple[np.ndarray, np.ndarray]:
        """Each paragraph row's date (as `day_number`) and source, in `paragraph_ids` order."""
        rows = [self.paragraphs[pid] for pid in self.paragraph_ids]
        return (np.array([day_number(p.date) for p in rows], np.int64),
                np.array([p.source for p in rows], dtype=object))

    @cached_property
    def doc_freq(self) -> DocFreq | ScanFreq:
        """Paragraph document frequency of terms (`qa.index.docfreq`): from the paragraph keyword index, or by a
        memoised scan in builds without one."""
        texts = [p.text for p in self.paragraphs.values()]
        if self.paragraph_keyword is not None and self.paragraph_keyword.size == len(texts):
            return DocFreq(self.paragraph_keyword, texts)
        return ScanFreq(texts)

    @property
    def model_id(self) -> str:
        """The embedding model's id (older indexes: the model name they recorded)."""
        return self.manifest.model_id or self.manifest.model

    def article(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)


def new_build(index_dir: Path, fingerprint: str) -> Path:
    """A new hidden build folder (`.tmp-build-<time>-<hash>-<random>`) to build into and then `save_store`."""
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"build-{time.strftime('%Y%m%dT%H%M%S')}-{fingerprint[:8]}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    return tmp


def discard_build(tmp: Path) -> None:
    """Remove a build folder that will not go live, and what it created outside (a Milvus collection)."""
    discard_folder(tmp, tmp.parent)
    shutil.rmtree(tmp, ignore_errors=True)


@dataclass(frozen=True)
class Saved:
    """Where `save_store` put a build, and how many bytes it wrote and linked from the previous build."""

    path: Path
    written: int
    linked: int


def save_store(store: Store, tmp: Path, link_from: Path | None = None) -> Saved:
    """Write `store` into its build folder `tmp` (from `new_build`) and switch `CURRENT` to it atomically; on an
    error the folder is discarded and the live build stays. Segments that the build folder `link_from` holds already
    are hard-linked from it (`qa.index.segments`); the caller passes the build it loaded, none to write all."""
    index_dir = tmp.parent
    previous = _live_name(index_dir)
    name = tmp.name.removeprefix(".tmp-")
    try:
        with stage("save"):
            shared = _write_build(store, tmp, link_from)
            written = _folder_bytes(tmp) - shared.linked
        final = index_dir / name
        tmp.rename(final)
        pointer_tmp = index_dir / f".{POINTER}.tmp"
        with pointer_tmp.open("w", encoding="utf-8") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        crash_point("before-pointer-swap")
        os.replace(pointer_tmp, index_dir / POINTER)  # the single atomic step that makes the new build live
        _fsync_dir(index_dir)
    except BaseException:
        if tmp.exists():  # renamed already: an orphan build folder that the next writer prunes
            discard_build(tmp)
        raise
    crash_point("after-pointer-swap")
    _publish(store.manifest.backend, index_dir)
    _remove_old_builds(index_dir, keep={name, previous})
    return Saved(final, written, shared.linked)


def _publish(record: dict, index_dir: Path) -> None:
    """Show the live build to other clients of its backend (Milvus: move the alias); a failure is only logged,
    since this index's readers go by `CURRENT`."""
    try:
        kind_of(record).publish(record, index_dir)
    except Exception as exc:  # noqa: BLE001 - the build is live already; the alias is for other clients
        log.warning("the new build is live, but its Milvus alias could not be moved (%s: %s)", type(exc).__name__, exc)


def crash_point(step: str) -> None:
    """Kill this process the hard way when the crash tests ask for it at `step` (UNION_QA_CRASH_AT)."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def clear_debris(index_dir: Path) -> list[str]:
    """Remove what a killed writer left (hidden temp builds, a half-written pointer); call under the writer lock."""
    if not index_dir.is_dir():
        return []
    removed = []
    for path in index_dir.iterdir():
        if path.name.startswith(".tmp-") or path.name == f".{POINTER}.tmp":
            discard_build(path) if path.is_dir() else path.unlink()
            removed.append(path.name)
    return removed


def _write_build(store: Store, folder: Path, link_from: Path | None) -> Written:
    rows = RowData(store.articles, store.chunks, store.chunk_keys, store.vectors)
    shared = write_segments(rows, folder, link_from, _write_vectors)
    crash_point("after-segments")
    if DenseSpec.from_record(store.manifest.dense).kind != "flat":  # a flat index is made again from the vectors
        store.dense.save(folder / DENSE_FILE)
    store.keyword.save(folder / "bm25")
    if store.paragraph_keyword is not None:
        store.paragraph_keyword.save(folder / PARAGRAPH_BM25)
    if read_record(folder) is None:
        _write_json(folder / "backend.json", store.manifest.backend)
    crash_point("before-manifest")
    _write_json(folder / "manifest.json", asdict(store.manifest))  # written last: a build without it is incomplete
    return shared


def _write_vectors(path: Path, vectors: np.ndarray) -> None:
    """`np.save` in two halves through a memory map (the crash tests stop it between them)."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=vectors.dtype, shape=vectors.shape)
    half = len(vectors) // 2
    out[:half] = vectors[:half]
    out.flush()
    crash_point("mid-vectors")
    out[half:] = vectors[half:]
    out.flush()
    del out


def load_store(index_dir: Path) -> Store:
    """Load the live build of `index_dir`; raise IndexStateError saying what to do when it is missing or broken.

    A build that a writer prunes while it is being read (two newer builds went live meanwhile) is read again from
    the new `CURRENT`."""
    for attempt in range(3):
        folder = current_build(index_dir)
        manifest = load_manifest(folder, index_dir)
        try:
            return _read_build(folder, manifest)
        except FileNotFoundError:
            if attempt == 2 or current_build(index_dir) == folder:
                raise IndexStateError(f"the index at {index_dir} is missing files of {folder.name}: "
                                      "run `qa index --rebuild`") from None
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise IndexStateError(f"the index at {index_dir} is corrupted ({type(exc).__name__}: {exc}): "
                                  "run `qa index --rebuild`") from exc
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Previous:
    """What a writer needs of the live build: its manifest, records and vectors (memory-mapped), not its search
    structures (the HNSW graph and both BM25 indexes, a third of the memory at 63k items, are rebuilt anyway)."""

    manifest: Manifest
    articles: list[Article]
    chunk_keys: list[str]
    vectors: Any  # np.ndarray or segments.RowStack, memory-mapped
    path: Path


def load_previous(index_dir: Path) -> Previous:
    """The live build's records and memory-mapped vectors, for the next build to reuse; IndexStateError as
    `load_store` when it is missing or broken."""
    folder = current_build(index_dir)
    manifest = load_manifest(folder, index_dir)
    try:
        rows = read_rows(folder, True) if manifest.format_version == 1 else read_segments(folder, True)
    except FileNotFoundError:
        raise IndexStateError(f"the index at {index_dir} is missing files of {folder.name}: "
                              "run `qa index --rebuild`") from None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise IndexStateError(f"the index at {index_dir} is corrupted ({type(exc).__name__}: {exc}): "
                              "run `qa index --rebuild`") from exc
    shape = tuple(rows.vectors.shape)
    if len(shape) != 2 or shape[1] != manifest.dim:
        raise IndexStateError(f"the index at {index_dir} is corrupted (vectors of shape {shape}, the manifest says "
                              f"{manifest.dim} dimensions): run `qa index --rebuild`")
    if len(rows.keys) != len(rows.vectors):
        raise IndexStateError(f"the index at {index_dir} is corrupted ({len(rows.keys)} chunks but "
                              f"{len(rows.vectors)} vectors): run `qa index --rebuild`")
    return Previous(manifest, list(rows.articles), list(rows.keys), rows.vectors, folder)


def _read_build(folder: Path, manifest: Manifest) -> Store:
    # with Milvus searching, the composer reads only the rows of the paragraphs it weighs: map the files, don't load
    mmap = manifest.backend.get("kind") == "milvus"
    rows = read_rows(folder, mmap) if manifest.format_version == 1 else read_segments(folder, mmap)
    articles, chunks, keys, vectors = list(rows.articles), list(rows.chunks), list(rows.keys), rows.vectors
    shape = Shape(DenseSpec.from_record(manifest.dense), len(chunks), manifest.dim)
    dense, keyword = kind_of(manifest.backend).load(folder, manifest.backend, folder.parent, shape, vectors)
    if not (len(chunks) == len(vectors) == len(dense) == len(keyword)):
        raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors, {len(dense)} dense and "
                         f"{len(keyword)} keyword rows")
    by_paragraph = KeywordIndex.load(folder / PARAGRAPH_BM25) if (folder / PARAGRAPH_BM25).is_dir() else None
    n_paragraphs = sum(len(a.paragraphs) for a in articles)
    if by_paragraph is not None and len(by_paragraph) != n_paragraphs:
        raise ValueError(f"{n_paragraphs} paragraphs but {len(by_paragraph)} paragraph keyword rows")
    return Store(manifest, articles, chunks, keys, vectors, dense, keyword, path=folder, paragraph_keyword=by_paragraph)


def current_build(index_dir: Path) -> Path:
    """The live build folder named by `CURRENT`."""
    pointer = index_dir / POINTER
    if not pointer.exists():
        raise IndexStateError(f"no index at {index_dir}: check the path, or build it with "
                              f"`qa index --index {index_dir} --corpus DIR`")
    folder = index_dir / pointer.read_text(encoding="utf-8").strip()
    if not (folder / "manifest.json").exists():
        raise IndexStateError(f"the index at {index_dir} points to a missing build ({folder.name}): "
                              "run `qa index --rebuild`")
    return folder


def read_manifest(index_dir: Path) -> Manifest | None:
    """The live build's manifest, or None when `index_dir` holds no index; IndexStateError when it is broken."""
    if not (Path(index_dir) / POINTER).exists():
        return None
    return load_manifest(current_build(index_dir), index_dir)


def load_manifest(folder: Path, index_dir: Path) -> Manifest:
    try:
        manifest = Manifest(**json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexStateError(
            f"the index at {index_dir} is incomplete or corrupted ({exc}): run `qa index --rebuild`") from exc
    if manifest.format_version not in READS:
        raise IndexStateError(f"the index at {index_dir} has format {manifest.format_version}, this version reads "
                              f"{', '.join(map(str, READS))}: run `qa index --rebuild`")
    model = recorded_name(manifest.model)
    if model != manifest.model:  # recorded before the default model's variants had names of their own
        manifest = replace(manifest, model=model, model_id=manifest.model_id or manifest.model)
    return manifest


def recorded_corpus(manifest: Manifest, index_dir: Path) -> Path | None:
    """The corpus directory `manifest` was built from: its absolute path, else the same place relative to the
    index (a checkout that moved); None when the index was built from ready-made articles."""
    if not manifest.corpus_dir:
        return None
    absolute = Path(manifest.corpus_dir)
    if not absolute.is_dir() and manifest.corpus_rel:
        moved = (Path(index_dir) / manifest.corpus_rel).resolve()
        if moved.is_dir():
            return moved
    return absolute


def _live_name(index_dir: Path) -> str:
    pointer = index_dir / POINTER
    return pointer.read_text(encoding="utf-8").strip() if pointer.exists() else ""


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_old_builds(index_dir: Path, keep: set[str]) -> None:
    """Delete builds other than `keep` (the new one and the one it replaced), with their Milvus collections."""
    for old in index_dir.iterdir():
        if old.is_dir() and old.name not in keep and old.name.startswith("build-"):
            discard_build(old)


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
