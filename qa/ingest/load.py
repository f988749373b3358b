"""Read corpus files of every format into Articles with stable, citable paragraph ids, refusing bad files safely.

Formats: `.txt`/`.md` pages (cut into articles by `qa.ingest.clean.split_page`), `.html`/`.htm` (text by trafilatura,
else by lxml block elements without script/style, then `split_page`), `.jsonl` (one article per line: `id`, `title`,
`text`, optional `date`, `source`, `url`; `.jsonl.gz` the same packed with gzip; a row without a title is named
by its lead sentence), `.docx` (python-docx) and text `.pdf` (pypdf); any other visible file is reported as skipped,
never ignored silently. `metadata.json` maps a file's path (relative to the corpus dir) to its `source`, `date` and
`title`; files not listed get source "" and the date printed in a masthead, if any.

Encodings: a BOM (UTF-8, UTF-16, UTF-32) wins; else valid UTF-8; else charset-normalizer's best guess (GB18030,
GBK, Big5, BOM-less UTF-16 …). Bytes whose NULs sit at every other offset are BOM-less UTF-16 and skip the UTF-8
try (UTF-16 ASCII is valid UTF-8). Decoded text holding a NUL, or more than `BINARY_SHARE` control, private-use or
replacement characters, is binary data and refused as "not a text file".

Bad files never stop a run and are never half-imported: a file yields all its articles or none, and each refusal
is a `Problem` (`file: message`, or `file:line: message` for a JSONL line) saying what is wrong and what to do.
`load_corpus_report` and `read_file` return them; `load_corpus` and `load_file` log them as WARNINGs. Checks,
cheapest first: the size (`stat()`, before reading: 0 bytes or over `MAX_FILE_BYTES` is refused unread); a `.docx`
must be a zip whose declared unpacked size stays under `MAX_ZIP_BYTES` and `MAX_ZIP_RATIO` times its packed size
(read from the zip directory, nothing is decompressed); a `.jsonl.gz` may unpack to `MAX_GZIP_BYTES`; any reader
error means "corrupt"; a PDF without text asks for OCR. In a JSONL file a line that is not UTF-8, not a JSON
object, or has no `text` is skipped alone, with its line number.

Ids: article `<file-slug>-<k>` (k two digits, 1-based, page order) or a JSONL row's own ASCII `id`; paragraph
`<article-id>#p<n>` (1-based). They depend only on the file's name and content, so they are stable across runs.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import CorpusError
from qa.ingest.clean import RawArticle, lead_title, split_page, split_paragraphs
from qa.schema import Article, Paragraph

if TYPE_CHECKING:
    import lxml.html

log = logging.getLogger(__name__)

METADATA = "metadata.json"
MAX_FILE_BYTES = 100 * 1024 * 1024  # far above any news file; a bigger file is refused from stat(), never read
MAX_ZIP_BYTES = 200 * 1024 * 1024  # a .docx unpacking to more than this is refused (python-docx loads every part)
MAX_GZIP_BYTES = 1024 * 1024 * 1024  # a .jsonl.gz is refused once it unpacks to more (news JSONL packs ~3-5:1)
MAX_ZIP_RATIO = 100  # Office XML packs ~5-20:1; a zip claiming far more is a decompression bomb
BINARY_SHARE = 0.02  # text holds almost no control/private-use/U+FFFD characters; binary read as text ~10%
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")
_HTML_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "pre", "blockquote", "figcaption")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff\ud800-\udfff\U000f0000-\U0010ffff]")

EMPTY = "empty: the file holds no text; add text to it or remove it"
NOT_TEXT = ("not a text file: no text encoding fits its bytes (binary data, or a file renamed to this extension?); "
            "save it as UTF-8 text or remove it")
NO_TEXT = {".pdf": "no text layer (scanned PDF?): run OCR on it first (e.g. `ocrmypdf in.pdf out.pdf`) and add the "
                   "searchable PDF",
           **dict.fromkeys((".jsonl", ".jsonl.gz"),
                           "no article: no line holds a JSON object with a non-empty \"text\"; fix the lines listed "
                           "above")}
NO_TEXT_DEFAULT = "no text found (only markup, boilerplate or blank lines): check the file's content"


@dataclass(frozen=True)
class Problem:
    """Why a corpus file (or one JSONL line) was not imported; `file` is relative to the corpus dir, posix style."""

    file: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


def _bom_codec(data: bytes) -> str | None:
    """The codec a byte-order mark names, else None."""
    return next((codec for bom, codec in _BOMS if data.startswith(bom)), None)


def _looks_utf16(data: bytes) -> bool:
    """True when NUL bytes sit (90%+) at odd or at even offsets: BOM-less UTF-16 (ASCII/digits/newlines)."""
    if len(data) % 2:
        return False
    even, odd = data[0::2].count(0), data[1::2].count(0)
    return odd > 9 * even or even > 9 * odd


def _is_text(text: str) -> bool:
    """False for binary data read as text: any NUL, or more than BINARY_SHARE control/private-use/U+FFFD chars."""
    return "\x00" not in text and len(_NOT_TEXT.findall(text)) <= BINARY_SHARE * len(text)


def _decode_known(data: bytes) -> str | None:
    """Text when a BOM or valid UTF-8 settles the encoding; None when charset-normalizer must choose. BOM-less
    UTF-16 of ASCII is valid UTF-8 too, so data with the UTF-16 NUL pattern goes to charset-normalizer."""
    codec = _bom_codec(data)
    if codec:
        with suppress(UnicodeDecodeError):
            return data.decode(codec)
    elif not _looks_utf16(data):
        with suppress(UnicodeDecodeError):
            return data.decode("utf-8")
    return None


def _guess(data: bytes) -> str | None:
    """charset-normalizer's best decoding of `data`, None when no encoding fits."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else None


