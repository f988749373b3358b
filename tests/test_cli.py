"""The `qa` command end to end on the tiny corpus and on the bundled one, with the weightless hashing embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, write_cmrc, write_corpus

from qa.cli import main


@pytest.fixture
def dirs(tmp_path: Path) -> list[str]:
    """Corpus, index and model arguments of an indexed tiny corpus."""
    args = ["--corpus", str(write_corpus(tmp_path / "corpus")), "--index", str(tmp_path / "index"),
            "--model", "hashing", "-q"]
    assert main(["index", *args]) == 0
    return args


def test_index_search_ask(dirs: list[str], capsys: pytest.CaptureFixture[str]):
    assert main(["index", *dirs]) == 0
    out = capsys.readouterr().out
    assert "2 articles" in out and "embedded 0 chunks" in out  # the second run: nothing new
    assert main(["search", "沙坪坝区 工会驿站", "-k", "1", *dirs]) == 0
    assert "spb#p1" in capsys.readouterr().out
    assert main(["ask", "沙坪坝区建了多少个工会驿站？", *dirs]) == 0
    out = capsys.readouterr().out
    assert "174" in out and "[1]" in out and "spb#p1" in out


def test_a_union_term_typed_as_a_sound_alike_is_read_as_the_term(dirs: list[str], capsys: pytest.CaptureFixture[str]):
    assert main(["ask", "沙坪坝区建了多少个公会驿占？", *dirs]) == 0
    out = capsys.readouterr().out
    assert "理解为：沙坪坝区建了多少个工会驿站？" in out and "174" in out and "[1]" in out


def test_a_reader_that_stops_early_gets_no_traceback(dirs: list[str]):
    """`qa ask … | head -1`: the pipe closes before the answer is written; the command ends quietly with 0."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    proc = subprocess.run([sys.executable, "-m", "qa", "ask", "沙坪坝区建了多少个工会驿站？", *dirs], cwd=REPO,
                          stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    os.close(write_end)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr


def test_answer_writes_the_documented_schema(dirs: list[str], tmp_path: Path):
    questions = tmp_path / "q.jsonl"
    rows = [{"id": "a", "question": "沙坪坝区建了多少个工会驿站？"},
            {"id": "b", "question": "其中多少个升级改造了？", "history": ["沙坪坝区建了多少个工会驿站？"]},
            {"id": "c", "question": "北京市总工会有多少个驿站？"}]
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + "not json\n",
                         encoding="utf-8")
    out = tmp_path / "a.jsonl"
    assert main(["answer", "--input", str(questions), "--output", str(out), *dirs]) == 0
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["id"] for a in answers] == ["a", "b", "c", 4]  # a line that is not JSON: its line number
    assert not answers[3]["found"] and "line 4 is not JSON" in answers[3]["error"]
    assert all("error" not in a for a in answers[:3])
    for a in answers:
        assert {"id", "question", "answer", "found", "citations", "retrieved", "latency_ms"} <= set(a)
        assert all({"n", "paragraph_id", "title", "text"} <= set(c) for c in a["citations"])
        assert all({"paragraph_id", "title", "text", "score"} <= set(r) for r in a["retrieved"])
        assert len(a["retrieved"]) <= 10
    assert answers[0]["found"] and "174" in answers[0]["answer"]
    assert answers[0]["citations"][0]["paragraph_id"] == "spb#p1"
    assert answers[1]["found"] and "24" in answers[1]["answer"] and "沙坪坝" in answers[1]["resolved_question"]
    assert not answers[2]["found"] and answers[2]["citations"] == []


@pytest.mark.parametrize(("options", "message"), [
    (["--since", "2025-13"], "since must be a date"),
    (["--until", "2024-02-30"], "until must be a date"),
    (["--until", "2023-99-99"], "until must be a date"),
    (["--since", "2024-12", "--until", "2024-01"], "since 2024-12 is after until 2024-01"),
])
def test_impossible_date_filters_are_refused(dirs: list[str], capsys: pytest.CaptureFixture[str], options, message):
    assert main(["ask", "沙坪坝区建了多少个工会驿站？", *options, *dirs]) == 2
    assert message in capsys.readouterr().err
    assert main(["ask", "沙坪坝区建了多少个工会驿站？", "--since", "2024-02-29", "--until", "2024-02", *dirs]) == 0


