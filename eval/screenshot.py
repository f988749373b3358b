"""Take the README screenshot: ask a running UI real questions in headless Chromium and save a small PNG.

    python app.py &                                   # the real model and the bundled corpus
    python eval/screenshot.py [--url http://127.0.0.1:7860/] [--out docs/screenshot.png]

Asks each question in turn (later ones may be follow-ups), clicks the last answer's `[1]` so its card is highlighted,
and saves a 1280x900 screenshot reduced to a 256-colour palette (well under 300 KB). Uses Debian's chromium.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUESTIONS = ["沙坪坝区建了多少个工会驿站？", "其中多少个智能化升级了？"]


def capture(url: str, questions: list[str]) -> bytes:
    """PNG bytes of the page after asking `questions` and clicking the last answer's first citation."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(url)
        for n, question in enumerate(questions, start=1):
            page.fill("#qa-question textarea", question)
            page.click("#qa-send")
            page.wait_for_function("n => document.querySelectorAll('#qa-chat .bot-row').length >= n && "
                                   "!document.querySelector('#qa-chat').innerText.includes('正在查找')",
                                   arg=n, timeout=60_000)
        links = page.locator("#qa-chat a.qa-cite")
        if links.count():
            links.first.click()
            expect(page.locator(".qa-card.qa-active mark")).to_be_in_viewport()
        page.wait_for_timeout(800)  # let the smooth scroll settle
        png = page.screenshot()
        browser.close()
    return png


def shrink(png: bytes) -> bytes:
    """The same picture as a 256-colour palette PNG."""
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").quantize(256, dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:7860/")
    p.add_argument("--out", type=Path, default=Path("docs/screenshot.png"))
    p.add_argument("--question", action="append", help="question to ask (repeatable); default: two example turns")
    args = p.parse_args(argv)
    data = shrink(capture(args.url, args.question or QUESTIONS))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data) // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
