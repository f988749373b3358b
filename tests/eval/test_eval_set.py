"""The evaluation set is sound: every gold answer and evidence is in the corpus, every article is covered, the mix
of question types holds, and the system never states a number or date its cited paragraph does not contain."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO

from qa.answer.render import unsupported_numbers
from qa.eval.runner import load_dataset
from qa.index.tokens import normalize
from qa.ingest.load import load_corpus
from qa.settings import Settings

DATASET = REPO / "eval" / "questions.jsonl"
SMOKE = REPO / "eval" / "questions_smoke.jsonl"
HOLDOUT = REPO / "eval" / "questions_holdout.jsonl"
MIN_PER_TYPE = {"number": 15, "date": 8, "entity": 10, "list": 8, "how": 8, "reworded": 8, "keyword": 4,
                "english": 10, "traditional": 10, "followup": 10, "unanswerable": 20}


@pytest.fixture(scope="module")
def items():
    return load_dataset(DATASET)


@pytest.fixture(scope="module")
def paragraphs():
    return [p for a in load_corpus(REPO / "corpus") for p in a.paragraphs]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", normalize(text))


def test_size_and_mix(items):
    assert len(items) >= 150
    counts = Counter(i.type for i in items)
    for kind, least in MIN_PER_TYPE.items():
        assert counts[kind] >= least, (kind, counts[kind])
    assert all(not i.answerable for i in items if i.type == "unanswerable")
    assert all(i.history for i in items if i.type == "followup")


def test_evidence_and_answers_are_in_one_paragraph(items, paragraphs):
    for item in items:
        if not item.answerable:
            assert not item.answers and not item.evidence, item.id
            continue
        holders = [p for p in paragraphs if _squash(item.evidence) in _squash(p.text)]
        assert holders, f"{item.id}: evidence not in the corpus"
        for group in item.answers:
            assert any(_squash(alt) in _squash(p.text) for alt in group for p in holders), (item.id, group)


def test_holdout_evidence_and_answers_are_in_one_paragraph(items, paragraphs):
    """The held-out set (written after tuning) obeys the same rules and shares no id with the main set."""
    holdout = load_dataset(HOLDOUT)
    assert not {i.id for i in holdout} & {i.id for i in items}
    test_evidence_and_answers_are_in_one_paragraph(holdout, paragraphs)


def test_every_article_is_covered(items, paragraphs):
    covered = {p.article_id for item in items if item.evidence for p in paragraphs
               if _squash(item.evidence) in _squash(p.text)}
    assert covered == {p.article_id for p in paragraphs if p.kind in ("body", "list")}


def test_smoke_set_is_a_subset(items):
    smoke = load_dataset(SMOKE)
    by_id = {i.id: i for i in items}
    assert 10 <= len(smoke) <= 40
    assert all(by_id.get(s.id) == s for s in smoke)
    assert {s.type for s in smoke} >= {"number", "english", "traditional", "followup", "unanswerable"}


def test_no_answer_states_a_number_its_citation_lacks(items, tmp_path: Path):
    """Over the whole set (weightless embedder, so it runs everywhere): numbers and dates of every answer sentence
    occur in the paragraph its marker cites, and every marker resolves to a citation."""
    from qa.api import QA

    settings = replace(Settings(), corpus_dir=REPO / "corpus", index_dir=tmp_path / "index", model="hashing",
                       show_progress=False)
    qa = QA.open(settings)
    for item in items:
        answer = qa.ask(item.question, list(item.history))
        cited = {c.n: c for c in answer.citations}
        for sentence, n in re.findall(r"([^\[\]]+)\[(\d+)\]", answer.text):
            assert int(n) in cited, (item.id, answer.text)
            assert unsupported_numbers(sentence, cited[int(n)].paragraph.text) == [], (item.id, answer.text)
        if answer.found:
            assert answer.citations, item.id
