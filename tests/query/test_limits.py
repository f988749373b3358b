"""Bounded work per question: cleaning, the length limit and the history cap, through the Python API."""

from __future__ import annotations

import time

import pytest

from qa.api import QA
from qa.index.embed import HashingEmbedder
from qa.query.limits import MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, MAX_TURN_CHARS, clean_history, clean_text


def test_clean_text_strips_controls_bidi_and_zero_width_and_folds_space():
    assert clean_text("\u202e沙坪坝\u2066区\u2069\u200b建了\x00多少\x1b个？\ufeff") == "沙坪坝区建了多少个？"
    assert clean_text("  a\tb\n\nc\r\n ") == "a b c"
    assert clean_text("工会驿站🏠 café") == "工会驿站🏠 café"  # letters and emoji stay


def test_clean_history_keeps_the_latest_turns_cut_to_size():
    turns = [{"role": "user", "content": f"问题{i}" + "字" * 5000} for i in range(100)]
    kept = clean_history(turns)
    assert len(kept) == MAX_HISTORY_TURNS and kept[-1]["content"].startswith("问题99")
    assert all(len(t["content"]) <= MAX_TURN_CHARS for t in kept)


@pytest.fixture
def qa(tiny_settings) -> QA:
    return QA.open(tiny_settings, HashingEmbedder())


def test_an_over_long_question_is_refused_at_once_without_a_search(qa, monkeypatch):
    def no_search(*args, **kwargs):
        raise AssertionError("an over-long question must not be searched")

    monkeypatch.setattr(qa.retriever, "search", no_search)
    start = time.perf_counter()
    answer = qa.ask("驿" * 50_000)
    assert time.perf_counter() - start < 5.0  # generous: it must not do the work, not be fast on a busy machine
    assert not answer.found and answer.text.startswith("问题太长（50000 字）") and answer.citations == ()
    assert len(answer.question) == MAX_QUESTION_CHARS + 1
    assert qa.ask("驿" * (MAX_QUESTION_CHARS + 1)).text.startswith("问题太长")


def test_surrounding_space_does_not_count_towards_the_limit(qa):
    assert "174" in qa.ask(" " * 600 + "沙坪坝区建了多少个工会驿站？" + "\n" * 600).text


def test_empty_and_control_only_questions(qa):
    for question in ("", "   ", "\x00\u202e\u200b"):
        answer = qa.ask(question)
        assert not answer.found and answer.text == "请输入问题。"


def test_cleaned_question_is_what_is_searched_and_echoed(qa):
    answer = qa.ask("\u202e沙坪坝区\u200b建了多少个工会驿站？\x07", history=["\x1b" * 50] * 1000)
    assert answer.found and "174" in answer.text
    assert answer.question == "沙坪坝区建了多少个工会驿站？"
