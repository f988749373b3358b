"""The `qa` command: index, search, ask, answer, eval. Heavy libraries load only inside the command that needs them.

Only `qa index` writes an index. The other commands open it as it is, with the corpus, model and backend it records;
a `--corpus`, `--model` or backend option that differs from the recorded one is an error naming both (an index that
does not exist yet is built first, from `--corpus` or corpus/).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import QAError
from qa.index.backend import DEFAULT_COLLECTION, KEYWORDS, KINDS, LITE_FILE
from qa.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    from qa.api import QA
    from qa.schema import SearchFilter

log = logging.getLogger(__name__)  # this module's own messages
APP_LOGGER = "qa"  # the application's root logger: the CLI sets its level; libraries stay at WARNING

DEFAULT_INDEX = Path("index")
CMRC_DEV = Path("eval/cmrc2018/cmrc2018_dev.json")  # committed with its licence (CC BY-SA 4.0)


def index_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """--corpus, --index and --model, as every command and the UI take them."""
    parser.add_argument("--corpus", type=Path, default=None,
                        help="corpus directory (default: the one the index was built from, else corpus/)")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index directory (default: index/)")
    parser.add_argument("--model", default=None,
                        help=f"'{DEFAULT_MODEL}' (on ONNX Runtime; ':torch', ':onnx-int8', ':onnx-mixed' after it pick "
                             "another way to run it), 'hashing', or a local sentence-transformers directory (default: "
                             f"the index's own model, else {DEFAULT_MODEL})")
    parser.add_argument("--backend", choices=sorted(KINDS), default=None,
                        help="where vectors and search live: faiss files in the index, or Milvus (default: the index's "
                             "own, else faiss)")
    parser.add_argument("--milvus-uri", default=None,
                        help=f"Milvus Lite file (a path ending in .db; default <index>/{LITE_FILE}) or a server, "
                             "http://host:19530")
    parser.add_argument("--collection", default=None,
                        help=f"Milvus alias of the live build's collection (default {DEFAULT_COLLECTION})")
    parser.add_argument("--milvus-keyword", choices=KEYWORDS, default=None,
                        help="keyword side with --backend milvus: the local bm25s index (default) or Milvus' BM25")
    return parser


def backend_options(args: argparse.Namespace) -> dict[str, str]:
    """The backend options given on the command line (only those set), for `qa.index.indexer.settle`."""
    given = {"kind": args.backend, "uri": args.milvus_uri, "collection": args.collection,
             "keyword": args.milvus_keyword}
    return {k: v for k, v in given.items() if v is not None}


def filter_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """--since, --until and --source: which paragraphs a search may return."""
    parser.add_argument("--since", default="", help="only paragraphs dated on or after (2024-07-20, 2024-07, 2024)")
    parser.add_argument("--until", default="", help="only paragraphs dated on or before")
    parser.add_argument("--source", action="append", default=[], help="only paragraphs of this source (repeatable)")
    return parser


def positive_int(text: str) -> int:
    """An argparse type: a whole number ≥ 1 (`-k 0` or `-k -5` is a usage error, not 10 or 71 results)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1, got {text!r}")
    return value


def search_filter(args: argparse.Namespace) -> SearchFilter | None:
    from qa.schema import SearchFilter

    try:
        where = SearchFilter(args.since, args.until, tuple(args.source))
    except ValueError as exc:
        raise QAError(str(exc)) from None
    return where or None


