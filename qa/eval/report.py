"""Write an evaluation result as report.md, report.json and chart.png, compared with the previous report.json.

report.json holds everything (summaries, per-type numbers, every per-question record) and is what the next run
compares against: metric deltas per system, and question by question which answers got better or regressed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.eval.runner import LATENCY, METRICS, EvalResult

log = logging.getLogger(__name__)

REPORT_FORMAT = 1
HEADLINE = ("hit@1", "hit@5", "mrr@10", "ndcg@10", "accuracy", "f1", "citation_recall", "refusal_accuracy")
LABELS = {"mrr@10": "MRR@10", "ndcg@10": "nDCG@10", "em": "EM", "f1": "F1", "citation_recall": "cite R",
          "citation_precision": "cite P", "refusal_accuracy": "refusal acc", "false_refusal_rate": "false refusal",
          "overall_accuracy": "overall", "latency_p50_ms": "p50 ms", "latency_p95_ms": "p95 ms"}
COLUMNS = METRICS + LATENCY


def _fmt(value: float | None, metric: str = "") -> str:
    if value is None:
        return "–"
    if metric in ("n", "errors"):
        return f"{value:.0f}"
    return f"{value:.1f}" if metric.endswith("_ms") else f"{value:.3f}"


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def result_to_dict(result: EvalResult) -> dict[str, Any]:
    """The JSON form of a result (what report.json holds, and what comparisons read)."""
    data = {"format": REPORT_FORMAT, "created": result.created, "note": result.note, "n_items": result.n_items,
            "systems": list(result.systems), "summary": result.summary, "by_type": result.by_type,
            "records": {name: [_record(r) for r in rows] for name, rows in result.records.items()}}
    return data | ({"by_form": result.by_form} if result.by_form else {})


def _record(r: Any) -> dict[str, Any]:
    """A record as JSON; what was retrieved is kept for failures only (the report lists those), to stay small."""
    row = asdict(r)
    if r.correct:
        row["top"] = []
    return row


def load_report(path: Path) -> dict[str, Any]:
    """Read a report.json (or the report.json inside a folder) written by `write_report`."""
    path = Path(path)
    path = path / "report.json" if path.is_dir() else path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QAError(f"cannot read the previous report {path}: {exc}; delete it or pass another one") from exc
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        raise QAError(f"{path} is not a format-{REPORT_FORMAT} report.json; delete it to start a fresh comparison")
    return data


def compare(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Metric deltas and per-question changes (answer outcome, retrieval hit@5) for systems present in both."""
    before_systems = list(previous.get("summary", {}))
    out: dict[str, Any] = {"previous_created": previous.get("created", ""), "deltas": {}, "changes": {},
                           "new_systems": [n for n in current["systems"] if n not in before_systems],
                           "dropped_systems": [n for n in before_systems if n not in current["systems"]]}
    for name in current["systems"]:
        if name not in previous.get("summary", {}):
            continue
        before, now = previous["summary"][name], current["summary"][name]
        out["deltas"][name] = {m: [before.get(m), now.get(m)] for m in COLUMNS}
        old = {r["id"]: r for r in previous.get("records", {}).get(name, [])}
        changes = {"improved": [], "regressed": []}
        for rec in current["records"][name]:
            prev = old.get(rec["id"])
            if prev is None:
                continue
            for what, a, b in (("answer", prev["correct"], rec["correct"]),
                               ("hit@5", prev["scores"].get("hit@5"), rec["scores"].get("hit@5"))):
                if a is None or b is None or bool(a) == bool(b):
                    continue
                entry = {"id": rec["id"], "type": rec["type"], "question": rec["question"], "what": what,
                         "answer": rec["answer"], "previous_answer": prev["answer"]}
                changes["improved" if b else "regressed"].append(entry)
        out["changes"][name] = changes
    return out


def write_report(result: EvalResult, out_dir: Path, previous: Path | None = None) -> Path:
    """Write report.md, report.json and chart.png into `out_dir` (created if needed); return report.md's path.

    `previous` is an earlier report.json (or its folder); an unreadable one is reported, not fatal.
    """
    out_dir = Path(out_dir)
    data = result_to_dict(result)
    comparison, problem = None, ""
    if previous is not None:
        try:
            comparison = compare(load_report(previous), data)
        except QAError as exc:
            log.warning("%s", exc)
            problem = str(exc)
    data["comparison"] = comparison
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    write_chart(data, out_dir / "chart.png")
    md = out_dir / "report.md"
    md.write_text(_markdown(data, comparison, problem), encoding="utf-8")
    log.info("report written to %s", out_dir)
    return md


