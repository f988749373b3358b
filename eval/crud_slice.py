"""Cut a manageable slice of a CRUD-style archive: a seeded sample of questions and a news folder that holds every
item they need plus seeded random distractors, so `qa index` and `qa eval --crud` run in minutes, not hours.

    python eval/crud_slice.py QUESTIONS.jsonl NEWS.jsonl.gz OUT_DIR [--questions 300] [--items 2000] [--seed 0]

writes OUT_DIR/questions.jsonl (the sampled questions, in their original order) and OUT_DIR/news/news.jsonl (the
needed items first, then distractors, `--items` in all); then index and evaluate it:

    qa index --corpus OUT_DIR/news --index OUT_DIR/index
    qa eval --crud OUT_DIR/questions.jsonl --index OUT_DIR/index --report OUT_DIR/report

Nothing is written outside OUT_DIR; the inputs are only read.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import IO


def sample_questions(rows: list[dict], n: int, seed: int) -> list[dict]:
    """`n` rows drawn at random with `seed` (all when there are fewer), kept in their original order."""
    if n >= len(rows):
        return rows
    keep = set(random.Random(seed).sample(range(len(rows)), n))
    return [r for i, r in enumerate(rows) if i in keep]


def slice_items(news: list[dict], needed: set[str], total: int, seed: int) -> list[dict]:
    """Every item whose id is in `needed`, then random other items (with `seed`) up to `total` items."""
    own = [item for item in news if item["id"] in needed]
    others = [item for item in news if item["id"] not in needed]
    extra = random.Random(seed).sample(others, max(0, min(total - len(own), len(others))))
    return own + extra


def read_jsonl(path: Path) -> list[dict]:
    """The rows of a JSONL file, gzipped when its name ends in .gz; blank lines skipped."""
    with _opener(path)(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    """`rows` as JSONL (gzipped when the name ends in .gz), its folder made if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _opener(path)(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def _opener(path: Path) -> Callable[..., IO[str]]:
    """gzip.open for a name ending in .gz, else open."""
    return gzip.open if path.name.lower().endswith(".gz") else open


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, help="the questions JSONL (with doc_ids)")
    parser.add_argument("news", type=Path, help="the news archive, JSONL or JSONL.gz (one item per line, with id)")
    parser.add_argument("out", type=Path, help="output folder (questions.jsonl and news/news.jsonl)")
    parser.add_argument("--questions", dest="n_questions", type=int, default=300, help="questions to sample")
    parser.add_argument("--items", type=int, default=2000, help="news items in all (needed ones + distractors)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    questions = sample_questions(read_jsonl(args.questions), args.n_questions, args.seed)
    needed = {d for q in questions for d in q["doc_ids"]}
    news = read_jsonl(args.news)
    missing = needed - {item["id"] for item in news}
    if missing:
        print(f"warning: {len(missing)} needed items are not in {args.news}, e.g. {sorted(missing)[:3]}")
    items = slice_items(news, needed, args.items, args.seed)
    write_jsonl(args.out / "questions.jsonl", questions)
    write_jsonl(args.out / "news" / "news.jsonl", items)
    print(f"{len(questions)} questions, {len(items)} items ({len(needed) - len(missing)} needed) in {args.out}")


if __name__ == "__main__":
    main()
