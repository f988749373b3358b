"""Bounded load test of the chat UI on loopback: concurrent sessions, one uploader meanwhile, and an overload probe.

    python eval/loadtest.py [--sessions 20] [--questions 10] [--model hashing|multilingual-e5-small]
                            [--timeout 900] [--out eval/reports/latest/load.json]

Copies the bundled corpus to a temporary folder, indexes it there and starts `python app.py` on it (a child process,
so the server does not share this process's interpreter lock with the clients) on a free 127.0.0.1 port, never any
other address, with an admin password. One session first asks the questions in turn (the single-user answers);
then `--sessions` gradio_client sessions (one `Client` each, so one conversation each) ask the same questions at
once, each starting at another question, while one writer uploads a new article through /add_files. Every
concurrent answer (the last chat message) must equal the single-user answer of the index before or after the
upload; an exception, a timeout or the app's "抱歉…" message is an error. The questions are standalone ones from
eval/questions.jsonl whose reading no earlier turn changes (checked with `resolve_followup`), so a session's history
cannot change its answers.

The overload probe serves a second app, in this process, with one worker and a queue of two, whose `qa.ask` is
held until released (a handler slow for as long as it takes), and fires more requests than fit at once: the extra
ones must be refused (gradio_client raises QueueError) while the accepted ones are still held, i.e. at once rather
than after a timeout, and the server must answer normally afterwards. The refusal text is Gradio's own and English
only: the server answers HTTP 503 "Queue is full. Max size is N …", gradio_client says "Queue is full! Please try
again.", the page shows "This application is currently busy. Please try again." (a constant of Gradio's frontend,
not configurable).

Latency is per question as a client sees it (ms); throughput is answered questions per second of the concurrent
phase; the single-user latency is that of the second single-user pass (after the load, everything warm). Numbers
are reported, never asserted: the machine is shared. Everything stops by itself within `--timeout`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")  # gradio_client would report each Client to huggingface.co

import httpx  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.utils import QueueError  # noqa: E402

from qa.api import QA  # noqa: E402
from qa.query.followup import resolve_followup  # noqa: E402
from qa.query.limits import clean_history, clean_text  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.ui import app  # noqa: E402
from qa.ui.cards import md_safe  # noqa: E402

HOST = "127.0.0.1"  # loopback only
PASSWORD = "load-test-password"
K = Settings().top_k  # passages per answer, as the page's slider starts
REQUEST_TIMEOUT = 120.0  # seconds one request may take before it counts as an error
WRITER_DELAY = 0.5  # seconds after the sessions start that the writer uploads, so the upload lands mid-load
APP_ERROR = md_safe(app.ERROR)  # what a failed handler shows instead of an answer
UPLOAD_NAME = "jiangjin-load.txt"
UPLOAD_TEXT = ("江津区新建爱心驿站58个\n\n本报讯 近日，江津区总工会今年新建爱心驿站58个，覆盖全部镇街，"
               "为户外劳动者提供歇脚、饮水、充电等服务。\n")
UPLOAD_QUESTION, UPLOAD_FACT = "江津区新建了多少个爱心驿站？", "58"
PROBE_CONCURRENCY, PROBE_QUEUE, PROBE_REQUESTS = 1, 2, 8  # the overload probe's app, and how many it is sent


@dataclass(frozen=True)
class Reply:
    """One question as a client saw it: the answer text (last chat message), milliseconds, and an error or ""."""

    session: int
    question: str
    text: str = ""
    ms: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class LoadRun:
    """The concurrent phase: every reply, its wall time (first question to last answer), and the writer's outcome."""

    replies: list[Reply]
    wall_s: float
    writer: dict[str, Any]


# ---------- serving and asking ----------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextmanager
def serving(qa: QA, settings: Settings, feedback: Path, concurrency: int | None = None,
            queue_size: int | None = None) -> Iterator[str]:
    """The app over `qa` on a free loopback port (optionally with other queue limits), closed afterwards."""
    saved = app.CONCURRENCY, app.QUEUE_SIZE
    app.CONCURRENCY, app.QUEUE_SIZE = concurrency or app.CONCURRENCY, queue_size or app.QUEUE_SIZE
    try:
        demo = app.build_app(qa, settings, feedback, PASSWORD)
        port = free_port()
        app.launch_app(demo, HOST, port, prevent_thread_lock=True, quiet=True)
    finally:
        app.CONCURRENCY, app.QUEUE_SIZE = saved  # launch_app has read them
    try:
        yield f"http://{HOST}:{port}/"
    finally:
        demo.close()


def ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def app_process(settings: Settings, work: Path, timeout: float = 600.0) -> Iterator[tuple[str, Path]]:
    """`python app.py` over the index of `settings` on a free loopback port, as a person starts it: (its URL, its
    log file); stopped afterwards."""
    port, log_path = free_port(), work / "app.log"
    env = os.environ | {"UNION_QA_ADMIN_PASSWORD": PASSWORD, "GRADIO_ANALYTICS_ENABLED": "False",
                        "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, str(ROOT / "app.py"), "--host", HOST, "--port", str(port),
               "--index", str(settings.index_dir), "--feedback", str(work / "feedback.jsonl")]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}/"
    try:
        if not until(lambda: proc.poll() is not None or ready(url), timeout) or proc.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"`python app.py` did not start within {timeout:.0f} s:\n{tail}")
        yield url, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def new_client(url: str) -> Client:
    """One session: its own gradio_client connection and conversation; no telemetry."""
    if not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"the load test only talks to {HOST}, not {url}")
    return Client(url, verbose=False, analytics_enabled=False, download_files=False, max_workers=4)


def text_of(message: dict) -> str:
    """The text of a chatbot message as gradio_client returns it (content: a list of parts in Gradio 6)."""
    content = message["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


def ask_text(client: Client, question: str, timeout: float = REQUEST_TIMEOUT) -> str:
    """The answer to `question` in this session (the last chat message)."""
    _box, chat, _sources, _notice, _copy = client.submit(question, K, api_name="/ask").result(timeout=timeout)
    return text_of(chat[-1]) if chat else ""


def timed_ask(client: Client, session: int, question: str) -> Reply:
    """Ask and time one question; any failure is recorded in the Reply, never raised."""
    t0 = time.perf_counter()
    try:
        text = ask_text(client, question)
    except Exception as exc:  # every failure is counted: the run must go on
        return Reply(session, question, "", (time.perf_counter() - t0) * 1000.0, f"{type(exc).__name__}: {exc}")
    ms = (time.perf_counter() - t0) * 1000.0
    return Reply(session, question, text, ms, "the app's error message" if APP_ERROR in text else "")


def upload(client: Client, path: Path) -> dict[str, Any]:
    """Upload `path` through /add_files with the admin password: ok, milliseconds, the page's message."""
    t0 = time.perf_counter()
    try:
        message, *_ = client.submit([handle_file(str(path))], PASSWORD, api_name="/add_files").result(
            timeout=REQUEST_TIMEOUT)
    except Exception as exc:
        return {"ok": False, "ms": round((time.perf_counter() - t0) * 1000.0, 1), "message": repr(exc)}
    return {"ok": str(message).startswith("已添加"), "ms": round((time.perf_counter() - t0) * 1000.0, 1),
            "message": str(message)}


# ---------- questions ----------

def candidates(dataset: Path) -> list[str]:
    """Standalone questions of `dataset` (no history, not follow-ups), taken in turn from each type in file order."""
    by_type: dict[str, list[str]] = {}
    for line in dataset.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else {}
        if row and not row.get("history") and row.get("type") != "followup":
            by_type.setdefault(row["type"], []).append(clean_text(row["question"]))
    return [q for group in itertools.zip_longest(*by_type.values()) for q in group if q]


def rotated(items: list[str], r: int) -> list[str]:
    r %= len(items)
    return items[r:] + items[:r]


def history_free(questions: list[str], answers: dict[str, str]) -> bool:
    """Whether every question reads the same after any rotation of the others (as a session's history)."""
    for r in range(len(questions)):
        turns: list[dict[str, str]] = []
        for q in rotated(questions, r):
            if resolve_followup(q, clean_history(turns)) != q:
                return False
            turns += [{"role": "user", "content": q}, {"role": "assistant", "content": answers[q]}]
    return True


def pick_questions(qa: QA, dataset: Path, n: int) -> list[str]:
    """`n` standalone questions of `dataset` whose answers no earlier turn of a session can change."""
    picked: list[str] = []
    answers: dict[str, str] = {}
    for q in candidates(dataset):
        if len(picked) == n:
            break
        answers[q] = qa.ask(q).text
        if history_free([*picked, q], answers):
            picked.append(q)
    return picked


# ---------- the phases ----------

def single_user(url: str, questions: list[str]) -> list[Reply]:
    """The questions asked in turn by one session: the reference answers."""
    client = new_client(url)
    try:
        return [timed_ask(client, 0, q) for q in questions]
    finally:
        client.close()


def run_load(url: str, questions: list[str], sessions: int, upload_path: Path | None,
             timeout: float) -> LoadRun:
    """`sessions` sessions asking `questions` (session i starts at question i) at once, one writer uploading
    `upload_path` meanwhile; stops asking when `timeout` seconds have passed."""
    clients = [new_client(url) for _ in range(sessions + 1)]  # connecting is not part of the measurement
    start = threading.Barrier(sessions + 2)
    deadline = time.monotonic() + timeout
    replies: list[list[Reply]] = [[] for _ in range(sessions)]
    ends = [0.0] * sessions
    writer: dict[str, Any] = {"ok": None, "message": "no upload"}

    def session(i: int) -> None:
        start.wait(timeout=60)
        for q in rotated(questions, i):
            late = time.monotonic() > deadline
            replies[i].append(Reply(i, q, error="not asked: overall timeout") if late else timed_ask(clients[i], i, q))
        ends[i] = time.perf_counter()

    def write() -> None:
        start.wait(timeout=60)
        if upload_path is not None:
            time.sleep(WRITER_DELAY)
            writer.update(upload(clients[-1], upload_path))

    threads = [threading.Thread(target=session, args=(i,), daemon=True) for i in range(sessions)]
    threads.append(threading.Thread(target=write, daemon=True))
    for t in threads:
        t.start()
    start.wait(timeout=60)
    t0 = time.perf_counter()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT + 5)
    wall = max((e for e in ends if e), default=time.perf_counter()) - t0
    for c in clients:
        c.close()
    missing = [Reply(i, "", error="session did not finish") for i, t in enumerate(threads[:-1]) if t.is_alive()]
    return LoadRun([r for rs in replies for r in rs] + missing, wall, writer)


