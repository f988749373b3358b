"""Exports a converted sentence-transformers BERT model to ONNX, and quantises it to int8, offline and once.

`export_onnx` traces the model with torch (the TorchScript exporter, opset 17) into one graph that takes
`input_ids` and `attention_mask` and returns the mean-pooled, L2-normalised `sentence_embedding`, so the runtime
(`qa.index.onnxembed`) needs neither torch nor sentence-transformers. `quantize_int8` applies ONNX Runtime's dynamic
int8 quantisation (weights int8 per output channel, activations quantised per batch at run time), optionally
keeping some matrix products in fp32. `RECIPES` names the files that can be made: fp32, all-int8, and int8 with the
feed-forward output projections in fp32 ("mixed"). `ensure_onnx` writes one into the model directory's `onnx/` on
first use, atomically, and leaves it alone afterwards.
Nothing is downloaded: the input is the local directory `qa.index.e5convert` made.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from qa.errors import ModelError

log = logging.getLogger(__name__)

ONNX_DIR = "onnx"
FP32_FILE = "model.onnx"
OPSET = 17
# Per-channel weight scales: per-tensor int8 moved e5-small's passage vectors to cosine 0.987 of the fp32 ones,
# per-channel to 0.997 (1,000 news chunks), at the same speed. reduce_range stays off: the CPUs this runs on have
# VNNI (or AVX-512), where 8-bit weights do not saturate.
PER_CHANNEL = True
# The feed-forward output projections (1536 -> 384, after GELU) carry most of int8's error: keeping these 12 of the
# 72 weight products in fp32 takes the passage vectors from cosine 0.997 to 0.999 of fp32.
FFN_OUT = r"/layer\.\d+/output/dense/MatMul$"


@dataclass(frozen=True)
class Recipe:
    """One ONNX file of a model: its name in `onnx/`, whether it is quantised, and which products stay fp32."""

    file: str
    int8: bool
    keep_fp32: str = ""  # regular expression of MatMul node names left in fp32 ("" = none)


RECIPES = MappingProxyType({"fp32": Recipe(FP32_FILE, False), "int8": Recipe("model_int8.onnx", True),
                            "int8-mixed": Recipe("model_int8_mixed.onnx", True, FFN_OUT)})


def export_onnx(model_dir: Path, out_file: Path) -> Path:
    """Trace the transformer of the sentence-transformers model at `model_dir` (mean pooling, then L2
    normalisation) into the ONNX file `out_file`; batch and sequence length stay dynamic."""
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True).eval()
    pooled = _mean_pooled(bert).eval()
    ids = torch.tensor([[0, 5, 6, 2, 1], [0, 7, 2, 1, 1]])  # shapes only: any ids below the vocabulary size
    mask = (ids != 1).long()
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "sentence_embedding": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer notes on shape-dependent Python branches; checked by the tests
        torch.onnx.export(pooled, (ids, mask), str(out_file), dynamo=False, opset_version=OPSET,
                          input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                          dynamic_axes=axes)
    return out_file


def _mean_pooled(bert):  # noqa: ANN001, ANN202 (torch types: torch is imported only when exporting)
    """BERT, then mean pooling over the attention mask, then L2 normalisation, as one torch module."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return MeanPooled()


def quantize_int8(fp32_file: Path, out_file: Path, per_channel: bool = PER_CHANNEL, keep_fp32: str = "") -> Path:
    """ONNX Runtime's dynamic int8 quantisation of `fp32_file` (MatMul and embedding weights, but not the MatMul
    nodes whose names match `keep_fp32`) into `out_file`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32_file), load_external_data=False).graph
    kept = [n.name for n in graph.node if keep_fp32 and n.op_type == "MatMul" and re.search(keep_fp32, n.name)]
    root = logging.getLogger()
    root.addFilter(_no_preprocess_hint)
    try:
        quantize_dynamic(str(fp32_file), str(out_file), weight_type=QuantType.QInt8, per_channel=per_channel,
                         nodes_to_exclude=kept, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.removeFilter(_no_preprocess_hint)
    return out_file


def _no_preprocess_hint(record: logging.LogRecord) -> bool:
    """Drop the quantiser's advice to run its shape pre-processing (which fails on this graph, and is not needed:
    the MatMul weights are constants)."""
    return "pre-processing before quantization" not in record.getMessage()


def onnx_file(model_dir: Path, recipe: str) -> Path:
    return Path(model_dir) / ONNX_DIR / RECIPES[recipe].file


def ensure_onnx(model_dir: Path, recipe: str) -> Path:
    """The ONNX file of the model at `model_dir` made by `recipe` (a RECIPES key), exported (and quantised) on
    first use."""
    target, plan = onnx_file(model_dir, recipe), RECIPES[recipe]
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("exporting %s to ONNX %s into %s (one-off, under a minute)", model_dir.name, recipe, target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        start, fp32 = time.perf_counter(), onnx_file(model_dir, "fp32")
        if not fp32.is_file():  # an int8 recipe quantises the fp32 file when there is one, else a fresh export
            fp32 = export_onnx(model_dir, tmp / FP32_FILE)
            log.info("exported to ONNX in %.0f s", time.perf_counter() - start)
        if plan.int8:
            log.info("quantising to int8 (%s)", recipe)
        made = quantize_int8(fp32, tmp / plan.file, keep_fp32=plan.keep_fp32) if plan.int8 else fp32
        os.replace(made, target)  # atomic: a reader sees the whole file or none
        _write_record(target, recipe)
    except OSError as exc:
        raise ModelError(f"cannot write the ONNX model to {target.parent} ({exc}): it needs ~1 GB free while "
                         "exporting; free space or point UNION_QA_CACHE elsewhere") from exc
    except Exception as exc:  # the exporter and quantiser raise many kinds; all mean the same to the user
        raise ModelError(f"exporting {model_dir} to ONNX failed ({type(exc).__name__}: {exc}); use "
                         f"`--model {model_dir.name}:torch` meanwhile") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _write_record(target: Path, recipe: str) -> None:
    """Beside the file, how it was made (`model_int8.onnx.json`), for a person looking into the cache."""
    import onnxruntime
    import torch

    plan = RECIPES[recipe]
    record = {"recipe": recipe, "opset": OPSET, "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
              "int8": plan.int8, "per_channel": PER_CHANNEL if plan.int8 else None, "keep_fp32": plan.keep_fp32}
    target.with_name(target.name + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
