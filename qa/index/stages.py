"""Wall time and memory of an index build, stage by stage (load, chunk, embed, tokenise, bm25, dense, save).

`with recording() as stages:` collects what the code inside it marks with `with stage("embed"):`; a stage entered
twice (the chunk and the paragraph keyword index both tokenise) adds up. Outside `recording` a `stage` costs one
context-variable lookup, so the search structures mark their steps whoever builds them. Memory is the process's
peak resident set so far (VmHWM, else `ru_maxrss`: it never falls, so a stage's peak is the highest of it and every
stage before) and the resident set at the stage's end (`/proc/self/statm`; 0 where there is none).
"""

from __future__ import annotations

import contextvars
import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_ACTIVE: contextvars.ContextVar[dict[str, Stage] | None] = contextvars.ContextVar("index_stages", default=None)


@dataclass(frozen=True)
class Stage:
    """One stage of a build: wall seconds (summed over its entries), peak and current RSS in MB at its end."""

    name: str
    seconds: float
    peak_mb: float
    rss_mb: float

    def record(self) -> dict[str, float | str]:
        return {"name": self.name, "seconds": round(self.seconds, 3), "peak_mb": round(self.peak_mb, 1),
                "rss_mb": round(self.rss_mb, 1)}


@contextmanager
def recording() -> Iterator[dict[str, Stage]]:
    """Collect the stages marked inside, in the order first entered (name -> Stage)."""
    stages: dict[str, Stage] = {}
    token = _ACTIVE.set(stages)
    try:
        yield stages
    finally:
        _ACTIVE.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Mark a stage for the active `recording` (none: nothing is recorded)."""
    stages = _ACTIVE.get()
    if stages is None:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        before = stages.get(name)
        seconds = time.perf_counter() - start + (before.seconds if before else 0.0)
        stages[name] = Stage(name, seconds, peak_rss_mb(), rss_mb())


def peak_rss_mb() -> float:
    """The process's peak resident set so far, in MB: Linux's VmHWM (reset by exec, where ru_maxrss keeps the
    parent's peak from before it), else ru_maxrss (KB on Linux, bytes on macOS)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def rss_mb() -> float:
    """The process's resident set now, in MB (0 without /proc)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except (OSError, ValueError, IndexError):
        return 0.0


def summary(stages: tuple[Stage, ...]) -> str:
    """One line: each stage's seconds, and the build's peak RSS."""
    if not stages:
        return ""
    parts = ", ".join(f"{s.name} {s.seconds:.1f} s" for s in stages)
    return f"stages: {parts}; peak RSS {max(s.peak_mb for s in stages):.0f} MB"
