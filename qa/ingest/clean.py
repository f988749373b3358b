"""Cut a scraped newspaper page into articles with repaired, typed paragraphs (pure functions, no I/O).

Steps, each a small function: `drop_boilerplate` → `classify` → `mark_breaks` → `rejoin` → `group_articles`.

Rules (general signals only, never strings of a particular page):
- Boilerplate: menus (`首页 | 新闻`), share/follow widgets and masthead lines are removed, and everything from the
  first footer line (版权声明 / Copyright / ©) on. A masthead (`XX报 2024年04月14日 星期一`) or edition line
  (`《XX报》(2024年04月14日 02版)`) is dropped and its date becomes the page date.
- A line is *heading-like* when it is at most 45 characters, holds no sentence punctuation (。！？； or a full stop
  before a space) and does not end with a colon. Body lines broken at a column break are longer, or hold a full
  stop before the break.
- Bylines (`本报记者 …`, `(文/…)`, the `本报讯 (记者…)` prefix of a lead) and photo credits (`… 摄`) are split
  off; box labels (阅读提示, 编者按 …) and picture-list labels (`图片说明：`) are dropped, bullets after a picture
  label are captions, other bullets (◆, `- `) are list items.
- A heading-like line after two or more blank lines (a column or picture break, not the page top) is a photo
  caption — unless a photo credit follows within two body lines: then it heads a photo-news item (an article).
- Consecutive heading-like lines form a headline group. A group of two or more lines always starts an article.
  A single line starts one when it opens the page, or is followed by a byline, a box, a list, or a news lead
  (本报讯 / 近日 / 日前 / `3月9日`), or names a union body (…工会, 市总 …); otherwise it is a subhead.
- In a group: a short first line (≤12 chars, no space or punctuation) is the section label; lines with a dash or
  comma are kickers/decks (subtitle); of the rest the title is the last line that is not a two-phrase slogan
  (phrases split by a space), else the last; a slogan after the title is a column rubric (section).
- Rejoining: a body line or list item not ending with sentence-final punctuation (。！？；….!? optionally followed
  by closing quotes/brackets) continues into the next body line, across blank lines and captions; the captions
  are placed after the joined paragraph. A next line that opens with a paragraph opener (此外, / 五年多来, …) is
  not glued on: the sentence is truncated in the source. If the page ends mid-sentence and its last article opens
  with a lone one-sentence paragraph, that orphan is the page's wrapped-around tail and is moved there.
- An untitled article (a JSONL row) is named by its lead (`lead_title`): the first sentence after the news item's
  opening (原标题, agency dateline, byline), at most `LEAD_TITLE_CHARS`, cut at a clause break, brackets closed.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, replace

from qa.ingest.chunk import split_sentences
from qa.lexicon import AGENCY_DATELINE

MAX_HEAD = 45  # longest heading-like line
MAX_LABEL = 12  # longest section label
FINAL_RE = re.compile(r"[。！？；…!?;.][”’」』）)】\"']*$")
SENT_PUNCT_RE = re.compile(r"[。！？；!?;]|\.(?=\s|$)")
FOOTER_RE = re.compile(r"版权声明|Copyright|©|all rights reserved", re.I)
NOISE_RE = re.compile(r"^(扫码关注|扫一扫|客户端|×|分享到|返回顶部|\S{1,4}娱乐"
                      r"|\S{1,8}网(微信|微博|抖音|客户端)|\S{2,10}-\S{1,8}网)$")  # site navigation
NAV_RE = re.compile(r"^(\S{1,8}\s*[|｜]\s*)+\S{1,8}$")  # a menu: short items split by |
MASTHEAD_RE = re.compile(r"^\S{2,12}报\s+(\d{4})年(\d{1,2})月(\d{1,2})日\s*(星期.)?$")
EDITION_RE = re.compile(r"^《\S{2,12}》\s*[(（](\d{4})年(\d{1,2})月(\d{1,2})日[^)）]*[)）]$")
BOX_RE = re.compile(r"^(阅读提示|核心提示|编者按|导读|内容提要)[:：]?$")
LABEL_RE = re.compile(r"^\S{1,10}[:：]$")
ITEM_RE = re.compile(r"^(?:[◆◇●■□▲△★☆▪•]|[-*]\s)\s*")
BYLINE_RE = re.compile(r"^((本报|特约)?(记者|通讯员)[^,，。：:]{2,30}"
                       r"|[(（](文|图|文图|文/图)[/／:：]?[^()（）]{1,20}[)）])$")
OPENING_END = r"[\s，,：:]*"  # what may follow a lead's opening (本报讯，…)
LEAD_BYLINE_RE = re.compile(rf"^(本报讯\s*(?:[(（][^)）]{{1,40}}[)）])?){OPENING_END}(\S.*)$")
CREDIT_RE = re.compile(r"^[^。！？；,，]{2,40}\s摄$")
TAIL_CREDIT_RE = re.compile(r"^(.*[。！？])\s+([^。！？；,，]{2,40}\s摄)$")
DATELINE_RE = re.compile(r"^(本报讯|近日|日前|近期|\d{1,2}月\d{1,2}日)")
ACTOR_RE = re.compile(r"^.{0,10}?(工会|[省市区县州旗]总)")
OPENER_RE = re.compile(r"^(此外|同时|另外|目前|据(介绍|悉|了解|统计)"
                       r"|(近|今|[一二三四五六七八九十两几多\d]+)年多?以?来)[,，]")  # only ever opens a sentence
DASH = ("—", "-")
LEAD_TITLE_CHARS = 40  # longest title made from an untitled article's lead
LEAD_TITLE_MIN = 8  # a shorter lead (a caption, `警惕！`) takes the next sentence or paragraph
LEAD_PREFIX_RE = re.compile(  # what opens a news item before its first sentence
    r"^(?:原标题[:：]|本报讯|本文(?:转自|来源)[:：]?【[^】]{0,20}】"
    rf"|{AGENCY_DATELINE}"
    r"|[^，。,\s]{0,15}?(?:报|网|社|台|客户端|APP|经纬|新闻)讯(?=[\s(（:：—，,])|[^，。,\s]{1,15}?消息[:：]"
    r"|[^，。,\s]{1,12}? ?\d{1,2} ?月 ?\d{1,2} ?日 ?消息[，,:：]"  # IT之家 7 月 27 日消息，
    r"|[(（][^)）]{0,30}[)）]"
    r"|【[^】]{0,30}(?:记者|通讯员|日电)[^】]{0,30}】|[)）】\]]|——)" + OPENING_END)
CLOSERS = {"《": "》", "“": "”", "‘": "’", "（": "）", "(": ")", "「": "」", "『": "』", "【": "】", "[": "]"}
CLAUSE_BREAKS = "，；：,;:"
SENTENCE_STOPS = "。！？!?.;；"  # dropped from the end of a lead title


@dataclass(frozen=True)
class RawArticle:
    """One article cut from a page; `paragraphs` are (text, kind) with kind body | caption | list | subhead."""

    title: str
    paragraphs: tuple[tuple[str, str], ...]
    subtitle: str = ""
    section: str = ""
    byline: str = ""
    date: str = ""


@dataclass(frozen=True)
class Line:
    """A classified non-blank line; `gap` is the number of blank lines before it."""

    kind: str  # head | body | item | caption | picture | byline | credit | box | photohead
    text: str
    gap: int = 1


def ends_sentence(text: str) -> bool:
    return bool(FINAL_RE.search(text.rstrip()))


def is_heading_like(text: str) -> bool:
    return len(text) <= MAX_HEAD and not SENT_PUNCT_RE.search(text) and not text.endswith((":", "："))


def find_date(line: str) -> str:
    """ISO date of a masthead or edition line, else ""."""
    m = MASTHEAD_RE.match(line) or EDITION_RE.match(line)
    return f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}" if m else ""


def drop_boilerplate(text: str) -> tuple[list[str], str]:
    """Lines without site boilerplate (blank lines kept, dropped lines removed) and the page date if printed."""
    kept: list[str] = []
    date = ""
    for raw in text.splitlines():
        line = raw.strip()
        if footer := FOOTER_RE.search(line):
            kept += _body_before(line[: footer.start()])  # a one-line item: its text, not its copyright notice
            break
        if found := find_date(line):
            date = date or found
        elif not (NOISE_RE.match(line) or NAV_RE.match(line)):
            kept.append(line)
    return kept, date


def _body_before(text: str) -> list[str]:
    """The whole sentences of a line before its footer marker (none when the line is only a footer)."""
    end = max(text.rfind(ch) for ch in "。！？!?")
    return [text[: end + 1].strip()] if end >= 0 else []


def split_inline(text: str) -> list[tuple[str, str]]:
    """(kind, text) pieces of one line: a `本报讯 (记者…)` lead prefix and a trailing photo credit are split off."""
    if m := LEAD_BYLINE_RE.match(text):
        return [("byline", m[1]), *split_inline(m[2])]
    if m := TAIL_CREDIT_RE.match(text):
        return [("body", m[1]), ("credit", m[2])]
    return [(line_kind(text), text)]


def line_kind(text: str) -> str:
    for kind, pattern in (("box", BOX_RE), ("label", LABEL_RE), ("item", ITEM_RE), ("byline", BYLINE_RE),
                          ("credit", CREDIT_RE)):
        if pattern.match(text):
            return kind
    return "head" if is_heading_like(text) else "body"


def classify(lines: list[str]) -> list[Line]:
    """Classify non-blank lines; bullets after a picture label become `picture` captions, labels are dropped."""
    out: list[Line] = []
    gap, pictures = 0, False
    for text in lines:
        if not text:
            gap += 1
            continue
        for kind, piece in split_inline(text):
            if kind == "label":
                pictures = "图" in piece
                continue
            pictures = pictures and kind == "item"
            if kind == "item":
                kind, piece = ("picture" if pictures else "item"), ITEM_RE.sub("", piece)
            out.append(Line(kind, piece, gap))
            gap = 0
    return out


def mark_breaks(lines: list[Line]) -> list[Line]:
    """Heading-like lines after a column/picture break become captions or photo-news headlines."""
    out = list(lines)
    for i, line in enumerate(lines):
        if line.kind != "head" or line.gap < 2 or i == 0:
            continue
        following = [ln.kind for ln in lines[i + 1 : i + 4]]
        credited = following[:2] == ["body", "credit"] or following[:3] == ["body", "body", "credit"]
        out[i] = replace(line, kind="photohead" if credited else "caption")
    return out


def _glue(left: str, right: str) -> str:
    spaced = left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum()
    return f"{left} {right}" if spaced else left + right


def rejoin(lines: list[Line]) -> list[Line]:
    """Glue body lines and list items broken mid-sentence; captions met inside go after the joined paragraph."""
    out: list[Line] = []
    deferred: list[Line] = []
    open_at: int | None = None
    for line in lines:
        if open_at is not None and line.kind == "caption":
            deferred.append(line)
            continue
        if open_at is not None and line.kind == "body" and not OPENER_RE.match(line.text):
            out[open_at] = replace(out[open_at], text=_glue(out[open_at].text, line.text))
        else:
            out.extend(deferred)
            deferred, open_at = [], None
            out.append(line)
            open_at = len(out) - 1 if line.kind in ("body", "item") else None
        if open_at is not None and ends_sentence(out[open_at].text):
            out.extend(deferred)
            deferred, open_at = [], None
    return out + deferred


def _next_content(lines: list[Line], j: int) -> Line | None:
    return next((ln for ln in lines[j:] if ln.kind != "caption"), None)


def starts_article(heads: list[str], following: Line | None, first: bool) -> bool:
    """Whether a headline group opens a new article (else it is one subhead)."""
    if first or len(heads) > 1 or following is None or following.kind in ("byline", "box", "item"):
        return True
    return bool(ACTOR_RE.match(heads[0]) or (following.kind == "body" and DATELINE_RE.match(following.text)))


def _is_slogan(text: str) -> bool:
    return bool(re.search(r"\S\s+\S", text))


def split_heads(heads: list[str]) -> tuple[str, str, str]:
    """(title, subtitle, section) of a headline group, by the rules in the module docstring."""
    section = ""
    first = heads[0]
    if len(heads) > 1 and len(first) <= MAX_LABEL and not re.search(r"[\s,，、—-]", first):
        section, heads = first, heads[1:]
    mains = [h for h in heads if not (h.startswith(DASH) or h.endswith(DASH) or re.search(r"[,，]", h))]
    if not mains:
        return heads[-1], " ".join(heads[:-1]), section
    plain = [h for h in mains if not _is_slogan(h)]
    title = (plain or mains)[-1]
    after = mains[mains.index(title) + 1 :]
    if after and not section:
        section = " ".join(after)
    subtitle = " ".join(h for h in heads if h != title and h not in after)
    return title, subtitle, section


def _wrap_tail(paragraphs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Move a lone one-sentence opening paragraph onto a page-final paragraph that stops mid-sentence."""
    bodies = [i for i, (_, kind) in enumerate(paragraphs) if kind == "body"]
    if len(bodies) < 2 or ends_sentence(paragraphs[bodies[-1]][0]):
        return paragraphs
    first, last = bodies[0], bodies[-1]
    head = paragraphs[first][0]
    lone = len(SENT_PUNCT_RE.findall(head)) == 1 and len(head) <= 60 and ends_sentence(head)
    if not lone or OPENER_RE.match(head) or DATELINE_RE.match(head):
        return paragraphs
    out = list(paragraphs)
    out[last] = (_glue(out[last][0], head), "body")
    return out[:first] + out[first + 1 :]