def decode(data: bytes) -> str:
    """Text of `data` (see the module docstring for the order); CorpusError when empty or not text."""
    if not data.strip():
        raise CorpusError(EMPTY)
    text = _decode_known(data)
    text = _guess(data) if text is None else text
    if text is None or not _is_text(text):
        raise CorpusError(NOT_TEXT)
    if not text.strip():
        raise CorpusError(EMPTY)
    return text


def slug(stem: str) -> str:
    """ASCII id prefix for a file stem; a stem with no ASCII letters or digits gets a short hash."""
    ascii_slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return ascii_slug or "doc-" + hashlib.sha1(stem.encode()).hexdigest()[:8]


def _blocks_to_page(blocks: Iterable[str]) -> str:
    return "\n\n".join(b.strip() for b in blocks if b.strip())


def _html_tree(html: str) -> lxml.html.HtmlElement:
    """The parsed page without script, style, noscript and template elements (their tails are kept)."""
    import lxml.html

    root = lxml.html.document_fromstring(html.encode(), parser=lxml.html.HTMLParser(encoding="utf-8"))
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    return root


def html_text(html: str) -> str:
    """Main text of an HTML page, one block per paragraph: trafilatura, else lxml block elements; scripts and
    styles are removed first, so their text can never become a paragraph."""
    import lxml.html
    import trafilatura
    from lxml.etree import ParserError

    try:
        root = _html_tree(html)
    except ParserError:  # nothing but comments or a doctype
        return ""
    text = trafilatura.extract(lxml.html.tostring(root, encoding="unicode"), include_comments=False,
                               include_tables=False, favor_recall=True) or ""
    if text.strip():
        return _blocks_to_page(text.splitlines())
    for bad in root.xpath("//nav|//footer|//head"):
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


def _size(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 2**10:,.0f} KB"


