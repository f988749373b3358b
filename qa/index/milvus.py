"""Milvus as the search structures: each build's chunks, their metadata and vectors in a collection of its own.

A build writes a new collection `<alias>_<build name>`; its manifest names that collection, and readers open exactly
it, so the local `CURRENT` swap stays the one step that makes a build live and nobody reads a half-filled collection.
After the swap the alias is moved to the new collection (`alter_alias`, atomic on the server), for other Milvus
clients; the collections of pruned builds are dropped with them. Rows are the store's chunk rows (primary key `row`),
with `date` as a day number (`qa.schema.day_number`) and `source`, so filters run on the server. The keyword side is
either the local bm25s index or, with keyword "milvus", Milvus' own BM25 over a jieba-analysed `text` field.

The URI is a local path ending in `.db` (Milvus Lite, in this process; one process at a time may open it) or
`http(s)://host:19530` (a Milvus server or cluster). pymilvus is an optional dependency (`pip install .[milvus]`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import IndexStateError
from qa.index.dense import DenseSpec
from qa.index.tokens import normalize
from qa.lexicon import STOPWORDS, USER_DICT
from qa.schema import SearchFilter

if TYPE_CHECKING:
    from pymilvus import MilvusClient

    from qa.index.store import Scope

log = logging.getLogger(__name__)

INSERT_BATCH = 2_000  # rows per insert call: 2,000 × 384 floats ≈ 3 MB, far under gRPC's 64 MB message cap
BM25_K1, BM25_B = 1.5, 0.75  # bm25s' defaults, so both keyword sides score alike
_NON_WORD = re.compile(r"[^\w]+")
# pymilvus pings every 10 s even when idle; Milvus Lite's in-process gRPC server answers an idle client's pings with
# GOAWAY "too_many_pings" (logged by grpc). The server is in this process: ping only during calls, and rarely.
LITE_GRPC = {"grpc.keepalive_time_ms": 300_000, "grpc.keepalive_permit_without_calls": False}
_clients: dict[str, MilvusClient] = {}  # one client per URI and process, shared by every build that is open
_clients_lock = threading.Lock()


def installed() -> bool:
    """Whether pymilvus can be imported."""
    try:
        import pymilvus  # noqa: F401
    except ImportError:
        return False
    return True


def is_lite(uri: str) -> bool:
    return not re.match(r"(?i)(https?|tcp|unix)://|unix:", uri)


def connect(uri: str) -> MilvusClient:
    """The process's client for `uri` (created on first use); a clear error when pymilvus is missing or the
    database cannot be opened."""
    with _clients_lock:
        if uri not in _clients:
            _clients[uri] = _open(uri)
        return _clients[uri]


def _open(uri: str) -> MilvusClient:
    if not installed():
        raise IndexStateError('the Milvus backend needs pymilvus: pip install -c constraints.txt -e ".[milvus]"')
    from pymilvus import MilvusClient

    if is_lite(uri) and not uri.endswith(".db"):
        raise IndexStateError(f"a Milvus Lite URI is a local path ending in .db, got {uri!r} "
                              "(or give a server as http://host:19530)")
    if is_lite(uri):  # Milvus Lite's analyzer runs jieba in this process: quiet its chatter as qa.index.tokens does
        import jieba

        jieba.setLogLevel(logging.WARNING)
    try:
        return MilvusClient(uri=uri, grpc_options=LITE_GRPC) if is_lite(uri) else MilvusClient(uri=uri)
    except Exception as exc:  # noqa: BLE001 - pymilvus raises several kinds; all mean the same to the user
        hint = (" (Milvus Lite lets one process open a database at a time: is a UI or another `qa` using it? "
                f"To share it, serve it with `milvus-lite server --data-dir {uri} --port 19530` and use "
                "http://127.0.0.1:19530)") if is_lite(uri) else ""
        raise IndexStateError(f"cannot open Milvus at {uri}: {exc}{hint}") from exc


def close(uri: str) -> None:
    """Close the client of `uri` and, for Milvus Lite, stop its in-process server (tests use it)."""
    with _clients_lock:
        client = _clients.pop(uri, None)
    if client is not None:
        client.close()
    if is_lite(uri) and installed():
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)


def collection_name(alias: str, build: str) -> str:
    """The collection of the build folder `build` (Milvus names take letters, digits and underscores)."""
    return re.sub(r"\W", "_", f"{alias}_{build}")


def filter_expr(where: SearchFilter) -> str:
    """`where` as a Milvus boolean expression over the `date` and `source` fields."""
    parts = []
    bounds = where.bounds()
    if bounds:
        parts.append(f"date >= {bounds[0]} and date <= {bounds[1]}")
    if where.sources:
        parts.append(f"source in {json.dumps(list(where.sources), ensure_ascii=False)}")
    return " and ".join(parts)


def keyword_text(text: str) -> str:
    """What the Milvus BM25 side indexes and queries: normalised as `qa.index.tokens` does, punctuation as spaces."""
    return _NON_WORD.sub(" ", normalize(text)).strip()


def _analyzer() -> dict[str, Any]:
    """jieba in search mode with the union dictionary's words, and the tokenizer's stopwords (Milvus Lite and a
    Milvus server both take this form)."""
    words = [line.split()[0] for line in USER_DICT.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {"tokenizer": {"type": "jieba", "mode": "search", "dict": ["_default_", *words]},
            "filter": [{"type": "stop", "stop_words": sorted(STOPWORDS)}]}


def _index_params(spec: DenseSpec) -> dict[str, Any]:
    if spec.kind == "hnsw":
        params = {"M": spec.m, "efConstruction": spec.ef_construction}
        return {"index_type": "HNSW", "metric_type": "IP", "params": params}
    return {"index_type": "FLAT", "metric_type": "IP", "params": {}}


def create_collection(client: MilvusClient, name: str, dim: int, spec: DenseSpec, keyword: bool) -> None:
    """An empty collection for one build: row, chunk and paragraph ids, date, source, vector (and, with `keyword`,
    the analysed text with its BM25 sparse vector)."""
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("chunk_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("paragraph_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("date", DataType.INT64)
    schema.add_field("source", DataType.VARCHAR, max_length=1024)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    index = client.prepare_index_params()
    index.add_index("vector", **_index_params(spec))
    if keyword:
        schema.add_field("text", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
                         analyzer_params=_analyzer())
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                     output_field_names=["sparse"]))
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                        params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})
    client.create_collection(name, schema=schema)
    # sync=False: the collection is empty, and Milvus Lite lacks the call (AllocTimestamp) a synchronous wait makes
    client.create_index(name, index, sync=False)


def insert_rows(client: MilvusClient, name: str, rows: Iterable[dict[str, Any]], total: int,
                show_progress: bool = False) -> None:
    """Insert `rows` in batches (a progress bar with `show_progress`), then flush and load the collection."""
    from tqdm import tqdm

    batch: list[dict[str, Any]] = []
    with tqdm(total=total, desc="milvus insert", unit="chunk", disable=not show_progress) as bar:
        for row in rows:
            batch.append(row)
            if len(batch) == INSERT_BATCH:
                client.insert(name, batch)
                bar.update(len(batch))
                batch = []
        if batch:
            client.insert(name, batch)
            bar.update(len(batch))
    client.flush(name)
    client.load_collection(name)


def switch_alias(client: MilvusClient, alias: str, name: str) -> None:
    """Point `alias` at the collection `name` (one atomic step on the server)."""
    if alias in client.list_aliases().get("aliases", []):
        client.alter_alias(name, alias)
    else:
        client.create_alias(name, alias)


def drop(client: MilvusClient, name: str) -> None:
    """Drop the collection `name` if it exists, and first the aliases still on it (a Milvus server refuses to drop a
    collection with aliases; one is left on a build's collection after a switch to faiss or another alias)."""
    if client.has_collection(name):
        for alias in client.list_aliases(collection_name=name).get("aliases", []):
            client.drop_alias(alias)
        client.drop_collection(name)


def open_collection(client: MilvusClient, name: str, uri: str, rows: int) -> None:
    """Load `name` for search; IndexStateError naming it when it is missing or holds another number of rows."""
    try:
        found = client.has_collection(name)
        if found:
            client.load_collection(name)
            held = int(client.get_collection_stats(name).get("row_count", -1))
    except Exception as exc:  # noqa: BLE001 - pymilvus raises several kinds; all mean the same to the user
        raise IndexStateError(f"cannot open the Milvus collection {name} at {uri}: {exc}") from exc
    if not found:
        raise IndexStateError(f"the Milvus collection {name} at {uri} is missing: run `qa index --rebuild`")
    if held != rows:
        raise IndexStateError(f"the Milvus collection {name} at {uri} holds {held} rows, the index {rows} chunks: "
                              "run `qa index --rebuild`")


class MilvusDense:
    """Inner-product search in one build's collection; row i is chunk i of the store (the interface of
    `qa.index.dense.DenseIndex`; `scope`'s filter runs on the server)."""

    def __init__(self, client: MilvusClient, name: str, size: int, dim: int, spec: DenseSpec) -> None:
        self.client, self.name, self.size, self._dim, self.spec = client, name, size, dim, spec

    @property
    def dim(self) -> int:
        return self._dim

    def __len__(self) -> int:
        return self.size

    def search(self, xq: np.ndarray, k: int, scope: Scope | None = None) -> tuple[np.ndarray, np.ndarray]:
        """faiss-style (D, I); I is -1 where fewer than k rows match."""
        k = max(1, min(k, self.size))
        params: dict[str, Any] = {"metric_type": "IP", "params": {}}
        if self.spec.kind == "hnsw":
            params["params"]["ef"] = max(k, self.spec.ef_search)
        results = self.client.search(self.name, data=np.asarray(xq, np.float32).tolist(), anns_field="vector",
                                     limit=k, filter=_expr(scope), search_params=params, output_fields=["row"])
        return _padded(results, k, lambda d: d)

    def save(self, path: object) -> None:
        """Nothing to write: the rows are in Milvus already (flushed when inserted)."""


class MilvusKeyword:
    """BM25 by Milvus over the collection's analysed `text` (the interface of `qa.index.bm25.KeywordIndex`)."""

    def __init__(self, client: MilvusClient, name: str, size: int) -> None:
        self.client, self.name, self.size = client, name, size

    def __len__(self) -> int:
        return self.size

    def search(self, query: str, k: int, scope: Scope | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the best `k` chunks with a positive score, best first."""
        text = keyword_text(query)
        if not text or not self.size:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        results = self.client.search(self.name, data=[text], anns_field="sparse", limit=max(1, min(k, self.size)),
                                     filter=_expr(scope), search_params={"metric_type": "BM25"},
                                     output_fields=["row"])
        D, I = _padded(results, k, abs)  # Milvus Lite returns BM25 scores negated (a distance), a server as they are
        keep = (I[0] >= 0) & (D[0] > 0)
        return D[0][keep], I[0][keep]

    def save(self, path: object) -> None:
        """Nothing to write: the text is in Milvus already."""


def _expr(scope: Scope | None) -> str:
    return filter_expr(scope.where) if scope is not None else ""


def _padded(results: Sequence[Sequence[Any]], k: int, score: Any) -> tuple[np.ndarray, np.ndarray]:
    """Milvus hits as faiss-style (D, I) arrays of k columns, padded with -1 rows."""
    D = np.zeros((len(results), k), np.float32)
    I = -np.ones((len(results), k), np.int64)
    for qi, hits in enumerate(results):
        for j, hit in enumerate(list(hits)[:k]):
            D[qi, j], I[qi, j] = score(float(hit.distance)), int(hit.id)
    return D, I
