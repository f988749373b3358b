"""Scale benchmark: build cost by stage, warm query latency and cold start as a news archive grows.

    python eval/bench.py --sections scale --corpus $CRUD/news-10k.jsonl.gz --sizes 1000,10000 \\
        --crud-questions $CRUD/questions_dev.jsonl [--index-for 10000=/tmp/news10k/index] \\
        [--build-log 10000=/tmp/news10k/index.err] [--estimate $CRUD/news-all.jsonl.gz]

For each size N the first N items of `--corpus` (JSONL, optionally gzipped) are indexed into a temporary folder by
`qa index`'s own `build_index`, in a child process so that its peak RSS is its own: wall time, memory and seconds
per stage (`IndexReport.stages`), embedding chunks/s. `--index-for N=DIR` reuses a finished index of those items
instead; its build numbers are read from `--build-log N=FILE` (a `/usr/bin/time -v qa index` log: elapsed wall
time, maximum RSS, the embedding bar's final count and time, the `stages:` line `qa index` prints); only for a log
without that line are its stages measured by a build of the same items with random vectors (`--random` worker
below). Then, on that index: warm latency of
`QA.search` (hybrid, k 10), of `QA.ask` and of the query embedding alone, over the CRUD dev questions whose
`doc_ids` all lie in the first N items (at most `--scale-queries`, `--scale-repeats` rounds, p50/p95, the 1-minute
load before each round); cold start: a `qa ask` subprocess and the UI (`app.py`, until its port answers HTTP),
medians of `--cold-repeats`. `--estimate FILE` runs every stage but embedding on all of FILE's items (random unit
vectors stand in for the model's, so the dense index has the right count and kind) and estimates embedding from the
chunks/s measured at the largest size: labelled as an estimate in the output. Written to `--scale-out` (JSON) and
the same name with `.md`. Timings are reported, never asserted.

    python eval/bench_scale.py --incremental INDEX_COPY CORPUS_COPY NEW_ITEMS.jsonl OUT.json

adds a file of new items to a copy of an index's corpus and re-indexes the copied index from it (`incremental`):
what is embedded and tokenised, how long it takes, which files of the new build are the old one's hard-linked and
how many bytes it wrote.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("load", "previous", "chunk", "embed", "tokenise", "bm25", "dense", "save")


class RandomEmbedder:
    """Random unit vectors of the default model's shape: every build stage runs, embedding costs nothing."""

    def __init__(self, dim: int = 384) -> None:
        self.name, self.model_id, self.dim = "random", "random", dim
        self.rng = np.random.default_rng(0)

    def draw(self, n: int) -> np.ndarray:
        """`n` unit vectors: uniform on the sphere here."""
        x = self.rng.standard_normal((n, self.dim)).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self.draw(len(texts))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_passages(texts)


def read_items(path: Path, n: int | None = None) -> list[dict]:
    """The first `n` (all: None) rows of a JSONL or JSONL.gz file."""
    rows = []
    with (gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")) as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
                if n is not None and len(rows) >= n:
                    break
    return rows


def write_items(folder: Path, items: list[dict], per_file: int = 5000) -> None:
    """`items` as JSONL files of `per_file` rows (one file of all 63,603 would pass the loader's 100 MB limit)."""
    folder.mkdir(parents=True)
    for start in range(0, len(items), per_file):
        (folder / f"news-{start // per_file:03d}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items[start:start + per_file]), encoding="utf-8")


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2), "n": len(ordered)}


def build(corpus: Path, index: Path, model: str, random: bool) -> dict:
    """Index `corpus` into `index` in a child process; its report, wall time, peak RSS and the load around it."""
    out = index.parent / f"{index.name}.report.json"
    cmd = [sys.executable, __file__, "--worker", str(corpus), str(index), str(out), model, "random" if random else ""]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=child_env())
    result = json.loads(out.read_text())
    result.update(wall_s=round(time.perf_counter() - t0, 1), load_before=round(load, 2),
                  load_after=round(os.getloadavg()[0], 2))
    return result


def _worker(corpus: str, index: str, out: str, model: str, random: str) -> None:
    from dataclasses import replace

    from qa.index.embed import load_embedder
    from qa.index.indexer import build_index
    from qa.index.stages import peak_rss_mb
    from qa.settings import Settings

    settings = replace(Settings(), corpus_dir=Path(corpus), index_dir=Path(index), model=model, show_progress=False)
    embedder = RandomEmbedder() if random else load_embedder(settings)
    _, report = build_index(settings, embedder)
    stages = {s.name: s.record() for s in report.stages}
    Path(out).write_text(json.dumps({
        "counts": report.counts, "seconds": round(report.seconds, 1), "embedded": report.embedded,
        "stages": stages, "random_vectors": bool(random),
        "peak_rss_mb": round(peak_rss_mb(), 1)}))


