"""The facts in a sentence — quantities, dates, titles, quoted names, reasons, aliases, enumerations — and the bare
fact that answers a question (the words filling the question's slot are read in qa/answer/slot.py).

One extractor per kind of fact (`quantity_answer`, `date_answer`, `title_answer`, `quoted_answer`; places, people
and organisations are read in qa/answer/names.py) takes the normalised sentence; `qa.answer.forms` says which one
each question form uses, and `short_answer` there gives `174个`, `2023年6月`, `江西省总工会` or "". The patterns and
the asked-term tests here are shared with the sentence scoring in qa/answer/scoring.py.
"""

from __future__ import annotations

import re

from qa.answer.config import ComposerConfig
from qa.lexicon import (
    AGENCY_DATELINE,
    ASKS_REASON,
    CAUSE_WORDS,
    CONSEQUENCE_WORDS,
    NUMERAL_CHARS,
    ORDINAL_NUMERALS,
    ORG_SUFFIX,
    UNITS,
)
from qa.query.question import Question, pos_words, words_at

STOP = "，,。；;：:！？!?（）()“”\"、 "  # ends a short answer read from the slot
CLAUSE_END = "，,。；;：:！？!?"  # ends a clause
BULLET = re.compile(r"^[\s◆●■▲★☆·•\-—]*(?:\d{1,2}[.、．]\s*)?")
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"  # 1,000 with its thousands separators
# a number or a range of two (65-70厘米, 0.5至10公尺), or Chinese numerals; then 余/多, a magnitude, a unit (after a
# space too, as some sites write it: 关停小程序 87 款; 起 not after 一: 一起 is "together"; 千瓦 is a unit, not 千)
_UNIT = "|".join("(?<!一)起" if u == "起" else u for u in UNITS)
QUANTITY = re.compile(rf"(?P<num>{_NUM}(?:\s*[-~～至到]\s*{_NUM})?|[{NUMERAL_CHARS}]+)(?:余|多)?"
                      rf"(?P<mag>万|亿|千(?!瓦))?(?:余|多)?(?: ?(?P<unit>{_UNIT}))?")
DETERMINERS = frozenset("另每这那同某任其该此")  # before a Chinese numeral they make it a determiner: 另一架, 这一批
UNIT_ALIASES = {"人": ("人", "名", "人次", "位"), "名": ("名", "人", "位"), "个": ("个", "家", "所", "处", "支"),
                "场": ("场", "场次", "次"), "次": ("次", "人次", "场次"), "元": ("元", "万元", "亿元", "万", "亿")}
# a decade (1980年代, not 2020年代表), a year with its month and day, a day, a month; a space may stand between a
# number and its 年/月/日, as some sites set them (IT之家: 7 月 21 日)
DATE = re.compile(r"\d{3}0年代(?!表)|\d{4} ?年(?: ?\d{1,2} ?月(?: ?\d{1,2} ?日(?:至\d{1,2}日)?)?)?"
                  r"|\d{1,2} ?月 ?\d{1,2} ?日(?:至\d{1,2}日)?|\d{1,2} ?月(?:上旬|中旬|下旬|初|底)?")
DATELINE = re.compile(rf"^\s*{AGENCY_DATELINE}", re.IGNORECASE)  # 中新网肇庆7月26日电: when it was filed, not a fact
TITLE = re.compile(r"《([^》]{1,40})》")  # a work's title: a film, book, programme, document
ORG = re.compile(rf"[\u4e00-\u9fff]{{2,}}?(?:{ORG_SUFFIX})")
FUNCTION_FLAGS = tuple("rdcpuyx")  # jieba: pronoun, adverb, conjunction, preposition, particle, symbol (他姓[王]
# is a name)
_DAY = ("月", "日")  # after a number: a date (3月10-12日), not a quantity
_ASKS_YEAR = re.compile(r"哪一?年|几几年|什么年份|\bwhat year\b|\bwhich year\b")
# "X的字是什么", "X的原名叫什么", "X又简称什么": the question ends asking what a named attribute of X is
_NAMING_VERBS = "是|叫做|叫|称为|称作|为"  # between an attribute and its value, in the question and the sentence
_ASKS_NAMED_VALUE = re.compile(rf"^(?P<left>.+?)(?:{_NAMING_VERBS})?(?:什么|甚么|啥)(?:名字|名称)?[?？]?$")
_VALUE_LEAD = re.compile(rf"^(?:{_NAMING_VERBS}|称|作|:|：)?[“\"「『]?")
_NOT_NOUNS = ("可以", "能", "可", "最早", "原本", "当时")  # adverb-like words jieba tags as verbs or nouns
_ITEM_JOINERS = "以及|和|及|与|或"  # join an enumeration's last item (鼓、锣、钹和板)
_ITEM_LEAD = re.compile(r"^.*?(?:例如|比如|诸如|包括|包含|分别是|分别为|设有|如|有|是|为|即|─|—)")  # 如[香港艺术节]、…
# 又名, 也称为, 简称, 被称作: another name follows
_ALIAS_WORD = re.compile(r"(?:又|也|亦|或|俗|简|通|别|今|合|并|统|改|古|旧|前|原|曾|被)(?:被)?(?:称|名|叫|译)"
                         r"(?:为|作|做)?|称为|称作|叫做|叫作")
