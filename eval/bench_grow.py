"""An update of a large HNSW index: the graph grown (`DenseIndex.grow`) against the graph built again, same run.

    python eval/bench_grow.py --corpus $CRUD/news-all.jsonl.gz [--new 100] [--remove-files 1] [--repeats 3] \\
        [--out eval/reports/latest/grow.json]

All items of `--corpus` but its last `--new` are written as JSONL files of `--per-file` (5,000) items and indexed
once by `qa index`'s own `build_index` (past 100k chunks the dense index is HNSW, as in the product; `--exact-max`
lowers that threshold for a smaller archive). Then, `--repeats` times, a copy of that index is updated, each update
in a child process of its own:

- `append`: the last `--new` items added as a new file;
- `append+remove`: the same, and the first `--remove-files` corpus files deleted (their chunks become dead nodes
  of a grown graph);

once with the product's code (`grow`: the live graph is read and extended) and once with the graph built again
from every row (`afresh`: `qa.index.backend._grown` wrapped so that it declines, which is what an update did
before a3f0a60); the run stops if a grow update did not grow or an afresh one never reached that step. The mode
that runs first alternates between repeats (grow first in the 1st, 3rd …); `append` runs before `append+remove`.
Reported per update: wall time, seconds per stage, peak RSS, graph nodes and dead nodes, the load before and after,
and the dense index's recall@10 against exact search over the same rows (1,000 queries); then medians over the
repeats and the ratio grow / afresh. Each run is added to `OUT.partial.json` as it ends.

Vectors are synthetic (`bench_faiss.e5_like`, shaped like multilingual-e5-small's): embedding costs nothing here
and every other stage runs as in `qa index`, so the numbers are those of an update less its embedding (which is
the new chunks at the model's rate in either mode). Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_faiss import e5_like, recall  # noqa: E402
from bench_scale import STAGES, RandomEmbedder, child_env, read_items, write_items  # noqa: E402

from qa.index.dense import EXACT_MAX, MAX_DEAD  # noqa: E402

VARIANTS = ("append", "append+remove")
MODES = ("grow", "afresh")
QUERIES = 1000


class SyntheticEmbedder(RandomEmbedder):
    """e5-like unit vectors (`bench_faiss.e5_like`) instead of uniform ones, so that the HNSW graph meets vectors
    shaped like the model's. Every call draws new points (seed 1000 + its number in the process) around the same
    fixed topic centres, so an update's new chunks fall among the base's topics, as real news would."""

    def __init__(self) -> None:
        super().__init__()
        self.name = self.model_id = "synthetic-e5-like"
        self.calls = 0

    def draw(self, n: int) -> np.ndarray:
        self.calls += 1
        return e5_like(n, seed=1000 + self.calls)


def _worker(mode: str, corpus: str, index: str, out: str, exact_max: str) -> None:
    """Build or update `index` from `corpus` (`mode` build, grow or afresh); write the report and recall."""
    from dataclasses import replace

    import faiss

    from qa.index import backend
    from qa.index.indexer import build_index
    from qa.index.stages import peak_rss_mb
    from qa.settings import Settings

    grown = backend._grown
    calls: list[bool] = []  # per graph build: was the previous graph grown?

    def watched(rows: object, spec: object) -> object:
        dense = None if mode == "afresh" else grown(rows, spec)  # afresh: the update before a3f0a60
        calls.append(dense is not None)
        return dense

    backend._grown = watched
    settings = replace(Settings(), corpus_dir=Path(corpus), index_dir=Path(index), show_progress=False,
                       dense_exact_max=int(exact_max))
    t0 = time.perf_counter()
    store, report = build_index(settings, SyntheticEmbedder())
    wall = time.perf_counter() - t0
    peak = peak_rss_mb()
    dense = store.dense
    xq = e5_like(QUERIES, seed=7)
    exact = faiss.IndexFlatIP(store.vectors.shape[1])
    exact.add(np.ascontiguousarray(store.vectors, dtype=np.float32))
    _, gt = exact.search(xq, 10)
    _, got = dense.search(xq, 10)
    Path(out).write_text(json.dumps({
        "mode": mode, "wall_s": round(wall, 1), "counts": report.counts,
        "stages": {s.name: round(s.seconds, 1) for s in report.stages}, "peak_rss_mb": round(peak, 1),
        "dense": dense.spec.kind, "nodes": int(dense.index.ntotal), "dead": int(dense.dead), "grew": any(calls),
        "graph_builds": len(calls),
        "recall_at_10": round(recall(got, gt, 10), 4)}))


def _run(mode: str, corpus: Path, index: Path, out: Path, exact_max: int) -> dict:
    """One build or update in a child process; SystemExit when it did not do what `mode` names (an update that
    did not grow its graph, or one that never reached the graph build the afresh mode replaces)."""
    load = os.getloadavg()[0]
    subprocess.run([sys.executable, __file__, "--worker", mode, str(corpus), str(index), str(out), str(exact_max)],
                   check=True, env=child_env())
    run = json.loads(out.read_text())
    run.update(load_before=round(load, 2), load_after=round(os.getloadavg()[0], 2))
    if mode == "grow" and not run["grew"]:
        raise SystemExit(f"the grow update built its HNSW graph afresh ({run['dead']} dead nodes; past "
                         f"{MAX_DEAD:.0%} of the rows an update does): delete fewer files")
    if mode == "afresh" and run["graph_builds"] != 1:
        raise SystemExit("the afresh update never reached qa.index.backend._grown: the patch no longer applies")
    return run


def bench_grow(args: argparse.Namespace) -> dict:
    items = read_items(args.corpus)
    files = -(-(len(items) - args.new) // args.per_file)
    if not 0 < args.new < len(items) or not 0 < args.remove_files < files:
        raise SystemExit(f"{len(items)} items: --new must leave some to build on and --remove-files must be at "
                         f"least 1 and leave one of the {files} files of {args.per_file} items")
    base_items, new_items = items[: -args.new], items[-args.new:]
    result: dict = {"corpus": str(args.corpus), "base_items": len(base_items), "new_items": len(new_items),
                    "remove_files": args.remove_files, "per_file": args.per_file,
                    "exact_max": args.exact_max, "repeats": args.repeats, "cpus": os.cpu_count(), "runs": []}
    with tempfile.TemporaryDirectory(prefix="bench-grow-", dir=args.tmp) as tmp:
        tmp = Path(tmp)
        write_items(tmp / "news", base_items, args.per_file)
        result["base"] = _run("build", tmp / "news", tmp / "index", tmp / "base.json", args.exact_max)
        print(f"[grow] base: {json.dumps(result['base'])}", flush=True)
        if result["base"]["dense"] != "hnsw":
            raise SystemExit(f"the base index is {result['base']['dense']} ({result['base']['counts']['chunks']} "
                             f"chunks, exact up to {args.exact_max}): lower --exact-max")
        removed = sorted(tmp.joinpath("news").glob("*.jsonl"))[: args.remove_files]
        for repeat in range(args.repeats):
            for variant in VARIANTS:
                for mode in MODES if repeat % 2 == 0 else MODES[::-1]:
                    work = tmp / "work"
                    shutil.copytree(tmp / "news", work / "news")
                    shutil.copytree(tmp / "index", work / "index")
                    (work / "news" / "news-new.jsonl").write_text(
                        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in new_items), encoding="utf-8")
                    if variant == "append+remove":
                        for f in removed:
                            (work / "news" / f.name).unlink()
                    run = _run(mode, work / "news", work / "index", tmp / "run.json", args.exact_max)
                    run.update(variant=variant, repeat=repeat)
                    result["runs"].append(run)
                    print(f"[grow] {json.dumps(run)}", flush=True)
                    args.out.with_suffix(".partial.json").write_text(json.dumps(result, indent=1))
                    shutil.rmtree(work)
    result["summary"] = summary(result["runs"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return result


def summary(runs: list[dict]) -> dict:
    """Per variant and mode: medians of wall, stages and peak RSS; the recall and graph size of the runs."""
    out: dict = {}
    for variant in VARIANTS:
        for mode in MODES:
            rs = [r for r in runs if r["variant"] == variant and r["mode"] == mode]
            if not rs:
                continue
            med = {"wall_s": statistics.median(r["wall_s"] for r in rs),
                   "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
                   "recall_at_10": statistics.median(r["recall_at_10"] for r in rs),
                   "nodes": rs[0]["nodes"], "dead": rs[0]["dead"], "n": len(rs),
                   "stages": {s: statistics.median(r["stages"].get(s, 0.0) for r in rs) for s in STAGES}}
            out.setdefault(variant, {})[mode] = med
    return out


def markdown(result: dict) -> str:
    base = result["base"]
    lines = [f"# Growing the HNSW graph on update ({result['cpus']} cores, synthetic e5-like vectors)", "",
             f"Base: {result['base_items']:,} items, {base['counts']['chunks']:,} chunks, {base['dense']} "
             f"(built in {base['wall_s']} s, dense stage {base['stages'].get('dense')} s, recall@10 "
             f"{base['recall_at_10']}). Update: +{result['new_items']} items as a new file; `append+remove` also "
             f"deletes the first {result['remove_files']} corpus file(s) of {result['per_file']:,} items. "
             f"Medians of {result['repeats']} runs each, "
             "modes alternating.", "",
             "| update | mode | wall s | dense s | previous s | tokenise s | bm25 s | save s | peak RSS MB | nodes "
             "(dead) | recall@10 |", "|" + "---|" * 11]
    for variant, modes in result["summary"].items():
        for mode, m in modes.items():
            st = m["stages"]
            lines.append(f"| {variant} | {mode} | {m['wall_s']:.1f} | {st['dense']:.1f} | {st['previous']:.1f} | "
                         f"{st['tokenise']:.1f} | {st['bm25']:.1f} | {st['save']:.1f} | {m['peak_rss_mb']:.0f} | "
                         f"{m['nodes']:,} ({m['dead']:,}) | {m['recall_at_10']:.3f} |")
        if set(modes) == set(MODES):
            g, a = modes["grow"], modes["afresh"]
            lines.append(f"| {variant} | grow / afresh | {g['wall_s'] / a['wall_s']:.2f} | "
                         f"{g['stages']['dense'] / max(a['stages']['dense'], 1e-9):.3f} | | | | | "
                         f"{g['peak_rss_mb'] / a['peak_rss_mb']:.2f} | | |")
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, required=True, help="a JSONL[.gz] news archive (its last --new items "
                   "are the update)")
    p.add_argument("--new", type=int, default=100, help="items added by the update")
    p.add_argument("--per-file", type=int, default=5000, help="items per corpus file")
    p.add_argument("--remove-files", type=int, default=1, help="corpus files the second update deletes")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--exact-max", type=int, default=EXACT_MAX,
                   help="chunks searched exactly (the product's default); lower to measure HNSW on a smaller archive")
    p.add_argument("--tmp", type=Path, default=None, help="where the index copies go (several GB at 63k items)")
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports" / "latest" / "grow.json")
    bench_grow(p.parse_args())
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "--worker":
        _worker(*sys.argv[2:])
    else:
        sys.exit(main())