def reader_argument(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """--reader: the answering commands and the UI may re-read the top candidates with a local language model."""
    from qa.answer.llm import READERS

    parser.add_argument("--reader", choices=sorted(READERS), default=None,
                        help="re-read the best candidate sentences with this local language model, which picks the "
                             "answer sentence and quotes the short answer (about 2-3 s a question on 2 cores; needs "
                             "`pip install -c constraints.txt -e '.[reader]'`; default: none)")
    return parser


def _parser() -> argparse.ArgumentParser:
    common = index_arguments(argparse.ArgumentParser(add_help=False))
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars, warnings only")
    p = argparse.ArgumentParser(prog="qa", description="工会资讯问答 — cited answers over union news")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("index", parents=[common], help="build or update the index (only new text is embedded)")
    s.add_argument("--rebuild", action="store_true",
                   help="re-read the whole corpus without the old build (vectors still come from the embedding cache)")
    s.add_argument("--replace-corpus", action="store_true",
                   help="re-index an index that was built from another corpus from --corpus (without it, that is "
                        "an error)")
    s = sub.add_parser("search", parents=[common], help="print the top retrieved paragraphs")
    s.add_argument("query")
    s.add_argument("-k", type=positive_int, default=5, help="how many paragraphs to print (default 5)")
    s.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid")
    filter_arguments(s)
    s = sub.add_parser("ask", parents=[common], help="answer one question with citations")
    s.add_argument("question")
    filter_arguments(s)
    s.add_argument("--history", action="append", default=[], help="an earlier user turn (repeatable, oldest first)")
    reader_argument(s)
    s = sub.add_parser("answer", parents=[common], help="answer a JSONL file of questions (batch interface)")
    s.add_argument("--input", type=Path, required=True)
    s.add_argument("--output", type=Path, required=True)
    reader_argument(s)
    s = sub.add_parser("eval", parents=[common], help="run the evaluation set and write a report")
    s.add_argument("--dataset", type=Path, default=Path("eval/questions.jsonl"))
    s.add_argument("--report", type=Path, default=None,
                   help="report folder (default: eval/reports/latest, with --crud eval/reports/crud)")
    s.add_argument("--systems", default=None,
                   help="comma-separated systems to compare: the product's retrieval modes hybrid, bm25, dense and "
                        "the plain baselines plain-bm25, plain-dense, plain-rrf (default: hybrid,bm25,dense; with "
                        "--crud or --cmrc: hybrid and the three baselines)")
    s.add_argument("--cmrc", type=Path, nargs="?", default=None, const=CMRC_DEV,
                   help=f"run the CMRC 2018 open-domain benchmark (default file: {CMRC_DEV})")
    s.add_argument("--crud", type=Path, default=None, metavar="QUESTIONS",
                   help="run CRUD-style news questions (groups, doc_ids) over the archive --index was built from")
    s.add_argument("--limit", type=int, default=None, help="only the first N questions")
    reader_argument(s)
    return p


def _settings(args: argparse.Namespace, writing: bool = False) -> Settings:
    """Settings for the command: the index's recorded corpus and model unless given (a reader may not differ)."""
    from qa.index.indexer import settle

    base = replace(Settings(), index_dir=args.index, show_progress=not args.quiet,
                   reader=getattr(args, "reader", None) or "")
    return settle(base, args.corpus, args.model, writing=writing, backend=backend_options(args),
                  replace_corpus=getattr(args, "replace_corpus", False))


def cmd_index(args: argparse.Namespace) -> int:
    from qa.index.embed import load_embedder
    from qa.index.indexer import build_index
    from qa.index.stages import summary as stage_summary

    if args.replace_corpus and args.corpus is None:
        raise QAError("--replace-corpus re-indexes from the corpus given with --corpus: give --corpus DIR")
    settings = _settings(args, writing=True)
    _, report = build_index(settings, load_embedder(settings), rebuild=args.rebuild)
    print(f"index {settings.index_dir}: {report.summary()}")
    if report.stages:
        print(stage_summary(report.stages))
    return 0


def builds_missing_index(args: argparse.Namespace) -> bool:
    """Whether a reading command (or the UI) builds its index where none exists yet: only the default index (no
    --index, no --corpus), from corpus/; a missing --index DIR is an error (a mistyped path must not quietly index
    the bundled pages)."""
    return args.index == DEFAULT_INDEX and args.corpus is None


def open_index(args: argparse.Namespace) -> QA:
    """The index a reading command asks for, opened as it is (built first only as `builds_missing_index` says)."""
    from qa.api import QA

    return QA.open(_settings(args), build=builds_missing_index(args))


def cmd_search(args: argparse.Namespace) -> int:
    from qa.ui.terminal import format_hits

    where = search_filter(args)  # a bad filter is an error before the index and model are loaded
    qa = open_index(args)
    print(format_hits(qa.search(args.query, args.k, args.mode, where=where)))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.ui.terminal import format_answer

    where = search_filter(args)
    qa = open_index(args)
    print(format_answer(qa.ask(args.question, args.history, where=where)))
    return 0


def cmd_answer(args: argparse.Namespace) -> int:
    from qa.batch import answer_file

    n, errors = answer_file(open_index(args), args.input, args.output, show_progress=not args.quiet)
    print(f"wrote {n} answers to {args.output}" + (f" ({errors} lines could not be asked: their rows have "
                                                     '"error")' if errors else ""))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from qa.eval.cli import run_eval_command

    return run_eval_command(args, _settings(args))


COMMANDS = {"index": cmd_index, "search": cmd_search, "ask": cmd_ask, "answer": cmd_answer, "eval": cmd_eval}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger(APP_LOGGER).setLevel(level)  # every qa.* logger, this module's too
    if not args.verbose:  # bm25s sets its own logger to DEBUG when imported: keep its chatter off the terminal
        for handler in logging.getLogger().handlers:
            handler.addFilter(lambda r: r.levelno >= logging.WARNING or not r.name.startswith("bm25s"))
    try:
        return COMMANDS[args.command](args)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`qa ask … | head`): stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes stdout
        return 0


if __name__ == "__main__":
    sys.exit(main())
