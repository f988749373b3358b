"""The Gradio app driven through its API with gradio_client: ask, follow-up, not-found, feedback, upload, delete,
restore; writes refused without the admin password; over-long and control-character questions; exposure checks."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from qa.settings import Settings

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
pytest.importorskip("gradio")
pytest.importorskip("gradio_client")

from gradio_client import Client, handle_file  # noqa: E402

from qa.api import QA  # noqa: E402
from qa.ui import app  # noqa: E402

PASSWORD = "s3cret"
GOOD = ("江津区新建爱心驿站58个\n\n本报讯 近日，江津区总工会今年新建爱心驿站58个，覆盖全部镇街，"
        "为户外劳动者提供歇脚、饮水、充电等服务。\n")


@dataclass
class Served:
    url: str
    qa: QA
    settings: Settings
    feedback: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(settings: Settings, feedback: Path, password: str | None = PASSWORD) -> Iterator[Served]:
    """The app over `settings` on a free local port, closed afterwards."""
    qa = QA.open(settings)
    demo = app.build_app(qa, settings, feedback, password)
    port = free_port()
    app.launch_app(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        yield Served(f"http://127.0.0.1:{port}/", qa, settings, feedback)
    finally:
        demo.close()


@pytest.fixture
def served(tiny_settings, tmp_path) -> Iterator[Served]:
    with serve(tiny_settings, tmp_path / "feedback" / "feedback.jsonl") as s:
        yield s


def text_of(message: dict) -> str:
    """The text of a chatbot message as gradio_client returns it (content: a list of parts in Gradio 6)."""
    content = message["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


def ask(client: Client, question: str, k: int = 5) -> tuple[list[dict], str, str]:
    _box, chat, sources, notice, _copy = client.predict(question, k, api_name="/ask")
    return chat, sources, notice


def test_ask_follow_up_not_found_and_clear(served):
    client = Client(served.url, verbose=False, analytics_enabled=False)
    chat, sources, _ = ask(client, "沙坪坝区建了多少个工会驿站？")
    answer = text_of(chat[-1])
    assert "174" in answer and 'href="#cite-1"' in answer
    assert 'id="cite-1"' in sources and "<mark>近年来,沙坪坝区总工会建成工会驿站174个。</mark>" in sources

    chat, sources, _ = ask(client, "其中多少个智能化升级了？")  # needs the first turn from the session's history
    assert [m["role"] for m in chat] == ["user", "assistant"] * 2
    assert "24" in text_of(chat[-1]) and 'href="#cite-1"' in text_of(chat[-1])
    assert "href" not in text_of(chat[1])  # the older answer's [n] no longer point at the cards on show
    assert "<mark>优选24个驿站升级改造" in sources

    chat, sources, _ = ask(client, "北京市总工会2025年建了多少个驿站？")
    assert "没有找到" in text_of(chat[-1]) and 'class="qa-notfound"' in sources and "相关内容" in sources

    chat, sources, *_ = client.predict(api_name="/clear")
    assert chat == [] and "qa-card" not in sources
    chat, _, _ = ask(client, "其中多少个智能化升级了？")
    assert len(chat) == 2  # the history was cleared with the chat


def test_empty_question_and_feedback(served):
    client = Client(served.url, verbose=False, analytics_enabled=False)
    chat, _, notice = ask(client, "   ")
    assert chat == [] and "请输入问题" in notice
    thanks, _ = client.predict("", api_name="/feedback_up")
    assert "还没有" in thanks and not served.feedback.exists()
    ask(client, "巫山县建了多少个新就业形态工会组织？")
    thanks, comment = client.predict("数字对了", api_name="/feedback_down")
    assert "谢谢" in thanks and comment == ""
    (record,) = [json.loads(line) for line in served.feedback.read_text(encoding="utf-8").splitlines()]
    assert record["rating"] == "down" and record["comment"] == "数字对了" and "41" in record["answer"]
    assert record["citations"][0]["paragraph_id"] == "ws#p1" and record["index"]["model"] == "hashing"


def test_handler_errors_become_a_friendly_message(served, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(served.qa, "ask", boom)
    client = Client(served.url, verbose=False, analytics_enabled=False)
    chat, sources, notice = ask(client, "沙坪坝区建了多少个工会驿站？")
    assert "抱歉" in text_of(chat[-1]) and "抱歉" in notice and "抱歉" in sources
    assert "secret internals" not in json.dumps([chat, sources, notice], ensure_ascii=False)
    assert "Traceback" not in sources


def corpus_files(corpus: Path) -> list[str]:
    return sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*")
                  if p.is_file() and ".union-qa" not in p.parts)


def test_upload_is_searchable_then_delete_and_restore(served, tmp_path):
    client = Client(served.url, verbose=False, analytics_enabled=False)
    corpus = served.settings.corpus_dir
    before = corpus_files(corpus)
    bad = tmp_path / "bad.exe"
    bad.write_bytes(b"MZ")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    message, table, *_ = client.predict([handle_file(str(bad)), handle_file(str(empty))], PASSWORD,
                                        api_name="/add_files")
    assert "没有添加" in message and "不支持" in message and "空" in message
    assert corpus_files(corpus) == before

    good = tmp_path / "jiangjin.txt"
    good.write_text(GOOD, encoding="utf-8")
    message, table, *_ = client.predict([handle_file(str(good))], PASSWORD, api_name="/add_files")
    assert "已添加 1 个文件" in message
    assert "江津区新建爱心驿站58个" in [row[0] for row in table["data"]]
    chat, sources, _ = ask(client, "江津区新建了多少个爱心驿站？")
    assert "58" in text_of(chat[-1]) and "jiangjin.txt" not in sources  # cards name the article, not the file

    with_upload = corpus_files(corpus)
    article_id = next(a.id for a in served.qa.store.articles if a.file == "uploads/jiangjin.txt")
    message, table, _pick, summary, deleted, _restore = client.predict(article_id, PASSWORD,
                                                                       api_name="/delete_article")
    assert "已删除《江津区新建爱心驿站58个》" in message and "可在“已删除的文章”中恢复" in message
    assert "江津区新建爱心驿站58个" not in [row[0] for row in table["data"]]
    assert [row[0] for row in deleted["data"]] == ["江津区新建爱心驿站58个"] and "1 篇已删除" in summary
    assert corpus_files(corpus) == with_upload  # the file stays: the delete is reversible
    chat, _, _ = ask(client, "江津区新建了多少个爱心驿站？")
    assert "58" not in text_of(chat[-1])

    table, _, summary, deleted, _ = client.predict(api_name="/articles")
    assert len(table["data"]) == 2 and "2 篇文章" in summary and len(deleted["data"]) == 1

    message, table, *_ = client.predict(article_id, PASSWORD, api_name="/restore_article")
    assert "已恢复" in message and "江津区新建爱心驿站58个" in [row[0] for row in table["data"]]
    chat, _, _ = ask(client, "江津区新建了多少个爱心驿站？")
    assert "58" in text_of(chat[-1])


@pytest.mark.parametrize("password", [None, PASSWORD])
def test_anonymous_writes_are_refused_on_the_server(tiny_settings, tmp_path, monkeypatch, password):
    """The reported attack: one anonymous HTTP call to /delete_article. Refused, with or without a password set."""
    monkeypatch.setattr("qa.ui.library.WRONG_PASSWORD_DELAY", 0.0)
    monkeypatch.setattr("qa.ui.library.MAX_FAILURES", 100)  # six wrong guesses here; the lockout is tested apart
    corpus = tiny_settings.corpus_dir
    before = {name: (corpus / name).read_bytes() for name in corpus_files(corpus)}
    good = tmp_path / "jiangjin.txt"
    good.write_text(GOOD, encoding="utf-8")
    with serve(tiny_settings, tmp_path / "feedback.jsonl", password) as s:
        client = Client(s.url, verbose=False, analytics_enabled=False)
        for guess in ("", "wrong"):
            message, *_ = client.predict("ws", guess, api_name="/delete_article")
            assert ("只读" if password is None else "密码不正确") in message
            message, *_ = client.predict([handle_file(str(good))], guess, api_name="/add_files")
            assert ("只读" if password is None else "密码不正确") in message
            message, *_ = client.predict("ws", guess, api_name="/restore_article")
            assert ("只读" if password is None else "密码不正确") in message
        table, *_ = client.predict(api_name="/articles")
        assert len(table["data"]) == 2
        chat, _, _ = ask(client, "巫山县建了多少个新就业形态工会组织？")
        assert "41" in text_of(chat[-1])  # reading and asking stay open
    assert {name: (corpus / name).read_bytes() for name in corpus_files(corpus)} == before


def test_long_and_control_character_questions(served):
    client = Client(served.url, verbose=False, analytics_enabled=False)
    chat, sources, _ = ask(client, "沙" * 50_000)
    assert "问题太长" in text_of(chat[-1]) and len(text_of(chat[0])) < 600
    chat, _, _ = ask(client, "\u202e沙坪坝区\x00建了多少个\u2066工会驿站？\x07\x1b")
    assert "174" in text_of(chat[-1])
    assert not any(c in text_of(chat[-2]) for c in "\u202e\x00\u2066\x1b")


def test_a_session_keeps_only_its_latest_answers(served, monkeypatch):
    monkeypatch.setattr(app, "MAX_SESSION_ANSWERS", 3)
    client = Client(served.url, verbose=False, analytics_enabled=False)
    for question in ("沙坪坝区建了多少个工会驿站？", "巫山县建了多少个新就业形态工会组织？") * 3:
        chat, _, _ = ask(client, question)
    assert len(chat) == 2 * 3 and "41" in text_of(chat[-1])


def test_share_without_password_refuses_to_start_and_open_host_warns(caplog):
    assert app.main(["--share", "--index", "/nonexistent/never-built"]) == 2
    assert app.exposure_check("0.0.0.0", False, None) is None and "without an admin password" in caplog.text
    assert app.exposure_check("0.0.0.0", True, "pw") is None


def test_a_mistyped_index_is_an_error_not_a_new_index(tmp_path, capsys):
    missing = tmp_path / "typo-index"
    assert app.main(["--index", str(missing)]) == 2  # the reading commands' rule: never build at a given path
    assert "no index at" in capsys.readouterr().err and not missing.exists()


def test_a_reader_that_is_not_installed_stops_the_ui_with_the_install_command(tmp_path, capsys, monkeypatch):
    from dataclasses import replace

    from conftest import write_corpus

    from qa.api import QA

    index = tmp_path / "index"
    QA.open(replace(Settings(), corpus_dir=write_corpus(tmp_path / "corpus"), index_dir=index, model="hashing",
                    show_progress=False))
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    assert app.main(["--index", str(index), "--reader", "qwen2.5-coder-1.5b"]) == 2
    assert "-e '.[reader]'" in capsys.readouterr().err