_ASKS_ALIAS = re.compile(r"(?:称|名|叫|译)(?:为|作|做)?(?:什么|甚么|啥)|(?:简称|别名|别称|俗名|俗称|昵称|绰号|外号)"
                         r"(?:是|叫|为)?(?:什么|甚么|啥)")
_ASKS_MEANING = re.compile(r"意思|含义|意为|意指|定义|是指|指的是|指什么|指哪")  # 的意思是什么, 指什么
_MEANING_CUE = re.compile(r"意思(?:就)?是|意为|意即|意指|(?:被)?定义为|定义是|是指|指的是"
                          r"|(?<=[是即专])指")  # 即指, 专指; not 指出, 手指, 指数 …
_ASKS_ONE = re.compile(r"哪一|哪[个种类部位家所本首条项]")  # asks for one thing: 哪一种音乐类型, not 哪些
_CAUSE_FLAGS = ("c", "p", "d", "v")  # a conjunction or preposition (jieba tags some as adverbs or verbs)
ORDINAL_ANSWER = re.compile(rf"首[个家次届批位所支座]|第[\d{ORDINAL_NUMERALS}]+[个家次届批位所支座期]?")


def next_stop(text: str, at: int, stops: str = CLAUSE_END) -> int:
    """Where the first of the characters `stops` at or after `at` is (the clause's end), else len(text)."""
    return min((i for i in (text.find(ch, at) for ch in stops) if i >= 0), default=len(text))


def clause_start(text: str, end: int, stops: str = CLAUSE_END) -> int:
    """Where the clause holding position `end` starts: after the last of the characters `stops` before it, else 0
    (the mirror of `next_stop`)."""
    return max((text.rfind(ch, 0, end) for ch in stops), default=-1) + 1


def year_like(num: str, unit: str, asked_unit: str) -> bool:
    """`num` + `unit` is a year: a range of 19xx/20xx years (2019-2021年) always, other four digits when the
    question does not ask for a number of years (多少年 takes 2000年历史)."""
    four = re.search(r"(?<![\d.,])(\d{4})$", num)
    ranged = four is not None and num != four.group(1) and four.group(1)[:2] in ("19", "20")  # 2019-2021年
    return unit == "年" and four is not None and (ranged or asked_unit != "年")


def adjacent(q: Question, clause: str, start: int, end: int, gap: int) -> bool:
    """The asked-about term directly follows the quantity or ends at most `gap` characters before it."""
    return any(clause.startswith(f, end) or f in clause[max(0, start - len(f) - gap) : start] for f in q.focus)


def focus_share(q: Question, text: str) -> float:
    """Share of the asked-about terms in `text` (a term matched only by its shorter words counts half)."""
    if not q.focus:
        return 1.0
    return sum(1.0 if f in text or any(a in text for a in q.alts(f)) else 0.5 if any(s in text for s in q.parts(f))
               else 0.0 for f in q.focus) / len(q.focus)


