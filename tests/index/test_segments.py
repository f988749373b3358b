"""Segments: a build's rows in content-addressed pieces; an incremental build links the unchanged ones (the same
inode as the previous build's), writes only the new, segments only new texts and answers as a full rebuild does;
a build of format 1 (all rows in one set of files, dense.faiss) still loads and is brought to the new format."""

import json
import shutil

import numpy as np
import pytest
from conftest import ARTICLES, write_corpus

from qa.api import QA
from qa.index.embed import HashingEmbedder
from qa.index.indexer import build_index
from qa.index.segments import SEGMENT_LIST, SEGMENTS, RowData, RowStack, read_segments, split, write_segments
from qa.index.store import current_build, load_store
from qa.schema import Article, Chunk, Paragraph

QUESTIONS = ["沙坪坝区建了多少个工会驿站？", "巫山县建立了多少个新就业形态工会组织？",
             "江北区总工会推出了多少个职工服务项目？"]
NEW = {"id": "jb", "title": "江北区总工会打造职工服务自选超市", "text": "江北区总工会推出职工服务项目104个。"}


def rows_of(files: dict[str, int]) -> RowData:
    """RowData of `n` one-paragraph, two-chunk articles per file name."""
    articles, chunks = [], []
    for file, n in files.items():
        for i in range(n):
            aid = f"{file}-{i}"
            articles.append(Article(aid, "题", (Paragraph(f"{aid}#p1", aid, 1, "正文", "题"),), file=file))
            chunks += [Chunk(f"{aid}#p1#c{j}", f"{aid}#p1", "正文", "题") for j in (1, 2)]
    vectors = np.arange(len(chunks) * 4, dtype=np.float32).reshape(-1, 4)
    return RowData(articles, chunks, [c.id for c in chunks], vectors)


def segment_inodes(folder) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in (folder / SEGMENTS).rglob("*") if p.is_file()}


def test_without_hard_links_segments_are_written_and_counted_as_written(tmp_path, monkeypatch):
    rows = rows_of({"a.jsonl": 3})
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write_segments(rows, first, None, np.save)

    def no_link(src, dst):  # noqa: ANN001, ANN202 - os.link's signature
        raise OSError("hard links not supported")

    monkeypatch.setattr("qa.index.segments.os.link", no_link)
    shared = write_segments(rows, second, first, np.save)
    assert shared.linked == 0 and shared.written > 0
    assert read_segments(second, False).chunks == rows.chunks
    assert not set(segment_inodes(second).values()) & set(segment_inodes(first).values())


def test_split_cuts_at_files_and_at_the_size_cap():
    parts = list(split(rows_of({"a.jsonl": 5, "b.jsonl": 2}), max_articles=2))
    assert [[a.id for a in p.articles] for p in parts] == [
        ["a.jsonl-0", "a.jsonl-1"], ["a.jsonl-2", "a.jsonl-3"], ["a.jsonl-4"], ["b.jsonl-0", "b.jsonl-1"]]
    assert all(len(p.chunks) == len(p.keys) == len(p.vectors) == 2 * len(p.articles) for p in parts)
    assert all(c.paragraph_id.startswith(a.id) for p in parts for a, c in zip(p.articles, p.chunks[::2], strict=True))


def test_segments_round_trip_and_link_what_the_previous_build_holds(tmp_path):
    rows = rows_of({"a.jsonl": 3, "b.jsonl": 2})
    first = tmp_path / "first"
    first.mkdir()
    assert write_segments(rows, first, None, np.save).linked == 0
    for mmap in (False, True):
        back = read_segments(first, mmap)
        assert back.articles == rows.articles and back.chunks == rows.chunks and back.keys == rows.keys
        assert np.array_equal(np.asarray(back.vectors), rows.vectors)
    grown = rows_of({"a.jsonl": 3, "b.jsonl": 2, "c.jsonl": 1})
    second = tmp_path / "second"
    second.mkdir()
    shared = write_segments(grown, second, first, np.save)
    assert shared.linked > 0 and shared.written > 0
    old, new = segment_inodes(first), segment_inodes(second)
    assert all(new[f] == ino for f, ino in old.items())  # a.jsonl's and b.jsonl's: the same files
    assert len(new) == len(old) + 4  # c.jsonl's four files are new
    assert len(json.loads((second / SEGMENT_LIST).read_text())["segments"]) == 3