def check_zip(path: Path, max_bytes: int = MAX_ZIP_BYTES, max_ratio: float = MAX_ZIP_RATIO) -> None:
    """CorpusError unless `path` is a zip whose declared unpacked size is sane; reads only the zip directory."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise CorpusError(f"corrupt: not a valid {path.suffix} file ({exc}); open it and save it again") from exc
    unpacked, packed = sum(m.file_size for m in members), sum(m.compress_size for m in members)
    if unpacked > max_bytes or unpacked > max_ratio * max(packed, 1):
        raise CorpusError(f"refused: looks like a zip bomb ({_size(unpacked)} unpacked from {_size(packed)}); "
                          "it was not opened. Re-save the document or remove it")


def read_page(path: Path) -> list[RawArticle]:
    return split_page(decode(path.read_bytes()))


def read_html(path: Path) -> list[RawArticle]:
    return split_page(html_text(decode(path.read_bytes())))


def read_docx(path: Path) -> list[RawArticle]:
    import docx

    check_zip(path)
    return split_page(_blocks_to_page([p.text for p in docx.Document(str(path)).paragraphs]))


def read_pdf(path: Path) -> list[RawArticle]:
    """Articles of a PDF's text layer; [] when it has none (a scan)."""
    from pypdf import PdfReader

    pages = [unwrap_pdf_lines(page.extract_text() or "") for page in PdfReader(str(path)).pages]
    return split_page("\n\n".join(pages))


def _utf8_or_none(line: bytes) -> str | None:
    with suppress(UnicodeDecodeError):
        return line.decode("utf-8")
    return None


def _jsonl_lines(data: bytes) -> list[str | None]:
    """Each line's text, None for a line that is not UTF-8. JSON is UTF-8, so one bad line costs only itself;
    a file wholly in another encoding (a BOM or NUL pattern, or mostly not UTF-8) is decoded as a whole.
    Lines split at "\\n" only: a JSON string may hold U+2028, which `str.splitlines` would cut at."""
    if _bom_codec(data) in (None, "utf-8-sig") and not _looks_utf16(data):
        lines = [_utf8_or_none(line) for line in data.removeprefix(codecs.BOM_UTF8).split(b"\n")]
        good = sum(bool(line and line.strip()) for line in lines)
        if good and sum(line is None for line in lines) <= good:
            return lines
    return decode(data).split("\n")


def _parse_jsonl_line(line: str | None) -> tuple[dict, RawArticle] | str:
    """(row, article) of one JSONL line, or a message saying what is wrong with it."""
    if line is None:
        return "not UTF-8 text (binary data or another encoding?): save the file as UTF-8"
    try:
        row = json.loads(line)
    except ValueError as exc:
        return f"not valid JSON ({exc}): fix or delete the line"
    if not isinstance(row, dict):
        return f"not a JSON object (got {type(row).__name__}): write one {{\"title\", \"text\", …}} object per line"
    text = row.get("text")
    paragraphs = split_paragraphs(text) if isinstance(text, str) else ()
    if not paragraphs:
        return "no text: the object needs a non-empty string \"text\" field"
    return row, RawArticle(str(row.get("title", "")), paragraphs, date=str(row.get("date", "")))


def read_jsonl(path: Path) -> tuple[list[tuple[dict, RawArticle]], list[tuple[int, str]]]:
    """(row, article) per good line, and (line number, message) per bad one; blank lines are ignored. A
    `.jsonl.gz` file is unpacked first (up to MAX_GZIP_BYTES)."""
    data = _gunzip(path) if file_type(path) == ".jsonl.gz" else path.read_bytes()
    pairs, bad = [], []
    for number, line in enumerate(_jsonl_lines(data), start=1):
        if line is not None and not line.strip():
            continue
        parsed = _parse_jsonl_line(line)
        if isinstance(parsed, str):
            bad.append((number, parsed))
        else:
            pairs.append(parsed)
    return pairs, bad


def _gunzip(path: Path) -> bytes:
    """The unpacked bytes of a gzip file; CorpusError past MAX_GZIP_BYTES (a bad gzip raises OSError)."""
    with gzip.open(path, "rb") as f:
        data = f.read(MAX_GZIP_BYTES + 1)
    if len(data) > MAX_GZIP_BYTES:
        raise CorpusError(f"too large once unpacked: more than {_size(MAX_GZIP_BYTES)}; split it into smaller files")
    return data


READERS: dict[str, Callable[[Path], list[RawArticle]]] = {
    ".txt": read_page, ".md": read_page, ".html": read_html, ".htm": read_html, ".docx": read_docx, ".pdf": read_pdf}