def parse_time_log(path: Path) -> dict:
    """Build numbers from a `/usr/bin/time -v qa index` log: wall, max RSS, embedding count and seconds, and the
    seconds per stage of its `stages:` line (those of that run only: a build resumed after a kill embeds only what
    the killed run left)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    stdout = path.with_suffix(".log")  # `qa index … >index.log 2>index.err`: the summary line is in the first
    if stdout != path and stdout.is_file():
        text += "\n" + stdout.read_text(encoding="utf-8", errors="replace")
    out: dict = {"log": str(path)}
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if rss:
        out["peak_rss_mb"] = round(int(rss.group(1)) / 1024, 1)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    if wall:
        parts = [float(x) for x in wall.group(1).split(":")]
        out["wall_s"] = round(sum(x * 60 ** i for i, x in enumerate(reversed(parts))), 1)
    bars = re.findall(r"embedding:\s+100%\|[^|]*\|\s*(\d+)/(\d+) \[([\d:]+)<", text)
    if bars:
        n, _, elapsed = bars[-1]
        parts = [float(x) for x in elapsed.split(":")]
        seconds = sum(x * 60 ** i for i, x in enumerate(reversed(parts)))
        out.update(embedded=int(n), embed_s=seconds, chunks_per_s=round(int(n) / seconds, 1) if seconds else None)
    stages = re.search(r"stages: (.+?); peak RSS", text)  # `qa index` prints each stage's seconds
    if stages:
        pairs = re.findall(r"(\w+) ([\d.]+) s", stages.group(1))
        out["stages"] = {name: {"seconds": float(seconds)} for name, seconds in pairs}
    summary = re.search(r"(\d+) articles, (\d+) paragraphs, (\d+) chunks;.*?; ([\d.]+) s", text)
    if summary:
        a, p, c, s = summary.groups()
        out.update(counts={"articles": int(a), "paragraphs": int(p), "chunks": int(c)}, seconds=float(s))
    return out


def queries(index: Path, questions: list[str], repeats: int, embedder: object = None, reader: str = "") -> dict:
    """Warm latency of search, ask and the query embedding on `index`, the load before each round and the RSS
    after opening it (`embedder`: another than the index's model, e.g. `RandomEmbedder` for cost alone; `reader`: the
    `--reader` `ask` uses, "" for none)."""
    from dataclasses import replace

    from qa.api import QA
    from qa.index.stages import rss_mb
    from qa.index.store import read_manifest, recorded_corpus
    from qa.settings import Settings

    corpus = recorded_corpus(read_manifest(index), index)
    t0 = time.perf_counter()
    qa = QA.open(replace(Settings(), index_dir=index, corpus_dir=corpus or Settings().corpus_dir,
                         show_progress=False, reader=reader), embedder, build=False)
    open_s = time.perf_counter() - t0
    open_rss = rss_mb()
    for q in questions[:5]:
        qa.ask(q)
    times: dict[str, list[float]] = {"embed query": [], "search bm25": [], "search hybrid": [], "ask": []}
    loads = []
    for _ in range(repeats):
        loads.append(round(os.getloadavg()[0], 2))
        for q in questions:
            for name, fn in (("embed query", lambda q: qa.embedder.embed_queries([q])),
                             ("search bm25", lambda q: qa.search(q, 10, "bm25")),
                             ("search hybrid", lambda q: qa.search(q, 10)), ("ask", qa.ask)):
                t = time.perf_counter()
                fn(q)
                times[name].append((time.perf_counter() - t) * 1000)
    return {"open_s": round(open_s, 2), "rss_after_open_mb": round(open_rss, 1), "questions": len(questions),
            "repeats": repeats, "load_per_round": loads, "latency": {k: _stats(v) for k, v in times.items()},
            "term_weights": term_weight_cost(qa.store, questions)}


def term_weight_cost(store: object, questions: list[str]) -> dict:
    """Per question, ms to count its terms' paragraph frequencies: the old scan of every paragraph against
    `Store.doc_freq` (qa.index.docfreq), and how many counts differ."""
    from qa.index.docfreq import ScanFreq
    from qa.query.question import analyze_question

    texts = [p.text for p in store.paragraphs.values()]
    scan, fast, differ, terms = [], [], 0, 0
    for q in questions:
        qterms = analyze_question(q).terms
        t = time.perf_counter()
        old = ScanFreq(texts)(qterms)
        scan.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        new = store.doc_freq(qterms)
        fast.append((time.perf_counter() - t) * 1000)
        differ += sum(old[k] != new[k] for k in old)
        terms += len(old)
    return {"scan": _stats(scan), "doc_freq": _stats(fast), "terms": terms, "counts_differ": differ}


def cold_ask(index: Path, question: str, repeats: int) -> dict:
    """Wall seconds of `qa ask QUESTION --index DIR` in a fresh process (median), with the load before each."""
    walls, loads = [], []
    for _ in range(repeats):
        loads.append(round(os.getloadavg()[0], 2))
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qa", "ask", question, "--index", str(index)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env())
        walls.append(time.perf_counter() - t0)
    return {"median_s": round(statistics.median(walls), 2), "runs_s": [round(w, 2) for w in walls], "loads": loads}


def cold_ui(index: Path, repeats: int, timeout: float = 600.0) -> dict:
    """Seconds from starting `python app.py --index DIR` until its port answers HTTP (median); started as the load
    test starts it (`loadtest.app_process`)."""
    from loadtest import app_process

    from qa.settings import Settings

    walls, loads = [], []
    for _ in range(repeats):
        loads.append(round(os.getloadavg()[0], 2))
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            with app_process(Settings(index_dir=index), Path(tmp), timeout):
                walls.append(time.perf_counter() - t0)
    return {"median_s": round(statistics.median(walls), 2), "runs_s": [round(w, 2) for w in walls], "loads": loads}


def _attempt(measure: Callable[..., dict], *args: object) -> dict:
    """`measure(*args)`, or `{"error": …}` when the process it starts fails, so that one failed cold start (the UI's
    start once failed inside Gradio's own localhost check at 63k) does not lose the numbers measured before it."""
    try:
        return measure(*args)
    except (subprocess.CalledProcessError, OSError, RuntimeError, TimeoutError) as exc:
        print(f"[scale] {measure.__name__} failed: {exc}", file=sys.stderr, flush=True)
        return {"error": str(exc)}


def _median(cold: dict) -> str:
    """A cold-start cell: the median seconds, or "failed" (the error is in the JSON)."""
    return str(cold["median_s"]) if "median_s" in cold else "failed"


def child_env() -> dict[str, str]:
    """The environment of a benchmark's child process: this checkout first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _pairs(values: list[str]) -> dict[int, Path]:
    return {int(k): Path(v) for k, v in (x.split("=", 1) for x in values or [])}


def bench_scale(args: argparse.Namespace) -> dict:
    """Every size of `args.sizes`, then the estimate; writes `args.scale_out` and its `.md`."""
    sizes = [int(x) for x in args.sizes.split(",") if x]
    reuse, logs = _pairs(args.index_for), _pairs(args.build_log)
    dev = read_items(args.crud_questions) if args.crud_questions else []
    result: dict = {"corpus": str(args.corpus), "model": args.model, "reader": args.reader or None, "sizes": {},
                    "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for n in sizes:
            items = read_items(args.corpus, n)
            folder = Path(tmp) / str(n)
            write_items(folder / "news", items)
            row: dict = {"items": len(items)}
            if n in reuse:
                index = reuse[n]
                row["build"] = parse_time_log(logs[n]) if n in logs else {}
                if "stages" not in row["build"]:  # a log from before `qa index` printed its stages
                    row["build_random"] = build(folder / "news", folder / "index", args.model, random=True)
            else:
                index = folder / "index"
                row["build"] = build(folder / "news", index, args.model, random=False)
            print(f"[scale] {n}: build {json.dumps(row['build'], ensure_ascii=False)}", flush=True)
            ids = {r["id"] for r in items}
            qs = [q["question"] for q in dev if q.get("doc_ids") and set(q["doc_ids"]) <= ids][: args.scale_queries]
            if qs:
                row["queries"] = queries(index, qs, args.scale_repeats, reader=args.reader)
                row["cold_ask"] = _attempt(cold_ask, index, qs[0], args.cold_repeats)
                row["cold_ui"] = _attempt(cold_ui, index, args.cold_repeats)
            print(f"[scale] {n}: {json.dumps({k: row.get(k) for k in ('queries', 'cold_ask', 'cold_ui')})}",
                  flush=True)
            result["sizes"][str(n)] = row
            args.scale_out.with_suffix(".partial.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
        if args.estimate:
            result["estimate"] = estimate(args, Path(tmp) / "all", result)
    args.scale_out.parent.mkdir(parents=True, exist_ok=True)
    args.scale_out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    args.scale_out.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return result


def estimate(args: argparse.Namespace, folder: Path, result: dict) -> dict:
    """Every stage but embedding on all of `args.estimate`; embedding from the largest size's chunks/s."""
    write_items(folder / "news", read_items(args.estimate))
    measured = build(folder / "news", folder / "index", args.model, random=True)
    rates = [(int(n), r["build"].get("chunks_per_s") or _rate(r["build"])) for n, r in result["sizes"].items()]
    rates = [(n, r) for n, r in rates if r]
    rate = max(rates)[1] if rates else None
    chunks = measured["counts"]["chunks"]
    measured["estimated_embed_s"] = round(chunks / rate, 0) if rate else None
    measured["estimated_from_chunks_per_s"] = rate
    qs = [q["question"] for q in read_items(args.crud_questions)][: args.scale_queries] if args.crud_questions else []
    if qs:  # the model's query embedding is not in these: RandomEmbedder's costs nothing
        measured["queries_random_vectors"] = queries(folder / "index", qs, args.scale_repeats, RandomEmbedder())
    print(f"[scale] all: {json.dumps(measured, ensure_ascii=False)}", flush=True)
    return measured


def _rate(build: dict) -> float | None:
    embed = build.get("stages", {}).get("embed", {}).get("seconds")
    return round(build["embedded"] / embed, 1) if embed and build.get("embedded") else None


def markdown(result: dict) -> str:
    """The scale tables: build by stage, warm latency, cold start."""
    reader = f", warm `ask` with the reader {result['reader']}" if result.get("reader") else ""
    lines = [f"# Scale benchmark ({result['model']}, {result['cpus']} cores{reader})", "",
             "| items | articles | chunks | build wall s | " + " | ".join(f"{s} s" for s in STAGES)
             + " | embed chunks/s | peak RSS MB |", "|" + "---|" * (len(STAGES) + 6)]
    rows = [(n, r["build"], r.get("build_random")) for n, r in result["sizes"].items()]
    if "estimate" in result:
        rows.append(("all (estimate)", result["estimate"], result["estimate"]))
    for n, b, rnd in rows:
        counts = b.get("counts") or (rnd or {}).get("counts", {})
        stages = dict((rnd or b).get("stages", {}))
        embed = b.get("stages", {}).get("embed", {}).get("seconds") if not b.get("random_vectors") else None
        embed = embed if embed is not None else b.get("embed_s") or b.get("estimated_embed_s")
        cells = []
        for s in STAGES:
            value = embed if s == "embed" else stages.get(s, {}).get("seconds")
            mark = "~" if s == "embed" and (b.get("random_vectors") or "embed_s" in b) else ""
            cells.append("" if value is None else f"{mark}{value:.1f}")
        wall = b.get("wall_s")
        if b.get("estimated_embed_s"):
            wall = round(b["wall_s"] + b["estimated_embed_s"], 0)
        rate = b.get("chunks_per_s") or (None if b.get("random_vectors") else _rate(b)) \
            or b.get("estimated_from_chunks_per_s")
        peak = b.get("peak_rss_mb")
        lines.append(f"| {n} | {counts.get('articles', '')} | {counts.get('chunks', '')} | "
                     f"{'~' if b.get('estimated_embed_s') else ''}{wall} | " + " | ".join(cells)
                     + f" | {rate or ''} | {peak or ''} |")
    lines += ["", "`~`: embedding seconds read from a `qa index` log (reused index) or estimated from the largest "
              "measured size's chunks/s (all items, labelled estimate); the other stages of a reused index from its "
              "log's `stages:` line, or, for a log without one, from a build of the same items with random vectors.",
              "",
              "| items | questions × rounds | load per round | embed query p50 / p95 ms | search hybrid p50 / p95 ms "
              "| ask p50 / p95 ms | open s | RSS open MB | cold `qa ask` s | cold UI s |", "|" + "---|" * 10]
    for n, r in result["sizes"].items():
        q = r.get("queries")
        if not q:
            continue
        lat = q["latency"]
        cell = " | ".join(f"{lat[k]['p50_ms']} / {lat[k]['p95_ms']}" for k in ("embed query", "search hybrid", "ask"))
        lines.append(f"| {n} | {q['questions']} × {q['repeats']} | {q['load_per_round']} | {cell} | {q['open_s']} | "
                     f"{q.get('rss_after_open_mb', '')} | {_median(r['cold_ask'])} | {_median(r['cold_ui'])} |")
    q = result.get("estimate", {}).get("queries_random_vectors")
    if q:
        lat = q["latency"]
        cell = " | ".join(f"{lat[k]['p50_ms']} / {lat[k]['p95_ms']}" for k in ("embed query", "search hybrid", "ask"))
        lines.append(f"| all, random vectors (no model: add the query embedding above) | {q['questions']} × "
                     f"{q['repeats']} | {q['load_per_round']} | {cell} | {q['open_s']} | {q['rss_after_open_mb']} | "
                     "| |")
        lines.append("")
        lines.append("BM25 search alone (hybrid's keyword side): " + ", ".join(
            f"{n}: {r['queries']['latency']['search bm25']['p50_ms']} ms" for n, r in result["sizes"].items()
            if r.get("queries")) + f", all: {lat['search bm25']['p50_ms']} ms (p50).")
    lines += ["", "Term weights per question (p50 / p95 ms): the old scan of every paragraph vs `Store.doc_freq`:"]
    for n, q in [*((n, r.get("queries")) for n, r in result["sizes"].items()),
                 ("all", result.get("estimate", {}).get("queries_random_vectors"))]:
        if q and "term_weights" in q:
            w = q["term_weights"]
            lines.append(f"- {n}: scan {w['scan']['p50_ms']} / {w['scan']['p95_ms']}, doc_freq "
                         f"{w['doc_freq']['p50_ms']} / {w['doc_freq']['p95_ms']}; {w['counts_differ']} of "
                         f"{w['terms']} term counts differ")
    return "\n".join(lines) + "\n"


def incremental(index: Path, corpus: Path, new_items: Path, out: Path) -> dict:
    """Add `new_items` (a JSONL file) to `corpus` (a copy of the index's corpus: the file is copied into it) and run
    `qa index --corpus CORPUS` on `index` (a copy too: `cp -a`): the report
    line (embedded N, reused M, tokenised T texts, wrote W, linked L), wall time and peak RSS (`/usr/bin/time -v`),
    and per file of the new build folder its bytes, whether it is the old build's file hard-linked (`linked`: the
    same inode) and whether its content equals the old build's file of that path (`same_content`); the totals
    written and linked, and what the token and embedding caches grew by."""
    import hashlib
    import shutil

    old = index / (index / "CURRENT").read_text().strip()
    caches = {name: index / name for name in ("embeddings.sqlite", "tokens.sqlite")}
    caches_before = {name: path.stat().st_size if path.exists() else 0 for name, path in caches.items()}
    shutil.copy(new_items, corpus / new_items.name)
    t0 = time.perf_counter()
    run = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "qa", "index", "--index", str(index),
                          "--corpus", str(corpus), "--quiet"],
                         capture_output=True, text=True, env=child_env(), check=True)
    wall = time.perf_counter() - t0
    new = index / (index / "CURRENT").read_text().strip()

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""

    files = []
    for f in sorted(p for p in new.rglob("*") if p.is_file()):
        rel = f.relative_to(new)
        before = old / rel
        linked = before.is_file() and before.stat().st_ino == f.stat().st_ino
        files.append({"file": rel.as_posix(), "bytes": f.stat().st_size,
                      "old_bytes": before.stat().st_size if before.is_file() else None, "linked": linked,
                      "same_content": linked or digest(f) == digest(before)})
    log = run.stdout + run.stderr
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", log)
    result = {"index": str(index), "new_items": str(new_items), "wall_s": round(wall, 1),
              "peak_rss_mb": round(int(rss.group(1)) / 1024, 1) if rss else None,
              "report": [line for line in run.stdout.splitlines() if line.strip()],
              "build_bytes": sum(f["bytes"] for f in files),
              "build_bytes_written": sum(f["bytes"] for f in files if not f["linked"]),
              "build_bytes_linked": sum(f["bytes"] for f in files if f["linked"]), "files": files}
    for name, path in caches.items():
        grown = (path.stat().st_size if path.exists() else 0) - caches_before[name]
        result[name.replace(".", "_") + "_bytes_added"] = grown
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return result


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "--worker":
        _worker(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == "--incremental":  # INDEX_COPY CORPUS_COPY NEW_ITEMS.jsonl OUT.json
        incremental(*(Path(a) for a in sys.argv[2:]))