def test_row_stack_reads_as_the_concatenated_rows():
    parts = [np.arange(12, dtype=np.float32).reshape(3, 4), np.arange(12, 20, dtype=np.float32).reshape(2, 4)]
    stack, whole = RowStack(parts), np.concatenate(parts)
    assert len(stack) == 5 and stack.shape == (5, 4)
    assert np.array_equal(stack[[4, 0, 3]], whole[[4, 0, 3]]) and np.array_equal(stack[2], whole[2])
    assert np.array_equal(np.stack(list(stack)), whole) and np.array_equal(np.asarray(stack), whole)
    assert np.array_equal(stack[-1], whole[-1]) and np.array_equal(stack[1:4], whole[1:4])
    with pytest.raises(IndexError):
        stack[5]


def answers(settings) -> list[tuple[str, tuple[str, ...]]]:
    qa = QA.open(settings, HashingEmbedder(), build=False)
    return [(a.text, tuple(c.paragraph.id for c in a.citations)) for a in map(qa.ask, QUESTIONS)]


def test_an_incremental_add_links_unchanged_segments_and_segments_only_new_text(backend_settings, monkeypatch):
    first, report = build_index(backend_settings, HashingEmbedder())
    assert report.linked == 0 and report.written > 0 and report.tokenised > 0
    old = segment_inodes(first.path)
    segmented = []
    monkeypatch.setattr("qa.index.tokencache.tokenize", lambda text, seg: segmented.append(text) or text.split())
    write_corpus(backend_settings.corpus_dir, {"jiangbei.jsonl": [NEW]})
    store, report = build_index(backend_settings, HashingEmbedder())
    new = segment_inodes(store.path)
    assert all(new[f] == ino for f, ino in old.items())  # every segment of the two old files: linked
    assert len(new) == len(old) + 4 and report.linked == sum((first.path / f).stat().st_size for f in old)
    assert report.embedded == 1 and report.tokenised == len(segmented) == 2  # the new chunk and paragraph only
    assert all("江北" in t for t in segmented)
    assert "wrote" in report.summary() and "linked" in report.summary()


def test_an_update_reads_the_previous_rows_without_loading_its_search_structures(backend_settings, monkeypatch):
    """The previous build's HNSW graph and BM25 indexes (a third of a 63k update's memory) are rebuilt anyway, so a
    writer reads only its rows and vectors; with nothing changed it opens the live build whole and writes nothing."""
    first, _ = build_index(backend_settings, HashingEmbedder())
    write_corpus(backend_settings.corpus_dir, {"jiangbei.jsonl": [NEW]})
    with monkeypatch.context() as m:
        m.setattr("qa.index.store._read_build", lambda *a: pytest.fail("the previous build was loaded whole"))
        store, report = build_index(backend_settings, HashingEmbedder())
    assert report.embedded == 1 and report.linked > 0 and store.path != first.path
    again, report = build_index(backend_settings, HashingEmbedder())
    assert again.path == store.path and report.written == 0 and len(again.keyword) == len(again.chunks)


def test_an_update_builds_search_structures_again_when_the_live_ones_are_unreadable(backend_settings):
    first, _ = build_index(backend_settings, HashingEmbedder())
    before = answers(backend_settings)
    shutil.rmtree(first.path / "bm25")  # the chunk keyword index
    store, report = build_index(backend_settings, HashingEmbedder())
    assert store.path != first.path and (store.path / "bm25").is_dir()
    assert report.embedded == 0 and report.linked > 0  # the rows are reused, only the search structures rebuilt
    assert answers(backend_settings) == before and before[0][1]


