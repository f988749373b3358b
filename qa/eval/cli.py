"""`qa eval`: run the evaluation set for hybrid, bm25-only and dense-only side by side and write the report.

The product's systems are `QA.ask` with a different retrieval mode over the same index, so their rows differ only
in retrieval; `--systems` may add the plain baselines (plain-bm25, plain-dense, plain-rrf: qa/eval/baselines.py).
The report folder gets report.md / report.json / chart.png and a comparison with the report it replaces.
`--crud FILE` runs CRUD-style news questions over the archive the index was built from (qa/eval/crud.py; report
folder eval/reports/crud by default, with crud.md beside the report); `--cmrc PATH` runs the CMRC 2018
open-domain benchmark (qa/eval/cmrc.py). Both compare hybrid with the three plain baselines unless `--systems`
says otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import QAError
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.api import QA
    from qa.eval.runner import EvalResult, System

log = logging.getLogger(__name__)

MODES = ("hybrid", "bm25", "dense")  # the product's retrieval modes, each answered by `QA.ask`
OWN_SYSTEMS = "hybrid,bm25,dense"
FOREIGN_SYSTEMS = "hybrid,plain-bm25,plain-dense,plain-rrf"  # default of --crud and --cmrc
REPORT = Path("eval/reports/latest")
CRUD_REPORT = Path("eval/reports/crud")


def run_eval_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.cmrc and args.crud:
        raise QAError("--cmrc and --crud are separate runs: pass one of them")
    if args.cmrc:
        return _run_cmrc(args, settings)
    if args.crud:
        return _run_crud(args, settings)
    from qa.cli import open_index
    from qa.eval.runner import load_dataset, run_eval

    if not args.dataset.exists():
        raise QAError(f"evaluation set {args.dataset} does not exist: pass --dataset FILE")
    names = system_names(args.systems or OWN_SYSTEMS)
    items = load_dataset(args.dataset)[: args.limit]
    qa = open_index(args)
    result = run_eval(items, eval_systems(qa, names), progress=settings.show_progress, note=reader_note(settings))
    _write(result, args.report or REPORT)
    return 0


def _run_crud(args: argparse.Namespace, settings: Settings) -> int:
    from qa.cli import open_index
    from qa.eval.crud import format_crud, load_crud, unindexed
    from qa.eval.runner import run_eval

    if not args.crud.exists():
        raise QAError(f"CRUD questions file {args.crud} does not exist: pass --crud FILE")
    names = system_names(args.systems or FOREIGN_SYSTEMS)
    items = load_crud(args.crud)[: args.limit]
    qa = open_index(args)
    absent = unindexed(items, (a.id for a in qa.store.articles))
    note = ""
    if absent:
        note = (f"{len(absent)} of {len(items)} questions have none of their doc_ids in the index (e.g. {absent[0]}): "
                "their retrieval can only miss; was the index built from the archive these questions use?")
        log.warning("%s", note)
    note = " ".join(n for n in (reader_note(settings), note) if n)
    result = run_eval(items, eval_systems(qa, names), progress=settings.show_progress, note=note)
    report = args.report or CRUD_REPORT
    _write(result, report)
    title = (f"CRUD news questions: {len(items)} from {args.crud.name} over {len(qa.store.articles)} articles "
             f"({len(qa.store.chunks)} chunks), model {qa.store.model_id}"
             + (f", reader {settings.reader}" if settings.reader else ""))
    table = format_crud(result, title)
    (report / "crud.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    return 0


def reader_note(settings: Settings) -> str:
    """The report's note when the product systems re-read with a language model ("" without one)."""
    if not settings.reader:
        return ""
    return f"The product systems re-read their top candidates with the reader {settings.reader}."


def _write(result: EvalResult, report: Path) -> None:
    """report.md/json/chart.png into `report`, compared with the report.json it replaces; the summary printed."""
    from qa.eval.report import format_summary, write_report

    with tempfile.TemporaryDirectory() as tmp:
        previous = None
        if (report / "report.json").exists():
            previous = Path(tmp) / "previous.json"
            shutil.copy(report / "report.json", previous)
        write_report(result, report, previous=previous)
    print(format_summary(result))
    print(f"report written to {report}/report.md")


def system_names(spec: str) -> tuple[str, ...]:
    """The system names of a `--systems` value, checked: product modes and plain baselines."""
    from qa.eval.baselines import PLAIN

    names = tuple(dict.fromkeys(n.strip() for n in spec.split(",") if n.strip()))
    unknown = [n for n in names if n not in (*MODES, *PLAIN)]
    if unknown or not names:
        raise QAError(f"unknown system(s) {', '.join(unknown) or '(none)'} in --systems: choose from "
                      f"{', '.join((*MODES, *PLAIN))}")
    return names


def eval_systems(qa: QA, names: Sequence[str]) -> dict[str, System]:
    """The named systems over one index, in the order given: product modes via `qa_systems`, plain baselines via
    qa/eval/baselines.py (built on the index's own paragraphs and vectors)."""
    from qa.eval.baselines import PLAIN, plain_systems

    plain = [n for n in names if n in PLAIN]
    made = qa_systems(qa, [n for n in names if n not in PLAIN])
    made |= plain_systems(qa.store, qa.embedder, plain) if plain else {}
    return {n: made[n] for n in names}


def qa_systems(qa: QA, modes: Sequence[str]) -> dict[str, System]:
    """The systems `qa eval` compares: `qa.ask` over one index, one per retrieval mode (hybrid, bm25, dense)."""
    return {mode: (lambda q, h, mode=mode: qa.ask(q, h, mode=mode)) for mode in modes}


def _run_cmrc(args: argparse.Namespace, settings: Settings) -> int:
    from qa.eval.cmrc import cmrc_settings, format_cmrc, run_cmrc

    if not args.cmrc.exists():
        raise QAError(f"CMRC file {args.cmrc} does not exist: run from the repository root (the dev set is "
                      "eval/cmrc2018/cmrc2018_dev.json) or pass its path")
    names = system_names(args.systems or FOREIGN_SYSTEMS)
    summary = run_cmrc(args.cmrc, cmrc_settings(settings), systems=names, limit=args.limit)
    table = format_cmrc(summary)
    report = args.report or REPORT
    report.mkdir(parents=True, exist_ok=True)
    (report / "cmrc.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    (report / "cmrc.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    return 0