def write_chart(data: dict[str, Any], path: Path) -> None:
    """Grouped bar chart of the headline metrics, one bar per system (English labels only)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    systems = data["systems"]
    fig = Figure(figsize=(max(8.0, 1.2 * len(HEADLINE)), 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(systems))
    for i, name in enumerate(systems):
        values = [data["summary"][name].get(m) for m in HEADLINE]
        xs = [j + (i - (len(systems) - 1) / 2) * width for j in range(len(HEADLINE))]
        ax.bar(xs, [float("nan") if v is None else v for v in values], width, label=name)
    ax.set_xticks(range(len(HEADLINE)), [LABELS.get(m, m) for m in HEADLINE], rotation=20)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("score")
    ax.set_title(f"union-qa evaluation ({data['n_items']} questions)")
    ax.legend(loc="upper center", ncol=max(1, len(systems)), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def _markdown(data: dict[str, Any], comparison: dict[str, Any] | None, problem: str) -> str:
    lines = ["# union-qa evaluation report", ""]
    if data["note"]:
        lines += [f"> **Note:** {data['note']}", ""]
    lines += [f"{data['n_items']} questions, systems: {', '.join(data['systems'])}; created {data['created']}.",
              "Retrieval metrics and EM/F1/accuracy are over answerable questions; citation metrics over answered "
              "answerable questions; refusal accuracy over unanswerable ones.", "", "## Summary", ""]
    lines += _table(["system", *[LABELS.get(m, m) for m in COLUMNS], "errors"],
                    [[n, *[_fmt(s.get(m), m) for m in COLUMNS], _fmt(s["errors"], "errors")]
                     for n, s in data["summary"].items()])
    lines += ["", "## By question type", "", "correct = right answer, or a refusal when unanswerable.", ""]
    lines += _breakdown(data, "by_type", "type")
    if data.get("by_form"):
        lines += ["", "## By asked form", "", "The form the product detects in the question (number, date, …).", ""]
        lines += _breakdown(data, "by_form", "form")
    lines += ["", "## Failures", ""]
    for name, records in data["records"].items():
        failed = [r for r in records if not r["correct"]]
        lines += [f"### {name}: {len(failed)} of {len(records)}", ""]
        lines += [_failure(r) for r in failed] or ["none"]
        lines.append("")
    if problem:
        lines += ["## Comparison", "", f"No comparison: {problem}", ""]
    elif comparison:
        lines += _comparison(comparison)
    return "\n".join(lines) + "\n"


def _breakdown(data: dict[str, Any], key: str, label: str) -> list[str]:
    """A table of correct and hit@5 per system for each value of a breakdown (`by_type`, `by_form`)."""
    values = sorted({t for per in data[key].values() for t in per})
    first = data["systems"][0] if data["systems"] else ""
    header = [label, "n"] + [f"{n} {m}" for n in data["systems"] for m in ("correct", "hit@5")]
    rows = [[t, _fmt(data[key][first].get(t, {}).get("n"), "n")]
            + [_fmt(data[key][n].get(t, {}).get(m)) for n in data["systems"]
               for m in ("overall_accuracy", "hit@5")] for t in values]
    return _table(header, rows)


def _failure(r: dict[str, Any]) -> str:
    expected = " + ".join(" / ".join(g) for g in r["expected"]) if r["answerable"] else "(refusal)"
    got = "(refused) " if not r["found"] else ""
    kind = f"{r['type']}, {r['form']}" if r.get("form") else r["type"]
    parts = [f"- **{r['id']}** ({kind}) {r['question']}", f"  - expected: {expected}",
             f"  - answer: {got}{_one_line(r['answer'])}"]
    if r["resolved_question"] and r["resolved_question"] != r["question"]:
        parts.append(f"  - resolved question: {r['resolved_question']}")
    if r["error"]:
        parts.append(f"  - error: {r['error']}")
    parts += [f"  - retrieved {i}: `{pid}` {_one_line(snippet, 60)}" for i, (pid, snippet) in enumerate(r["top"], 1)]
    return "\n".join(parts)


def _comparison(comparison: dict[str, Any]) -> list[str]:
    lines = ["## Compared with the previous report", "", f"Previous report created {comparison['previous_created']}.",
             ""]
    for key, label in (("new_systems", "New systems"), ("dropped_systems", "Systems no longer run")):
        if comparison.get(key):
            lines += [f"{label}: {', '.join(comparison[key])}.", ""]
    systems = list(comparison["deltas"])
    if not systems:
        return lines + ["No system of this run was in the previous report.", ""]
    rows = []
    for m in COLUMNS:
        cells = []
        for n in systems:
            a, b = comparison["deltas"][n][m]
            delta = "" if a is None or b is None else f" ({b - a:+.1f})" if m.endswith("_ms") else f" ({b - a:+.3f})"
            cells.append(f"{_fmt(a, m)} → {_fmt(b, m)}{delta}")
        rows.append([LABELS.get(m, m), *cells])
    lines += _table(["metric", *systems], rows) + ["", "### Question by question", ""]
    for name, ch in comparison["changes"].items():
        lines.append(f"**{name}**: {len(ch['improved'])} improved, {len(ch['regressed'])} regressed")
        for kind in ("improved", "regressed"):
            lines += [f"- {kind}: {e['id']} ({e['type']}, {e['what']}) {e['question']} — now: "
                      f"{_one_line(e['answer'], 80)}; before: {_one_line(e['previous_answer'], 80)}" for e in ch[kind]]
        lines.append("")
    return lines


def format_summary(result: EvalResult) -> str:
    """A plain-text table for the terminal: one row per metric, one column per system."""
    systems = list(result.systems)
    width = max([14, *(len(s) + 2 for s in systems)])
    lines = [f"NOTE: {result.note}"] if result.note else []
    lines.append(f"{result.n_items} questions".ljust(20) + "".join(s.rjust(width) for s in systems))
    for m in (*COLUMNS, "errors"):
        lines.append(LABELS.get(m, m).ljust(20)
                     + "".join(_fmt(result.summary[s].get(m), m).rjust(width)
                               for s in systems))
    return "\n".join(lines)
