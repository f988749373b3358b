"""Dense index: a faiss inner-product index over L2-normalised chunk vectors (inner product = cosine).

The index type follows the number of vectors (`choose_spec`): exact search (`IndexFlatIP`) while it is cheap, up to
`EXACT_MAX` vectors, and HNSW beyond, with parameters that kept recall@10 against exact search at 0.98 or more in
`eval/bench_faiss.py` (`eval/reports/latest/faiss.md`). The choice is a `DenseSpec`, recorded in the index manifest
and applied again when the index is loaded, so the manifest, not the faiss file, sets the search parameters.

An HNSW graph is costly to build (276 s per 1M vectors on 2 cores) and cheap to extend, so an update `grow`s the
previous build's graph instead of building it again: the rows the new build keeps stay in the graph, new rows are
added to it, rows the corpus lost stay in it as dead nodes (still paths through the graph, never results). Graph node
i is then row `rows_of[i]` (-1: dead), saved beside the faiss file; past `MAX_DEAD` dead nodes the graph is built
again from the live rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.index.stages import stage

if TYPE_CHECKING:
    import faiss

    from qa.index.store import Scope

# Flat single-query search (k=50, one thread) measured 2.9 ms at 50k vectors, 6.2 ms at 100k, 11.5 ms at 200k and
# 57 ms at 1M, growing with N; HNSW stays under 0.4 ms. Exact up to where it still costs a few ms beside the
# ~25 ms query embedding; beyond, HNSW's build (10 s at 100k, 67 s at 300k on 2 cores) and +18% memory pay off.
EXACT_MAX = 100_000
MAX_DEAD = 0.2  # share of dead nodes in a grown HNSW graph past which an update builds the graph again
ROWS_SUFFIX = ".rows.npy"  # beside a grown graph's faiss file: the row of each graph node


def _flat(d: int, spec: DenseSpec) -> faiss.Index:
    import faiss

    return faiss.IndexFlatIP(d)


def _hnsw(d: int, spec: DenseSpec) -> faiss.Index:
    import faiss

    index = faiss.IndexHNSWFlat(d, spec.m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = spec.ef_construction
    return index


_BUILDERS = {"flat": _flat, "hnsw": _hnsw}
_FAISS_TYPES = {"flat": "IndexFlatIP", "hnsw": "IndexHNSWFlat"}


@dataclass(frozen=True)
class DenseSpec:
    """Which faiss index holds the vectors: `kind` "flat" (exact) or "hnsw" with its graph and search sizes."""

    kind: str = "flat"
    m: int = 0  # HNSW: neighbours per node
    ef_construction: int = 0  # HNSW: candidate list while building
    ef_search: int = 0  # HNSW: candidate list while searching (at least k is used)

    def __post_init__(self) -> None:
        if self.kind not in _BUILDERS:
            raise ValueError(f"dense index kind must be one of {sorted(_BUILDERS)}, got {self.kind!r}")
        if self.kind == "hnsw" and min(self.m, self.ef_construction, self.ef_search) < 1:
            raise ValueError(f"HNSW needs m, ef_construction and ef_search >= 1, got {self}")

    def record(self) -> dict[str, str | int]:
        """The manifest's record: the kind and the parameters that apply to it."""
        return {"kind": self.kind} if self.kind == "flat" else asdict(self)

    @classmethod
    def from_record(cls, record: dict) -> DenseSpec:
        return cls(**record)


FLAT = DenseSpec()
# recall@10 0.995 / 0.995 / 0.993 at 100k / 300k / 1M (recall@50 0.981 / 0.980 / 0.990), p50 0.36 ms;
# efSearch 64 fell to 0.979 at 1M, efConstruction 200 gained 0.003 for 2.6x the build time.
HNSW = DenseSpec("hnsw", m=32, ef_construction=80, ef_search=128)


def choose_spec(n: int, exact_max: int = EXACT_MAX) -> DenseSpec:
    """Exact search for up to `exact_max` vectors, HNSW beyond."""
    return FLAT if n <= exact_max else HNSW