def overload_probe(qa: QA, settings: Settings, feedback: Path, question: str, expected: str,
                   requests: int = PROBE_REQUESTS, timeout: float = 60.0) -> dict[str, Any]:
    """Fire `requests` questions at once at an app with PROBE_CONCURRENCY workers and a PROBE_QUEUE queue while
    `qa.ask` is held; count the refusals that come back while it is still held, time three more requests sent one
    by one to the full queue, then release it and ask once more. `expected` is the single-user answer."""
    gate = threading.Event()
    ask = qa.ask

    def held(*args: Any, **kwargs: Any) -> Any:
        # held until the probe releases it; the longer limit only keeps a broken probe from holding it forever (a
        # handler released after `timeout` on a loaded machine would answer the requests meant to find the queue full)
        gate.wait(4 * timeout)
        return ask(*args, **kwargs)

    fits = PROBE_CONCURRENCY + PROBE_QUEUE
    qa.ask = held  # the instance attribute hides the method until deleted
    try:
        with serving(qa, settings, feedback, PROBE_CONCURRENCY, PROBE_QUEUE) as url:
            clients = [new_client(url) for _ in range(requests + 1)]
            outcomes, threads = fire(clients[:-1], question, gate, timeout)
            until(lambda: sum(o["kind"] != "answered" for o in outcomes) >= requests - fits, timeout)
            when_full = [attempt(clients[-1], question, gate, timeout) for _ in range(3)]
            gate.set()
            for t in threads:
                t.join(timeout + REQUEST_TIMEOUT)
            for c in clients:
                c.close()
            after = single_user(url, [question])[0]
    finally:
        del qa.ask  # the method again
    busy = [o for o in outcomes if o["kind"] == "busy"]
    answered = [o for o in outcomes if o["kind"] == "answered"]
    return {
        "requests": requests, "concurrency": PROBE_CONCURRENCY, "queue_size": PROBE_QUEUE,
        "answered": len(answered), "busy": len(busy), "other": [o for o in outcomes if o["kind"] == "other"],
        "busy_while_held": sum(o["while_held"] for o in busy),
        "busy_ms_p50": round(percentile([o["ms"] for o in busy], 50), 1),
        "busy_ms_max": round(max((o["ms"] for o in busy), default=0.0), 1),
        "busy_message": busy[0]["message"] if busy else "",
        "when_full": [{"kind": o["kind"], "ms": round(o["ms"], 1)} for o in when_full],
        "answered_as_single_user": all(o["message"] == expected for o in answered),
        "after": {"ok": not after.error and after.text == expected, "ms": round(after.ms, 1), "error": after.error},
    }


