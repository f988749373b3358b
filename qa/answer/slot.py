"""The words of a sentence that fill the question's asking slot: the question is cut at its question word (什么, 哪个,
谁, 如何 …), and the words around it, found again in the sentence, bound the answer (…由[市总工会]主办…).

`aligned_answer` gives those words as a short answer (with the ways a sentence rewords a question: a dropped
particle or 的, a copula the other way round, brackets kept whole); `slot_fit` scores how well a sentence repeats
the question's words around a gap, for the composer's sentence score; `names_something` tells slot words that can
name a person, place or organisation from ones that cannot.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.answer.config import ComposerConfig
from qa.answer.facts import CLAUSE_END, FUNCTION_FLAGS, STOP, clause_start, next_stop
from qa.lexicon import SLOT_PREPOSITION
from qa.query.kinds import Form
from qa.query.question import Question, pos_words, words_at

_MEASURES = "个些种家所部本首条项类支座场届款辆艘颗只间栋门段张件批"  # after 哪, a noun follows (哪支球队, 哪座城市)
_ASK = re.compile(rf"(?:是)?(?:什么|哪(?:一|两|几)?[位年天里儿国省市县州{_MEASURES}]?|谁"
                  r"|何(?:时|地|处|人)?"
                  r"|多少|几)")
_ASK_HOW = re.compile(r"(?:是)?(?:如何|怎样|怎么)")  # how: the slot holds the way (由[乙二醇…氧化]制得)
# the noun after these question words is the answer's kind (什么袭击, 哪所学校); not after 哪位: a name has no role
_ASKS_KIND = re.compile(rf"(?:什么|哪(?:一|两|几)?[{_MEASURES}]|哪一)$")
# a noun follows these, whatever jieba tags it (哪个帮派: 帮派/v)
_ASKS_WHICH = re.compile(rf"哪(?:一|两|几)?[{_MEASURES}]$")
_COPULA_END = re.compile(r"(?:是|叫|叫做|叫作|称为|为)$")  # the question's copula before its question word
_COPULA = re.compile(r"[也亦还则便就]?(?:是|为|即)")  # a jieba word before the question's subject in the sentence
_PAIRS = {"《": "》", "「": "」", "『": "』", "“": "”", "(": ")", "【": "】"}  # brackets and quotes (normalized text)
_QUOTES = "《「『“"  # (a quote's words belong together; a bracket's often only gloss the words before it)
_QUOTE_MARKS = "".join(q + _PAIRS[q] for q in _QUOTES)
_FILLER = re.compile(r"^[是为了在于由的将会把被对与和及即而]+|[的了呢吗是]+$")
_QUOTED_NAME = r"“[^”]{1,30}”|《[^》]{1,40}》"  # a name in quotes or a title
_QUOTED_AFTER = re.compile(rf"\s*({_QUOTED_NAME}|「[^」]{{1,30}}」)")  # a quoted name right after the slot
_QUOTED_AT = re.compile(rf"[为是：:\s]*({_QUOTED_NAME})")  # a quoted name right after the slot's start


def aligned_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """The words of `text` that fill the question's asking slot: the question is cut at its question word (什么,
    哪个, 谁 …) into the words before and after it; the longest tail of the one and head of the other found in the
    sentence bound the answer (…由[光荣和ω-force]合作开发…). With one side found, the answer runs from it to the
    clause's end (or start, or the question's preposition: 在哪里 → 在[…]). A question ending with its question word
    may find its subject named the other way round (`[高阳山]为嘉兴地区的最高峰`); a how question (如何, 怎样) has
    its slot too. "" when neither side is in the sentence or the gap is empty or too long."""
    m = _ASK.search(q.norm) or _ASK_HOW.search(q.norm)
    if not m:
        return ""
    before, after = _sides(q.norm, m)
    named = _named_before(before, text, cfg) if not after else ""
    if len(named) >= 2 and named not in q.norm:
        return named
    left = _longest(before, text, tail=True) or _longest(_without_particles(before), text, tail=True)  # 推出(了)
    start = text.find(left) + len(left) if left else -1
    after_words, noun = pos_words(after), _head_noun(after)
    kind = noun or (after_words[0][0] if after_words and _ASKS_WHICH.search(m.group(0)) else "")
    right = _right_side(after, kind, text[max(start, 0) :])
    end = text.find(right, max(start, 0)) if right else -1
    if left and end >= 0:  # the left side's occurrence nearest the right one (美国…于美国[NBC]频道播出)
        start = text.rfind(left, 0, end) + len(left)
        clause = clause_start(text, end)
        if end - start > cfg.max_aligned_chars and clause > start:  # the topic clauses before: the right side's
            # clause (…，即是[时代广场]的前身), or in a long clause the words after its last break (、, a quote)
            start = clause if end - clause <= cfg.max_aligned_chars else _left_bound(before, text, end)
    if start < 0 and end < 0:
        start = _loose_left(before, text, cfg)  # 金正恩亲自试驾了什么 → 金正恩亲自[驾驶着…装甲车]
        if start < 0:
            return ""
    if start < 0:
        start = _left_bound(before, text, end)
    if end < 0:
        quoted = _QUOTED_AT.match(text, start)  # 主题为“通用智能，人机共生”: the quote is the answer
        if quoted and quoted.group(1)[1:-1] not in q.norm:
            return quoted.group(1)
        stops = STOP.replace("、", "") if q.form is Form.LIST else STOP  # a list's slot runs over its items
        end = next_stop(text, start, stops)
    elif _ASKS_KIND.search(m.group(0)) and after.startswith(right):  # (right found unskipped)
        one = len(kind) == 1 and not after_words[0][1].startswith(FUNCTION_FLAGS + ("a", "h"))  # (not 最, 非)
        head = noun or (kind if one else "")  # 什么袭击 asks for a kind of 袭击: the answer ends with it
        # (无人机袭击, …专科学校; 哪个系: jieba tags one-character kinds as it likes)
        if head and text.startswith(head, end):
            end += len(head)
    span = _closed(text, start, end)
    if q.form is Form.LIST and len(span) > cfg.max_aligned_chars and "、" in span[: cfg.max_aligned_chars]:
        span = span[: span.rfind("、", 0, cfg.max_aligned_chars)]  # the items that fit
    if len(span) == 1 and pos_words(span)[0][1][:1] in FUNCTION_FLAGS:  # [其]调解员李飞…, [也]是…: no answer
        return ""
    quoted = _QUOTED_AFTER.match(text, text.find(span, start) + len(span)) if span else None
    if quoted and quoted.group(1)[1:-1] not in q.norm and re.search(r"[\u4e00-\u9fff]$", span) and \
            not re.search(r"[“《「]", span) and len(span) <= cfg.max_aligned_chars:  # (not 一架XQ-58A“女武神”)
        return quoted.group(1)  # 完成了著名小说《消失的地平线》: the slot's words only lead into the name
    return span if 0 < len(span) <= cfg.max_aligned_chars and span.strip(STOP + _QUOTE_MARKS) not in q.norm else ""


def _right_side(after: str, kind: str, rest: str) -> str:
    """The longest head of the question's words after its question word found in `rest`: as written, without the
    asked kind (哪个[帮派]的成立者 / 中和帮的成立者), or without a leading 的 (什么风格的礼拜堂 / 哥德式礼拜堂)."""
    sides = (after, after[len(kind) :])
    return next((found for side in sides for words in (side, side.removeprefix("的"))
                 if (found := _longest(words, rest, tail=False))), "")


def _named_before(before: str, text: str, cfg: ComposerConfig) -> str:
    """For a question that ends with its question word (`嘉兴地区的最高峰是什么`): the words the sentence gives the
    question's subject to after a copula (`其中[高阳山]为嘉兴地区的最高峰`), or the sentence's topic when the copula
    opens its clause (`[漠河机场]是…的机场，…，也是中国第一个…的机场`); "" when the subject is not there so."""
    subject = _COPULA_END.sub("", before)
    at = text.find(subject) if cfg.min_named_subject_chars and len(subject) >= cfg.min_named_subject_chars else -1
    words = words_at(text)
    copula = next((s for s, w, _ in words if s + len(w) == at and _COPULA.fullmatch(w)), -1)  # not 成为, 作为
    if copula < 0:
        return ""
    named = _unlead(text[clause_start(text, copula) : copula].strip(STOP))
    if named:
        return named if len(named) <= cfg.max_aligned_chars else ""
    # nothing before the copula in its clause (…，也是[subject]): the sentence's topic, before its first copula
    first = next((s for s, w, _ in words if _COPULA.fullmatch(w)), -1)
    return _unlead(text[:first]) if 2 <= first <= min(cfg.max_topic_chars, next_stop(text, 0)) else ""


def _unlead(words: str) -> str:
    """`words` without the pronouns, adverbs, conjunctions, time words, particles and prepositions that lead them
    (其中, 它的, 目前)."""
    cut = pos_words(words)
    while cut and cut[0][1][:1] in ("r", "d", "c", "t", "u", "p"):
        cut = cut[1:]
    return "".join(w for w, _ in cut)


def _closed(text: str, start: int, end: int) -> str:
    """text[start:end] without the punctuation at its ends or the filler words at its edges, and with its brackets and
    quotes whole within the clause: one left open is closed where the text closes it (名为《OLE OLE 永不放弃》 across
    its spaces, 东日本旅客铁道（JR东日本） whose ）the ends lost), a quote closed but not opened is opened where the
    text opens it (“站厅＋通道”双向通行方式); a bracket closed but not opened is cut off
    (Energon）是由[日本Actas公司])."""
    i, j = _span_bounds(text, start, end)
    for opener, closer in _PAIRS.items():
        cut = text.find(closer, i, j)
        if cut >= 0 and text.find(opener, i, cut) < 0:  # closed, not opened
            back = text.rfind(opener, clause_start(text, i), i)
            i, j = (back, j) if back >= 0 and opener in _QUOTES else _span_bounds(text, cut + 1, j)
        if text.count(opener, i, j) > text.count(closer, i, j):  # opened, not closed
            close = text.find(closer, j)
            if close >= 0 and not any(ch in CLAUSE_END for ch in text[j:close]):
                j = close + 1
    return text[i:j]


def _span_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """text[start:end]'s bounds without the punctuation and filler words (是, 由 …; 的, 了 …) at its ends."""
    span = _FILLER.sub("", text[start:end].strip(STOP)).strip(STOP)
    if span.endswith("所") and pos_words(span)[-1][0] == "所":  # 由[四尖兽]所居住; not 研究所
        span = span[:-1]
    at = text.find(span, start, end) if span else -1
    return (at, at + len(span)) if at >= 0 else (start, start)