class DenseIndex:
    """Inner-product search over chunk vectors; row i of the index is chunk i of the store."""

    def __init__(self, xb: np.ndarray, spec: DenseSpec | None = None) -> None:
        if xb.ndim != 2:
            raise ValueError(f"vectors must be a 2-d array, got shape {xb.shape}")
        self.spec = spec or choose_spec(len(xb))
        self._map(None)
        with stage("dense"):
            self.index = _BUILDERS[self.spec.kind](xb.shape[1], self.spec)
            if len(xb):
                self.index.add(np.ascontiguousarray(xb, dtype=np.float32))
        self._set_search_params()

    def _map(self, rows_of: np.ndarray | None) -> None:
        """Set a grown graph's row per node (-1: dead; None: node i is row i) and count its dead nodes (`dead`:
        rows the corpus no longer holds), once rather than at every `len`."""
        self.rows_of = rows_of
        self.dead = 0 if rows_of is None else int((rows_of < 0).sum())

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def __len__(self) -> int:
        return int(self.index.ntotal) - self.dead

    def search(self, xq: np.ndarray, k: int, scope: Scope | None = None) -> tuple[np.ndarray, np.ndarray]:
        """faiss-style (D, I) for each query row; I is -1 where fewer than k vectors exist (or pass `scope`'s
        filter: only the rows of its mask are searched). A filter that leaves at most `EXACT_MAX` rows is searched
        exactly, over those rows' vectors: a graph walk misses rows once the filter keeps few of them."""
        rows = np.flatnonzero(scope.mask) if scope is not None else None
        n = len(self) if rows is None else len(rows)
        if not n:
            return np.zeros((len(xq), 1), np.float32), -np.ones((len(xq), 1), np.int64)
        k = max(1, min(k, n))
        xq = np.ascontiguousarray(xq, dtype=np.float32)
        hnsw = self.spec.kind == "hnsw"
        if rows is None and self.rows_of is None and not (hnsw and k > self.spec.ef_search):
            return self.index.search(xq, k)
        import faiss

        selector, bitmap = self._selector(rows)  # `bitmap` stays referenced here while faiss reads it
        if hnsw and (rows is None or len(rows) > EXACT_MAX):
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(k, self.spec.ef_search))
            D, I = self.index.search(xq, k, params=params)
        else:  # the flat index, or an HNSW graph's own flat storage of the vectors
            index = self.index if not hnsw else faiss.downcast_index(self.index.storage)
            D, I = index.search(xq, k, params=faiss.SearchParameters(sel=selector))
        if self.rows_of is not None:
            I = np.where(I >= 0, self.rows_of[np.maximum(I, 0)], -1)
        return D, I

    def _selector(self, rows: np.ndarray | None) -> tuple[faiss.IDSelector | None, np.ndarray | None]:
        """A faiss selector of the index entries (graph nodes) to search — those of `rows` (all: None), less a
        grown graph's dead nodes — and the bitmap it reads, if any."""
        import faiss

        if self.rows_of is None:
            return (None if rows is None else faiss.IDSelectorBatch(rows.astype(np.int64))), None
        live = self.rows_of >= 0
        if rows is not None:
            wanted = np.zeros(len(self), bool)
            wanted[rows] = True
            live &= wanted[np.maximum(self.rows_of, 0)]
        if live.all():
            return None, None
        bitmap = np.packbits(live, bitorder="little")
        return faiss.IDSelectorBitmap(len(live), faiss.swig_ptr(bitmap)), bitmap

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))
        if self.rows_of is not None:
            np.save(_rows_path(path), self.rows_of)

    @classmethod
    def load(cls, path: Path, spec: DenseSpec = FLAT) -> DenseIndex:
        """Read an index saved by `save`; `spec` is the one the manifest records (older indexes: flat)."""
        import faiss

        self = cls.__new__(cls)
        self.index, self.spec = faiss.read_index(str(path)), spec
        if type(self.index).__name__ != _FAISS_TYPES[spec.kind]:
            raise ValueError(f"{path.name} holds a {type(self.index).__name__}, the manifest says {spec.kind}")
        rows = _rows_path(path)
        self._map(np.load(rows, allow_pickle=False) if rows.exists() else None)
        if self.rows_of is not None and self.rows_of.shape != (self.index.ntotal,):
            raise ValueError(f"{rows.name} maps {self.rows_of.shape} nodes, the graph has {self.index.ntotal}")
        self._set_search_params()
        return self

    def grow(self, old_keys: list[str], new_keys: list[str], xb: np.ndarray, spec: DenseSpec) -> bool:
        """Bring this HNSW index of rows `old_keys` to rows `new_keys` (vectors `xb`) in place: kept rows stay
        graph nodes (renumbered), new rows are added, lost rows become dead nodes. False, leaving the index as it
        was, where building afresh is right: another spec, or more than `MAX_DEAD` dead nodes afterwards."""
        if self.spec.kind != "hnsw" or spec != self.spec or len(old_keys) != len(self) or len(new_keys) != len(xb):
            return False
        positions: dict[str, list[int]] = {}
        for row, key in enumerate(new_keys):
            positions.setdefault(key, []).append(row)
        for rows in positions.values():
            rows.reverse()  # pop() hands out a repeated key's rows in order
        old_rows = self.rows_of if self.rows_of is not None else np.arange(self.index.ntotal)
        kept = np.full(len(old_rows), -1, np.int64)
        for node, row in enumerate(old_rows):
            if row >= 0 and positions.get(old_keys[row]):
                kept[node] = positions[old_keys[row]].pop()
        added = np.array(sorted(r for rows in positions.values() for r in rows), np.int64)
        dead = int((kept < 0).sum())
        if dead > MAX_DEAD * (len(kept) + len(added)):
            return False
        if len(added):
            self.index.add(np.ascontiguousarray(xb[added], dtype=np.float32))
        rows_of = np.concatenate([kept, added])
        self._map(None if np.array_equal(rows_of, np.arange(len(rows_of))) else rows_of)  # None: appended only
        return True

    def _set_search_params(self) -> None:
        if self.spec.kind == "hnsw":
            self.index.hnsw.efSearch = self.spec.ef_search


def _rows_path(path: Path) -> Path:
    return path.with_name(path.stem + ROWS_SUFFIX)