def attempt(client: Client, question: str, gate: threading.Event, timeout: float) -> dict[str, Any]:
    """Ask once: kind (answered, busy or other), milliseconds, the answer or error message, and whether `gate` was
    still closed when it came back."""
    t0 = time.perf_counter()
    try:
        kind, message = "answered", ask_text(client, question, timeout + REQUEST_TIMEOUT)
    except QueueError as exc:
        kind, message = "busy", str(exc)
    except Exception as exc:
        kind, message = "other", repr(exc)
    return {"kind": kind, "ms": (time.perf_counter() - t0) * 1000.0, "message": message,
            "while_held": not gate.is_set()}


def fire(clients: list[Client], question: str, gate: threading.Event,
         timeout: float) -> tuple[list[dict[str, Any]], list[threading.Thread]]:
    """Send `question` from every client at once; the outcomes fill in as they come back."""
    outcomes: list[dict[str, Any]] = []
    start = threading.Barrier(len(clients) + 1)

    def one(client: Client) -> None:
        start.wait(timeout=60)
        outcomes.append(attempt(client, question, gate, timeout))

    threads = [threading.Thread(target=one, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    start.wait(timeout=60)
    return outcomes, threads


def until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll `condition` every 50 ms for up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# ---------- scoring and the command ----------

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else 0.0


def score(run: LoadRun, before: dict[str, str], after: dict[str, str]) -> dict[str, Any]:
    """Errors, answers matching neither single-user answer, latency percentiles and throughput of a run."""
    errors = [r for r in run.replies if r.error]
    wrong = [r for r in run.replies if not r.error and r.text not in (before[r.question], after[r.question])]
    ms = [r.ms for r in run.replies if not r.error]
    return {
        "requests": len(run.replies), "answered": len(ms), "errors": len(errors),
        "error_samples": [asdict(r) for r in errors[:5]], "mismatches": len(wrong),
        "mismatch_samples": [asdict(r) | {"single_user": before[r.question]} for r in wrong[:5]],
        "matched_before_upload": sum(1 for r in run.replies if not r.error and r.text == before[r.question]),
        "answers_changed_by_upload": sorted(q for q in before if before[q] != after[q]),
        "latency_ms": {"p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1),
                       "max": round(max(ms, default=0.0), 1)},
        "throughput_qps": round(len(ms) / run.wall_s, 2) if run.wall_s > 0 else 0.0,
        "wall_s": round(run.wall_s, 2), "writer": run.writer,
    }


def reference(url: str, questions: list[str]) -> tuple[dict[str, str], list[Reply]]:
    """The single-user answers by question, and the replies; a failure here stops the test."""
    replies = single_user(url, questions)
    failed = [r for r in replies if r.error]
    if failed:
        raise RuntimeError(f"single-user answers failed: {failed}")
    return {r.question: r.text for r in replies}, replies


def measure(settings: Settings, questions_path: Path, n_questions: int, sessions: int, timeout: float,
            work: Path) -> dict[str, Any]:
    """The whole test over an index of `settings` (built here if missing; the upload writes into its corpus)."""
    qa = QA.open(settings)
    questions = pick_questions(qa, questions_path, n_questions)
    new_article = work / UPLOAD_NAME
    new_article.write_text(UPLOAD_TEXT, encoding="utf-8")
    with app_process(settings, work) as (url, log_path):
        before, _ = reference(url, questions)
        run = run_load(url, questions, sessions, new_article, timeout)
        after, warm = reference(url, questions)
        upload_answer = single_user(url, [UPLOAD_QUESTION])[0]
        server_log = log_path.read_text(encoding="utf-8", errors="replace")
    result = {"model": settings.model, "sessions": sessions, "questions": questions,
              "app_queue": {"concurrency": app.CONCURRENCY, "queue_size": app.QUEUE_SIZE},
              "single_user_latency_ms": {"p50": round(percentile([r.ms for r in warm], 50), 1),
                                         "p95": round(percentile([r.ms for r in warm], 95), 1)}}
    result |= score(run, before, after)
    result["upload_answered"] = not upload_answer.error and UPLOAD_FACT in upload_answer.text
    result["reader_reloads"] = server_log.count("switched to the index build")  # readers loading the upload's build
    result["server_errors"] = server_log.count("Traceback")
    result["overload"] = overload_probe(qa, settings, work / "feedback.jsonl", questions[0], after[questions[0]])
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--questions", type=int, default=10, help="questions per session")
    p.add_argument("--model", default=Settings().model)
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    p.add_argument("--dataset", type=Path, default=ROOT / "eval" / "questions.jsonl")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds the concurrent phase may take at most")
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports" / "latest" / "load.json")
    args = p.parse_args(argv)
    if not 1 <= args.sessions <= 64 or not 1 <= args.questions <= 50:
        p.error("keep it bounded: 1-64 sessions, 1-50 questions")
    with tempfile.TemporaryDirectory(prefix="union-qa-load-") as tmp:
        work = Path(tmp)
        corpus = shutil.copytree(args.corpus, work / "corpus")  # the upload writes into the corpus
        settings = replace(Settings(), corpus_dir=corpus, index_dir=work / "index", model=args.model,
                           show_progress=False)
        t0 = time.perf_counter()
        result = measure(settings, args.dataset, args.questions, args.sessions, args.timeout, work)
        result["total_s"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    report(result, args.out)
    ok = not result["errors"] and not result["mismatches"] and result["writer"]["ok"] and result["upload_answered"]
    return 0 if ok else 1


def report(r: dict[str, Any], out: Path) -> None:
    o = r["overload"]
    print(f"{r['model']}: {r['sessions']} sessions x {len(r['questions'])} questions = {r['requests']} requests, "
          f"queue {r['app_queue']}")
    print(f"  errors {r['errors']}, mismatches {r['mismatches']} (answers changed by the upload: "
          f"{len(r['answers_changed_by_upload'])}; matched the pre-upload answer: {r['matched_before_upload']})")
    print(f"  latency p50 {r['latency_ms']['p50']} ms, p95 {r['latency_ms']['p95']} ms, max {r['latency_ms']['max']}"
          f" ms; single user p50 {r['single_user_latency_ms']['p50']} ms; throughput {r['throughput_qps']} q/s "
          f"over {r['wall_s']} s")
    print(f"  writer: ok={r['writer']['ok']} in {r['writer'].get('ms')} ms; upload answerable: {r['upload_answered']}; "
          f"readers that loaded the writer's build themselves: {r['reader_reloads']}; tracebacks in the server log: "
          f"{r['server_errors']}")
    print(f"  overload ({o['requests']} at once, concurrency {o['concurrency']}, queue {o['queue_size']}): "
          f"{o['answered']} answered, {o['busy']} refused ({o['busy_while_held']} while the handler was held; "
          f"p50 {o['busy_ms_p50']} ms, max {o['busy_ms_max']} ms), other {len(o['other'])}, "
          f"message {o['busy_message']!r}; one by one to the full queue: {[w['kind'] for w in o['when_full']]} in "
          f"{[w['ms'] for w in o['when_full']]} ms; served afterwards: {o['after']['ok']}")
    print(f"written to {out}")


if __name__ == "__main__":
    sys.exit(main())