def quantity_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """The ordinal a 第几 question asks for (首个, 第三批), else the quantity that best answers a number question; with
    the question's own measure word where the sentence writes it after the number (多少集 → 12集, 第几部 → 第7部)."""
    ordinal = ORDINAL_ANSWER.search(text) if "第几" in q.norm else None
    answer = ordinal.group(0) if ordinal else _best_quantity(q, text, cfg)
    measure, at = asked_measure(q), text.find(answer) + len(answer)  # (the answer's first occurrence)
    alone = measure and any(s == at and w == measure for s, w, _ in words_at(text))  # not the 集 of 集团
    answer = answer + measure if answer and alone and not answer.endswith(measure) else answer
    unit = QUANTITY.match(answer)  # 87 款 → 87款: the space some sites set before a unit is no part of it
    at = unit.start("unit") if unit and unit.group("unit") else 0
    return answer[: at - 1] + answer[at:] if at and answer[at - 1] == " " else answer


def asked_measure(q: Question) -> str:
    """The one-character measure word after the question's 几/多少 (多少集, 几趟, 第几部), or "" (多少学生 asks a
    noun: jieba reads 学生 as one word)."""
    for m in re.finditer(r"几|多少", q.norm):
        for start, word, flag in words_at(q.norm):
            if start == m.end() or start < m.end() < start + len(word) == m.end() + 1:  # 集 / 几部, 第几部
                measure = q.norm[m.end() : m.end() + 1]
                alone = start < m.end() or len(word) == 1 and not flag.startswith(FUNCTION_FLAGS)  # not 多少的
                return measure if alone and re.match(r"[\u4e00-\u9fff]", measure) else ""
    return ""


def content_dates(text: str, cfg: ComposerConfig) -> list[re.Match[str]]:
    """The dates `text` states, not the one of a news agency's dateline it opens with (中新网肇庆7月26日电 dates the
    report, not what it reports: …预计2026年上半年试投产)."""
    dateline = None if cfg.dateline_dates else DATELINE.match(text)
    return list(DATE.finditer(text, dateline.end() if dateline else 0))


def date_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """The date of the sentence most closely tied to the question's terms (他于2005年毕业，[2009年]创立… answers
    哪一年创立), the longest of equally tied ones, not one that is part of what the question names; only its year
    when the question asks for a year (哪一年)."""
    found = content_dates(text, cfg)
    # a date the question writes itself, or one that starts a name the question gives, is no answer
    dates = [m for m in found if m.group(0) not in q.norm and not _starts_name(q, text, m, cfg)] or found
    if not dates:
        return ""
    best = max(dates, key=lambda m: (sum(_tie(text, t, m.start(), m.end(), cfg) for t in q.terms), len(m.group(0))))
    year = re.match(r"\d{4} ?年", best.group(0)) if _ASKS_YEAR.search(q.norm) else None
    return (year.group(0) if year else best.group(0)).replace(" ", "")  # 7 月 21 日 → 7月21日


def _starts_name(q: Question, text: str, date: re.Match[str], cfg: ComposerConfig) -> bool:
    """The date is part of a name the question gives, not when something happened (1950年[工会]成立): two or more of
    the question's terms follow it one after another, none a verb (2024年[企业][民主][管理工作][培训]), or a bare year
    is followed by two or more nouns that the question writes together (2024年[阳光少年工会夏令营]活动 for
    阳光少年工会夏令营开营时间, where jieba cuts the name into nouns the question does not hold as terms)."""
    run, at = [], date.end()
    while True:
        term = next((t for t in q.terms if text.startswith(t, at)), None)
        if term is None:
            break
        run.append(term)
        at += len(term)
    if len(run) >= 2 and not any(f.startswith("v") and f != "vn" for t in run for _, f in pos_words(t)):
        return True
    if not re.fullmatch(r"\d{4}年", date.group(0)):
        return False
    nouns = []
    for _, word, flag in words_at(text[date.end() : date.end() + cfg.name_reach_chars]):
        if not (flag.startswith(("n", "j", "l")) or flag == "m" and not word[0].isdigit()):
            break
        nouns.append(word)
    return any("".join(nouns[:n]) in q.norm for n in range(len(nouns), 1, -1))


def title_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """The first 《title》 the question does not already name, with its brackets."""
    titles = [t for t in TITLE.findall(text) if t not in q.norm]
    return f"《{titles[0]}》" if titles else ""


def no_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """No short answer: the answer is the sentence itself."""
    return ""