def names_something(span: str) -> bool:
    """`span` has a word that can name something (jieba: a noun, name, number, time or place word, a foreign word, an
    idiom) or a quoted name or dotted foreign name; not only adverbs, verbs and particles (从此, 并且, 没有争取连任)."""
    return any(c in span for c in "《「“·") or any(
        f[:1] in ("n", "m", "t", "s") or f in ("eng", "vn", "an", "j", "i", "l") for _, f in pos_words(span))


def _loose_left(before: str, text: str, cfg: ComposerConfig) -> int:
    """Where the slot starts when neither side of the question is in the sentence as written: after the longest
    tail (three characters or more) of the words before the question word less their last word, the verb the
    sentence may word otherwise (试驾了 / 驾驶着); -1 when there is none."""
    words = pos_words(_without_particles(before))  # 试驾了: the particle goes with its verb
    if len(words) < 2:
        return -1
    left = _longest("".join(w for w, _ in words[:-1]), text, tail=True)
    return text.find(left) + len(left) if len(left) >= cfg.min_loose_left_chars else -1


_PARTICLES = ("u", "ul", "uz", "ug", "uj", "y")  # jieba: particles (了, 过, 着, 的, 吗 …)
_ASPECT_PARTICLES = ("ul", "uz", "ug")  # 了, 着, 过


