"""The chat UI in a real headless Chromium: ask, see the cited fact, click [1], see the highlighted sentence.

Uses Debian's /usr/bin/chromium through Playwright (no browser download). Every request the page makes is recorded
and must go to this machine. A screenshot is saved to test-artifacts/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "test-artifacts"
LOCAL = {"127.0.0.1", "localhost", "::1"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() or shutil.which("chromium") is None,
                       reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium "
                              "fonts-wqy-microhei)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package (pip: .[dev])")
pytest.importorskip("gradio", reason="needs gradio (pip: .[ui])")

from test_app import serve  # noqa: E402

EVIL = {"id": "evil", "title": "<script>window.__pwned = 1</script>**粗体**",
        "text": "危险段落<img src=x onerror=\"window.__pwned = 2\"> **不应加粗** ${1+1}。"}


@pytest.fixture
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def open_page(browser: object, url: str, requests: list[str]) -> object:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                            permissions=["clipboard-read", "clipboard-write"])
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_selector("#qa-question textarea")
    return page


def send(page: object, question: str) -> None:
    page.fill("#qa-question textarea", question)
    page.click("#qa-send")


def assert_local_only(requests: list[str]) -> None:
    assert requests, "no requests were recorded"
    outside = [u for u in requests if urlparse(u).scheme not in ("data", "blob") and urlparse(u).hostname not in LOCAL]
    assert not outside, f"the page reached outside the machine: {outside}"


def test_ask_click_citation_see_highlight(tiny_settings, tmp_path, browser):
    requests: list[str] = []
    with serve(tiny_settings, tmp_path / "feedback.jsonl") as served:
        page = open_page(browser, served.url, requests)
        send(page, "沙坪坝区建了多少个工会驿站？")
        link = page.locator("#qa-chat a.qa-cite").first
        sync_api.expect(link).to_have_text("[1]", timeout=20_000)
        answer = page.locator("#qa-chat").inner_text()
        assert "174" in answer and "[1]" in answer

        link.click()
        card = page.locator("#cite-1")
        sync_api.expect(card).to_have_class("qa-card qa-active")
        mark = card.locator("mark")
        sync_api.expect(mark).to_have_text("近年来,沙坪坝区总工会建成工会驿站174个。")
        sync_api.expect(mark).to_be_visible()
        sync_api.expect(mark).to_be_in_viewport()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-answer-highlight.png"))

        page.click("#qa-copy")
        sync_api.expect(page.locator(".qa-notice").first).to_contain_text("已复制")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "174" in copied and "来源" in copied and "<" not in copied

        send(page, "其中多少个智能化升级了？")  # a follow-up uses the conversation
        sync_api.expect(page.locator("#cite-1 mark")).to_contain_text("优选24个驿站", timeout=20_000)
        page.locator("#qa-chat").get_by_text("近年来,沙坪坝区总工会建成工会驿站174个。").click()  # an earlier answer
        sync_api.expect(page.locator("#cite-1 mark")).to_contain_text("174")  # shows its own sources again
        page.wait_for_timeout(1000)  # gradio keeps a stream open, so "networkidle" never comes
    assert_local_only(requests)


def test_article_markup_renders_as_text(tiny_settings, tmp_path, browser):
    (tiny_settings.corpus_dir / "evil.jsonl").write_text(json.dumps(EVIL, ensure_ascii=False) + "\n", "utf-8")
    requests: list[str] = []
    dialogs: list[str] = []
    with serve(tiny_settings, tmp_path / "feedback.jsonl") as served:
        page = open_page(browser, served.url, requests)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        send(page, "危险段落里有什么？")
        sync_api.expect(page.locator("#cite-1")).to_be_visible(timeout=20_000)
        card = page.locator("#cite-1").inner_text()
        assert "<script>window.__pwned = 1</script>**粗体**" in card and "<img src=x" in card
        assert "**不应加粗**" in page.locator("#qa-chat").inner_text()
        assert page.locator("#qa-chat strong, #qa-sources strong, #qa-sources img").count() == 0
        assert page.evaluate("window.__pwned") is None and not dialogs
    assert_local_only(requests)