FILE_TYPES = (*READERS, ".jsonl", ".jsonl.gz")  # what a corpus directory's files may be; other files are reported


def file_type(path: Path) -> str:
    """A corpus file's type: its suffix in lower case, or ".jsonl.gz" for gzip-packed JSONL."""
    return ".jsonl.gz" if path.name.lower().endswith(".jsonl.gz") else path.suffix.lower()


def file_stem(file: str) -> str:
    """A corpus file's name without its type (`news` for news.jsonl.gz, not news.jsonl): what names its untitled
    articles (not JSONL rows: `lead_title`), and prefixes their ids when they have none."""
    name = Path(file).name
    return name[: len(name) - len(file_type(Path(name)))]


def build_article(raw: RawArticle, article_id: str, file: str, info: dict, row: dict | None = None) -> Article:
    """The schema Article of one RawArticle; row (JSONL) fields win over `info` (metadata.json) ones. An article
    without a title is named by metadata.json, else after its file; a JSONL row (`row` given) by its lead
    (`lead_title`) first: that file, and a metadata title for it, name a collection, not the row."""
    row = row or {}
    named = str(info.get("title", "")) or file_stem(file)
    lead = lead_title([text for text, _ in raw.paragraphs]) if row and not raw.title else ""
    title = raw.title or lead or named
    source = str(row.get("source") or info.get("source") or "")
    date = str(row.get("date") or info.get("date") or raw.date)
    paragraphs = tuple(Paragraph(f"{article_id}#p{n}", article_id, n, text, title, kind, source, date, file, bool(lead))
                       for n, (text, kind) in enumerate(raw.paragraphs, start=1))
    return Article(article_id, title, paragraphs, source, date, file, raw.section, raw.subtitle, raw.byline,
                   str(row.get("url") or info.get("url") or ""))


def check_size(path: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
    """CorpusError when `path` is empty or bigger than `max_bytes`, from `stat()` alone (nothing is read)."""
    size = path.stat().st_size
    if size == 0:
        raise CorpusError(EMPTY)
    if size > max_bytes:
        raise CorpusError(f"too large: {_size(size)}, the limit is {_size(max_bytes)}; split it into smaller files")


def _read_pairs(path: Path, file: str) -> tuple[list[tuple[dict, RawArticle]], list[Problem]]:
    """(row, article) pairs of one file and its JSONL line problems; raises on a file-level problem."""
    suffix = file_type(path)
    if suffix in (".jsonl", ".jsonl.gz"):
        pairs, bad = read_jsonl(path)
        return pairs, [Problem(file, message, number) for number, message in bad]
    if suffix not in READERS:
        raise CorpusError(_unsupported(suffix))
    return [({}, raw) for raw in READERS[suffix](path) if raw.paragraphs], []


def _unsupported(suffix: str) -> str:
    return (f"skipped: unsupported file type {suffix or '(no extension)'!r}; a corpus file is one of "
            f"{', '.join(FILE_TYPES)}")


def _describe(exc: Exception, suffix: str) -> str:
    if isinstance(exc, CorpusError):
        return str(exc)
    return (f"corrupt: cannot read this {suffix} file ({type(exc).__name__}: {exc}); "
            "open it and save it again, or remove it")


def _articles(pairs: list[tuple[dict, RawArticle]], path: Path, file: str, meta: dict) -> list[Article]:
    info = meta.get(file) if isinstance(meta.get(file), dict) else {}
    prefix = slug(file_stem(path.name))
    ids = [str(row["id"]) if _SAFE_ID.match(str(row.get("id", ""))) else f"{prefix}-{k:02d}"
           for k, (row, _) in enumerate(pairs, start=1)]
    return [build_article(raw, aid, file, info, row) for aid, (row, raw) in zip(ids, pairs, strict=True)]


def read_file(path: Path, corpus_dir: Path, meta: dict,
              max_bytes: int = MAX_FILE_BYTES) -> tuple[list[Article], list[Problem]]:
    """All articles of one corpus file and its problems (JSONL: one per bad line); never raises. A file yields all
    its articles or none: a bad file gives ([], [..., its file-level Problem])."""
    file = path.relative_to(corpus_dir).as_posix()
    problems: list[Problem] = []
    try:  # any broken file (bad zip, bad PDF, bad bytes) must not stop the run, nor be half-imported
        check_size(path, max_bytes)
        pairs, problems = _read_pairs(path, file)
        articles = _articles(pairs, path, file, meta)
    except Exception as exc:
        return [], [*problems, Problem(file, _describe(exc, file_type(path)))]
    if not articles:
        return [], [*problems, Problem(file, NO_TEXT.get(file_type(path), NO_TEXT_DEFAULT))]
    return articles, problems


def _warn(problems: Iterable[Problem]) -> None:
    for problem in problems:
        log.warning("skipped %s", problem)


def load_file(path: Path, corpus_dir: Path, meta: dict) -> list[Article]:
    """Articles of one corpus file; an unreadable or empty file is skipped with a WARNING (returns [])."""
    articles, problems = read_file(path, corpus_dir, meta)
    _warn(problems)
    return articles


def _metadata(corpus_dir: Path) -> tuple[dict, list[Problem]]:
    path = corpus_dir / METADATA
    if not path.is_file():
        return {}, []
    try:
        check_size(path)
        meta = json.loads(decode(path.read_bytes()))
    except (CorpusError, ValueError, OSError) as exc:
        return {}, [Problem(METADATA, f"ignored ({exc}): fix the file, or sources and dates stay empty")]
    if not isinstance(meta, dict):
        return {}, [Problem(METADATA, "ignored: it must be one JSON object mapping file names to {source, date}")]
    return meta, []


def read_metadata(corpus_dir: Path) -> dict:
    """`metadata.json` as a dict (file -> {source, date, title}); missing or broken gives {} (broken: a WARNING)."""
    meta, problems = _metadata(corpus_dir)
    _warn(problems)
    return meta


def corpus_paths(corpus_dir: Path) -> list[Path]:
    """Readable corpus files under `corpus_dir` in name order: no hidden files, no metadata.json."""
    return [p for p in _visible_files(corpus_dir) if file_type(p) in FILE_TYPES]


def _visible_files(corpus_dir: Path) -> list[Path]:
    return [p for p in sorted(corpus_dir.rglob("*"))
            if p.is_file() and p.name != METADATA
            and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)]


