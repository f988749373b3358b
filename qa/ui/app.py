"""The chat UI: `python app.py [--host 127.0.0.1] [--port 7860] [--index DIR] [--admin-password PW] [--share]`.

Opens the index as it is (on first run it builds it, with a progress bar in the terminal), then serves a Gradio page
with two tabs: 问答 (chat with cited answers, a sources panel whose cards `[n]` links jump to, feedback) and 资料库
(list articles; with the admin password: upload, delete and restore). Rendering lives in `qa/ui/cards.py`, file
handling in `qa/ui/library.py`, feedback in `qa/ui/feedback.py`; this file only wires them to components. Analytics are
off and the theme uses local fonts, so the page makes no request outside the machine.

Writes need the admin password (`--admin-password` or $UNION_QA_ADMIN_PASSWORD), checked on the server for every
write endpoint; without one the library is read-only. Listening beyond loopback without one prints a warning, and
`--share` without one refuses to start.

API endpoints (for `gradio_client`; the conversation lives in the session): /ask (question, k) -> (box, chat,
sources, notice, copy text); /clear; /feedback_up and /feedback_down (comment); /articles; /add_files (files,
password); /delete_article (article id, password); /restore_article (article id, password). Requests beyond the
queue get a "busy, try again" error at once.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.answer.llm import LlamaReader
from qa.cli import backend_options, builds_missing_index, index_arguments, reader_argument
from qa.query.limits import MAX_QUESTION_CHARS, clean_text, echo
from qa.schema import Answer
from qa.settings import Settings
from qa.ui.cards import CLICK_JS, CSS, EMPTY, answer_html, error_html, md_safe, sources_html
from qa.ui.feedback import DEFAULT_PATH, append_feedback, feedback_record, index_version
from qa.ui.library import DELETED_HEADERS, HEADERS, MAX_BYTES, Caller, Library
from qa.ui.terminal import format_answer

if TYPE_CHECKING:
    from qa.api import QA

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # must be set before gradio is imported
import gradio as gr  # noqa: E402

log = logging.getLogger(__name__)

EXAMPLES = ["沙坪坝区建了多少个工会驿站？", "其中多少个智能化升级了？", "巫山县建了多少个新就业形态工会组织？",
            "How many trade union stations did Shapingba build?"]
ERROR = "抱歉，处理时出了问题，请稍后重试；详细信息已写入日志。"
PASSWORD_ENV = "UNION_QA_ADMIN_PASSWORD"
MAX_SESSION_ANSWERS = 50  # a conversation keeps its latest answers on the page (and in server memory)
CONCURRENCY = 4  # handlers running at once; more wait in the queue
QUEUE_SIZE = 64  # requests waiting at most; beyond that a request is refused at once as busy
THEME = gr.themes.Default(font=["Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC",
                                "system-ui", "sans-serif"],
                          font_mono=["Noto Sans Mono CJK SC", "WenQuanYi Micro Hei Mono", "ui-monospace", "monospace"])
PROGRESS = gr.Progress()  # handlers taking it as a default get a progress bar in the page
APP_CSS = CSS + """
#qa-sources { max-height: 720px; overflow-y: auto; }
.qa-notice p { color: #92400e; margin: 0; }
"""


# ---------- pure helpers ----------

def chat_messages(answers: list[Answer], active: int = -1) -> list[dict[str, str]]:
    """Chatbot messages; only the `active` answer's `[n]` (default: the latest) link to the cards on show."""
    active = active % len(answers) if answers else 0
    messages = []
    for i, a in enumerate(answers):
        messages.append({"role": "user", "content": md_safe(a.question)})
        messages.append({"role": "assistant", "content": answer_html(a, links=i == active)})
    return messages


def chosen(answers: list[Answer], focus: int) -> Answer | None:
    """The answer on show in the sources panel: `answers[focus]`, else the latest, else None."""
    if not answers:
        return None
    return answers[focus] if 0 <= focus < len(answers) else answers[-1]


def history(answers: list[Answer]) -> list[dict[str, str]]:
    """Plain-text turns for `QA.ask` (follow-ups are resolved against them)."""
    return [t for a in answers for t in ({"role": "user", "content": a.question},
                                          {"role": "assistant", "content": a.text})]


def article_table(lib: Library) -> dict[str, Any]:
    return {"headers": HEADERS, "data": lib.rows()}


def guarded(fallback: Callable[[], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for handlers: any exception is logged with its traceback and `fallback()` is returned instead."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)  # keeps the signature, so gradio still sees a `progress` parameter
        def handler(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                log.exception("handler %s failed", fn.__name__)
                return fallback()
        return handler
    return wrap


# ---------- the page ----------

def client_of(request: gr.Request | None) -> str:
    """The caller's address for the audit log ("" when unknown)."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "")


def build_app(qa: QA, settings: Settings, feedback_path: Path = DEFAULT_PATH,
              admin_password: str | None = None) -> gr.Blocks:
    """The Gradio page for a loaded `qa.api.QA`; launch it with `launch_app` (theme, CSS and click script).

    Library writes need `admin_password`; without one the library tab is read-only and write calls are refused."""
    lib = Library(qa, admin_password)
    with gr.Blocks(title="工会资讯问答", analytics_enabled=False) as demo:
        answers = gr.State([])
        gr.Markdown("## 工会资讯问答\n每个回答都标注出处；点击答案里的 **[1]** 可查看并高亮原文段落。")
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                chat_tab(qa, answers, settings, feedback_path)
            with gr.Tab("资料库", id="library"):
                library_tab(lib, demo)
    return demo


def chat_tab(qa: QA, answers: gr.State, settings: Settings, feedback_path: Path) -> None:
    """Chat, input, controls, feedback and examples on the left; the sources panel on the right."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chat = gr.Chatbot(label="对话", height=400, elem_id="qa-chat", buttons=[], feedback_options=None,
                              latex_delimiters=[], placeholder="请在下方输入问题，例如：沙坪坝区建了多少个工会驿站？")
            with gr.Row():
                box = gr.Textbox(show_label=False, placeholder=f"输入问题（{MAX_QUESTION_CHARS} 字以内），按回车发送",
                                 scale=5, elem_id="qa-question", max_lines=4, autofocus=True)
                send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="qa-send")
            notice = gr.Markdown("", elem_classes="qa-notice")
            with gr.Row():
                clear = gr.Button("清空对话", size="sm", elem_id="qa-clear")
                copy = gr.Button("复制答案", size="sm", elem_id="qa-copy")
                up = gr.Button("👍 有帮助", size="sm", elem_id="qa-up")
                down = gr.Button("👎 没帮助", size="sm", elem_id="qa-down")
            comment = gr.Textbox(show_label=False, placeholder="反馈意见（可选，点 👍/👎 时一并提交）", max_lines=3,
                                 elem_id="qa-comment")
            thanks = gr.Markdown("", elem_classes="qa-notice")
            gr.Examples(EXAMPLES, inputs=[box], label="示例问题")
            with gr.Accordion("设置", open=False):
                k = gr.Slider(3, 20, value=settings.top_k, step=1, label="检索段落数",
                              info="从资料库中取多少段用来组成答案并列在来源下方")
        with gr.Column(scale=2):
            sources = gr.HTML(EMPTY, elem_id="qa-sources")
    copy_text = gr.Textbox(visible="hidden", elem_id="qa-copy-text")
    focus = gr.State(-1)  # which answer the sources panel shows (-1: the latest)

    ask_outputs = [box, chat, answers, sources, notice, copy_text, focus]
    send.click(asker(qa), [box, k, answers], ask_outputs, api_name="ask", concurrency_id="ask")
    box.submit(asker(qa), [box, k, answers], ask_outputs, api_name=False, concurrency_id="ask")  # one limit for both
    cleared = (lambda: ([], [], EMPTY, "", "", "", "", -1),
               None, [chat, answers, sources, notice, copy_text, comment, thanks, focus])
    clear.click(*cleared, api_name="clear")
    chat.clear(*cleared, api_name=False)  # the chatbot's own trash button
    chat.select(show_answer, [answers], [chat, sources, copy_text, focus], api_name=False)
    copy.click(lambda text: "已复制答案和来源。" if text else "还没有可复制的回答。", [copy_text], [notice],
               js="(t) => { if (t && navigator.clipboard) { navigator.clipboard.writeText(t).catch(() => {}); } "
                  "return t; }", api_name=False)
    up.click(rater(qa, "up", feedback_path), [comment, answers, focus], [thanks, comment], api_name="feedback_up")
    down.click(rater(qa, "down", feedback_path), [comment, answers, focus], [thanks, comment],
               api_name="feedback_down")


def asker(qa: QA) -> Callable[[str, float, list[Answer]], Iterator[tuple]]:
    """The send handler: show the question at once, then the answer, its sources and its copyable text."""
    def ask(question: str, k_value: float, done: list[Answer]) -> Iterator[tuple]:
        question = clean_text(question if isinstance(question, str) else "")
        done = list(done or [])[-MAX_SESSION_ANSWERS:]
        if not question:
            yield "", chat_messages(done), done, gr.skip(), "请输入问题。", gr.skip(), gr.skip()
            return
        pending = [{"role": "user", "content": md_safe(echo(question))},
                   {"role": "assistant", "content": "正在查找…"}]
        yield "", chat_messages(done) + pending, done, gr.skip(), "", gr.skip(), gr.skip()
        try:
            answer = qa.ask(question, history(done), k=min(20, max(1, int(k_value))))
        except Exception:
            log.exception("answering %r failed", question)
            failed = pending[:1] + [{"role": "assistant", "content": md_safe(ERROR)}]
            yield gr.skip(), chat_messages(done) + failed, done, error_html(ERROR), ERROR, "", gr.skip()
            return
        done = [*done, answer][-MAX_SESSION_ANSWERS:]
        # the box is left alone: a question typed while this one was answered stays there
        yield gr.skip(), chat_messages(done), done, sources_html(answer), "", format_answer(answer), len(done) - 1
    return ask


@guarded(lambda: (gr.skip(), gr.skip(), gr.skip(), gr.skip()))
def show_answer(evt: gr.SelectData, done: list[Answer]) -> tuple:
    """Clicking an earlier message shows that answer's sources (and moves the `[n]` links to it)."""
    index = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
    i = index // 2 if isinstance(index, int) else -1
    if not 0 <= i < len(done):
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    return chat_messages(done, active=i), sources_html(done[i]), format_answer(done[i]), i


def rater(qa: QA, rating: str, feedback_path: Path) -> Callable[[str, list[Answer], int], tuple[str, str]]:
    """A 👍/👎 handler: append feedback on the answer on show, with the comment; clear the comment box."""
    @guarded(lambda: ("抱歉，反馈没有保存成功，请稍后重试。", gr.skip()))
    def record(text: str, done: list[Answer], focus: int) -> tuple[str, str]:
        answer = chosen(done, focus)
        if answer is None:
            return "还没有可以评价的回答。", text
        append_feedback(feedback_record(answer, rating, text, index_version(qa.store)), feedback_path)
        return f"谢谢！已记录你对“{answer.question[:30]}”的{'👍' if rating == 'up' else '👎'}反馈。", ""
    return record


@dataclass
class LibraryView:
    """The components of the 资料库 tab."""

    summary: gr.Markdown
    table: gr.Dataframe
    password: gr.Textbox
    files: gr.File
    add: gr.Button
    add_msg: gr.Textbox
    pick: gr.Dropdown
    delete: gr.Button
    delete_msg: gr.Textbox
    deleted: gr.Dataframe
    restore_pick: gr.Dropdown
    restore: gr.Button
    restore_msg: gr.Textbox

    @property
    def listed(self) -> list[Any]:
        """What every change refreshes: the tables, the pickers and the summary."""
        return [self.table, self.pick, self.summary, self.deleted, self.restore_pick]


def library_tab(lib: Library, demo: gr.Blocks) -> None:
    """Article table for everyone; with the admin password: upload, delete (reversible) and restore."""
    wire_library(lib, library_view(lib), demo)


def library_view(lib: Library) -> LibraryView:
    """The tab's components; the write controls only show when an admin password is configured."""
    summary = gr.Markdown(lib.summary())
    if lib.qa.stale:
        gr.Markdown(f"⚠️ 索引落后于资料库文件（{md_safe(lib.qa.stale)}）。请管理员运行 "
                    f"`qa index --index {md_safe(str(lib.qa.settings.index_dir))}` 更新索引。",
                    elem_classes="qa-notice")
    table = gr.Dataframe(value=article_table(lib), headers=HEADERS, interactive=False, wrap=True,
                         label="文章列表", max_height=360)
    if not lib.writable:
        gr.Markdown("🔒 资料库为只读：服务启动时没有设置管理员密码（`--admin-password` 或环境变量 "
                    f"`{PASSWORD_ENV}`），不能上传或删除。", elem_classes="qa-notice")
    with gr.Column(visible=lib.writable):
        password = gr.Textbox(label="管理员密码（上传、删除、恢复都需要）", type="password", max_lines=1,
                              elem_id="qa-admin-password")
        with gr.Row(equal_height=False):
            with gr.Column():
                files = gr.File(label="上传文章（.txt .md .html .docx 文字版 .pdf，单个不超过 20 MB）",
                                file_count="multiple", type="filepath")
                add = gr.Button("添加到资料库", variant="primary")
                add_msg = gr.Textbox(label="添加结果", interactive=False, lines=3)
            with gr.Column():
                pick = gr.Dropdown(choices=lib.choices(), value=None, label="选择要删除的文章（原文件保留，可恢复）")
                delete = gr.Button("删除所选文章", variant="stop")
                delete_msg = gr.Textbox(label="删除结果", interactive=False, lines=3)
        with gr.Accordion("已删除的文章（可恢复）", open=False):
            deleted = gr.Dataframe(value=deleted_table(lib), headers=DELETED_HEADERS, interactive=False, wrap=True)
            restore_pick = gr.Dropdown(choices=lib.deleted_choices(), value=None, label="选择要恢复的文章",
                                       allow_custom_value=True)  # the API may name the article id instead
            restore = gr.Button("恢复所选文章")
            restore_msg = gr.Textbox(label="恢复结果", interactive=False, lines=2)
    return LibraryView(summary, table, password, files, add, add_msg, pick, delete, delete_msg, deleted,
                       restore_pick, restore, restore_msg)


def wire_library(lib: Library, view: LibraryView, demo: gr.Blocks) -> None:
    """The tab's handlers. Writes run one at a time (concurrency id "library", limit 1), so password guesses
    queue behind each other instead of running side by side."""
    def listing() -> tuple:
        return (article_table(lib), gr.update(choices=lib.choices(), value=None), lib.summary(), deleted_table(lib),
                gr.update(choices=lib.deleted_choices(), value=None))

    @guarded(lambda: (ERROR, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()))
    def add_files(paths: list[str] | None, secret: str | None, request: gr.Request,
                  progress: gr.Progress = PROGRESS) -> tuple:
        result = lib.add(paths or [], Caller(secret or "", client_of(request)),
                         progress=lambda f, d: progress(f, desc=d))
        return (result.message, *listing(), None if result.ok else gr.skip())

    def article_change(method: Callable[..., Any]) -> Callable[..., tuple]:
        """A handler for `lib.delete` or `lib.restore`: (article id, password) -> message and fresh listings."""
        @guarded(lambda: (ERROR, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()))
        def change(article_id: str | None, secret: str | None, request: gr.Request,
                   progress: gr.Progress = PROGRESS) -> tuple:
            result = method(article_id or "", Caller(secret or "", client_of(request)),
                            progress=lambda f, d: progress(f, desc=d))
            return (result.message, *listing())
        return change

    @guarded(lambda: gr.skip())
    def pick_row(evt: gr.SelectData) -> Any:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        articles = lib.articles
        return gr.update(value=articles[row].id) if isinstance(row, int) and 0 <= row < len(articles) else gr.skip()

    writes = {"concurrency_id": "library", "concurrency_limit": 1}
    view.table.select(pick_row, None, [view.pick], api_name=False)  # clicking a row picks that article
    view.add.click(add_files, [view.files, view.password], [view.add_msg, *view.listed, view.files],
                   api_name="add_files", **writes)
    view.delete.click(article_change(lib.delete), [view.pick, view.password], [view.delete_msg, *view.listed],
                      api_name="delete_article", **writes)
    view.restore.click(article_change(lib.restore), [view.restore_pick, view.password],
                       [view.restore_msg, *view.listed], api_name="restore_article", **writes)
    demo.load(guarded(lambda: (gr.skip(),) * 5)(listing), None, view.listed, api_name="articles")


def deleted_table(lib: Library) -> dict[str, Any]:
    return {"headers": DELETED_HEADERS, "data": lib.deleted_rows()}


def launch_app(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
               **kwargs: Any) -> Any:
    """Launch with the local-font theme, the card CSS and the `[n]` click script; extra kwargs go to `launch`."""
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo.launch(server_name=host, server_port=port, share=share, theme=THEME, css=APP_CSS, head=CLICK_JS,
                       show_error=False, max_file_size=f"{MAX_BYTES // 2**20}mb", **kwargs)


# ---------- command line ----------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="工会资讯问答 — chat UI")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    index_arguments(p)
    reader_argument(p)
    p.add_argument("--feedback", type=Path, default=DEFAULT_PATH, help=f"feedback JSONL (default: {DEFAULT_PATH})")
    p.add_argument("--admin-password", default=None,
                   help=f"password for uploads, deletes and restores (better: set ${PASSWORD_ENV}, which `ps` does "
                        "not show); without one the library is read-only")
    p.add_argument("--share", action="store_true",
                   help="also open a public gradio.live link (off by default; needs an admin password)")
    return p.parse_args(argv)


def exposure_check(host: str, share: bool, password: str | None) -> str | None:
    """An error when the page would be public with an open library, else None (a warning is logged when the page
    is reachable from other machines without a password: reading stays open, writes are refused)."""
    if password:
        return None
    if share:
        return (f"--share publishes the page on the internet: set an admin password first (--admin-password or "
                f"${PASSWORD_ENV})")
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s without an admin password: anyone who can reach the port can read and ask; "
                    "the library is read-only until you set --admin-password or $%s", host, PASSWORD_ENV)
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("qa").setLevel(logging.INFO)  # the application's own loggers; libraries stay at WARNING
    from qa.api import QA
    from qa.errors import QAError
    from qa.index.indexer import settle

    password = args.admin_password or os.environ.get(PASSWORD_ENV) or None
    refusal = exposure_check(args.host, args.share, password)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    build = builds_missing_index(args)
    log.info("opening the index at %s%s", args.index, " (building it first if there is none yet)" if build else "")
    try:
        settings = settle(replace(Settings(), index_dir=args.index, show_progress=True, reader=args.reader or ""),
                          args.corpus, args.model, backend=backend_options(args))
        qa = QA.open(settings, build=build)
        if isinstance(qa.reader, LlamaReader):  # joined (first use) and loaded now: a broken model stops here
            qa.reader.load()
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import threading  # the English lexicon (about 2 s) is built while the UI starts, not on the first question

    threading.Thread(target=qa.retriever.lexicon, name="english-lexicon", daemon=True).start()
    log.info("%d articles loaded; starting the UI at http://%s:%d", len(qa.store.articles), args.host, args.port)
    launch_app(build_app(qa, settings, args.feedback, password), args.host, args.port, args.share)
    return 0


if __name__ == "__main__":
    sys.exit(main())
