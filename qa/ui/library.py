"""The article library behind the UI's 资料库 tab: list articles, add uploads, delete and restore articles.

Reading is open to everyone; every change needs the admin password the server was started with, checked here, on
the server side of every write, whatever the page shows. Without a configured password the library is read-only.
Nothing is ever lost: uploads are copied into `uploads/` under new names (never over a file), a delete is a
tombstone (`qa.ingest.catalog`) that indexing honours and `restore` takes back, and source files are never deleted or
rewritten. Every write that was tried is appended to the audit log. Changes hold the index's writer lock
(`qa.index.lock`), so a `qa index` run, another UI on the same index and this one take turns. The methods return a
`LibraryResult` and never raise for anything a user can cause.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import CorpusError, IndexBusyError
from qa.index.indexer import file_sha256
from qa.index.lock import writer_lock
from qa.ingest.catalog import Tombstone, append_audit, hides, now, read_tombstones, text_key, write_tombstones
from qa.ingest.load import MAX_FILE_BYTES, read_file
from qa.schema import Article

if TYPE_CHECKING:
    from qa.api import QA

log = logging.getLogger(__name__)

ALLOWED = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
MAX_BYTES = 20 * 1024 * 1024
UPLOADS = "uploads"  # uploads land in this folder of the corpus directory
LOCK_WAIT = 30.0  # seconds a change in the UI waits for another writer before saying "busy"
WRONG_PASSWORD_DELAY = 1.0  # seconds, to slow down guessing
MAX_FAILURES = 5  # wrong passwords from one address within LOCKOUT seconds lock that address out …
LOCKOUT = 600.0  # … for this many seconds (every attempt meanwhile is refused without checking)
HEADERS = ["标题", "日期", "来源", "段落数", "文件"]
DELETED_HEADERS = ["标题", "文件", "删除时间", "删除人"]

READ_ONLY = ("资料库为只读：服务启动时没有设置管理员密码。需要上传或删除文章时，请用 --admin-password 或环境变量 "
             "UNION_QA_ADMIN_PASSWORD 设置密码后重新启动。")
WRONG_PASSWORD = "管理员密码不正确，没有做任何修改。"
LOCKED_OUT = "密码错误次数过多，已暂停来自该地址的修改请求，请 10 分钟后再试。"
BUSY = "资料库正在被另一个操作更新（另一个上传/删除或 qa index），请稍后再试。没有做任何修改。"

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class LibraryResult:
    """What an add, delete or restore did: `ok`, a Chinese message for the page, and the corpus files touched."""

    ok: bool
    message: str
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Caller:
    """Who asks for a change: the password they gave and the address they came from (for the audit log)."""

    password: str = ""
    client: str = ""


def _no_progress(fraction: float, desc: str) -> None:
    """Default progress callback: log only."""
    log.debug("%.0f%% %s", fraction * 100, desc)


def check_file(path: Path, max_bytes: int = MAX_BYTES) -> list[Article]:
    """The articles an upload yields; raise CorpusError with a Chinese message saying what is wrong."""
    suffix = path.suffix.lower()
    if suffix not in ALLOWED:
        raise CorpusError(f"不支持的文件类型“{suffix or '无扩展名'}”，请上传 {' / '.join(ALLOWED)} 文件")
    size = path.stat().st_size
    if size == 0:
        raise CorpusError("文件是空的")
    if size > max_bytes:
        raise CorpusError(f"文件太大（{size / 1e6:.1f} MB），上限 {max_bytes / 1e6:.0f} MB")
    articles, problems = read_file(path, path.parent, {}, max_bytes=min(max_bytes, MAX_FILE_BYTES))
    if problems or not articles:
        detail = "；".join(p.message for p in problems) or "no text"
        raise CorpusError(f"{_chinese_reason(detail, suffix)}（{detail}）")
    return articles


def _chinese_reason(detail: str, suffix: str) -> str:
    text = detail.lower()
    if "encoding" in text or "not a text file" in text or "binary" in text:
        return "无法识别文件的文字编码，可能不是文字文件，请另存为 UTF-8 后再上传"
    if "bomb" in text:
        return "文件解压后过大，已拒绝"
    if "corrupt" in text or "not a valid" in text or "broken" in text:
        return f"文件已损坏或不是有效的 {suffix} 文件"
    if "ocr" in text or "text layer" in text:
        return "文件中没有可读取的正文（扫描版 PDF 需要先做文字识别）"
    if "empty" in text:
        return "文件中没有文字"
    return "文件中没有可读取的正文"


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

    def __init__(self, qa: QA, admin_password: str | None = None, max_bytes: int = MAX_BYTES) -> None:
        self.qa = qa
        self.max_bytes = max_bytes
        self._password = admin_password or ""
        self._failures: dict[str, list[float]] = {}  # client address -> times of its recent wrong passwords
        self._failures_lock = threading.Lock()

    @property
    def writable(self) -> bool:
        """Whether changes can be made at all (an admin password was configured)."""
        return bool(self._password)

    @property
    def corpus_dir(self) -> Path:
        return Path(self.qa.settings.corpus_dir)

    @property
    def articles(self) -> list[Article]:
        """The articles of the index's live build (another writer may have made a newer one live)."""
        self.qa.live()
        return list(self.qa.store.articles)

    def rows(self) -> list[list[object]]:
        """One row per article: title, date, source, paragraph count, file (see HEADERS)."""
        return [[a.title, a.date, a.source, len(a.paragraphs), a.file] for a in self.articles]

    def choices(self) -> list[tuple[str, str]]:
        """(label, article id) pairs for a picker; the label names the title and the file."""
        return [(f"{a.title}（{a.file}）", a.id) for a in self.articles]

    def deleted(self) -> list[Tombstone]:
        """The deleted articles that can be restored, newest first."""
        return sorted(read_tombstones(self.corpus_dir).values(), key=lambda t: t.deleted_at, reverse=True)

    def deleted_rows(self) -> list[list[str]]:
        return [[t.title, t.file, t.deleted_at, t.by] for t in self.deleted()]

    def deleted_choices(self) -> list[tuple[str, str]]:
        """(label, tombstone key) pairs for the restore picker."""
        return [(f"{t.title}（{t.file}，{t.deleted_at}）", t.key) for t in self.deleted()]

    def summary(self) -> str:
        files = {a.file for a in self.articles}
        paragraphs = sum(len(a.paragraphs) for a in self.articles)
        deleted = len(read_tombstones(self.corpus_dir))
        more = f"另有 {deleted} 篇已删除、可恢复。" if deleted else ""
        return f"资料库共 {len(files)} 个文件、{len(self.articles)} 篇文章、{paragraphs} 段。{more}"

    # ---------- writes: authorised, locked, audited ----------

    def add(self, paths: Sequence[str | Path], caller: Caller, progress: Progress | None = None) -> LibraryResult:
        """Validate the files, copy the good ones into `uploads/` under new names, and update the index."""
        what = {"files": [Path(p).name for p in paths]}
        return self._write("add", what, caller, lambda: self._add([Path(p) for p in paths], progress or _no_progress))

    def delete(self, article_id: str, caller: Caller, progress: Progress | None = None) -> LibraryResult:
        """Tombstone one article (its file stays as it is) and update the index; `restore` undoes it."""
        return self._write("delete", {"article_id": article_id}, caller,
                           lambda: self._delete(article_id, caller, progress or _no_progress))

    def restore(self, article_id: str, caller: Caller, progress: Progress | None = None) -> LibraryResult:
        """Take a deleted article's tombstone back and update the index."""
        return self._write("restore", {"article_id": article_id}, caller,
                           lambda: self._restore(article_id, progress or _no_progress))

    def _write(self, action: str, what: dict, caller: Caller, change: Callable[[], LibraryResult]) -> LibraryResult:
        """Check the password, take the writer lock, make the change, and audit the attempt whatever its end."""
        who = "anonymous"
        if not self._password:
            result = LibraryResult(False, READ_ONLY)
        elif self._locked_out(caller.client):
            result = LibraryResult(False, LOCKED_OUT)
        elif not hmac.compare_digest(caller.password.encode(), self._password.encode()):
            self._failed(caller.client)
            time.sleep(WRONG_PASSWORD_DELAY)
            result = LibraryResult(False, WRONG_PASSWORD)
        else:
            who = "admin"
            try:
                with writer_lock(Path(self.qa.settings.index_dir), LOCK_WAIT):
                    result = change()
            except IndexBusyError:
                result = LibraryResult(False, BUSY)
        append_audit(self.corpus_dir, action, who, caller.client, what | {"changed": list(result.files)}, result.ok,
                     result.message)
        return result

    def _locked_out(self, client: str) -> bool:
        with self._failures_lock:
            recent = [t for t in self._failures.get(client, []) if time.monotonic() - t < LOCKOUT]
            self._failures[client] = recent
            return len(recent) >= MAX_FAILURES

    def _failed(self, client: str) -> None:
        with self._failures_lock:
            self._failures.setdefault(client, []).append(time.monotonic())

    def _add(self, paths: list[Path], progress: Progress) -> LibraryResult:
        if not paths:
            return LibraryResult(False, "请先选择要上传的文件。")
        progress(0.05, "正在检查文件…")
        accepted, problems = self._validate(paths)
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
        known_files = {h: f for f, h in self.qa.store.manifest.files.items()}
        known_texts = {text_key(a): a.title for a in self.articles}
        deleted = {t.text: t.title for t in read_tombstones(self.corpus_dir).values() if t.text}
        accepted, problems = [], []
        for path in paths:
            shown = path.name
            try:
                if not path.is_file():
                    raise CorpusError("找不到上传的文件，请重新上传")
                articles = check_file(path, self.max_bytes)
                digest = file_sha256(path)
                if digest in known_files:
                    raise CorpusError(f"内容与资料库中的“{known_files[digest]}”相同，未重复添加")
                keys = [text_key(a) for a in articles]
                if all(k in deleted for k in keys):
                    raise CorpusError(f"文章《{deleted[keys[0]]}》曾被删除，请在“已删除的文章”中恢复，无需重新上传")
                if all(k in known_texts for k in keys):
                    raise CorpusError(f"文章《{known_texts[keys[0]]}》已在资料库中，未重复添加")
                known_files[digest] = shown
                known_texts.update(dict.fromkeys(keys, articles[0].title))
                accepted.append((path, shown))
            except CorpusError as exc:
                problems.append(f"「{shown}」：{exc}")
            except OSError as exc:
                log.warning("cannot read upload %s: %s", path, exc)
                problems.append(f"「{shown}」：无法读取文件")
        return accepted, problems

    def _copy_in(self, accepted: list[tuple[Path, str]]) -> list[str]:
        """Copy each file into `uploads/` under a fresh safe name (never overwriting); their corpus-relative names."""
        folder = self.corpus_dir / UPLOADS
        folder.mkdir(parents=True, exist_ok=True)
        taken = {p.name.lower() for p in folder.iterdir()}
        names = []
        for path, shown in accepted:
            name = safe_name(shown, taken)
            taken.add(name.lower())
            part = folder / f".upload-{uuid.uuid4().hex}.part"  # hidden: the indexer ignores it
            shutil.copyfile(path, part)
            os.link(part, folder / name)  # fails rather than replace a file that appeared meanwhile
            part.unlink()
            names.append(f"{UPLOADS}/{name}")
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

    def _delete(self, article_id: str, caller: Caller, progress: Progress) -> LibraryResult:
        article = next((a for a in self.articles if a.id == article_id), None)
        if article is None:
            return LibraryResult(False, "请先在列表中选择要删除的文章（列表可能已过期，请刷新）。")
        progress(0.1, "正在删除…")
        before = read_tombstones(self.corpus_dir)
        tombstone = Tombstone(article.id, article.title, article.file, now(),
                              f"admin@{caller.client}" if caller.client else "admin", text_key(article))
        after = before | {tombstone.key: tombstone}
        result = self._apply(before, after, progress, "删除")
        if not result.ok:
            return result
        done = f"已删除《{article.title}》。原文件“{article.file}”保留不变，可在“已删除的文章”中恢复。"
        return LibraryResult(True, done, (article.file,))

    def _restore(self, choice: str, progress: Progress) -> LibraryResult:
        """Restore the tombstone `choice` names (its key, or the article id it had)."""
        before = read_tombstones(self.corpus_dir)
        tombstone = before.get(choice) or next((t for t in before.values() if t.article_id == choice), None)
        if tombstone is None:
            return LibraryResult(False, "请先在“已删除的文章”中选择要恢复的文章（列表可能已过期，请刷新）。")
        progress(0.1, "正在恢复…")
        result = self._apply(before, {k: v for k, v in before.items() if k != tombstone.key}, progress, "恢复")
        if not result.ok:
            return result
        if not any(hides(tombstone, a) for a in self.articles):
            gone = f"《{tombstone.title}》的原文件“{tombstone.file}”已不在资料库目录中，无法恢复。"
            return LibraryResult(False, gone)
        return LibraryResult(True, f"已恢复《{tombstone.title}》。", (tombstone.file,))

    def _apply(self, before: dict[str, Tombstone], after: dict[str, Tombstone], progress: Progress,
               verb: str) -> LibraryResult:
        """Write the new tombstone list and re-index; on failure put the old list back."""
        write_tombstones(self.corpus_dir, after)
        try:
            progress(0.3, "正在更新索引…")
            self.qa.update()
        except Exception:
            log.exception("index update after a %s failed; the tombstones are put back", verb)
            write_tombstones(self.corpus_dir, before)
            return LibraryResult(False, f"更新索引时出错，没有{verb}。详细信息已写入日志。")
        progress(1.0, "完成")
        return LibraryResult(True, "")