def unsupported_problems(corpus_dir: Path) -> list[Problem]:
    """One Problem per visible file the loader does not read (a .zip, an image, …), so none is skipped silently."""
    return [Problem(p.relative_to(corpus_dir).as_posix(), _unsupported(file_type(p)))
            for p in _visible_files(corpus_dir) if file_type(p) not in FILE_TYPES]


def _reid(article: Article, new_id: str) -> Article:
    paragraphs = tuple(replace(p, id=f"{new_id}#p{p.n}", article_id=new_id) for p in article.paragraphs)
    return replace(article, id=new_id, paragraphs=paragraphs)


def load_corpus_report(corpus_dir: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[list[Article], list[Problem]]:
    """Every article of the corpus directory (files in name order, articles in page order, ids unique) and one
    Problem per refused file or JSONL line. Bad files never raise; a missing directory does (CorpusError)."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist: pass --corpus DIR")
    meta, problems = _metadata(corpus_dir)
    articles: list[Article] = []
    seen: set[str] = set()
    for path in corpus_paths(corpus_dir):
        found, bad = read_file(path, corpus_dir, meta, max_bytes)
        problems += bad
        for article in found:
            if article.id in seen:
                new_id = f"{slug(file_stem(path.name))}-{article.id}"
                log.warning("article id %s in %s is already used: renamed %s", article.id, path.name, new_id)
                article = _reid(article, new_id)
            seen.add(article.id)
            articles.append(article)
    problems += unsupported_problems(corpus_dir)
    log.info("loaded %d articles from %s, %d problems", len(articles), corpus_dir, len(problems))
    return articles, problems


def load_corpus(corpus_dir: Path) -> list[Article]:
    """Every article of the corpus directory, as `load_corpus_report`; each problem is logged as a WARNING."""
    articles, problems = load_corpus_report(corpus_dir)
    _warn(problems)
    return articles