def test_a_refusal_under_a_filter_says_only_the_filtered_part_was_searched(dirs: list[str],
                                                                           capsys: pytest.CaptureFixture[str]):
    assert main(["ask", "沙坪坝区建了多少个工会驿站？", "--source", "没有这个来源", *dirs]) == 0
    out = capsys.readouterr().out
    assert "没有找到" in out and "只查找了所选范围内的资料（来源 没有这个来源）" in out and "现有资料中" not in out
    assert main(["ask", "沙坪坝区建了多少个工会驿站？", *dirs]) == 0
    assert "所选范围" not in capsys.readouterr().out


@pytest.mark.parametrize("k", ["0", "-5"])
def test_search_needs_a_positive_k(dirs: list[str], capsys: pytest.CaptureFixture[str], k: str):
    with pytest.raises(SystemExit) as exit_:
        main(["search", "工会驿站", "-k", k, *dirs])
    assert exit_.value.code == 2 and "must be a whole number from 1" in capsys.readouterr().err


def test_the_reader_is_chosen_by_name_and_a_missing_install_is_a_clear_error(dirs: list[str], monkeypatch,
                                                                            capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_:
        main(["ask", "工会驿站有多少个？", "--reader", "gpt", *dirs])
    assert exit_.value.code == 2 and "invalid choice: 'gpt'" in capsys.readouterr().err
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)  # nothing of the reader extra installed
    assert main(["ask", "工会驿站有多少个？", "--reader", "qwen2.5-coder-1.5b", *dirs]) == 2
    assert "-e '.[reader]'" in capsys.readouterr().err


def test_missing_input_is_a_clear_error(dirs: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["answer", "--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "o"), *dirs]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_answer_input_that_cannot_be_used_is_a_clear_error_and_is_never_overwritten(
        dirs: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "a", "question": "沙坪坝区建了多少个工会驿站？"}\n', encoding="utf-8")
    before = questions.read_bytes()
    assert main(["answer", "--input", str(questions), "--output", str(questions), *dirs]) == 2
    assert "is the input file" in capsys.readouterr().err and questions.read_bytes() == before
    assert main(["answer", "--input", str(tmp_path), "--output", str(tmp_path / "o"), *dirs]) == 2
    assert "is a folder" in capsys.readouterr().err
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(bytes(range(256)) * 4)
    assert main(["answer", "--input", str(binary), "--output", str(tmp_path / "o"), *dirs]) == 2
    err = capsys.readouterr().err
    assert f"input file {binary}" in err and "Traceback" not in err


def test_answer_keeps_one_row_per_line_and_refuses_a_folder_as_output(dirs: list[str], tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]):
    questions, out = tmp_path / "q.jsonl", tmp_path / "a.jsonl"
    rows = [{"id": "a", "question": "沙坪坝区\u2028建了多少个工会驿站？"},  # written raw by json.dumps
            {"id": "b", "question": "工会驿站\x85在哪里？"}]
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["answer", "--input", str(questions), "--output", str(out), *dirs]) == 0
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").split("\n") if line] == ["a", "b"]
    assert main(["answer", "--input", str(questions), "--output", str(tmp_path), *dirs]) == 2
    assert "is a folder" in capsys.readouterr().err and not list(tmp_path.glob("*.tmp"))
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert main(["answer", "--input", str(empty), "--output", str(out), *dirs]) == 0
    assert out.read_text(encoding="utf-8") == ""


def test_replace_corpus_needs_the_corpus_to_replace_it_with(dirs: list[str], capsys: pytest.CaptureFixture[str]):
    index = dirs[dirs.index("--index") + 1]
    assert main(["index", "--index", index, "--replace-corpus", "-q"]) == 2
    assert "give --corpus DIR" in capsys.readouterr().err


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "utf-8-sig"])
def test_answer_reads_questions_in_the_encodings_ingestion_reads(dirs: list[str], tmp_path: Path, encoding: str):
    questions, out = tmp_path / "q.jsonl", tmp_path / "a.jsonl"
    rows = [{"id": "a", "question": "沙坪坝区建了多少个工会驿站？"}, {"id": "b", "question": 7}]
    questions.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode(encoding))
    assert main(["answer", "--input", str(questions), "--output", str(out), *dirs]) == 0
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["id"] for a in answers] == ["a", "b"] and "174" in answers[0]["answer"]
    assert "no string 'question'" in answers[1]["error"] and answers[1]["question"] == ""


