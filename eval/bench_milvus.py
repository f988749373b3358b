"""The Milvus backend beside faiss: retrieval quality on the bundled set, and query latency at two sizes.

    python eval/bench_milvus.py [--model multilingual-e5-small] [--vectors 100000] [--rounds 3]
                                [--out eval/reports/latest] [--part all|bundled|synthetic]

1. Quality: the bundled corpus indexed three ways — faiss; Milvus (Milvus Lite) with the local bm25s keyword side;
   Milvus with Milvus' own BM25 full-text search (jieba with the union dictionary, `--milvus-keyword milvus`) — and
   `eval/questions.jsonl` asked through the product's hybrid, bm25 and dense modes (`qa eval`'s runner): hit@1,
   hit@5, MRR@10, answer accuracy. The three share one embedding cache, so the vectors are the same.
2. Latency on the bundled corpus (206 chunks): one query at a time through the product's search structures (k=50,
   as the retriever asks), dense and keyword, without and with a date filter.
3. Latency at `--vectors` synthetic e5-like vectors (`eval/bench_faiss.py`'s `e5_like`): faiss Flat and HNSW beside
   Milvus Lite FLAT and HNSW (the parameters `qa.index.dense` uses), recall@10 against exact search, build/insert
   time, and filtered search (dates drawn uniformly over 2015-2024; filters keeping about 50% and 5% of the rows).

Writes `milvus.json` and `milvus.md` to `--out`. Timings are reported, never asserted: this machine is shared.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from bench_faiss import e5_like, recall  # noqa: E402

from qa.api import QA  # noqa: E402
from qa.eval.cli import qa_systems  # noqa: E402
from qa.eval.runner import load_dataset, run_eval  # noqa: E402
from qa.index import milvus  # noqa: E402
from qa.index.backend import Backend  # noqa: E402
from qa.index.dense import FLAT, HNSW, DenseIndex  # noqa: E402
from qa.index.embed import load_embedder  # noqa: E402
from qa.schema import SearchFilter  # noqa: E402
from qa.settings import DEFAULT_MODEL, Settings  # noqa: E402

K = 50  # the retriever's candidates per side
CONFIGS = {"faiss": {}, "milvus+bm25s": {"keyword": "bm25s"}, "milvus+milvus-bm25": {"keyword": "milvus"}}
METRICS = ("hit@1", "hit@5", "mrr@10", "accuracy")


def timed(fn, xs, rounds: int) -> dict[str, float]:  # noqa: ANN001
    """p50/p95 ms of `fn(x)` per item, the median of `rounds` rounds."""
    p50s, p95s = [], []
    for _ in range(rounds):
        ms = []
        for x in xs:
            t = time.perf_counter()
            fn(x)
            ms.append((time.perf_counter() - t) * 1000)
        p50s.append(float(np.percentile(ms, 50)))
        p95s.append(float(np.percentile(ms, 95)))
    return {"p50_ms": round(statistics.median(p50s), 3), "p95_ms": round(statistics.median(p95s), 3)}


def bundled(model: str, rounds: int, tmp: Path, names: list[str]) -> dict:
    """Quality and latency of the configurations `names` on the bundled corpus (faiss is always built first: the
    others copy its embedding cache)."""
    items = load_dataset(ROOT / "eval" / "questions.jsonl")
    base = replace(Settings(), corpus_dir=ROOT / "corpus", model=model, show_progress=False)
    embedder = load_embedder(base)
    out: dict = {"quality": {}, "latency": {}}
    where = SearchFilter(since="2024-01-01")
    xq = embedder.embed_queries([i.question for i in items])
    for name, options in CONFIGS.items():
        if name not in names and name != "faiss":
            continue
        settings = replace(base, index_dir=tmp / name)
        if options:
            settings.index_dir.mkdir()
            shutil.copy(tmp / "faiss" / "embeddings.sqlite", settings.index_dir / "embeddings.sqlite")
            settings = replace(settings, backend=Backend("milvus", str(tmp / f"{name}.db"), **options))
        t = time.perf_counter()
        qa = QA.open(settings, embedder)
        build_s = time.perf_counter() - t
        if name not in names:
            continue
        result = run_eval(items, qa_systems(qa, ["hybrid", "bm25", "dense"]), progress=False)
        out["quality"][name] = {mode: {m: summary[m] for m in METRICS} for mode, summary in result.summary.items()}
        out["latency"][name] = {"index_s": round(build_s, 2), **_latencies(qa, where, xq, items, rounds)}
        print(name, json.dumps(out["quality"][name]), json.dumps(out["latency"][name]), flush=True)
        if options:
            milvus.close(settings.backend.uri)
    return out


def _latencies(qa: QA, where: SearchFilter, xq: np.ndarray, items: list, rounds: int) -> dict:
    dense, keyword, scope = qa.store.dense, qa.store.keyword, qa.store.scope(where)
    questions = [i.question for i in items]
    return {"dense": timed(lambda x: dense.search(x[None], K), xq, rounds),
            "dense_filtered": timed(lambda x: dense.search(x[None], K, scope), xq, rounds),
            "keyword": timed(lambda q: keyword.search(q, K), questions, rounds),
            "keyword_filtered": timed(lambda q: keyword.search(q, K, scope), questions, rounds)}


def synthetic(n: int, rounds: int, tmp: Path, queries: int = 100) -> dict:
    """faiss and Milvus Lite at `n` synthetic vectors: build, recall@10, single-query latency, filtered latency."""
    xb, xq = e5_like(n, seed=1), e5_like(queries, seed=2)
    days = np.random.default_rng(3).integers(0, 3650, n)
    dates = (np.datetime64("2015-01-01") + days).astype(str)
    day_numbers = np.array([int(d.replace("-", "")) for d in dates], np.int64)
    gt = DenseIndex(xb).search(xq, 10)[1]
    filters = {"50%": SearchFilter(since="2020-01-01"), "5%": SearchFilter("2024-06-15", "2024-12-31")}
    rows: list[dict] = []
    for spec_name, spec in (("flat", FLAT), ("hnsw", HNSW)):
        t = time.perf_counter()
        index = DenseIndex(xb, spec)
        rows.append(_measure(f"faiss {spec_name}", time.perf_counter() - t, index, xq, gt, filters, day_numbers,
                             rounds))
        del index
    for spec_name, spec in (("FLAT", FLAT), ("HNSW", HNSW)):
        uri = str(tmp / f"synthetic-{spec_name}.db")
        client = milvus.connect(uri)
        name = f"synthetic_{spec_name}"
        t = time.perf_counter()
        milvus.create_collection(client, name, xb.shape[1], spec, keyword=False)
        rows_iter = ({"row": i, "chunk_id": str(i), "paragraph_id": str(i), "date": int(day_numbers[i]),
                      "source": "", "vector": xb[i].tolist()} for i in range(n))
        milvus.insert_rows(client, name, rows_iter, n, show_progress=True)
        dense = milvus.MilvusDense(client, name, n, xb.shape[1], spec)
        rows.append(_measure(f"Milvus Lite {spec_name}", time.perf_counter() - t, dense, xq, gt, filters,
                             day_numbers, rounds))
        milvus.close(uri)
    return {"vectors": n, "queries": queries, "rows": rows}


class _Scope:
    """A stand-in for `qa.index.store.Scope` over synthetic day numbers."""

    def __init__(self, where: SearchFilter, days: np.ndarray) -> None:
        lo, hi = where.bounds()
        self.where, self.mask = where, (days >= lo) & (days <= hi)


def _measure(label: str, build_s: float, index, xq: np.ndarray, gt: np.ndarray, filters: dict,  # noqa: ANN001
             days: np.ndarray, rounds: int) -> dict:
    I = np.vstack([index.search(x[None], 10)[1] for x in xq])
    row = {"index": label, "build_s": round(build_s, 1), "recall@10": round(recall(I, gt, 10), 3),
           "k50": timed(lambda x: index.search(x[None], K), xq, rounds)}
    for share, where in filters.items():
        scope = _Scope(where, days)
        row[f"k50 filter {share}"] = timed(lambda x, s=scope: index.search(x[None], K, s), xq, rounds)
        scope_check = index.search(xq[:5], 10, scope)[1]
        assert all(scope.mask[i] for i in scope_check.ravel() if i >= 0), f"{label}: a filtered hit outside the filter"
    print(json.dumps(row), flush=True)
    return row


def markdown(result: dict) -> str:
    lines = [f"# Milvus backend beside faiss ({result['model']})", "",
             f"Measured {result['date']} on 2 shared cores; `python eval/bench_milvus.py`.", ""]
    if result.get("note"):
        lines += [result["note"], ""]
    if "bundled" in result:
        lines += _bundled_md(result["bundled"])
    if "synthetic" in result:
        lines += _synthetic_md(result["synthetic"])
    return "\n".join(lines) + "\n"


def _bundled_md(b: dict) -> list[str]:
    lines = ["## Quality on eval/questions.jsonl (191 questions)", "",
             "| backend | mode | hit@1 | hit@5 | MRR@10 | accuracy |", "|---|---|---|---|---|---|"]
    for name, modes in b["quality"].items():
        for mode, m in modes.items():
            lines.append(f"| {name} | {mode} | " + " | ".join(f"{m[k]:.3f}" for k in METRICS) + " |")
    lines += ["", "## Latency on the bundled corpus (206 chunks; one query, k=50; p50 / p95 ms)", "",
              "| backend | index s | dense | dense, since 2024 | keyword | keyword, since 2024 |",
              "|---|---|---|---|---|---|"]
    for name, r in b["latency"].items():
        cells = [f"{r[c]['p50_ms']:.2f} / {r[c]['p95_ms']:.2f}" for c in
                 ("dense", "dense_filtered", "keyword", "keyword_filtered")]
        lines.append(f"| {name} | {r['index_s']} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _synthetic_md(s: dict) -> list[str]:
    lines = [f"## {s['vectors']:,} synthetic e5-like vectors ({s['queries']} queries; one query, k=50; p50 / p95 ms)",
             "", "| index | build/insert s | recall@10 | k=50 | filter keeping 50% | filter keeping 5% |",
             "|---|---|---|---|---|---|"]
    for r in s["rows"]:
        cells = [f"{r[c]['p50_ms']:.2f} / {r[c]['p95_ms']:.2f}" for c in ("k50", "k50 filter 50%", "k50 filter 5%")]
        lines.append(f"| {r['index']} | {r['build_s']} | {r['recall@10']} | " + " | ".join(cells) + " |")
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--vectors", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports" / "latest")
    p.add_argument("--note", default="", help="a line on how the run went, printed at the top of the report")
    p.add_argument("--configs", default=",".join(CONFIGS), help=f"of {', '.join(CONFIGS)}")
    p.add_argument("--part", choices=("all", "bundled", "synthetic"), default="all",
                   help="measure one part only and keep the other from the milvus.json already in --out")
    args = p.parse_args()
    previous = args.out / "milvus.json"
    result = json.loads(previous.read_text(encoding="utf-8")) if args.part != "all" else {}
    result |= {"model": args.model, "date": time.strftime("%Y-%m-%d"), "note": args.note}
    with tempfile.TemporaryDirectory() as tmp:
        if args.part in ("all", "bundled"):
            measured = bundled(args.model, args.rounds, Path(tmp), args.configs.split(","))
            for key in ("quality", "latency"):  # configurations not measured now keep their earlier numbers
                result.setdefault("bundled", {}).setdefault(key, {}).update(measured[key])
        if args.part in ("all", "synthetic"):
            result["synthetic"] = synthetic(args.vectors, args.rounds, Path(tmp))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "milvus.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "milvus.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
