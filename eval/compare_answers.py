"""Compare two `qa answer` outputs line by line, ignoring `latency_ms`: which questions' answers, citations,
refusals or retrieved lists differ, and in which fields.

    python eval/compare_answers.py before.jsonl after.jsonl     # exit 1 when any answer differs

Used to show that a refactoring changes no answer (run `qa answer` on eval/questions.jsonl before and after).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def read_answers(path: Path) -> dict[str, dict]:
    """Output rows by id, without their latency."""
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            row.pop("latency_ms", None)
            rows[str(row["id"])] = row
    return rows


def differences(before: dict[str, dict], after: dict[str, dict]) -> list[tuple[str, list[str]]]:
    """(id, differing fields) for every id whose row differs or is missing on one side."""
    out = []
    for qid in sorted(before.keys() | after.keys()):
        a, b = before.get(qid), after.get(qid)
        if a != b:
            both = a is not None and b is not None
            fields = [f for f in a.keys() | b.keys() if a.get(f) != b.get(f)] if both else ["(missing)"]
            out.append((qid, sorted(fields)))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    args = p.parse_args(argv)
    before, after = read_answers(args.before), read_answers(args.after)
    diff = differences(before, after)
    for qid, fields in diff:
        print(qid, ", ".join(fields))
    print(f"{len(diff)} of {len(before.keys() | after.keys())} differ")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