@lru_cache(maxsize=1024)  # (slot_fit asks it for every candidate sentence of a question)
def _without_particles(words: str, aspect: bool = False) -> str:
    """`words` without the particles (jieba: 了, 过, 着, 的 …; with `aspect` only 了, 过, 着) at its end, which a
    sentence may leave out."""
    cut, flags = pos_words(words), _ASPECT_PARTICLES if aspect else _PARTICLES
    while cut and cut[-1][1] in flags:
        cut = cut[:-1]
    return "".join(w for w, _ in cut)


def _left_bound(before: str, text: str, end: int) -> int:
    """Where the slot starts when the question's words before it are not in the sentence: after the question's
    preposition (在 of 在哪里) when the sentence writes it in the clause (将在[首尔…]持刀行凶), else after the clause
    break before `end`."""
    start = clause_start(text, end, STOP)
    clause = clause_start(text, end)  # (a quote does not end a clause)
    prep = SLOT_PREPOSITION.search(before)
    at = text.rfind(prep.group(0), clause, end) if prep else -1
    return at + len(prep.group(0)) if prep and at >= 0 else start


def slot_fit(q: Question, text: str, cfg: ComposerConfig) -> float:
    """How much of the question's wording around its asking slot the sentence repeats around a gap that could hold
    the answer, in [0, 1]: the longest tail of the words before the question word and head of the words after it
    (as `aligned_answer`), over what could have matched (at most 12 characters a side). "中国有多少家公司上榜" fits
    "中国共有142家公司上榜" (家公司上榜) and not "其中有7家中国公司"; 0 without a question word."""
    m = _ASK.search(q.norm)
    if not m:
        return 0.0
    before, after = _sides(q.norm, m)
    if m.group(0).startswith("是") and _cleft(after):  # X是[哪家单位]主办的: X is the topic, not next to it
        before = ""
    room = min(len(before), 12) + min(len(after), 12)
    if room < 2:
        return 0.0
    # 同比增长(了)多少: the sentence drops the aspect particle (not 的, as aligned_answer does: `…活动的是哪所学校`
    # would then fit a sentence that names the school only as 该校)
    left = max(_longest(before, text, tail=True), _longest(_without_particles(before, aspect=True), text, tail=True),
               key=len)
    start = text.find(left) + len(left) if left else 0
    right = _longest(after, text[start:], tail=False)
    if left and right and not 0 < text.find(right, start) - start <= cfg.max_aligned_chars:
        # both sides found but no room for an answer between them: count the longer side only
        anywhere = _longest(after, text, tail=False)
        left, right = (left, "") if len(left) >= len(anywhere) else ("", anywhere)
    return (len(left) + len(right)) / room


def _cleft(after: str) -> bool:
    """The question's words after `是+question word` end in a verb and 的 (是哪家单位[主办的], 是谁[发明的]): the one
    asked for comes right before that verb in the sentence, and the subject before 是 is only the topic."""
    words = [(w, f) for w, f in pos_words(after) if w not in ("的", "呢")]
    return after.rstrip("呢").endswith("的") and bool(words) and words[-1][1].startswith(("v", "b"))  # 主办: b


def _sides(question: str, ask: re.Match[str]) -> tuple[str, str]:
    """The question's words before and after its question word `ask`, without the punctuation next to it."""
    return question[: ask.start()].rstrip(STOP), question[ask.end() :].strip(STOP)


def _head_noun(words: str) -> str:
    """The first word of `words` when it is a noun (jieba), else ""."""
    from qa.query.question import pos_words

    first = pos_words(words)[:1]
    return first[0][0] if first and first[0][1].startswith(("n", "vn")) else ""


def _longest(words: str, text: str, tail: bool) -> str:
    """The longest tail (or head) of `words`, two characters or more, that occurs in `text`."""
    for n in range(min(len(words), 12), 1, -1):
        piece = words[-n:] if tail else words[:n]
        if piece in text:
            return piece
    return ""
