"""The facts in a sentence — quantities, dates, organisations, venues — and the bare fact that answers a question.

`short_answer(q, sentence)` gives what the question asks for (`174个`, `2023年6月`, `江西省总工会`) or "" for lists
and explanations; the patterns and the asked-term tests here are shared with the sentence scoring in qa/answer.py.
"""

from __future__ import annotations

import re

from qa.index.tokens import normalize
from qa.query.question import QUESTION_WORD, UNITS, Question

NEAR_CHARS = 8  # the asked-about term within this many characters of a quantity counts as "next to it"
MODIFIER_CREDIT = 0.3  # short answers: a modifier of the asked noun (最美 in 最美的服务站) near the quantity adds this

BULLET = re.compile(r"^[\s◆●■▲★☆·•\-—]*(?:\d{1,2}[.、．]\s*)?")
_CN_NUM = "一二两三四五六七八九十百千"
QUANTITY = re.compile(r"(?P<num>\d+(?:\.\d+)?|[" + _CN_NUM + r"]+)(?:余|多)?(?P<mag>万|亿|千)?(?:余|多)?(?P<unit>"
                      + "|".join(UNITS) + ")?")
UNIT_ALIASES = {"人": ("人", "名", "人次", "位"), "名": ("名", "人", "位"), "个": ("个", "家", "所", "处", "支"),
                "场": ("场", "场次", "次"), "次": ("次", "人次", "场次"), "元": ("元", "万元", "亿元", "万", "亿")}
DATE = re.compile(r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日(?:至\d{1,2}日)?)?)?|\d{1,2}月\d{1,2}日(?:至\d{1,2}日)?"
                  r"|\d{1,2}月(?:上旬|中旬|下旬|初|底)?")
ORG_SUFFIX = "总工会|工会|有限公司|公司|集团|大学|学院|学校|医院|中心|协会|委员会|研究院|部门|企业|银行"
ORG = re.compile(rf"[\u4e00-\u9fff]{{2,}}?(?:{ORG_SUFFIX})")
ORDINAL_ANSWER = re.compile(r"首[个家次届批位所支座]|第[\d一二三四五六七八九十]+[个家次届批位所支座期]?")
_EVENT_VERBS = "举行|举办|召开|开营|开幕|落下帷幕|成立|组建"
VENUE_VERB = re.compile(rf"(?:正式|隆重|顺利|成功)?(?:{_EVENT_VERBS})$")
VENUE = re.compile(rf"在[^，,。；]{{2,30}}?(?:{_EVENT_VERBS})")


def adjacent(q: Question, clause: str, start: int, end: int) -> bool:
    """The asked-about term directly follows the quantity or ends at most 2 characters before it."""
    return any(clause.startswith(f, end) or f in clause[max(0, start - len(f) - 2) : start] for f in q.focus)


def focus_share(q: Question, text: str) -> float:
    """Share of the asked-about terms in `text` (a term matched only by its shorter words counts half)."""
    if not q.focus:
        return 1.0
    return sum(1.0 if f in text or any(a in text for a in q.alts(f)) else 0.5 if any(s in text for s in q.parts(f))
               else 0.0 for f in q.focus) / len(q.focus)


def short_answer(q: Question, sentence: str) -> str:
    """The bare fact of `sentence` that the question asks for: the quantity with the asked unit next to the asked
    term, the date, a person's name or the venue; for other questions a quoted name (“…”, 《…》) the question does
    not already contain. "" when there is none (lists and explanations are answered by the sentence itself)."""
    text = normalize(BULLET.sub("", sentence))
    if q.form == "number":
        ordinal = ORDINAL_ANSWER.search(text) if "第几" in q.norm else None
        return ordinal.group(0) if ordinal else _best_quantity(q, text)
    if q.form == "org":
        return _org_name(q, text)
    if q.form == "date":
        dates = DATE.findall(text)
        return max(dates, key=len) if dates else ""
    if q.form == "person":
        from qa.query.question import is_person_name, pos_words

        names = [w for w, flag in pos_words(text) if flag == "nr" and is_person_name(w) and w not in q.norm]
        return names[0] if names else ""
    if q.form == "place":
        m = VENUE.search(text)
        if m:
            return VENUE_VERB.sub("", m.group(0)[1:])
    if q.form in ("list", "explanation"):
        return ""
    quoted = [m.group(0) for m in re.finditer(r"“[^”]{2,30}”|《[^》]{2,40}》", text) if m.group(0)[1:-1] not in q.norm
              and (not q.focus or focus_share(q, text[max(0, m.start() - NEAR_CHARS) : m.end() + NEAR_CHARS]) > 0)]
    return quoted[0] if len(quoted) == 1 else ""