def test_eval_on_the_smoke_set_writes_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    report = tmp_path / "report"
    index = ["--corpus", str(REPO / "corpus"), "--index", str(tmp_path / "index"), "--model", "hashing", "-q"]
    assert main(["index", *index]) == 0
    args = ["eval", "--dataset", str(REPO / "eval" / "questions_smoke.jsonl"), "--report", str(report), *index]
    assert main(args) == 0
    assert "hybrid" in capsys.readouterr().out
    data = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert set(data["summary"]) == {"hybrid", "bm25", "dense"}
    for row in data["summary"].values():
        for name in ("hit@5", "mrr@10", "accuracy", "citation_recall", "refusal_accuracy"):
            assert row[name] is None or 0.0 <= row[name] <= 1.0
    assert data["summary"]["bm25"]["hit@5"] > 0.5  # keyword search alone finds most smoke questions' paragraphs
    assert (report / "report.md").exists() and (report / "chart.png").stat().st_size > 1000


def test_cmrc_open_domain_run_on_a_tiny_file(tmp_path: Path):
    from dataclasses import replace

    from qa.eval.cmrc import format_cmrc, run_cmrc
    from qa.settings import Settings

    path = write_cmrc(tmp_path / "cmrc.json", [
        ("p1", "沙坪坝区总工会建成工会驿站174个。", "沙坪坝区建成了多少个工会驿站？", "174个"),
        ("p2", "巫山县已建立新就业形态工会组织41个。", "巫山县建立了多少个新就业形态工会组织？", "41个"),
        ("p3", "江西省首届职工创新成果交流大会在南昌举行。", "首届职工创新成果交流大会在哪里举行？", "南昌")])
    settings = replace(Settings(), index_dir=tmp_path / "index", model="hashing", show_progress=False)
    summary = run_cmrc(path, settings, systems=("hybrid", "bm25", "plain-bm25", "plain-rrf"))
    assert summary["passages"] == 3 and summary["questions"] == 3
    assert list(summary["systems"]) == ["hybrid", "bm25", "plain-bm25", "plain-rrf"]
    assert summary["systems"]["bm25"]["hit@1"] == 1.0 and summary["systems"]["plain-bm25"]["hit@1"] == 1.0
    assert summary["systems"]["hybrid"]["em"] >= 2 / 3  # the short answers 174个 and 41个 match exactly
    assert summary["systems"]["plain-bm25"]["em"] == 0.0  # a baseline answers with a whole sentence
    assert 0.0 < summary["systems"]["plain-bm25"]["f1"] < 1.0
    assert "| hybrid |" in format_cmrc(summary) and "| plain-rrf |" in format_cmrc(summary)
    assert summary["forms"]["hybrid"]["number"]["n"] == 2 and summary["forms"]["hybrid"]["place"]["n"] == 1
    assert "| number | 2 |" in format_cmrc(summary)


def test_a_reader_never_rebuilds_an_index_from_another_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]):
    """The reported loss, replayed: an archive indexed with --corpus, then `qa answer` run without --corpus from a
    folder whose default corpus/ holds other pages. The archive's index must answer and stay as it was."""
    import shutil

    from qa.index.store import current_build, load_store
    from qa.index.vectorcache import CACHE_NAME

    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")  # the bundled pages as the default corpus
    archive = write_corpus(tmp_path / "archive")
    assert main(["index", "--corpus", str(archive), "--index", "arch-index", "--model", "hashing", "-q"]) == 0
    index = tmp_path / "arch-index"
    build, cache = current_build(index), (index / CACHE_NAME).read_bytes()
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": 1, "question": "沙坪坝区建了多少个工会驿站？"}, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    assert main(["answer", "--index", "arch-index", "--input", str(questions), "--output", "a.jsonl", "-q"]) == 0
    (answer,) = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert answer["found"] and answer["citations"][0]["paragraph_id"] == "spb#p1"
    assert current_build(index) == build and (index / CACHE_NAME).read_bytes() == cache
    assert load_store(index).manifest.corpus_dir == str(archive.resolve())
    capsys.readouterr()

    # naming the other corpus (or model) is an error that says which is which; nothing is written
    assert main(["ask", "问题", "--index", "arch-index", "--corpus", "corpus", "-q"]) == 2
    err = capsys.readouterr().err
    assert str(archive.resolve()) in err and "corpus" in err and "--index OTHER_DIR" in err
    assert main(["search", "驿站", "--index", "arch-index", "--model", "multilingual-e5-small", "-q"]) == 2
    assert "built with model hashing" in capsys.readouterr().err
    assert current_build(index) == build

    # `qa index` without --corpus updates the index from its own corpus, not from corpus/
    assert main(["index", "--index", "arch-index", "-q"]) == 0
    assert "2 articles" in capsys.readouterr().out