def cause_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """For a why question: the rest of the clause after the sentence's first cause word (由于[伤病困扰]，他…), else the
    clause before its first consequence word ([牠们会将巢筑在地上]，故容易成为…; […的性格]，网志因而大受欢迎), else "".
    Either word must stand as a word of its own (jieba: 因 of 因身体原因, not of 因此 or 原因)."""
    if not ASKS_REASON.search(q.norm):
        return ""
    words = [(start, word) for start, word, flag in words_at(text) if flag in _CAUSE_FLAGS]
    for start, word in words:
        at = start + len(word)
        if word in CAUSE_WORDS:
            end = next_stop(text, at, CLAUSE_END + "而")
            reason = text[at:end].strip(STOP)  # (因身体原因而退役: the effect after 而 is not the reason)
            if len(reason) >= 2 and reason not in q.norm:
                return reason
    for start, word in words:
        if word in CONSEQUENCE_WORDS:
            end = clause_start(text, start) - 1  # the clause before the one the word opens or stands in
            reason = text[clause_start(text, max(end, 0)) : max(end, 0)].strip(STOP)
            if len(reason) >= 2 and reason not in q.norm:
                return reason
    return ""


def quoted_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """The one quoted name (“…”, 《…》) the question does not already contain, next to the asked term if any."""
    quoted = [m.group(0) for m in re.finditer(r"“[^”]{2,30}”|《[^》]{2,40}》", text) if m.group(0)[1:-1] not in q.norm
              and (not q.focus or focus_share(q, text[max(0, m.start() - cfg.near_chars) : m.end() + cfg.near_chars])
                   > 0)]
    return quoted[0] if len(quoted) == 1 else ""


def asks_alias(q: Question) -> bool:
    """The question asks what something is also called (`当惹雍错又叫什么`, `简称是什么`, `被称为什么理论`)."""
    return bool(_ASKS_ALIAS.search(q.norm))


def alias_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """For a question asking another name: the names after the sentence's alias word, to the clause's end
    (`唐古拉雍木错` of `当惹雍错（），又名唐古拉雍木错，是…`; `大腿蘑、网纹牛肝菌` of `也称大腿蘑、网纹牛肝菌，…`), the
    question's own alias word (简称, 俗称 …) first; at most `cfg.max_aligned_chars` characters, else "". Off when
    `cfg.aliases` is false."""
    if not cfg.aliases or not asks_alias(q):
        return ""
    asked = _ALIAS_WORD.search(q.norm)
    found = sorted(_ALIAS_WORD.finditer(text), key=lambda m: not asked or  # 俗名为 for 俗名叫什么
                   m.group(0).rstrip("为作做") != asked.group(0).rstrip("为作做"))
    for m in found:
        rest = text[m.end() :]
        rest = rest[re.match(r"[为是作做:：\s]*", rest).end() :]
        value = re.match(r"(?:[^，,。；;：:！？!?()]|\([^()]*\)?)*", rest).group(0)  # up to an unopened ")"
        value = re.sub(r"\([^()]*\)?$", "", value).strip()  # 比丘(俗称和尚 → 比丘
        if value and value not in q.norm and len(value) <= cfg.max_aligned_chars:
            return value
    return ""


def generic_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """A generic question's bare fact: another name where it asks one (`alias_answer`), a meaning where it asks one
    (`meaning_answer`), else the one quoted name (`quoted_answer`)."""
    return alias_answer(q, text, cfg) or meaning_answer(q, text, cfg) or quoted_answer(q, text, cfg)


def asks_name_or_meaning(q: Question) -> bool:
    """The question asks another name or what something means: its extractor goes before the slot's words."""
    return asks_alias(q) or bool(_ASKS_MEANING.search(q.norm))


def meaning_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """For a question asking what something means or is (`的意思是什么`, `的定义是什么`, `指什么`): the rest of the
    sentence after its first meaning word (`是指用以进行步操…的场地`), or the quote right after it (`意为「最初的劳亚
    大陆」，…` → 最初的劳亚大陆); at most `cfg.max_meaning_chars` characters, else "". Off when that is 0."""
    m = _MEANING_CUE.search(text) if cfg.max_meaning_chars and _ASKS_MEANING.search(q.norm) else None
    if not m:
        return ""
    value = re.match(r"[^。；;！？!?]*", text[m.end() :].lstrip(":：")).group(0).strip()
    quoted = re.match(r"[「“]([^」”]*)[」”]", value)
    value = quoted.group(1) if quoted else value  # 意为「最初的劳亚大陆」，…
    return value if 2 <= len(value) <= cfg.max_meaning_chars and value not in q.norm else ""


