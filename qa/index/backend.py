"""Where a build's search structures live: `faiss` (a faiss index and bm25s files in the build folder, the default)
or `milvus` (a Milvus collection per build; `qa.index.milvus`). One small interface, chosen by a `Backend` record.

Each kind builds the structures for a new build (`build`), opens them for a recorded build (`load`), makes a build
the one other clients see once it is live (`publish`) and removes what a build left outside its folder (`discard`).
A build folder's `backend.json` is written before anything outside the folder is created, so a writer killed at any
point leaves a record of what to remove (`qa.index.store.clear_debris` reads it).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import IndexStateError
from qa.index.bm25 import KeywordIndex, KeywordSpec, Tokenized
from qa.index.dense import DenseIndex, DenseSpec
from qa.index.stages import recording, stage
from qa.schema import Chunk, Paragraph, day_number

if TYPE_CHECKING:
    from qa.index.store import Previous

log = logging.getLogger(__name__)

RECORD = "backend.json"  # in every build folder (and in a half-written one): where its search structures live
DENSE_FILE = "dense.faiss"  # a faiss build's HNSW index (and a flat one in builds of format 1)
DEFAULT_COLLECTION = "union_qa"
LITE_FILE = "milvus.db"  # the Milvus Lite database inside the index directory when no --milvus-uri is given
KEYWORDS = ("bm25s", "milvus")  # the keyword side: the local bm25s index, or Milvus' BM25 full-text search


@dataclass(frozen=True)
class Backend:
    """What the index is asked to use: `kind` faiss or milvus; for milvus the `uri` (a local `.db` path for Milvus
    Lite, default `<index>/milvus.db`, or http://host:19530), the alias `collection` other Milvus clients see, and
    the `keyword` side."""

    kind: str = "faiss"
    uri: str = ""
    collection: str = DEFAULT_COLLECTION
    keyword: str = "bm25s"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"backend must be one of {sorted(KINDS)}, got {self.kind!r}")
        if self.keyword not in KEYWORDS:
            raise ValueError(f"keyword side must be one of {KEYWORDS}, got {self.keyword!r}")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,150}", self.collection):
            raise ValueError(f"a Milvus collection name takes letters, digits and underscores, got {self.collection!r}")
        if self.kind == "faiss" and (self.uri or self.collection != DEFAULT_COLLECTION or self.keyword != "bm25s"):
            raise ValueError("--milvus-uri, --collection and --milvus-keyword need --backend milvus")

    def located(self, index_dir: Path) -> Backend:
        """This backend with its URI made absolute (a local path) or defaulted (`<index>/milvus.db`)."""
        if self.kind != "milvus":
            return self
        from qa.index.milvus import is_lite

        uri = self.uri or str(Path(index_dir) / LITE_FILE)
        return Backend(self.kind, str(Path(uri).resolve()) if is_lite(uri) else uri, self.collection, self.keyword)

    def describe(self) -> str:
        if self.kind == "faiss":
            return "faiss"
        return f"milvus {self.uri or '(default URI)'} (collection {self.collection})"


def recorded_backend(record: dict[str, Any], index_dir: Path) -> Backend:
    """The Backend a build's record names; a Milvus Lite file is found again beside a moved index by its path
    relative to the index."""
    if record.get("kind", "faiss") == "faiss":
        return Backend()
    uri = record["uri"]
    if record.get("uri_rel") and not Path(uri).exists():
        moved = (Path(index_dir) / record["uri_rel"]).resolve()
        uri = str(moved) if moved.exists() else uri
    return Backend("milvus", uri, record["alias"], record.get("keyword", "bm25s"))


@dataclass(frozen=True)
class Rows:
    """What a backend indexes, row i being chunk i: the chunks, their paragraphs (date, source), the vectors, the
    keyword texts, how a local keyword index segments and scores them, and where it takes their tokens from (a
    token cache; None: it segments them)."""

    chunks: Sequence[Chunk]
    paragraphs: Mapping[str, Paragraph]
    vectors: np.ndarray
    texts: Sequence[str]
    keyword_spec: KeywordSpec = KeywordSpec()
    tokenized: Tokenized | None = None
    keys: Sequence[str] = ()  # the chunks' cache keys (model + text): what a previous build's rows are matched by
    previous: Previous | None = None  # the live build an update replaces, whose HNSW graph a faiss build grows

    def keyword_index(self) -> KeywordIndex:
        """A local keyword index over the texts."""
        return KeywordIndex(list(self.texts), self.keyword_spec, tokenized=self.tokenized)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


@dataclass(frozen=True)
class Shape:
    """What a recorded build's structures hold: its dense index kind, rows and dimension (from the manifest). A
    flat faiss index is not stored: it is made again from the build's vectors."""

    spec: DenseSpec
    rows: int
    dim: int


@dataclass(frozen=True)
class Kind:
    """One backend's operations (see the module docstring)."""

    build: Callable[[Backend, Path, Rows, DenseSpec, bool], tuple[Any, Any, dict[str, Any]]]
    load: Callable[[Path, dict[str, Any], Path, Shape, np.ndarray], tuple[Any, Any]]
    publish: Callable[[dict[str, Any], Path], None]
    discard: Callable[[dict[str, Any], Path], None]


def _faiss_build(backend: Backend, folder: Path, rows: Rows, spec: DenseSpec,
                 show_progress: bool) -> tuple[Any, Any, dict[str, Any]]:
    dense = _grown(rows, spec)
    return dense or DenseIndex(rows.vectors, spec), rows.keyword_index(), {"kind": "faiss"}


def _grown(rows: Rows, spec: DenseSpec) -> DenseIndex | None:
    """The previous build's HNSW graph grown to these rows (`DenseIndex.grow`), or None to build one afresh: no
    previous faiss graph of this spec, an unreadable one, or too many rows gone."""
    old = rows.previous
    if (old is None or spec.kind != "hnsw" or old.manifest.backend.get("kind", "faiss") != "faiss"
            or old.manifest.dense != spec.record() or not (old.path / DENSE_FILE).is_file()):
        return None
    with stage("dense"):
        try:
            dense = DenseIndex.load(old.path / DENSE_FILE, spec)
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("cannot grow the previous HNSW graph (%s): building it again", exc)
            return None
        if dense.grow(old.chunk_keys, list(rows.keys), rows.vectors, spec):
            log.info("HNSW graph grown: %d rows, %d dead nodes", len(dense), dense.dead)
            return dense
    return None


def _faiss_load(folder: Path, record: dict[str, Any], index_dir: Path, shape: Shape,
                vectors: np.ndarray) -> tuple[Any, Any]:
    path = folder / DENSE_FILE
    if shape.spec.kind == "flat" and not path.exists():  # a flat index is its vectors: added again, not stored
        with recording():  # part of loading, not the build's "dense" stage
            dense = DenseIndex(vectors, shape.spec)
    else:
        dense = DenseIndex.load(path, shape.spec)
    return dense, KeywordIndex.load(folder / "bm25")


def _milvus_build(backend: Backend, folder: Path, rows: Rows, spec: DenseSpec,
                  show_progress: bool) -> tuple[Any, Any, dict[str, Any]]:
    from qa.index import milvus

    backend = backend.located(folder.parent)
    name = milvus.collection_name(backend.collection, folder.name.removeprefix(".tmp-"))
    record = {"kind": "milvus", "uri": backend.uri, "alias": backend.collection, "collection": name,
              "keyword": backend.keyword}
    if milvus.is_lite(backend.uri):
        record["uri_rel"] = os.path.relpath(backend.uri, Path(folder.parent).resolve())
    write_record(folder, record)  # before the collection exists: a killed writer's debris names it
    client = milvus.connect(backend.uri)
    with_text = backend.keyword == "milvus"
    milvus.create_collection(client, name, rows.dim, spec, keyword=with_text)
    n = len(rows.chunks)
    with stage("dense"):
        milvus.insert_rows(client, name, (_milvus_row(i, rows, with_text) for i in range(n)), n, show_progress)
    dense = milvus.MilvusDense(client, name, n, rows.dim, spec)
    keyword = milvus.MilvusKeyword(client, name, n) if with_text else rows.keyword_index()
    return dense, keyword, record


def _milvus_row(i: int, rows: Rows, with_text: bool) -> dict[str, Any]:
    from qa.index.milvus import keyword_text

    chunk = rows.chunks[i]
    p = rows.paragraphs[chunk.paragraph_id]
    row = {"row": i, "chunk_id": chunk.id, "paragraph_id": chunk.paragraph_id, "date": day_number(p.date),
           "source": p.source, "vector": rows.vectors[i].tolist()}
    return row | {"text": keyword_text(rows.texts[i])} if with_text else row


def _milvus_load(folder: Path, record: dict[str, Any], index_dir: Path, shape: Shape,
                 vectors: np.ndarray) -> tuple[Any, Any]:
    from qa.index import milvus

    backend = recorded_backend(record, index_dir)
    name = record["collection"]
    client = milvus.connect(backend.uri)
    milvus.open_collection(client, name, backend.uri, shape.rows)
    dense = milvus.MilvusDense(client, name, shape.rows, shape.dim, shape.spec)
    keyword = (milvus.MilvusKeyword(client, name, shape.rows) if backend.keyword == "milvus"
               else KeywordIndex.load(folder / "bm25"))
    return dense, keyword


def _milvus_publish(record: dict[str, Any], index_dir: Path) -> None:
    from qa.index import milvus

    backend = recorded_backend(record, index_dir)
    milvus.switch_alias(milvus.connect(backend.uri), backend.collection, record["collection"])


def _milvus_discard(record: dict[str, Any], index_dir: Path) -> None:
    from qa.index import milvus

    backend = recorded_backend(record, index_dir)
    milvus.drop(milvus.connect(backend.uri), record["collection"])


def _nothing(record: dict[str, Any], index_dir: Path) -> None:
    """faiss keeps everything in the build folder."""


KINDS = {"faiss": Kind(_faiss_build, _faiss_load, _nothing, _nothing),
         "milvus": Kind(_milvus_build, _milvus_load, _milvus_publish, _milvus_discard)}


def kind_of(record: dict[str, Any]) -> Kind:
    return KINDS[record.get("kind", "faiss")]


def write_record(folder: Path, record: dict[str, Any]) -> None:
    (folder / RECORD).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")


def read_record(folder: Path) -> dict[str, Any] | None:
    """The backend record of a build folder; None for a folder without one (older and faiss builds)."""
    path = folder / RECORD
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def discard_folder(folder: Path, index_dir: Path) -> None:
    """Remove what the build in `folder` created outside it (its Milvus collection); a failure is logged, the build
    folder is removed all the same by the caller."""
    try:
        record = read_record(folder)
        if record is not None:
            kind_of(record).discard(record, index_dir)
    except (OSError, ValueError, KeyError, IndexStateError) as exc:
        log.warning("could not remove the search structures of %s (%s)", folder.name, exc)
    except Exception as exc:  # noqa: BLE001 - a Milvus server that is down must not stop the build
        log.warning("could not remove the search structures of %s (%s: %s)", folder.name, type(exc).__name__, exc)


def choose_backend(recorded: Backend | None, given: Mapping[str, str], index_dir: Path, writing: bool) -> Backend:
    """The backend an index command uses: the recorded one, with what the command `given` (--backend,
    --milvus-uri, --collection, --milvus-keyword; only those set). A reader that asks for anything else gets an
    IndexStateError naming both; a writer switches (its previous build is kept until the next one)."""
    base = recorded or Backend()
    if given.get("kind", base.kind) != base.kind:
        base = Backend(given["kind"])
    try:
        wanted = Backend(**(vars_of(base) | dict(given))).located(index_dir)
    except ValueError as exc:
        raise IndexStateError(str(exc)) from None
    if recorded is None or wanted == recorded:
        return wanted
    if not writing:
        raise IndexStateError(
            f"the index at {index_dir} was built with the {_describe_all(recorded)} backend, not "
            f"{_describe_all(wanted)}: leave out --backend/--milvus-uri/--collection/--milvus-keyword to use it as "
            f"it is, or re-index it with `qa index --index {index_dir}` and the new options")
    log.warning("the index at %s was built with %s; re-indexing it with %s (the previous build is kept)", index_dir,
                _describe_all(recorded), _describe_all(wanted))
    return wanted


def vars_of(backend: Backend) -> dict[str, str]:
    return {"kind": backend.kind, "uri": backend.uri, "collection": backend.collection, "keyword": backend.keyword}


def _describe_all(backend: Backend) -> str:
    return backend.describe() + (f", keyword side {backend.keyword}" if backend.kind == "milvus" else "")
