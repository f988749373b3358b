"""The embedding section of eval/bench.py: passages/s, per-query latency and vector drift of each way of running
the default model, all measured in one run on the same passages (see bench.py's docstring).

    python eval/bench.py --sections embed --corpus NEWS_DIR
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa.index.embed import DEFAULT_VARIANT, E5_VARIANTS, Embedder, load_embedder
from qa.settings import DEFAULT_MODEL, Settings

TORCH, ONNX, INT8, MIXED = (f"{DEFAULT_MODEL}:{v}" for v in ("torch", "onnx", "onnx-int8", "onnx-mixed"))


@dataclass
class Config:
    """One configuration: a label, how to make its embedder, and how to embed passages with it."""

    label: str
    make: Callable[[], Embedder]
    sweep: bool = False  # a setting of the default variant: measured on the first --sweep-chunks passages only
    embedder: Embedder | None = None
    input_order: bool = False  # embed slices in input order instead of longest first (the sorting's effect)

    def passages(self, texts: list[str]) -> np.ndarray:
        e = self.embedder
        if not self.input_order:
            return e.embed_passages(texts)
        prompted = [e.passage_prompt + t for t in texts]  # what embed_passages does, minus the length sort
        return np.concatenate([e._run(prompted[i : i + 256]) for i in range(0, len(prompted), 256)])


def sample_passages(corpus: Path, n: int, chunk_chars: int, seed: int = 0) -> list[str]:
    """`n` chunks of `corpus` (a seeded sample, in corpus order) as `qa index` embeds them."""
    from qa.index.indexer import passage_text
    from qa.ingest.chunk import chunk_paragraphs
    from qa.ingest.load import load_corpus_report

    articles, _ = load_corpus_report(corpus)
    chunks = chunk_paragraphs((p for a in articles for p in a.paragraphs), chunk_chars)
    rows = range(len(chunks)) if len(chunks) <= n else sorted(np.random.default_rng(seed).choice(len(chunks), n, False))
    return [passage_text(chunks[i]) for i in rows]


def configs(settings: Settings, tmp: Path) -> list[Config]:
    """Torch, ONNX fp32, int8 per-tensor, per-channel and mixed, then the default variant with other settings."""
    from qa.index.e5convert import ensure_default_model
    from qa.index.onnxembed import OnnxEmbedder
    from qa.index.onnxexport import ensure_onnx, quantize_int8

    def variant(model: str, **changes: object) -> Callable[[], Embedder]:
        return lambda: load_embedder(replace(settings, model=model, **changes))

    def per_tensor() -> Embedder:
        folder = ensure_default_model(settings.cache_dir)
        path = quantize_int8(ensure_onnx(folder, "fp32"), tmp / "per-tensor.onnx", per_channel=False)
        return OnnxEmbedder(folder, path, "int8-per-tensor", "int8-per-tensor", batch_size=settings.onnx_batch_size)

    def one_thread() -> Embedder:
        folder = ensure_default_model(settings.cache_dir)
        return OnnxEmbedder(folder, ensure_onnx(folder, E5_VARIANTS[DEFAULT_VARIANT].recipe), DEFAULT_VARIANT,
                            DEFAULT_VARIANT, batch_size=settings.onnx_batch_size, threads=1)

    t, b, default = settings.batch_size, settings.onnx_batch_size, DEFAULT_VARIANT.split(":")[1]
    return [Config(f"torch fp32 (b{t})", variant(TORCH)), Config(f"onnx fp32 (b{b})", variant(ONNX)),
            Config(f"onnx int8 per-tensor (b{b})", per_tensor),
            Config(f"onnx int8 per-channel (b{b})", variant(INT8)),
            Config(f"onnx int8 per-channel, FFN output fp32 (b{b})", variant(MIXED)),
            Config(f"{default} (b{b}), sweep base", variant(DEFAULT_VARIANT), sweep=True),
            *(Config(f"{default} (b{size})", variant(DEFAULT_VARIANT, onnx_batch_size=size), sweep=True)
              for size in (8, 32, 64)),
            Config(f"{default} (b{b}), input order", variant(DEFAULT_VARIANT), sweep=True, input_order=True),
            Config(f"{default} (b{b}), 1 thread", one_thread, sweep=True)]


def bench_embed(args: argparse.Namespace, questions: list[str]) -> dict:
    settings = replace(Settings(), show_progress=False)
    texts = sample_passages(args.corpus, args.embed_chunks, settings.chunk_chars)
    queries = questions[: args.embed_queries]
    with tempfile.TemporaryDirectory() as tmp:
        table = configs(settings, Path(tmp))
        loads = {}
        for c in table:
            t0 = time.perf_counter()
            c.embedder = c.make()
            loads[c.label] = time.perf_counter() - t0
        for c in table:  # warm-up: first calls allocate
            c.passages(texts[:8])
        rounds: dict[str, list[float]] = {c.label: [] for c in table}
        query_ms: dict[str, list[float]] = {c.label: [] for c in table}
        vectors: dict[str, np.ndarray] = {}
        load: list[float] = []  # 1-minute load average before each round and after the last: other jobs' share
        for _ in range(args.embed_repeats):
            load.append(os.getloadavg()[0])
            for c in table:
                t0 = time.perf_counter()
                vectors[c.label] = c.passages(texts[: args.sweep_chunks] if c.sweep else texts)
                rounds[c.label].append(time.perf_counter() - t0)
                for q in queries:
                    t0 = time.perf_counter()
                    c.embedder.embed_queries([q])
                    query_ms[c.label].append((time.perf_counter() - t0) * 1000)
        load.append(os.getloadavg()[0])
        Q = {c.label: c.embedder.embed_queries(queries) for c in table}
    result = report(table, texts, queries, loads, rounds, query_ms, vectors, Q, args)
    result["load_1min"] = [round(x, 2) for x in load]
    write(result, args.embed_out)
    return result


def report(table: list[Config], texts: list[str], queries: list[str], loads: dict, rounds: dict, query_ms: dict,
           vectors: dict, Q: dict, args: argparse.Namespace) -> dict:
    ref = table[0].label  # torch fp32
    rate_of = {c.label: len(vectors[c.label]) / statistics.median(rounds[c.label]) for c in table}
    sweep_base = next(c.label for c in table if c.sweep)
    rows = []
    for c in table:
        n, rate = len(vectors[c.label]), rate_of[c.label]
        cos = np.sum(vectors[c.label] * vectors[ref][:n], axis=1)
        S, S_ref = Q[c.label] @ vectors[c.label].T, Q[ref] @ vectors[ref][:n].T
        rows.append({
            "config": c.label, "passages": n, "load_s": round(loads[c.label], 2), "chunks_per_s": round(rate, 1),
            "ratio": round(rate / rate_of[sweep_base if c.sweep else ref], 2),
            "rounds_s": [round(t, 1) for t in rounds[c.label]],
            "query_ms_median": round(statistics.median(query_ms[c.label]), 2),
            "cos_to_torch_mean": round(float(cos.mean()), 5), "cos_to_torch_min": round(float(cos.min()), 5),
            "qp_cos_shift_mean": round(float(np.abs(S - S_ref).mean()), 5),
            "qp_cos_shift_max": round(float(np.abs(S - S_ref).max()), 5),
            "best_cos_shift_max": round(float(np.abs(S.max(1) - S_ref.max(1)).max()), 5)})
    mean_chars = round(float(np.mean([len(t) for t in texts])), 1)
    return {"corpus": str(args.corpus), "passages": len(texts), "mean_chars": mean_chars, "queries": len(queries),
            "sweep_passages": min(args.sweep_chunks, len(texts)), "repeats": args.embed_repeats, "rows": rows}


def write(result: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    head = ("| configuration | passages | chunks/s | × torch (settings: × sweep base) | query ms | load s | "
            "cos to torch mean / min | q·p cosine shift mean / max | best-passage cosine shift max |")
    lines = [f"Embedding throughput: {result['passages']} passages of {result['corpus']} (mean {result['mean_chars']} "
             f"characters; the default variant's settings on the first {result['sweep_passages']}), median of "
             f"{result['repeats']} rounds; query latency: {result['queries']} questions one at a time. 1-minute load "
             f"average before each round and at the end: {', '.join(map(str, result['load_1min']))}.", "", head,
             "|" + "---|" * 9]
    for r in result["rows"]:
        lines.append(f"| {r['config']} | {r['passages']} | {r['chunks_per_s']} | {r['ratio']} | "
                     f"{r['query_ms_median']} | "
                     f"{r['load_s']} | {r['cos_to_torch_mean']} / {r['cos_to_torch_min']} | "
                     f"{r['qp_cos_shift_mean']} / {r['qp_cos_shift_max']} | {r['best_cos_shift_max']} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
