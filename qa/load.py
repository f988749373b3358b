"""Read corpus files of every format into Articles with stable, citable paragraph ids.

Formats: `.txt`/`.md` pages (cut into articles by `qa.clean.split_page`), `.html`/`.htm` (text by trafilatura,
else by lxml block elements, then `split_page`), `.jsonl` (one article per line: `id`, `title`, `text`, optional
`date`, `source`, `url`), `.docx` (python-docx) and text `.pdf` (pypdf). Byte encodings are detected with
charset-normalizer (UTF-8 first, GB18030/GBK are common). A file that cannot be read or holds no text is skipped
with a WARNING naming it. `metadata.json` maps a file's path (relative to the corpus dir) to its `source`, `date`
and `title`; files not listed get source "" and the date printed in a masthead, if any.

Ids: article `<file-slug>-<k>` (k two digits, 1-based, page order) or a JSONL row's own ASCII `id`; paragraph
`<article-id>#p<n>` (1-based). They depend only on the file's name and content, so they are stable across runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from qa.clean import RawArticle, split_page, split_paragraphs
from qa.errors import CorpusError
from qa.schema import Article, Paragraph

log = logging.getLogger(__name__)

METADATA = "metadata.json"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")
_HTML_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "pre", "blockquote", "figcaption")


def decode(data: bytes) -> str:
    """Text of `data`: UTF-8 when it decodes, else charset-normalizer's best guess (GB18030, GBK, Big5 …)."""
    if not data.strip():
        raise CorpusError("the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    text = str(best) if best is not None else ""
    if not text.strip() or "\x00" in text:
        raise CorpusError("cannot detect the text encoding: save the file as UTF-8")
    return text


def slug(stem: str) -> str:
    """ASCII id prefix for a file stem; a stem with no ASCII letters or digits gets a short hash."""
    ascii_slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return ascii_slug or "doc-" + hashlib.sha1(stem.encode()).hexdigest()[:8]


def _blocks_to_page(blocks: Iterable[str]) -> str:
    return "\n\n".join(b.strip() for b in blocks if b.strip())


def html_text(html: str) -> str:
    """Main text of an HTML page, one block per paragraph: trafilatura, else lxml block elements."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True) or ""
    if text.strip():
        return _blocks_to_page(text.splitlines())
    import lxml.html

    root = lxml.html.document_fromstring(html)
    for bad in root.xpath("//script|//style|//noscript|//nav|//footer|//head"):
        bad.drop_tree()
    blocks = [el.text_content() for el in root.iter(*_HTML_BLOCKS)
              if not any(a.tag in _HTML_BLOCKS for a in el.iterancestors())]
    return _blocks_to_page(blocks)


def unwrap_pdf_lines(text: str) -> str:
    """One block per paragraph: a visual line as long as the page's widest, not ending a sentence, is wrapped."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    width = max((len(ln) for ln in lines), default=0)
    blocks: list[str] = []
    for line in lines:
        if blocks and len(blocks[-1].splitlines()[-1]) >= 0.9 * width and not re.search(r"[。！？；.!?]$", blocks[-1]):
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return _blocks_to_page(b.replace("\n", "" if re.search(r"[\u4e00-\u9fff]", b) else " ") for b in blocks)


def read_page(path: Path) -> list[RawArticle]:
    return split_page(decode(path.read_bytes()))


def read_html(path: Path) -> list[RawArticle]:
    return split_page(html_text(decode(path.read_bytes())))


def read_docx(path: Path) -> list[RawArticle]:
    import docx

    return split_page(_blocks_to_page([p.text for p in docx.Document(str(path)).paragraphs]))


def read_pdf(path: Path) -> list[RawArticle]:
    from pypdf import PdfReader

    pages = [unwrap_pdf_lines(page.extract_text() or "") for page in PdfReader(str(path)).pages]
    return split_page("\n\n".join(pages))


def read_jsonl(path: Path) -> list[tuple[dict, RawArticle]]:
    """(row, article) per non-empty line; a line that is not a JSON object or has no text is skipped (WARNING)."""
    out = []
    for number, line in enumerate(decode(path.read_bytes()).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            paragraphs = split_paragraphs(str(row.get("text", "")))
        except (ValueError, AttributeError) as exc:
            log.warning("%s line %d is not a JSON object (%s): skipped", path, number, exc)
            continue
        if not paragraphs:
            log.warning("%s line %d has no text: skipped", path, number)
            continue
        out.append((row, RawArticle(str(row.get("title", "")), paragraphs, date=str(row.get("date", "")))))
    return out


READERS: dict[str, Callable[[Path], list[RawArticle]]] = {
    ".txt": read_page, ".md": read_page, ".html": read_html, ".htm": read_html, ".docx": read_docx, ".pdf": read_pdf}


def build_article(raw: RawArticle, article_id: str, file: str, info: dict, row: dict | None = None) -> Article:
    """The schema Article of one RawArticle; row (JSONL) fields win over `info` (metadata.json) ones."""
    row = row or {}
    title = raw.title or str(info.get("title", "")) or Path(file).stem
    source = str(row.get("source") or info.get("source") or "")
    date = str(row.get("date") or info.get("date") or raw.date)
    paragraphs = tuple(Paragraph(f"{article_id}#p{n}", article_id, n, text, title, kind, source, date, file)
                       for n, (text, kind) in enumerate(raw.paragraphs, start=1))
    return Article(article_id, title, paragraphs, source, date, file, raw.section, raw.subtitle, raw.byline,
                   str(row.get("url") or info.get("url") or ""))


def load_file(path: Path, corpus_dir: Path, meta: dict) -> list[Article]:
    """Articles of one corpus file; an unreadable or empty file is skipped with a WARNING (returns [])."""
    file = path.relative_to(corpus_dir).as_posix()
    suffix, prefix = path.suffix.lower(), slug(path.stem)
    try:
        if suffix == ".jsonl":
            pairs = read_jsonl(path)
        elif suffix in READERS:
            pairs = [({}, raw) for raw in READERS[suffix](path) if raw.paragraphs]
        else:
            raise CorpusError(f"unsupported file type {suffix!r}")
    except Exception as exc:  # any broken file (bad zip, bad PDF, bad bytes) must not stop the run
        log.warning("skipping %s: %s: %s", file, type(exc).__name__, exc)
        return []
    if not pairs:
        log.warning("skipping %s: no text found", file)
        return []
    info = meta.get(file, {}) if isinstance(meta.get(file), dict) else {}
    ids = [str(row["id"]) if _SAFE_ID.match(str(row.get("id", ""))) else f"{prefix}-{k:02d}"
           for k, (row, _) in enumerate(pairs, start=1)]
    return [build_article(raw, aid, file, info, row) for aid, (row, raw) in zip(ids, pairs, strict=True)]


def read_metadata(corpus_dir: Path) -> dict:
    """`metadata.json` as a dict (file -> {source, date, title}); missing or broken gives {} (broken: a WARNING)."""
    path = corpus_dir / METADATA
    if not path.is_file():
        return {}
    try:
        meta = json.loads(decode(path.read_bytes()))
    except (CorpusError, ValueError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return {}
    return meta if isinstance(meta, dict) else {}


def corpus_paths(corpus_dir: Path) -> list[Path]:
    """Readable corpus files under `corpus_dir` in name order: no hidden files, no metadata.json."""
    suffixes = {*READERS, ".jsonl"}
    return [p for p in sorted(corpus_dir.rglob("*"))
            if p.is_file() and p.suffix.lower() in suffixes and p.name != METADATA
            and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)]


def _reid(article: Article, new_id: str) -> Article:
    paragraphs = tuple(replace(p, id=f"{new_id}#p{p.n}", article_id=new_id) for p in article.paragraphs)
    return replace(article, id=new_id, paragraphs=paragraphs)


def load_corpus(corpus_dir: Path) -> list[Article]:
    """Every article of the corpus directory, files in name order, articles in page order, ids unique."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist: pass --corpus DIR")
    meta = read_metadata(corpus_dir)
    articles: list[Article] = []
    seen: set[str] = set()
    for path in corpus_paths(corpus_dir):
        for article in load_file(path, corpus_dir, meta):
            if article.id in seen:
                new_id = f"{slug(path.stem)}-{article.id}"
                log.warning("article id %s in %s is already used: renamed %s", article.id, path.name, new_id)
                article = _reid(article, new_id)
            seen.add(article.id)
            articles.append(article)
    log.info("loaded %d articles from %s", len(articles), corpus_dir)
    return articles