PARA_KIND = {"body": "body", "item": "list", "caption": "caption", "picture": "caption"}


def group_articles(lines: list[Line], date: str = "") -> list[RawArticle]:
    """Group repaired lines into articles (see the module docstring for how headlines are told apart)."""
    arts: list[dict] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.kind == "head":
            j = i
            while j < len(lines) and lines[j].kind == "head":
                j += 1
            heads = [ln.text for ln in lines[i:j]]
            if starts_article(heads, _next_content(lines, j), not arts):
                title, subtitle, section = split_heads(heads)
                arts.append({"title": title, "subtitle": subtitle, "section": section, "byline": "", "paras": []})
            else:
                arts[-1]["paras"].append((heads[0], "subhead"))
            i = j
            continue
        if line.kind == "photohead" or not arts:
            arts.append({"title": "", "subtitle": "", "section": "", "byline": "", "paras": []})
        art = arts[-1]
        if line.kind == "photohead":
            art["title"] = line.text
        elif line.kind == "byline" or (line.kind == "credit" and not art["byline"]):
            art["byline"] = f"{art['byline']} {line.text}".strip()
        elif line.kind in PARA_KIND or line.kind == "credit":  # a second photo credit stays as a caption
            art["paras"].append((line.text, PARA_KIND.get(line.kind, "caption")))
        i += 1
    if arts:
        arts[-1]["paras"] = _wrap_tail(arts[-1]["paras"])
    return [RawArticle(a["title"], tuple(a["paras"]), a["subtitle"], a["section"], a["byline"], date) for a in arts]