def _org_name(q: Question, text: str) -> str:
    """The first organisation named in `text` that the question does not name: its words from the first place or
    name word to the organisation word (此次大会由江西省总工会主办 → 江西省总工会)."""
    from qa.query.question import pos_words

    names = []
    for m in ORG.finditer(text):
        words = pos_words(m.group(0))
        start = next((i for i, (_, flag) in enumerate(words) if flag in ("ns", "nt", "nz", "nr", "j")), None)
        if start is None:  # a generic body (各设区市总工会): the words after the last function word
            start = max((i + 1 for i, (_, flag) in enumerate(words) if flag[0] in "pcrdumqv"), default=0)
        name = "".join(w for w, _ in words[start:])
        name = re.sub(rf"等(?:{ORG_SUFFIX})$", "", name)
        if len(name) >= 2 and name not in q.norm:
            names.append((text.find(name, m.start()), name))
    # the one right before a word the question asks with (由谁承办 → …产业系统工会共同承办): Chinese puts the doer first
    asked = [t for t in q.terms if q.norm.find(t) > _question_word_at(q.norm) >= 0 and t in text]
    spots = [text.find(t) for t in asked]

    def gap(item: tuple[int, str]) -> int:
        end = item[0] + len(item[1])
        return min((s - end if end <= s else 100 + item[0] - s for s in spots), default=0)

    return min(names, key=gap)[1] if names else ""


def _question_word_at(norm: str) -> int:
    m = QUESTION_WORD.search(norm)
    return m.start() if m else -1


def _proximity(q: Question, text: str, start: int, end: int) -> float:
    """How closely the asked-about term is tied to the quantity text[start:end] (about 0..1.3): right before it
    (兼职干部2574名) is best, right after it (26处…港湾) next; a clause break in between costs more, so
    专职干部531名,兼职干部2574名 gives 2574名 for 兼职干部. The term with its modifiers from the question (兼职 +
    干部) counts fully, the bare term 0.7, its parts 0.5. 1 without a focus."""
    if not q.focus:
        return 1.0
    best = 0.0
    for f in q.focus:
        words = ((_with_modifiers(q, f), 1.0), (f, 0.7), *((part, 0.5) for part in q.parts(f)))
        near = max(_tie(text, word, start, end) * weight for word, weight in words)
        modifiers = [t for t in q.terms if t != f and 0 <= q.norm.find(f) - q.norm.find(t) - len(t) <= 1]
        best = max(best, near + MODIFIER_CREDIT * max((_tie(text, m, start, end) for m in modifiers), default=0.0))
    return best


def _tie(text: str, word: str, start: int, end: int) -> float:
    """1 / (1 + gap/4) for the nearest occurrence of `word` before (or, costing 2, after) text[start:end]; a clause
    break in between costs 6 more. 0 when the word is not in the text."""
    best = 0.0
    for fm in re.finditer(re.escape(word), text):
        if fm.end() <= start:
            between, extra = text[fm.end() : start], 0
        elif fm.start() >= end:
            between, extra = text[end : fm.start()], 2
        else:
            continue
        best = max(best, 1.0 / (1.0 + (len(between) + extra + (6 if re.search(r"[，,；;。]", between) else 0)) / 4))
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


def _best_quantity(q: Question, text: str) -> str:
    """The quantity of `text` that best answers a number question (asked unit, asked term next to it)."""
    aliases = UNIT_ALIASES.get(q.unit, (q.unit,))
    best, best_score = "", 0.0
    for m in QUANTITY.finditer(text):
        num, unit = m.group("num"), m.group("unit") or ""
        if not num[0].isdigit() and not (unit and adjacent(q, text, m.start(), m.end())):
            continue
        if unit == "年" and q.unit != "年" and len(num) == 4 or re.match(r"\d+[月日]", text[m.start():]):
            continue
        near = _proximity(q, text, m.start(), m.end())
        score = (1.0 if q.unit and unit in aliases else 0.5 if unit else 0.3) + 0.5 * near
        if score > best_score:
            best, best_score = m.group(0), score
    return best