def named_value(q: Question, text: str, cfg: ComposerConfig) -> str:
    """What follows the asked attribute where the sentence names it: `石生` of `魏裔介，字石生，号贞庵` for
    `魏裔介的字是什么`, `苏博` of `苏镜宇原名苏博` for `苏镜宇的原名叫什么`, or "". The attribute is the question's
    last word before a closing question word (function words skipped); the value runs to the next stop, at most
    `cfg.max_aligned_chars` characters. Off when `cfg.named_values` is false."""
    ask = _ASKS_NAMED_VALUE.match(q.norm) if cfg.named_values else None
    words = list(pos_words(ask.group("left"))) if ask else []
    while words and (words[-1][1].startswith(FUNCTION_FLAGS) or words[-1][0] in _NOT_NOUNS):
        words.pop()
    noun = words[-1][0] if words else ""
    at = text.find(noun) if re.fullmatch(r"[\u4e00-\u9fff]+", noun) else -1
    if at < 0:
        return ""
    rest = text[at + len(noun) :]
    rest = rest[_VALUE_LEAD.match(rest).end() :]
    value = re.match(rf"[^{re.escape(STOP)}”」』]{{1,{cfg.max_aligned_chars}}}", rest)
    return value.group(0) if value else ""


def _item(cfg: ComposerConfig) -> str:
    """The pattern of one item of an enumeration: up to `cfg.max_item_chars` characters without punctuation."""
    return rf"[^{re.escape(STOP)}「」]{{1,{cfg.max_item_chars}}}"


def whole_enumeration(short: str, text: str, cfg: ComposerConfig) -> str:
    """`short` grown over the enumeration it is one item of: `德性` in `办学理念是德性、创意、服务、实践` gives the
    four, the last item joined by 和/及/与/以及/或 included. Only where a 、 touches `short`; items are runs of at most
    `cfg.max_item_chars` characters without punctuation (0: never grows); the run stays within `cfg.max_long_chars`."""
    at = text.find(short) if short and cfg.max_item_chars > 0 else -1
    if at < 0:
        return short
    start, end = at, at + len(short)
    if text[end : end + 1] != "、" and text[start - 1 : start] != "、":
        return short
    item = _item(cfg)
    while m := re.match(rf"(、|{_ITEM_JOINERS})({item})", text[end:]):
        end += m.end()
        if m.group(1) != "、":
            break
    while m := re.search(rf"{item}、$", text[:start]):
        start = m.start()
    return text[start:end] if end - start <= cfg.max_long_chars else short


def enumeration_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """For a question asking for several things: the enumeration of `text` next to the asked term (`香港艺术节、香港国际
    电影节、香港夏日电影节等` of `曾赞助香港不少文化活动，如香港艺术节、…` for `赞助了哪些文化活动`), its first item cut
    after a lead word (如, 包括, 分别是 …), or "". Runs of 、-joined items (at most `cfg.max_item_chars` each, the last
    may be joined by 和/及/与/以及/或) that repeat the question, or have no term of it within `cfg.near_chars`, are
    left out; of the rest, the one nearest the asked term. "" when the question asks for one thing (哪一种, 哪个).
    Off when `cfg.enumerations_asked` is false."""
    if not cfg.enumerations_asked or cfg.max_item_chars <= 0 or _ASKS_ONE.search(q.norm):
        return ""
    item = _item(cfg)
    best, best_key = "", (0.0, 0)
    for m in re.finditer(rf"{item}(?:、{item})+(?:(?:{_ITEM_JOINERS}){item})?", text):
        items = re.split(rf"、|{_ITEM_JOINERS}", m.group(0))
        if 2 * sum(i in q.norm for i in items) >= len(items):
            continue  # the question's own list (七一大游行、雨伞运动)
        around = text[max(0, m.start() - cfg.near_chars) : m.end() + cfg.near_chars]
        key = (focus_share(q, around) if q.focus else 0.0, sum(len(t) >= 2 and t in around for t in q.terms))
        if any(key) and key > best_key:
            best, best_key = m.group(0), key
    first, sep, rest = best.partition("、")
    lead = _ITEM_LEAD.match(first)
    return (first[lead.end() :] if lead and len(first) - lead.end() >= 2 else first) + sep + rest


