"""The article library behind the UI's 资料库 tab: list articles, add uploaded files, delete an article's file.

Every change goes through the corpus directory and `QA.update()` (incremental: only new text is embedded), so the
index and the files never disagree for long. A bad upload (wrong type, too big, empty, unreadable, a duplicate) is
refused with a Chinese message and leaves the corpus untouched; an index update that fails is rolled back. The
methods return a `LibraryResult` and never raise for anything a user can cause.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import CorpusError
from qa.load import READERS
from qa.schema import Article

if TYPE_CHECKING:
    from qa.api import QA

log = logging.getLogger(__name__)

ALLOWED = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
MAX_BYTES = 20 * 1024 * 1024
HEADERS = ["标题", "日期", "来源", "段落数", "文件"]

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class LibraryResult:
    """What an add or delete did: `ok`, a Chinese message for the page, and the corpus files touched."""

    ok: bool
    message: str
    files: tuple[str, ...] = ()


def _no_progress(fraction: float, desc: str) -> None:
    """Default progress callback: log only."""
    log.debug("%.0f%% %s", fraction * 100, desc)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_file(path: Path, max_bytes: int = MAX_BYTES) -> int:
    """Number of text paragraphs `path` yields; raise CorpusError with a Chinese message saying what is wrong."""
    suffix = path.suffix.lower()
    if suffix not in ALLOWED:
        raise CorpusError(f"不支持的文件类型“{suffix or '无扩展名'}”，请上传 {' / '.join(ALLOWED)} 文件")
    size = path.stat().st_size
    if size == 0:
        raise CorpusError("文件是空的")
    if size > max_bytes:
        raise CorpusError(f"文件太大（{size / 1e6:.1f} MB），上限 {max_bytes / 1e6:.0f} MB")
    try:
        raws = READERS[suffix](path)
    except CorpusError as exc:  # from qa.load.decode: empty or undetectable encoding
        raise CorpusError("无法识别文件的文字编码，请另存为 UTF-8 后再上传" if "encoding" in str(exc)
                          else "文件中没有文字") from exc
    except Exception as exc:  # broken zip (docx), broken PDF, bad markup: all mean the same to the user
        raise CorpusError(f"文件已损坏或不是有效的 {suffix} 文件（{type(exc).__name__}）") from exc
    paragraphs = sum(len(raw.paragraphs) for raw in raws)
    if paragraphs == 0:
        hint = "（扫描版 PDF 需要先做文字识别）" if suffix == ".pdf" else ""
        raise CorpusError(f"文件中没有可读取的正文{hint}")
    return paragraphs


def safe_name(name: str, taken: set[str]) -> str:
    """A file name for the corpus dir: letters (CJK included), digits, `-_.`; not hidden; not in `taken`."""
    base = Path(name.replace("\\", "/")).name
    suffix = Path(base).suffix.lower()
    stem = re.sub(r"[^\w.-]+", "-", Path(base).stem).strip("-._")[:80] or "upload"
    candidate, k = f"{stem}{suffix}", 2
    while candidate.lower() in taken:
        candidate, k = f"{stem}-{k}{suffix}", k + 1
    return candidate


class Library:
    """Lists and changes the articles of a loaded `QA` (its corpus dir and index), one change at a time."""

    def __init__(self, qa: QA, max_bytes: int = MAX_BYTES) -> None:
        self.qa = qa
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    @property
    def corpus_dir(self) -> Path:
        return Path(self.qa.settings.corpus_dir)

    @property
    def articles(self) -> list[Article]:
        return list(self.qa.store.articles)

    def rows(self) -> list[list[object]]:
        """One row per article: title, date, source, paragraph count, file (see HEADERS)."""
        return [[a.title, a.date, a.source, len(a.paragraphs), a.file] for a in self.articles]

    def choices(self) -> list[tuple[str, str]]:
        """(label, article id) pairs for a picker; the label names the title and the file."""
        return [(f"{a.title}（{a.file}）", a.id) for a in self.articles]

    def summary(self) -> str:
        files = {a.file for a in self.articles}
        paragraphs = sum(len(a.paragraphs) for a in self.articles)
        return f"资料库共 {len(files)} 个文件、{len(self.articles)} 篇文章、{paragraphs} 段。"

    def add(self, paths: Sequence[str | Path], progress: Progress | None = None) -> LibraryResult:
        """Validate the files, copy the good ones into the corpus dir under new names, and update the index."""
        progress = progress or _no_progress
        if not paths:
            return LibraryResult(False, "请先选择要上传的文件。")
        with self._lock:
            progress(0.05, "正在检查文件…")
            accepted, problems = self._validate([Path(p) for p in paths])
            if not accepted:
                return LibraryResult(False, "没有添加任何文件。\n" + "\n".join(problems))
            progress(0.2, "正在复制到资料库…")
            names = self._copy_in(accepted)
            progress(0.3, "正在更新索引（只处理新增内容）…")
            try:
                self.qa.update()
            except Exception:
                log.exception("index update after adding %s failed; removing the files again", names)
                for name in names:
                    (self.corpus_dir / name).unlink(missing_ok=True)
                return LibraryResult(False, "更新索引时出错，文件没有加入资料库。详细信息已写入日志。")
            progress(1.0, "完成")
        return LibraryResult(True, self._added_message(names, problems), tuple(names))

    def _validate(self, paths: list[Path]) -> tuple[list[tuple[Path, str]], list[str]]:
        """(path, display name) of acceptable files, and one Chinese line per refused file."""
        known = {h: f for f, h in self.qa.store.manifest.files.items()}
        accepted, problems, seen = [], [], set()
        for path in paths:
            shown = path.name
            try:
                if not path.is_file():
                    raise CorpusError("找不到上传的文件，请重新上传")
                check_file(path, self.max_bytes)
                digest = sha256(path)
                if digest in known or digest in seen:
                    raise CorpusError(f"内容与资料库中的“{known.get(digest, '另一个上传文件')}”相同，未重复添加")
                seen.add(digest)
                accepted.append((path, shown))
            except CorpusError as exc:
                problems.append(f"「{shown}」：{exc}")
            except OSError as exc:
                log.warning("cannot read upload %s: %s", path, exc)
                problems.append(f"「{shown}」：无法读取文件")
        return accepted, problems

    def _copy_in(self, accepted: list[tuple[Path, str]]) -> list[str]:
        """Copy each file into the corpus dir under a fresh safe name (never overwriting); the new names."""
        self.corpus_dir.mkdir(parents=True, exist_ok=True)
        taken = {p.name.lower() for p in self.corpus_dir.iterdir()}
        names = []
        for path, shown in accepted:
            name = safe_name(shown, taken)
            taken.add(name.lower())
            part = self.corpus_dir / f".upload-{uuid.uuid4().hex}.part"  # hidden: the indexer ignores it
            shutil.copyfile(path, part)
            os.replace(part, self.corpus_dir / name)
            names.append(name)
            log.info("added %s to %s as %s", shown, self.corpus_dir, name)
        return names

    def _added_message(self, names: list[str], problems: list[str]) -> str:
        new = [a for a in self.articles if a.file in set(names)]
        paragraphs = sum(len(a.paragraphs) for a in new)
        lines = [f"已添加 {len(names)} 个文件（{len(new)} 篇文章、{paragraphs} 段），现在就可以提问："]
        lines += [f"· 《{a.title}》（{a.file}）" for a in new]
        if problems:
            lines += ["以下文件没有添加："] + problems
        return "\n".join(lines)

    def delete(self, article_id: str, progress: Progress | None = None) -> LibraryResult:
        """Delete the corpus file holding `article_id` (with every article in it) and update the index."""
        progress = progress or _no_progress
        with self._lock:
            article = next((a for a in self.articles if a.id == article_id), None)
            if article is None:
                return LibraryResult(False, "请先在列表中选择要删除的文章（列表可能已过期，请刷新）。")
            root = self.corpus_dir.resolve()
            path = (root / article.file).resolve()
            if not article.file or not path.is_relative_to(root) or not path.is_file():
                return LibraryResult(False, f"文章所在的文件“{article.file}”不在资料库目录中，无法删除。")
            siblings = sum(a.file == article.file for a in self.articles)
            progress(0.1, "正在删除…")
            backup = path.with_name(f".deleted-{uuid.uuid4().hex}-{path.name}")  # hidden: the indexer ignores it
            os.replace(path, backup)
            try:
                progress(0.3, "正在更新索引…")
                self.qa.update()
            except Exception:
                log.exception("index update after deleting %s failed; restoring the file", article.file)
                os.replace(backup, path)
                return LibraryResult(False, "更新索引时出错，文件已恢复，没有删除。详细信息已写入日志。")
            backup.unlink(missing_ok=True)
            progress(1.0, "完成")
        more = f"，该文件中的另外 {siblings - 1} 篇文章也一并删除" if siblings > 1 else ""
        log.info("deleted %s (%d articles) from %s", article.file, siblings, root)
        return LibraryResult(True, f"已删除《{article.title}》所在的文件“{article.file}”{more}。", (article.file,))
