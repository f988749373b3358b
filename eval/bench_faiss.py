"""faiss index types at scale: build time, memory, single-query latency and recall@10 against exact search.

    python eval/bench_faiss.py [--sizes 100000,300000,1000000] [--rounds 3] [--threads 2]
                               [--out eval/reports/latest]

The vectors are synthetic but shaped like multilingual-e5-small passage embeddings (see `e5_like`): dim 384,
L2-normalised, a shared direction that makes any two vectors' cosine about 0.89 (as e5's are), a few thousand topic
centres of uneven size, and within-topic spread that is anisotropic (a power-law spectrum in a random basis, scaled
per topic and per axis). Queries are drawn the same way with another seed. Base sets are prefixes of one
`max(sizes)` draw. Every variant is compared with IndexFlatIP on the same vectors in the same run, and IndexFlatIP
itself is checked against numpy brute force first (faiss `contrib` style).

For each size: Flat; HNSW (M=32, efConstruction 80 — and 200 at the smallest size —, efSearch sweep; built only up
to `--hnsw-max`: its build at 1M takes longer than this benchmark's budget); IVF-Flat (nlist = 4·sqrt(N), nprobe
sweep); IVF-SQ8 and IVF-PQ (m=96, 8 bits) on the same coarse quantizer, the PQ alone and with exact re-ranking of
16·k candidates (IndexRefineFlat). Builds use `--threads`; latency is single queries on one thread (k=10, and
k=50 as the retriever asks for 50 candidates): p50/p95 per round, the median over `--rounds` rounds reported, with
the ratio to Flat at the same size. Memory is the serialised index size and the process RSS growth while
building. Also timed: Flat alone at smaller sizes (`--flat-sizes`), for the exact/approximate threshold of
`qa.index.dense`.
Writes `faiss.json` and `faiss.md` to `--out` (`--name` another stem; `--variants` a subset). Timings are
reported, never asserted: this machine is shared.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
D_E5 = 384
HNSW_M = 32
PQ_M = 96  # 4 dimensions per code byte; m=48 gave recall@10 below 0.5 on these vectors (IVF-PQ alone)
PQ_TRAIN = 256 * 64  # PQ codebook training points (k-means of 256 centroids per sub-quantizer)
REFINE_FACTOR = 16
EF_SEARCH = (16, 32, 64, 128, 256)
NPROBE = (16, 32, 64, 128, 256)


def e5_like(n: int, seed: int, d: int = D_E5, centres: int = 3000, resid: float = 0.13, between: float = 0.5,
            slope: float = 1.0, spread: float = 0.5, batch: int = 100_000) -> np.ndarray:
    """`n` unit vectors around `centres` topic centres; the mixture is fixed (seed 0), `seed` draws the points.

    Calibrated on the 206 multilingual-e5-small vectors of the bundled corpus: the mean vector's norm (0.94) and the
    mean pairwise cosine (0.89) match, as does the residual spectrum's decay (about rank^-1). `between` is the share
    of the residual variance between topics; within a topic each axis gets a log-normal scale of its own."""
    import faiss

    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.standard_normal((d, d)))
    lam = np.arange(1, d + 1, dtype=np.float64) ** -slope
    lam *= resid / lam.sum()
    mean = rng.standard_normal(d)
    mean /= np.linalg.norm(mean)
    C = (rng.standard_normal((centres, d)) * np.sqrt(between * lam)) @ U.T
    S = np.sqrt(lam) * np.exp(spread * rng.standard_normal((centres, d)))
    S *= np.sqrt((1 - between) * resid / (S**2).sum(1, keepdims=True))
    w = np.exp(rng.standard_normal(centres))
    Uf, mean32, C32, S32 = U.T.astype(np.float32), mean.astype(np.float32), C.astype(np.float32), S.astype(np.float32)
    draw = np.random.default_rng(seed)
    x = np.empty((n, d), np.float32)
    for s in range(0, n, batch):
        b = min(batch, n - s)
        k = draw.choice(centres, size=b, p=w / w.sum())
        part = mean32 + C32[k] + (draw.standard_normal((b, d), dtype=np.float32) * S32[k]) @ Uf
        faiss.normalize_L2(part)
        x[s : s + b] = part
    return x


def rss_bytes() -> int:
    """Resident memory of this process now, after handing freed heap back to the system (glibc malloc_trim)."""
    import ctypes

    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def check_brute_force(xb: np.ndarray, xq: np.ndarray, D: np.ndarray, I: np.ndarray) -> None:
    """IndexFlatIP's (D, I) must be numpy's exact top k (scores equal; ids equal where scores do not tie)."""
    scores = xq @ xb.T
    ref = np.argsort(-scores, axis=1)[:, : I.shape[1]]
    Dref = np.take_along_axis(scores, ref, axis=1)
    if not np.allclose(D, Dref, atol=1e-5):
        raise AssertionError("IndexFlatIP scores differ from brute force")
    if np.mean(ref == I) < 0.99:
        raise AssertionError("IndexFlatIP ids differ from brute force")


def recall(I: np.ndarray, gt: np.ndarray, k: int) -> float:
    """Share of the exact top k found in the approximate top k (recall k@k), averaged over queries."""
    return float(np.mean([len(set(a[:k]) & set(b[:k])) / k for a, b in zip(I, gt, strict=True)]))


def latency(index, xq: np.ndarray, k: int, rounds: int, budget_s: float = 3.0) -> dict[str, float]:  # noqa: ANN001
    """Single-query latency: per round p50/p95 over up to len(xq) queries (at least 20, at most `budget_s`),
    the median of each over the rounds, in ms."""
    p50, p95 = [], []
    for _ in range(rounds):
        times: list[float] = []
        start = time.perf_counter()
        for i in range(len(xq)):
            t0 = time.perf_counter()
            index.search(xq[i : i + 1], k)
            times.append((time.perf_counter() - t0) * 1000.0)
            if i >= 19 and time.perf_counter() - start > budget_s:
                break
        times.sort()
        p50.append(statistics.median(times))
        p95.append(times[min(len(times) - 1, int(0.95 * len(times)))])
    return {"p50_ms": round(statistics.median(p50), 3), "p95_ms": round(statistics.median(p95), 3),
            "n": len(times), "rounds": rounds}


def build(make, xb: np.ndarray, threads: int) -> tuple[object, dict[str, float]]:  # noqa: ANN001
    """Run `make(xb)` on `threads` threads; the index, its build seconds and its memory."""
    import faiss

    faiss.omp_set_num_threads(threads)
    before = rss_bytes()
    t0 = time.perf_counter()
    index = make(xb)
    seconds = time.perf_counter() - t0
    grown = rss_bytes() - before
    return index, {"build_s": round(seconds, 2), "index_mb": round(faiss.serialize_index(index).nbytes / 2**20, 1),
                   "rss_delta_mb": round(grown / 2**20, 1)}


def variants(n: int, smallest: bool, hnsw_max: int,
             shared: dict[str, object]) -> list[tuple[str, object, str, tuple[int, ...]]]:
    """(name, make(xb) -> index, search parameter swept, its values) for a base of `n` vectors.

    The IVF variants share one coarse quantizer and the refined IVF-PQ wraps the IVF-PQ just built; `shared` keeps
    them, and `shared["reused_s"]` is the build time a variant took over from them (added to its own)."""
    import faiss

    nlist = int(4 * math.sqrt(n))

    def hnsw(ef_construction: int):  # noqa: ANN202
        def make(xb: np.ndarray) -> object:
            index = faiss.IndexHNSWFlat(xb.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
            index.add(xb)
            return index
        return make

    def quantizer(xb: np.ndarray) -> object:
        """The coarse quantizer: spherical k-means on 40·nlist points, 10 iterations (trained once per size)."""
        shared["reused_s"] = shared.get("coarse_s", 0.0)
        if "quantizer" not in shared:
            t0 = time.perf_counter()
            sample = np.sort(np.random.default_rng(1).choice(len(xb), min(len(xb), 40 * nlist), replace=False))
            kmeans = faiss.Kmeans(xb.shape[1], nlist, niter=10, spherical=True, seed=1)
            kmeans.train(xb[sample])
            shared["quantizer"] = faiss.IndexFlatIP(xb.shape[1])
            shared["quantizer"].add(kmeans.centroids)
            shared["coarse_s"] = time.perf_counter() - t0
        return faiss.clone_index(shared["quantizer"])

    def ivf(kind: str):  # noqa: ANN202
        def make(xb: np.ndarray) -> object:
            coarse = quantizer(xb)
            if kind == "flat":
                index = faiss.IndexIVFFlat(coarse, xb.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
            elif kind == "sq8":
                index = faiss.IndexIVFScalarQuantizer(coarse, xb.shape[1], nlist, faiss.ScalarQuantizer.QT_8bit,
                                                      faiss.METRIC_INNER_PRODUCT)
            else:
                index = faiss.IndexIVFPQ(coarse, xb.shape[1], nlist, PQ_M, 8, faiss.METRIC_INNER_PRODUCT)
                index.pq.cp.niter = 10
            index.train(xb[:PQ_TRAIN])  # the coarse quantizer is trained already: the codebooks only
            index.add(xb)
            if kind == "pq":
                shared["pq"] = index
            return index
        return make

    def refine(xb: np.ndarray) -> object:
        """Exact re-ranking of REFINE_FACTOR·k IVF-PQ candidates: the IVF-PQ above plus a copy of the vectors."""
        shared["reused_s"] = shared.pop("pq_build_s")
        index = faiss.IndexRefineFlat(shared.pop("pq"), faiss.swig_ptr(xb))
        index.k_factor = REFINE_FACTOR
        return index

    ivfs = f"IVF{nlist}"
    out: list[tuple[str, object, str, tuple[int, ...]]] = [("Flat", _flat, "", ())]
    if n <= hnsw_max:
        out.append(("HNSW32 efC80", hnsw(80), "efSearch", EF_SEARCH))
        if smallest:
            out.append(("HNSW32 efC200", hnsw(200), "efSearch", EF_SEARCH))
    return out + [(f"{ivfs},Flat", ivf("flat"), "nprobe", NPROBE), (f"{ivfs},SQ8", ivf("sq8"), "nprobe", NPROBE),
                  (f"{ivfs},PQ{PQ_M}", ivf("pq"), "nprobe", NPROBE),
                  (f"{ivfs},PQ{PQ_M},Refine×{REFINE_FACTOR}", refine, "nprobe", NPROBE)]


def _flat(xb: np.ndarray) -> object:
    import faiss

    index = faiss.IndexFlatIP(xb.shape[1])
    index.add(xb)
    return index


def set_param(index, name: str, value: int) -> None:  # noqa: ANN001
    import faiss

    if name == "efSearch":
        index.hnsw.efSearch = value
    elif name == "nprobe":
        faiss.extract_index_ivf(index).nprobe = value


def measure_size(xb: np.ndarray, xq: np.ndarray, args: argparse.Namespace, smallest: bool) -> list[dict]:
    """Every variant at len(xb) vectors: one row per search setting."""
    import faiss

    n = len(xb)
    faiss.omp_set_num_threads(args.threads)
    gt_index = _flat(xb)
    Dgt, gt = gt_index.search(xq, 50)
    check_brute_force(xb, xq[:20], Dgt[:20, :10], gt[:20, :10])
    del gt_index
    rows = []
    shared: dict[str, object] = {}
    for name, make, param, values in variants(n, smallest, args.hnsw_max, shared):
        if args.variants and not name.startswith(tuple(args.variants.split(","))):
            continue
        index, cost = build(make, xb, args.threads)
        cost["build_s"] = round(cost["build_s"] + shared.pop("reused_s", 0.0), 2)
        if "pq" in shared:
            shared["pq_build_s"] = cost["build_s"]
        if name.startswith("IVF"):
            cost["coarse_train_s"] = round(shared["coarse_s"], 2)
        print(f"  {n:>9,} {name:28s} built in {cost['build_s']:7.1f} s, {cost['index_mb']:8.1f} MB", flush=True)
        for value in values or (0,):
            if param:
                set_param(index, param, value)
            faiss.omp_set_num_threads(args.threads)
            r10 = recall(index.search(xq, 10)[1], gt, 10)
            r50 = recall(index.search(xq, 50)[1], gt, 50)
            faiss.omp_set_num_threads(1)
            row = {"n": n, "index": name, "param": param, "value": value, "recall@10": round(r10, 4),
                   "recall@50": round(r50, 4), "k10": latency(index, xq, 10, args.rounds),
                   "k50": latency(index, xq, 50, args.rounds), **cost}
            rows.append(row)
            print(f"  {'':9s} {_label(row):28s} recall@10 {r10:.4f}  p50 k=10 {row['k10']['p50_ms']:7.3f} ms  "
                  f"k=50 {row['k50']['p50_ms']:7.3f} ms", flush=True)
        del index
    flat = next((r for r in rows if r["index"] == "Flat"), None)
    for r in rows if flat else ():
        r["speedup_p50_k10"] = round(flat["k10"]["p50_ms"] / r["k10"]["p50_ms"], 2)
        r["memory_vs_flat"] = round(r["index_mb"] / flat["index_mb"], 3)
    return rows


def _label(row: dict) -> str:
    return f"{row['index']} {row['param']}={row['value']}" if row["param"] else row["index"]


def flat_curve(xb: np.ndarray, xq: np.ndarray, sizes: list[int], rounds: int) -> list[dict]:
    """IndexFlatIP single-query latency at each size (prefixes of xb)."""
    import faiss

    faiss.omp_set_num_threads(1)
    out = []
    for n in sizes:
        index = _flat(xb[:n])
        out.append({"n": n, "k10": latency(index, xq, 10, rounds), "k50": latency(index, xq, 50, rounds)})
        print(f"  Flat {n:>9,}: p50 k=10 {out[-1]['k10']['p50_ms']:7.3f} ms, k=50 {out[-1]['k50']['p50_ms']:7.3f} ms",
              flush=True)
        del index
    return out


def markdown(result: dict) -> str:
    lines = [f"# faiss index types on synthetic e5-like vectors (dim {result['dim']})", "",
             f"`{result['command']}` — {result['queries']} queries, {result['rounds']} latency rounds (median of "
             f"per-round p50/p95), builds on {result['threads']} threads, searches on 1; total "
             f"{result['total_s'] / 60:.1f} min. Recall is against IndexFlatIP (checked against numpy brute force).",
             "", "| N | index | search | recall@10 | recall@50 | p50 k=10 ms | p95 k=10 ms | p50 k=50 ms | speed-up "
             "vs Flat | build s | index MB | RSS Δ MB |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        search = f"{r['param']}={r['value']}" if r["param"] else "exact"
        lines.append(f"| {r['n']:,} | {r['index']} | {search} | {r['recall@10']:.4f} | {r['recall@50']:.4f} | "
                     f"{r['k10']['p50_ms']:.3f} | {r['k10']['p95_ms']:.3f} | {r['k50']['p50_ms']:.3f} | "
                     f"{r.get('speedup_p50_k10', float('nan')):.1f}× | {r['build_s']:.1f} | {r['index_mb']:.0f} | "
                     f"{r['rss_delta_mb']:.0f} |")
    lines += ["", "IVF build times include the shared coarse k-means (`coarse_train_s` in faiss.json).", "",
              "Flat alone (single query, one thread):", "", "| N | p50 k=10 ms | p95 k=10 ms | p50 k=50 ms |",
              "|---|---|---|---|"]
    for r in result["flat_curve"]:
        lines.append(f"| {r['n']:,} | {r['k10']['p50_ms']:.3f} | {r['k10']['p95_ms']:.3f} | {r['k50']['p50_ms']:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    import faiss

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100000,300000,1000000")
    p.add_argument("--flat-sizes", default="10000,30000,50000,200000")
    p.add_argument("--hnsw-max", type=int, default=300_000, help="largest size HNSW is built at")
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--variants", default="", help="only indexes whose name starts so (e.g. Flat,HNSW); all if empty")
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports" / "latest")
    p.add_argument("--name", default="faiss", help="file stem of the report: NAME.json, NAME.md")
    args = p.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    start = time.perf_counter()
    t0 = time.perf_counter()
    xb = e5_like(sizes[-1], seed=1)
    xq = e5_like(args.queries, seed=2)
    print(f"{len(xb):,} base and {len(xq):,} query vectors drawn in {time.perf_counter() - t0:.1f} s", flush=True)
    rows = []
    for n in sizes:
        rows += measure_size(xb[:n], xq, args, smallest=n == sizes[0])
    curve = flat_curve(xb, xq, sorted(int(s) for s in args.flat_sizes.split(",") if s), args.rounds)
    result = {"command": "python eval/bench_faiss.py " + " ".join(sys.argv[1:]), "faiss": faiss.__version__,
              "dim": xb.shape[1], "queries": len(xq), "rounds": args.rounds, "threads": args.threads,
              "total_s": round(time.perf_counter() - start, 1), "rows": rows, "flat_curve": curve}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    (args.out / f"{args.name}.md").write_text(markdown(result), encoding="utf-8")
    print(f"total {result['total_s'] / 60:.1f} min; written to {args.out / args.name}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
