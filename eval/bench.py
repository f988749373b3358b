"""Speed and memory benchmark: index build time, warm per-query latency, and embedding throughput per backend.

    python eval/bench.py [--model multilingual-e5-small] [--repeats 3] [--out eval/reports/latest/bench.json]
    python eval/bench.py --sections embed --corpus NEWS_DIR [--embed-chunks 1000] [--embed-repeats 3]
    python eval/bench.py --sections scale --corpus NEWS.jsonl.gz --sizes 1000,10000 --crud-questions Q.jsonl \
        [--index-for 10000=DIR --build-log 10000=LOG] [--estimate ALL.jsonl.gz]

Section `index`: builds `--corpus` (default the bundled one) into a temporary index from scratch (full embed, then
a no-change re-index), then times retrieval (`search`, hybrid/bm25/dense) and answering (`ask`) for every eval
question, several rounds, and reports medians and p95 in milliseconds plus peak RSS (`--out`).

Section `embed` (only when asked for: on the bundled corpus it would replace the archive's numbers): the same
`--embed-chunks` passages of `--corpus` (a seeded sample of its chunks, as `qa index` embeds them) through each way
of running the default model: torch fp32, ONNX fp32 (the default), ONNX int8 per-tensor, per-channel, and
per-channel with the feed-forward outputs in fp32; then the default variant on the first `--sweep-chunks` of them at
other batch sizes, in input order rather than longest first, and on one thread. Rounds go through every
configuration in turn, so load from other processes falls on all of them; chunks/s is the median round, and the
1-minute load average is recorded before each round. Per-query latency embeds the first questions of `--dataset`
one at a time. Quality: each variant's passage vectors against torch's (cosine), and how far query-passage cosines
move (the composer's dense floors compare them).
Written to `--embed-out` (JSON) and the same name with `.md`.

Section `scale` (only when asked for; `--corpus` is then a JSONL[.gz] news file): build cost by stage, warm query
latency and cold start at `--sizes` items, and an estimate for all of `--estimate` (see `eval/bench_scale.py`).
Timings are reported, never asserted: this machine is noisy.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ms(fn, *args) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000.0


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2), "n": len(ordered)}


def main() -> int:
    from qa.settings import Settings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sections", default="index",
                   help="comma-separated: index (the default), embed (best on a news archive: --corpus)")
    p.add_argument("--model", default=Settings().model)
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    p.add_argument("--dataset", type=Path, default=ROOT / "eval" / "questions.jsonl")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports" / "latest" / "bench.json")
    p.add_argument("--embed-chunks", type=int, default=1000, help="passages embedded per configuration and round")
    p.add_argument("--sweep-chunks", type=int, default=300, help="passages for the default variant's settings")
    p.add_argument("--embed-queries", type=int, default=100, help="questions embedded one at a time")
    p.add_argument("--embed-repeats", type=int, default=3)
    p.add_argument("--embed-out", type=Path, default=ROOT / "eval" / "reports" / "latest" / "embed.json")
    p.add_argument("--sizes", default="1000,10000", help="scale: first N items of --corpus (a JSONL[.gz] file)")
    p.add_argument("--crud-questions", type=Path, default=None, help="scale: CRUD dev questions (doc_ids)")
    p.add_argument("--index-for", action="append", default=[], metavar="N=DIR",
                   help="scale: reuse a finished index of the first N items")
    p.add_argument("--build-log", action="append", default=[], metavar="N=FILE",
                   help="scale: the `/usr/bin/time -v qa index` log of a reused index")
    p.add_argument("--estimate", type=Path, default=None,
                   help="scale: every stage but embedding on all of this JSONL[.gz]; embedding estimated")
    p.add_argument("--scale-queries", type=int, default=100)
    p.add_argument("--scale-repeats", type=int, default=3)
    p.add_argument("--reader", default="", help="scale: warm `ask` latencies with this --reader (cold: none)")
    p.add_argument("--cold-repeats", type=int, default=3)
    p.add_argument("--scale-out", type=Path, default=ROOT / "eval" / "reports" / "latest" / "scale.json")
    args = p.parse_args()
    sections = set(args.sections.split(","))
    if not sections <= {"index", "embed", "scale"}:
        p.error(f"--sections takes index, embed and scale, got {args.sections!r}")
    questions = [json.loads(line)["question"] for line in args.dataset.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    if "index" in sections:
        bench_index(args, questions)
    if "embed" in sections:
        from bench_embed import bench_embed

        bench_embed(args, questions)
    if "scale" in sections:
        from bench_scale import bench_scale

        bench_scale(args)
    return 0


def bench_index(args: argparse.Namespace, questions: list[str]) -> None:
    """Index build and warm query latency with `args.model` (see the module docstring)."""
    from qa.api import QA
    from qa.index.embed import load_embedder
    from qa.index.indexer import build_index
    from qa.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(Settings(), corpus_dir=args.corpus, index_dir=Path(tmp) / "index", model=args.model,
                           show_progress=False)
        t0 = time.perf_counter()
        embedder = load_embedder(settings)
        load_s = time.perf_counter() - t0
        _, full = build_index(settings, embedder)
        _, again = build_index(settings, embedder)
        qa = QA.open(settings, embedder, build=False)
        lexicon_s = _ms(qa.retriever.lexicon) / 1000.0  # built once, on the first English question
        for q in questions[:5]:  # warm-up
            qa.ask(q)
        timings: dict[str, list[float]] = {"search hybrid": [], "search bm25": [], "search dense": [], "ask": []}
        for _ in range(args.repeats):
            for q in questions:
                for mode in ("hybrid", "bm25", "dense"):  # every call embeds its query (nothing is cached)
                    timings[f"search {mode}"].append(_ms(qa.search, q, 10, mode))
                timings["ask"].append(_ms(qa.ask, q))
    result = {
        "model": embedder.name, "questions": len(questions), "repeats": args.repeats,
        "model_load_s": round(load_s, 2), "index_full_s": round(full.seconds, 2),
        "index_nochange_s": round(again.seconds, 2), "english_lexicon_s": round(lexicon_s, 2), "counts": full.counts,
        "latency": {name: _stats(v) for name, v in timings.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"model {result['model']} (load {result['model_load_s']} s); index from scratch {result['index_full_s']} s, "
          f"no-change re-index {result['index_nochange_s']} s; English lexicon {result['english_lexicon_s']} s; "
          f"{full.counts}")
    for name, s in result["latency"].items():
        print(f"{name:14s} median {s['median_ms']:8.2f} ms   p95 {s['p95_ms']:8.2f} ms   (n={s['n']})")
    print(f"peak RSS {result['peak_rss_mb']} MB; written to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