def split_paragraphs(text: str) -> tuple[tuple[str, str], ...]:
    """(text, kind) paragraphs of one article's plain text, repaired like a page but without headline grouping:
    heading-like lines are subheads, bylines and photo credits are dropped."""
    kinds = {"head": "subhead", "photohead": "subhead", **PARA_KIND}
    lines, _ = drop_boilerplate(text)
    return tuple((ln.text, kinds[ln.kind]) for ln in rejoin(classify(lines)) if ln.kind in kinds)


def split_page(text: str) -> list[RawArticle]:
    """The articles of one page in page order, boilerplate dropped and broken paragraphs rejoined."""
    lines, date = drop_boilerplate(text)
    return group_articles(rejoin(mark_breaks(classify(lines))), date)


def lead_title(texts: Iterable[str], max_chars: int = LEAD_TITLE_CHARS) -> str:
    """A title for an untitled article from its paragraph `texts`: the first sentence after the news item's opening
    (`原标题：`, agency datelines `新华社北京8月1日电`, `北京商报讯（记者…）`, `央视网消息：`, a byline in brackets),
    joined with the next while shorter than `LEAD_TITLE_MIN` (`警惕！…`); a paragraph that gives no such sentence
    (a lone dateline or caption) yields to the next. One longer than `max_chars` is cut at its last clause break
    within it, from half of `max_chars` on, before which every bracket and quote is closed (inside a quote opened
    before that half, at its last break); else before the bracket left open, else hard (an English word kept
    whole), and gets "…"; brackets and quotes left open are closed after it, so a title may run a few characters
    over `max_chars`. "" when no text has a sentence with a letter or digit."""
    found = ""
    for text in texts:
        first = _first_sentence(_strip_opening(text.strip()).lstrip("，,、：: "))
        if len(first) >= LEAD_TITLE_MIN:
            found = first
            break
        found = found or first
    if not any(ch.isalnum() for ch in found):  # only marks (`（`, `——`): no title
        return ""
    title = found if len(found) <= max_chars else _cut(found, max_chars)
    return title + "".join(CLOSERS[title[i]] for i in reversed(_open_stack(title)))


