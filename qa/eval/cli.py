"""`qa eval`: run the evaluation set for hybrid, bm25-only and dense-only side by side and write the report.

Every system is `QA.ask` with a different retrieval mode over the same index, so rows differ only in retrieval;
the report folder gets report.md / report.json / chart.png and a comparison with the report it replaces.
`--cmrc PATH` runs the CMRC 2018 open-domain benchmark instead (see qa/eval/cmrc.py).
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
    from qa.eval.runner import System

log = logging.getLogger(__name__)


def run_eval_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.cmrc:
        return _run_cmrc(args, settings)
    from qa.cli import open_index
    from qa.eval.report import format_summary, write_report
    from qa.eval.runner import load_dataset, run_eval

    if not args.dataset.exists():
        raise QAError(f"evaluation set {args.dataset} does not exist: pass --dataset FILE")
    items = load_dataset(args.dataset)[: args.limit]
    qa = open_index(args)
    modes = [m.strip() for m in args.systems.split(",") if m.strip()]
    result = run_eval(items, qa_systems(qa, modes), progress=settings.show_progress)
    with tempfile.TemporaryDirectory() as tmp:
        previous = None
        if (args.report / "report.json").exists():
            previous = Path(tmp) / "previous.json"
            shutil.copy(args.report / "report.json", previous)
        write_report(result, args.report, previous=previous)
    print(format_summary(result))
    print(f"report written to {args.report}/report.md")
    return 0


def qa_systems(qa: QA, modes: Sequence[str]) -> dict[str, System]:
    """The systems `qa eval` compares: `qa.ask` over one index, one per retrieval mode (hybrid, bm25, dense)."""
    return {mode: (lambda q, h, mode=mode: qa.ask(q, h, mode=mode)) for mode in modes}


def _run_cmrc(args: argparse.Namespace, settings: Settings) -> int:
    from qa.eval.cmrc import cmrc_settings, format_cmrc, run_cmrc

    if not args.cmrc.exists():
        raise QAError(f"CMRC file {args.cmrc} does not exist: run from the repository root (the dev set is "
                      "eval/cmrc2018/cmrc2018_dev.json) or pass its path")
    modes = tuple(m.strip() for m in args.systems.split(",") if m.strip())
    summary = run_cmrc(args.cmrc, cmrc_settings(settings), modes=modes, limit=args.limit)
    table = format_cmrc(summary)
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "cmrc.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    (args.report / "cmrc.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    return 0
