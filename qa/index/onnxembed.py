"""The default model run by ONNX Runtime: the `tokenizers` tokenizer plus one ONNX graph, no torch at run time.

The graph (`qa.index.onnxexport`) returns mean-pooled, L2-normalised vectors, so this embedder only tokenises the
way sentence-transformers does (the model's prompts prepended, truncation at its max_seq_length, padding to the
longest text of a batch) and feeds batches. Texts are embedded longest first, so that a batch holds texts of
similar length and little padding is computed; the vectors come back in the caller's order.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np

from qa.errors import ModelError
from qa.index.embed import encode_in_slices

log = logging.getLogger(__name__)


class OnnxEmbedder:
    """A sentence-transformers directory's tokenizer and prompts with an ONNX file of its model (fp32 or int8)."""

    def __init__(self, model_dir: Path, onnx_path: Path, name: str, model_id: str, query_prompt: str | None = None,
                 passage_prompt: str | None = None, batch_size: int = 32, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if batch_size < 1 or threads < 0:
            raise ValueError(f"batch_size must be >= 1 and threads >= 0, got {batch_size}, {threads}")
        log.info("loading embedding model %s from %s", name, onnx_path)
        prompts, max_tokens, pad_id = _model_config(model_dir)
        try:
            self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads  # 0: one per core
            options.inter_op_num_threads = 1
            self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ONNX Runtime and tokenizers raise their own kinds; all mean the same here
            raise ModelError(f"cannot load the ONNX model {onnx_path} ({type(exc).__name__}: {exc}): delete "
                             f"{onnx_path.parent} to export it again") from exc
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token=self.tokenizer.id_to_token(pad_id) or "<pad>")
        self.name, self.model_id = name, model_id
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self.query_prompt = prompts.get("query", "") if query_prompt is None else query_prompt
        self.passage_prompt = (prompts.get("passage", prompts.get("document", "")) if passage_prompt is None
                               else passage_prompt)
        self.batch_size = batch_size
        self._lock = threading.Lock()  # one batch at a time: the session already uses every core

    def _run(self, texts: list[str]) -> np.ndarray:
        """Vectors of `texts` (prompts included), in order, `batch_size` at a time (`encode_in_slices` hands them
        over longest first, so a batch pads little)."""
        parts = []
        for start in range(0, len(texts), self.batch_size):
            encoded = self.tokenizer.encode_batch(texts[start : start + self.batch_size])
            feeds = {"input_ids": np.array([e.ids for e in encoded], np.int64),
                     "attention_mask": np.array([e.attention_mask for e in encoded], np.int64)}
            parts.append(self.session.run(None, feeds)[0])
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return encode_in_slices([self.query_prompt + t for t in texts], self._run, self._lock, self.dim, False)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return encode_in_slices([self.passage_prompt + t for t in texts], self._run, self._lock, self.dim,
                                show_progress)


def _model_config(model_dir: Path) -> tuple[dict[str, str], int, int]:
    """(prompts, max tokens, pad id) from the sentence-transformers and BERT config files of `model_dir`."""
    try:
        st = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        seq = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        bert = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        return dict(st.get("prompts") or {}), int(seq["max_seq_length"]), int(bert.get("pad_token_id", 1))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{model_dir} is not a complete sentence-transformers model directory ({exc})") from exc
