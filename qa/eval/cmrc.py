"""CMRC 2018 dev run open-domain: every passage pooled into one index, every question answered by the system.

Reports hit@1/@5 (the question's own passage retrieved) and CMRC EM/F1 of the answer for each named system: the
product's retrieval modes (hybrid, bm25, dense: retrieval, then the composer; EM/F1 on the short answer when it gives
one) and the plain baselines of qa/eval/baselines.py (plain-bm25, plain-dense, plain-rrf: the best-overlap sentence
of the top passage). The data is read from where it lies, never copied.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from qa.schema import Answer, Article, Paragraph
from qa.settings import Settings

log = logging.getLogger(__name__)

_MARKER = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class CmrcQuestion:
    """One CMRC question with the id of its passage's paragraph and the gold answer strings."""

    id: str
    question: str
    paragraph_id: str
    answers: tuple[str, ...]
    history: tuple[str, ...] = ()  # CMRC asks no follow-ups (an evaluation item's field, as in the own set)


def load_cmrc(path: Path) -> tuple[list[Article], list[CmrcQuestion]]:
    """Articles (one paragraph per passage) and questions from a SQuAD-format CMRC 2018 file."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles, questions = [], []
    for doc in data:
        for j, para in enumerate(doc["paragraphs"], start=1):
            aid = f"cmrc-{para.get('id', doc.get('id', len(articles)))}-{j}"
            title = doc.get("title", "") or aid
            p = Paragraph(id=f"{aid}#p1", article_id=aid, n=1, text=para["context"], title=title, source="CMRC 2018")
            articles.append(Article(id=aid, title=title, paragraphs=(p,), source="CMRC 2018"))
            questions += [CmrcQuestion(qa["id"], qa["question"], p.id, tuple(a["text"] for a in qa["answers"]))
                          for qa in para["qas"]]
    return articles, questions


SYSTEMS = ("hybrid", "plain-bm25", "plain-dense", "plain-rrf")


def run_cmrc(path: Path, settings: Settings, systems: Sequence[str] = SYSTEMS, limit: int | None = None) -> dict:
    """Index the pooled passages under `settings.index_dir`, answer every question with each named system
    (retrieval modes hybrid/bm25/dense, baselines plain-bm25/plain-dense/plain-rrf), return the summary dict."""
    from tqdm import tqdm

    from qa.api import QA
    from qa.eval.baselines import PLAIN, plain_systems
    from qa.index.embed import load_embedder
    from qa.index.indexer import build_index
    from qa.query.question import analyze_question

    start = time.perf_counter()
    articles, questions = load_cmrc(path)
    questions = questions[:limit] if limit else questions
    embedder = load_embedder(settings)
    store, report = build_index(settings, embedder, articles=articles)
    qa = QA(store, embedder, settings)
    plain = plain_systems(store, embedder, [n for n in systems if n in PLAIN])

    def runner(name: str) -> Callable[[str], Answer]:
        if name in PLAIN:  # the best-overlap sentence of its own top passage
            return lambda q: plain[name](q, [])
        return lambda q: qa.answer_hits(q, qa.search(q, 10, name))  # the product's retrieval mode and composer

    forms = [str(analyze_question(q.question).form) for q in questions]
    rows: dict[str, dict[str, float]] = {}
    by_form: dict[str, dict[str, dict[str, float]]] = {}
    for name in systems:
        run = runner(name)
        sums = {"hit@1": 0.0, "hit@5": 0.0, "em": 0.0, "f1": 0.0}
        scored: list[tuple[float, float]] = []
        t0 = time.perf_counter()
        for q in tqdm(questions, desc=f"cmrc {name}", unit="q", disable=not settings.show_progress):
            answer = run(q.question)
            ids = [h.paragraph.id for h in answer.hits]
            sums["hit@1"] += q.paragraph_id in ids[:1]
            sums["hit@5"] += q.paragraph_id in ids[:5]
            em, f1 = cmrc_em_f1(answer, q.answers)
            sums["em"] += em
            sums["f1"] += f1
            scored.append((em, f1))
        n = max(1, len(questions))
        rows[name] = {k: round(v / n, 4) for k, v in sums.items()} | {
            "ms_per_question": round((time.perf_counter() - t0) * 1000 / n, 1)}
        by_form[name] = per_form(forms, scored)
    return {"dataset": str(path), "passages": len(articles), "questions": len(questions), "model": embedder.name,
            "reader": settings.reader or None,
            "index_seconds": round(report.seconds, 1), "wall_seconds": round(time.perf_counter() - start, 1),
            "systems": rows, "forms": by_form}


def cmrc_em_f1(answer: Answer, golds: Sequence[str]) -> tuple[float, float]:
    """CMRC's (EM, F1) of an answer: of its short answer when the composer found one, else of its text without the
    citation markers; (0, 0) for "not found"."""
    from qa.eval.metrics import best_span_em_f1

    if not answer.found:
        return 0.0, 0.0
    return best_span_em_f1(answer.short or _MARKER.sub("", answer.text), list(golds))


def per_form(forms: Sequence[str], scored: Sequence[tuple[float, float]]) -> dict[str, dict[str, float]]:
    """Mean EM and F1 by question form (`forms[i]` is question i's, `scored[i]` its (EM, F1)), most asked first."""
    groups: dict[str, list[tuple[float, float]]] = {}
    for form, pair in zip(forms, scored, strict=True):
        groups.setdefault(form, []).append(pair)
    return {form: {"n": len(g), "em": round(sum(e for e, _ in g) / len(g), 4),
                   "f1": round(sum(f for _, f in g) / len(g), 4)}
            for form, g in sorted(groups.items(), key=lambda kv: -len(kv[1]))}


def format_cmrc(summary: dict) -> str:
    """A Markdown table of the CMRC summary."""
    lines = [f"CMRC 2018 dev, open-domain: {summary['questions']} questions over {summary['passages']} pooled "
             f"passages; model {summary['model']}"
             + (f", reader {summary['reader']}" if summary.get("reader") else "")
             + f"; index {summary['index_seconds']} s; "
             f"wall {summary['wall_seconds']} s",
             "", "| system | hit@1 | hit@5 | EM | F1 | ms/question |", "|---|---|---|---|---|---|"]
    for name, r in summary["systems"].items():
        lines.append(f"| {name} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | {r['em']:.3f} | {r['f1']:.3f} | "
                     f"{r['ms_per_question']} |")
    by_form = summary.get("forms") or {}
    if by_form:  # F1 per asked form (qa.query.question), every system on one row; all answer every question
        names = list(by_form)
        first = by_form[names[0]]
        lines += ["", "F1 by the question's form:", "", "| form | questions | " + " | ".join(names) + " |",
                  "|---|---|" + "---|" * len(names)]
        lines += [f"| {form} | {r['n']} | " + " | ".join(f"{by_form[n][form]['f1']:.3f}" for n in names) + " |"
                  for form, r in first.items()]
    return "\n".join(lines)


def cmrc_settings(settings: Settings) -> Settings:
    """The CMRC index lives in a folder inside the main one (git-ignored with it), never over it."""
    return replace(settings, index_dir=settings.index_dir / "cmrc")
