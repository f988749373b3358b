"""Segments: a build's row data in content-addressed pieces that the next build hard-links instead of writing again.

A segment holds the rows of up to `SEGMENT_ARTICLES` consecutive articles of one source file: `articles.json`,
`paragraphs.jsonl`, `chunks.jsonl` (each chunk with its embedding cache key) and `vectors.npy`, in the formats a
build of format 1 keeps for all its rows at its top. It is named by the sha256 of those contents, so a segment of
the same name holds the same bytes: a new build links (`os.link`) each segment the previous build has under that
name and writes only the others. Files are never changed once written, so a link shares nothing that can move under
a reader, and removing a build only drops its names for them. Where the file system cannot link, the file is copied.
`segments.json` lists a build's segments in row order; reading concatenates them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import groupby
from pathlib import Path

import numpy as np

from qa.schema import Article, Chunk, Paragraph

SEGMENTS = "segments"  # the folder of a build's segments
SEGMENT_LIST = "segments.json"
SEGMENT_ARTICLES = 1000  # articles per segment at most: articles appended to a big file rewrite its last segment
# only (an article removed or inserted mid-file shifts the boundaries after it, and those segments are written again)
FILES = ("articles.json", "paragraphs.jsonl", "chunks.jsonl", "vectors.npy")


@dataclass(frozen=True)
class RowData:
    """The row data of an index or of one segment: articles with their paragraphs, chunks, their keys and vectors
    (row i of `vectors` is chunk i)."""

    articles: Sequence[Article]
    chunks: Sequence[Chunk]
    keys: Sequence[str]
    vectors: np.ndarray


@dataclass(frozen=True)
class Written:
    """Bytes a build wrote and bytes it linked from the previous build."""

    written: int = 0
    linked: int = 0


def split(rows: RowData, max_articles: int = SEGMENT_ARTICLES) -> Iterator[RowData]:
    """`rows` in segments: runs of at most `max_articles` consecutive articles of the same file, each with its
    chunks (chunks follow their articles' order)."""
    article_of = {p.id: a.id for a in rows.articles for p in a.paragraphs}
    start = 0
    for _, run in groupby(rows.articles, key=lambda a: a.file):
        run = list(run)
        for i in range(0, len(run), max_articles):
            part = run[i : i + max_articles]
            ids = {a.id for a in part}
            end = start
            while end < len(rows.chunks) and article_of[rows.chunks[end].paragraph_id] in ids:
                end += 1
            yield RowData(part, rows.chunks[start:end], rows.keys[start:end], rows.vectors[start:end])
            start = end
    if start != len(rows.chunks):
        raise ValueError(f"chunks out of their articles' order at row {start}")


def encode(rows: RowData) -> dict[str, bytes]:
    """A segment's files (the vectors as raw float32 rows, for the name: `save_vectors` writes them as .npy)."""
    articles = [{k: v for k, v in asdict(a).items() if k != "paragraphs"} for a in rows.articles]
    return {"articles.json": json.dumps(articles, ensure_ascii=False, indent=1).encode(),
            "paragraphs.jsonl": _jsonl(asdict(p) for a in rows.articles for p in a.paragraphs),
            "chunks.jsonl": _jsonl(asdict(c) | {"key": k} for c, k in zip(rows.chunks, rows.keys, strict=True)),
            "vectors.npy": np.ascontiguousarray(rows.vectors, np.float32).tobytes()}


def segment_name(files: dict[str, bytes], dim: int) -> str:
    digest = hashlib.sha256(f"{dim}\0".encode())
    for name in FILES:
        digest.update(f"{name}\0{len(files[name])}\0".encode())
        digest.update(files[name])
    return digest.hexdigest()[:32]


def write_segments(rows: RowData, folder: Path, link_from: Path | None,
                   save_vectors: Callable[[Path, np.ndarray], None]) -> Written:
    """Write `rows` as segments into the build `folder`, linking those that `link_from` (the previous build's
    folder; None: none) holds already, and list them in `segments.json`. `save_vectors` writes a new segment's
    vectors (the store's, with its crash point)."""
    dim = int(rows.vectors.shape[1])
    listed, done, written, linked = [], set(), 0, 0
    for part in split(rows):
        files = encode(part)
        name = segment_name(files, dim)
        listed.append({"name": name, "articles": len(part.articles), "chunks": len(part.chunks),
                       "paragraphs": sum(len(a.paragraphs) for a in part.articles)})
        if name in done:
            continue
        done.add(name)
        target = folder / SEGMENTS / name
        target.mkdir(parents=True)
        shared = _link(link_from / SEGMENTS / name, target) if link_from is not None else None
        if shared is not None:
            linked += shared
            continue
        for file, data in files.items():
            if file != "vectors.npy":
                (target / file).write_bytes(data)
        save_vectors(target / "vectors.npy", np.asarray(part.vectors, np.float32).reshape(-1, dim))
        for file in FILES:  # on disk before `CURRENT` names the build: later builds link these very files
            with (target / file).open("rb") as f:
                os.fsync(f.fileno())
        written += sum((target / f).stat().st_size for f in FILES)
    (folder / SEGMENT_LIST).write_text(json.dumps({"dim": dim, "segments": listed}, indent=1), encoding="utf-8")
    return Written(written, linked)


def _link(source: Path, target: Path) -> int | None:
    """Hard-link every file of the segment folder `source` into `target`: their bytes, or None when `source` lacks
    one or the file system cannot link (across file systems: the segment is then written, and counted as written)."""
    if not all((source / f).is_file() for f in FILES):
        return None
    size = 0
    for f in FILES:
        try:
            os.link(source / f, target / f)
        except OSError:
            for linked in target.iterdir():
                linked.unlink()
            return None
        size += (target / f).stat().st_size
    return size


def read_segments(folder: Path, mmap: bool) -> RowData:
    """The rows of a build of segments (`write_segments`'s inverse); vectors memory-mapped when `mmap`."""
    listing = json.loads((folder / SEGMENT_LIST).read_text(encoding="utf-8"))
    parts = [read_rows(folder / SEGMENTS / s["name"], mmap) for s in listing["segments"]]
    for s, part in zip(listing["segments"], parts, strict=True):
        counts = (len(part.articles), sum(len(a.paragraphs) for a in part.articles), len(part.chunks))
        if counts != (s["articles"], s["paragraphs"], s["chunks"]) or len(part.vectors) != len(part.chunks):
            raise ValueError(f"segment {s['name']} holds {counts} articles, paragraphs, chunks and "
                             f"{len(part.vectors)} vectors, its list says {s}")
    dim = int(listing["dim"])
    vectors = [p.vectors for p in parts]
    stacked = (np.zeros((0, dim), np.float32) if not vectors else vectors[0] if len(vectors) == 1
               else RowStack(vectors) if mmap else np.concatenate(vectors))
    return RowData([a for p in parts for a in p.articles], [c for p in parts for c in p.chunks],
                [k for p in parts for k in p.keys], stacked)


def read_rows(folder: Path, mmap: bool) -> RowData:
    """The rows of one segment folder, or of a build of format 1 (the same files at its top)."""
    paragraphs: dict[str, list[Paragraph]] = {}
    for row in _read_jsonl(folder / "paragraphs.jsonl"):
        paragraphs.setdefault(row["article_id"], []).append(Paragraph(**row))
    articles = [Article(**row, paragraphs=tuple(paragraphs.get(row["id"], ())))
                for row in json.loads((folder / "articles.json").read_text(encoding="utf-8"))]
    rows = _read_jsonl(folder / "chunks.jsonl")
    keys = [row.pop("key") for row in rows]
    vectors = np.load(folder / "vectors.npy", allow_pickle=False, mmap_mode="r" if mmap else None)
    return RowData(articles, [Chunk(**row) for row in rows], keys, vectors)


class RowStack:
    """Memory-mapped vector files read as one array of rows, without loading them (a Milvus build's vectors, of
    which the composer reads only the rows it weighs): indexing by row numbers, iteration, `np.asarray`."""

    def __init__(self, parts: list[np.ndarray]) -> None:
        self.parts = parts
        self.starts = np.cumsum([0] + [len(p) for p in parts])
        self.shape = (int(self.starts[-1]), int(parts[0].shape[1]))
        self.dtype = parts[0].dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: int | slice | Sequence[int]) -> np.ndarray:
        if isinstance(rows, slice):
            rows = range(*rows.indices(len(self)))
        if isinstance(rows, (int, np.integer)):
            row = int(rows) + len(self) if rows < 0 else int(rows)
            if not 0 <= row < len(self):
                raise IndexError(f"row {rows} out of range for {len(self)} rows")
            part = int(np.searchsorted(self.starts, row, side="right")) - 1
            return np.asarray(self.parts[part][row - self.starts[part]])
        return np.stack([self[int(r)] for r in rows]) if len(rows) else np.zeros((0, self.shape[1]), self.dtype)

    def __iter__(self) -> Iterator[np.ndarray]:
        for part in self.parts:
            yield from part

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        whole = np.concatenate(self.parts)
        return whole if dtype is None else whole.astype(dtype)


def _jsonl(rows: Iterator[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