def _strip_opening(text: str) -> str:
    for _ in range(4):  # a dateline, then a byline bracket, …
        stripped = LEAD_PREFIX_RE.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return text


def _first_sentence(text: str) -> str:
    first = ""
    for sentence in split_sentences(text):
        first += sentence.strip()
        if len(first.rstrip(SENTENCE_STOPS)) >= LEAD_TITLE_MIN:
            break
    return first.rstrip(SENTENCE_STOPS)


def _open_stack(text: str) -> list[int]:
    """Where the brackets and quotes that `text` leaves open start, outermost first."""
    stack: list[int] = []
    for i, ch in enumerate(text):
        if stack and ch == CLOSERS[text[stack[-1]]]:
            stack.pop()
        elif ch in CLOSERS:
            stack.append(i)
    return stack


def _open_at(text: str) -> int:
    """Where the last bracket or quote that `text` leaves open starts; -1 when all are closed."""
    stack = _open_stack(text)
    return stack[-1] if stack else -1


def _cut(text: str, max_chars: int) -> str:
    half = max_chars // 2
    breaks = [i for i in range(half, max_chars) if text[i] in CLAUSE_BREAKS]
    closed = [i for i in breaks if _open_at(text[:i]) < 0]
    if closed or (breaks and _open_at(text[:half]) >= 0):  # a quote opened early: cut inside it, then close it
        head = text[: (closed or breaks)[-1]]
    else:
        head = text[:max_chars]
        if (open_at := _open_at(head)) >= half:
            head = head[:open_at]
        elif text[max_chars - 1 : max_chars + 1].isascii() and text[max_chars - 1 : max_chars + 1].isalpha():
            before_word = head.rstrip(string.ascii_letters)
            head = before_word if len(before_word) >= half else head  # no English word cut in two
    return head.rstrip("，,、；;：: ") + "…"