def test_an_update_refuses_previous_vectors_of_the_wrong_width(tiny_settings):
    from qa.errors import IndexStateError
    from qa.index.store import load_previous

    store, _ = build_index(tiny_settings, HashingEmbedder())
    for f in (store.path / SEGMENTS).rglob("vectors.npy"):
        width = np.load(f).shape
        f.unlink()  # a hard link the next build may share: replace the file, don't write through it
        np.save(f, np.zeros((width[0], width[1] + 1), np.float32))
    with pytest.raises(IndexStateError, match="dimensions.*rebuild"):
        load_previous(tiny_settings.index_dir)


def test_an_incremental_build_answers_as_a_full_rebuild(backend_settings):
    build_index(backend_settings, HashingEmbedder())
    write_corpus(backend_settings.corpus_dir, {"jiangbei.jsonl": [NEW]})
    (backend_settings.corpus_dir / "wushan.jsonl").unlink()
    incremental, _ = build_index(backend_settings, HashingEmbedder())
    before = answers(backend_settings)
    full, report = build_index(backend_settings, HashingEmbedder(), rebuild=True)
    assert report.linked == 0  # --rebuild links nothing: it trusts no file of the old build
    assert incremental.chunks == full.chunks and np.array_equal(incremental.vectors, full.vectors)
    assert answers(backend_settings) == before and "104" in before[2][0]


def write_format_1(folder, store) -> None:
    """`store` as a build of format 1 wrote it: the rows in one set of files at the top, dense.faiss, format 1."""
    rows = read_segments(folder, False)
    shutil.rmtree(folder / SEGMENTS)
    (folder / SEGMENT_LIST).unlink()
    top = folder / "one"
    top.mkdir()
    write_segments(rows, top, None, np.save)
    (segment,) = (top / SEGMENTS).iterdir()
    for f in segment.iterdir():
        f.rename(folder / f.name)
    shutil.rmtree(top)
    store.dense.save(folder / "dense.faiss")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    (folder / "manifest.json").write_text(json.dumps(manifest | {"format_version": 1}), encoding="utf-8")


def test_a_build_of_format_1_loads_and_the_next_run_brings_it_to_segments(tiny_settings, tmp_path):
    write_corpus(tiny_settings.corpus_dir, {"shapingba.jsonl": ARTICLES["shapingba.jsonl"]})
    (tiny_settings.corpus_dir / "wushan.jsonl").unlink()  # one file: format 1's files are one segment's
    store, _ = build_index(tiny_settings, HashingEmbedder())
    before = answers(tiny_settings)
    write_format_1(current_build(tiny_settings.index_dir), store)
    old = load_store(tiny_settings.index_dir)
    assert old.manifest.format_version == 1 and (old.path / "dense.faiss").exists()
    assert old.articles == store.articles and old.chunks == store.chunks and old.chunk_keys == store.chunk_keys
    assert np.array_equal(old.vectors, store.vectors) and answers(tiny_settings) == before
    new, report = build_index(tiny_settings, HashingEmbedder())  # nothing changed but the format
    assert new.manifest.format_version == 2 and report.embedded == 0 and report.tokenised == 0
    assert (new.path / SEGMENT_LIST).exists() and not (new.path / "dense.faiss").exists()
    assert answers(tiny_settings) == before


def test_a_segment_that_does_not_match_its_list_is_a_clear_error(tiny_settings):
    from qa.errors import IndexStateError

    store, _ = build_index(tiny_settings, HashingEmbedder())
    listing = json.loads((store.path / SEGMENT_LIST).read_text())
    listing["segments"][0]["chunks"] += 1
    (store.path / SEGMENT_LIST).write_text(json.dumps(listing))
    with pytest.raises(IndexStateError, match="rebuild"):
        load_store(tiny_settings.index_dir)
