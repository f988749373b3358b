"""eval/bench_scale.py: a `qa index` log's build numbers, its stages included, are read back; a failed cold start is
recorded, not raised."""

from __future__ import annotations

from conftest import eval_script

bench_scale = eval_script("bench_scale")

ERR = """embedding: 100%|##########| 1200/1200 [01:00<00:00, 20.00chunk/s]
\tMaximum resident set size (kbytes): 2048000
\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:05:00
"""
OUT = """index /tmp/x: 10 articles, 12 paragraphs, 40 chunks; files +1 ~0 -0; embedded 1200 chunks, reused 0; 3900.5 s
stages: load 2.8 s, embed 3721.0 s, dense 46.9 s, tokenise 198.8 s; peak RSS 4845 MB
"""


def test_a_time_log_gives_wall_memory_embedding_counts_and_stages(tmp_path):
    (tmp_path / "index.err").write_text(ERR, encoding="utf-8")
    (tmp_path / "index.log").write_text(OUT, encoding="utf-8")
    got = bench_scale.parse_time_log(tmp_path / "index.err")
    assert got["wall_s"] == 3900.0 and got["peak_rss_mb"] == 2000.0
    assert got["embedded"] == 1200 and got["embed_s"] == 60.0 and got["chunks_per_s"] == 20.0
    assert got["counts"] == {"articles": 10, "paragraphs": 12, "chunks": 40}
    assert got["stages"] == {"load": {"seconds": 2.8}, "embed": {"seconds": 3721.0}, "dense": {"seconds": 46.9},
                             "tokenise": {"seconds": 198.8}}


def test_a_log_without_stages_has_none(tmp_path):
    (tmp_path / "index.err").write_text(ERR, encoding="utf-8")
    assert "stages" not in bench_scale.parse_time_log(tmp_path / "index.err")


def test_a_failed_cold_start_is_recorded_not_raised():
    def fails(*args):
        raise RuntimeError("`python app.py` did not start within 600 s")

    got = bench_scale._attempt(fails, "index", 3)
    assert "did not start" in got["error"]
    assert bench_scale._median(got) == "failed"
    assert bench_scale._median(bench_scale._attempt(lambda *a: {"median_s": 4.2}, "index")) == "4.2"