def test_a_stale_index_is_answered_as_it_is_with_a_warning(dirs: list[str], tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture):
    from qa.index.store import current_build

    assert main(["index", *dirs]) == 0
    build = current_build(tmp_path / "index")
    (tmp_path / "corpus" / "wushan.jsonl").unlink()
    with caplog.at_level("WARNING"):
        assert main(["ask", "巫山县建立了多少个新就业形态工会组织？", *dirs]) == 0
    assert "out of date" in caplog.text and "qa index --index" in caplog.text
    assert current_build(tmp_path / "index") == build  # still the old build: only `qa index` writes


def test_over_long_and_control_character_questions(dirs: list[str], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]):
    assert main(["ask", "驿" * 50_000, *dirs]) == 0
    out = capsys.readouterr().out
    assert "问题太长（50000 字）" in out and len(out) < 2000
    questions = tmp_path / "q.jsonl"
    rows = [{"id": "long", "question": "驿" * 50_000},
            {"id": "bidi", "question": "\u202e沙坪坝区\u200b建了多少个工会驿站？\x00",
             "history": ["\x1b" * 10 + "你好"] * 500}]
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["answer", "--input", str(questions), "--output", str(tmp_path / "a.jsonl"), *dirs]) == 0
    long, bidi = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert not long["found"] and "问题太长" in long["answer"] and long["retrieved"] == []
    assert len(long["question"]) <= 501
    assert bidi["found"] and "174" in bidi["answer"] and bidi["question"] == "沙坪坝区建了多少个工会驿站？"


def test_only_the_latest_history_turns_reach_the_follow_up_resolver(dirs: list[str], tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    from qa.query import followup
    from qa.query.limits import MAX_HISTORY_TURNS, MAX_TURN_CHARS

    seen: list[list[dict]] = []
    resolve = followup.resolve_followup
    monkeypatch.setattr(followup, "resolve_followup", lambda q, history: seen.append(history) or resolve(q, history))
    questions = tmp_path / "q.jsonl"
    history = ["驿" * 50_000] * 999 + ["沙坪坝区建了多少个工会驿站？"]
    questions.write_text(json.dumps({"id": 1, "question": "其中多少个升级改造了？", "history": history},
                                    ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["answer", "--input", str(questions), "--output", str(tmp_path / "a.jsonl"), *dirs]) == 0
    (turns,) = seen
    assert len(turns) == MAX_HISTORY_TURNS and all(len(t["content"]) <= MAX_TURN_CHARS for t in turns)
    (row,) = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["found"] and "24" in row["answer"]  # the latest turn still resolves the follow-up


def test_cmrc_defaults_to_the_committed_dev_set():
    from qa.cli import CMRC_DEV, _parser

    assert _parser().parse_args(["eval", "--cmrc"]).cmrc == CMRC_DEV
    assert (REPO / CMRC_DEV).stat().st_size > 3_000_000 and (REPO / CMRC_DEV).with_name("LICENCE").exists()
    data = json.loads((REPO / CMRC_DEV).read_text(encoding="utf-8"))
    assert sum(len(p["qas"]) for d in data["data"] for p in d["paragraphs"]) == 3219


def test_a_reader_never_builds_an_index_at_a_path_that_is_not_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]):
    """A mistyped --index is an error, not a new index of the bundled pages."""
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    for command in (["ask", "问题"], ["search", "驿站"], ["answer", "--input", "q.jsonl", "--output", "a.jsonl"]):
        assert main([*command, "--index", "ARCH_INDX", "--model", "hashing", "-q"]) == 2
        assert "no index at ARCH_INDX" in capsys.readouterr().err
    assert not (tmp_path / "ARCH_INDX").exists() and not (tmp_path / "index").exists()