def is_enumeration(text: str) -> bool:
    """`text` holds a 、 or an item joiner (和, 及 …), so it may name several things (a loose test: 中华人民共和国
    passes; it only decides whether a list question's slot words are kept over the enumeration near its term)."""
    return bool(re.search(rf"、|{_ITEM_JOINERS}", text))


def _proximity(q: Question, text: str, start: int, end: int, cfg: ComposerConfig) -> float:
    """How closely the asked-about term is tied to the quantity text[start:end] (about 0..1.3): right before it
    (兼职干部2574名) is best, right after it (26处…港湾) next; a clause break in between costs more, so
    专职干部531名,兼职干部2574名 gives 2574名 for 兼职干部. The term with its modifiers from the question (兼职 +
    干部) counts fully, the bare term 0.7, its parts 0.5. 1 without a focus."""
    if not q.focus:
        return 1.0
    best = 0.0
    for f in q.focus:
        words = ((_with_modifiers(q, f), cfg.tie_with_modifiers), (f, cfg.tie_bare),
                 *((part, cfg.tie_part) for part in q.parts(f)))
        near = max(_tie(text, word, start, end, cfg) * weight for word, weight in words)
        modifiers = [t for t in q.terms if t != f and 0 <= q.norm.find(f) - q.norm.find(t) - len(t) <= 1]
        best = max(best, near + cfg.modifier_credit * max((_tie(text, m, start, end, cfg) for m in modifiers),
                                                          default=0.0))
    return best


def _tie(text: str, word: str, start: int, end: int, cfg: ComposerConfig) -> float:
    """1 / (1 + gap/tie_scale) for the nearest occurrence of `word` before (or, costing tie_after, after)
    text[start:end]; a clause break in between costs tie_clause more. 0 when the word is not in the text."""
    best = 0.0
    for fm in re.finditer(re.escape(word), text):
        if fm.end() <= start:
            between, extra = text[fm.end() : start], 0
        elif fm.start() >= end:
            between, extra = text[end : fm.start()], cfg.tie_after
        else:
            continue
        broken = cfg.tie_clause if re.search(r"[，,；;。]", between) else 0
        best = max(best, 1.0 / (1.0 + (len(between) + extra + broken) / cfg.tie_scale))
    return best


def _with_modifiers(q: Question, focus: str) -> str:
    """The focus with the key terms written right before it in the question (兼职 + 干部 → 兼职干部)."""
    phrase, pos = focus, q.norm.find(focus)
    while pos > 0:
        before = next((t for t in q.terms if t != phrase and q.norm[max(0, pos - len(t)) : pos] == t), None)
        if before is None:
            break
        phrase, pos = before + phrase, pos - len(before)
    return phrase


def _best_quantity(q: Question, text: str, cfg: ComposerConfig) -> str:
    """The quantity of `text` that best answers a number question (asked unit, asked term next to it)."""
    aliases = UNIT_ALIASES.get(q.unit, (q.unit,))
    best, best_score = "", 0.0
    for m in QUANTITY.finditer(text):
        num, unit = m.group("num"), m.group("unit") or ""
        if not num[0].isdigit() and not (unit and adjacent(q, text, m.start(), m.end(), cfg.adjacent_gap)):
            continue
        if year_like(num, unit, q.unit) or re.match(r"\d+[月日]", text[m.start() :]) or text.startswith(_DAY, m.end()):
            continue
        near = _proximity(q, text, m.start(), m.end(), cfg)
        unit_score = cfg.short_unit if q.unit and unit in aliases else cfg.short_other_unit if unit else cfg.short_bare
        lead = text[max(0, m.start() - cfg.short_lead_chars) : m.start()]
        share = sum(t in lead for t in q.terms) / len(q.terms) if q.terms else 0.0
        score = unit_score + cfg.short_near * near + cfg.short_lead * share
        if score > best_score:
            best, best_score = m.group(0), score
    return best
