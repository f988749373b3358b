"""Names in a sentence — places, people, organisations — and the one a 哪里/哪个城市, 谁 or 哪家 question asks for.

Candidates come from jieba's parts of speech (ns places, nr names, nt organisations), the place suffixes and kinds of
qa/data (蔚山+市, 哪个城市 → 市, 哪国 → countries.txt) and the words written around names (name_cues.tsv: a title
before a name, 参谋长哈勒维; a word after it, 哈勒维在; a byline, 记者陈杰). A name the question already holds is
never the answer; of the rest, the one nearest the question's own words in the sentence is (`nearest`).
`qa.answer.forms` uses `place_answer`, `person_answer` and `org_answer` as the typed short answers.
"""

from __future__ import annotations

import re

from qa.answer.config import ComposerConfig
from qa.answer.facts import ORG, STOP, next_stop, quoted_answer
from qa.lexicon import (
    BYLINE,
    COUNTRIES,
    LOCATED,
    NAME_END,
    NAME_TITLE,
    NOT_ENTITIES,
    ORG_SUFFIX,
    PLACE_KINDS,
    PLACE_SUFFIXES,
    PROVINCES,
    QUESTION_WORD,
    ROLE_WORD,
    VENUE,
    VENUE_VERB,
)
from qa.query.kinds import EntityKind
from qa.query.question import Question, is_person_name, pos_words, words_at

Found = tuple[int, str]  # (where in the sentence, the name)

_TITLED = re.compile(rf"(?:{NAME_TITLE})+([\u4e00-\u9fff·]{{2,12}}?)(?={NAME_END}|[^\u4e00-\u9fff·]|$)")
_DOTTED_LEAD = 5  # the most characters of a dotted name before its first · (符拉基米尔·…)
_SEGMENT_MARGIN = 3  # characters before those that jieba also reads, so the first word there is cut as in the text
_DOTTED = re.compile(rf"[\u4e00-\u9fff]{{2,4}}(?:·[\u4e00-\u9fffa-z]{{1,6}}?)+(?={NAME_END}|[^\u4e00-\u9fff·a-z]|$)")
_PERSON_FLAGS = ("nr", "nrt", "nrfg")
_AFTER_ASKED = 100  # an organisation after the asked word ranks behind every one before it (the doer comes first)
_ORG_FLAGS = ("nt", "j")


def in_question(q: Question, name: str) -> bool:
    """The question already holds the name, perhaps written otherwise: it is in the question, or only suffixes
    (市, 区 …) are left of it without the question's entities (北京市丰台 for 北京丰台区)."""
    rest = name
    for form in sorted((f for e in q.entities for f in e.forms), key=len, reverse=True):
        rest = rest.replace(form, "")
    return name in q.norm or all(ch in "".join(PLACE_SUFFIXES) for ch in rest)


def nearest(q: Question, text: str, found: list[Found]) -> str:
    """The name nearest (in characters, on average) to the question's terms and entities that `text` holds; the
    first one when it holds none of them; "" for no names. Names the question holds (`in_question`) are skipped."""
    found = [(i, n) for i, n in found if not in_question(q, n)]
    words = [w for w in (*q.terms, *(f for e in q.entities for f in e.forms)) if len(w) >= 2]
    spots = [(m.start(), m.end()) for w in words for m in re.finditer(re.escape(w), text)]

    def gap(item: Found) -> float:  # mean over the words found of the distance to the word's nearest occurrence
        start, end = item[0], item[0] + len(item[1])
        near = [min(max(s - end, start - e, 0) for s, e in spots if text[s:e] == w) for w in set(words) if w in text]
        return sum(near) / len(near) if near else 0

    return min(found, key=gap)[1] if found else ""


# --- places ------------------------------------------------------------------------------------------------------
_PLACE_JOINERS = "及与和、"  # two places joined by one of these are one answer (美国西南部及墨西哥北部)
_PLACE_PART = re.compile(r"[东南西北]|中部")  # a locality word naming a part of a place (西南部, 以北), not 以后, 之间


def place_names(text: str) -> tuple[list[Found], list[Found]]:
    """The single place words of `text` (jieba ns, with a following suffix joined: 蔚山+市) and the runs of adjacent
    ones (四川泸州古蔺县), a run taking a direction word after it (美国西南部) and a place joined by 及/与/和/、
    (美国西南部及墨西哥北部)."""
    single: list[Found] = []
    runs: list[Found] = []
    for start, word, flag in words_at(text):
        run_end = runs[-1][0] + len(runs[-1][1]) if runs else -1
        if single and start == single[-1][0] + len(single[-1][1]) and word in PLACE_SUFFIXES:
            single[-1] = (single[-1][0], single[-1][1] + word)
        elif flag == "ns" and word not in NOT_ENTITIES and len(word) >= 2:
            single.append((start, word))
        elif flag == "f" and start == run_end and _PLACE_PART.search(word):  # 美国西南部: a part of the place
            runs[-1] = (runs[-1][0], runs[-1][1] + word)
            continue
        else:
            continue
        if runs and (start <= run_end or start == run_end + 1 and text[run_end] in _PLACE_JOINERS):
            runs[-1] = (runs[-1][0], text[runs[-1][0] : start + len(word)])
        else:
            runs.append(single[-1])
    return single, runs


def of_kind(name: str, suffix: str) -> bool:
    """`name` is a place of the asked kind: it ends with the kind's suffix, or is a country (国) or province (省)."""
    return name.endswith(suffix) or suffix == "国" and name in COUNTRIES or suffix == "省" and name in PROVINCES


def asked_kind(q: Question) -> tuple[str, str]:
    """The kind of place the question asks for, as (asked word, suffix): (城市, 市) for 哪个城市, (国, 国) for 哪国,
    ("", "") for 哪里 or 哪个市场 (the word after the question word, jieba's, must be a kind of place)."""
    words = [w for w, flag in pos_words(q.norm) if flag not in ("m", "q")]  # 哪/一个/县 → 哪 县
    kinds = dict(PLACE_KINDS)
    after = next((words[i + 1] for i, w in enumerate(words[:-1]) if w.startswith("哪")), "")
    return (after, kinds[after]) if after in kinds else ("", "")


def asks_kind(q: Question) -> bool:
    """The question names the kind of place it asks for (哪个城市, 哪国)."""
    return bool(asked_kind(q)[0])


_POINTING_BACK = ("该", "本", "其", "此")  # 位于该县县境南部 names no place


def place_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """The place of the asked kind nearest the question's words (哪个城市 → 蔚山市; a name right after the asked word,
    城市特拉维夫, counts); without an asked kind the venue of an event (在重庆市工人文化宫举行), else where the sentence
    says something lies (位于[…]), else the nearest run of place words (四川泸州古蔺县), else a quoted name."""
    asked, suffix = asked_kind(q)
    single, runs = place_names(text)
    if asked:
        named = [(m.start(1), m.group(1)) for m in re.finditer(rf"{asked}([\u4e00-\u9fff]{{2,6}}?)(?=[^\u4e00-\u9fff]|"
                                                              rf"{NAME_END}|发生)", text) if asked != suffix]
        typed = nearest(q, text, [f for f in single if of_kind(f[1], suffix)] + named)
        if typed:
            return typed
    venue = VENUE.search(text)
    if venue:
        return VENUE_VERB.sub("", venue.group(0)[1:])
    return _location(text, cfg) or nearest(q, text, runs) or quoted_answer(q, text, cfg)


def _location(text: str, cfg: ComposerConfig) -> str:
    """The rest of the clause after a word saying where something lies (位于[新疆维吾尔自治区且末县]，), unless it
    points back (位于该县…) or runs longer than a short answer may."""
    starts = {s for s, _, _ in words_at(text)}
    m = next((m for m in LOCATED.finditer(text) if m.start() in starts), None)  # at a word's start: not 单位于
    if m is None:
        return ""
    at = m.end()
    where = text[at : next_stop(text, at)].strip(STOP)
    return where if 2 <= len(where) <= cfg.max_aligned_chars and not where.startswith(_POINTING_BACK) else ""


# --- people ------------------------------------------------------------------------------------------------------
def _looks_named(name: str) -> bool:
    """A titled or dotted word looks like a name: it has a ·, is a Chinese name, or jieba tags a part of it nr."""
    return "·" in name or is_person_name(name) or any(f in _PERSON_FLAGS for _, f in pos_words(name))


def _byline(text: str, start: int) -> bool:
    """The name at `start` is in a byline: a byline word, then at most other names, before it (记者陈杰、刘诗平)."""
    return re.search(rf"(?:{BYLINE})[\s、]*(?:[\u4e00-\u9fff]{{2,4}}[\s、]+)*$", text[:start]) is not None


def person_names(text: str) -> list[Found]:
    """The personal names of `text`: after a title (参谋长哈勒维), written with · (马尔钦·普日达奇), or Chinese names
    jieba tags nr (李全民); bylines (记者陈杰) and words that never name anyone (NOT_ENTITIES) are left out."""
    found = [(m.start(1), _trimmed(m.group(1))) for m in _TITLED.finditer(text) if _looks_named(m.group(1))]
    taken = {i for s, n in found for i in range(s, s + len(n))}
    for m in _DOTTED.finditer(text):
        start = _dotted_start(text, m.start(), m.group(0).index("·"))
        name = _trimmed(text[start : m.end()])
        if not re.match(ORG_SUFFIX, text[m.end() :]) and text[start - 1 : start] != "“":
            found = [(s, n) for s, n in found if s + len(n) <= start or s >= m.end()]  # (a titled name cut short)
            found.append((start, name))
            taken.update(range(start, m.end()))
    found += [(s, w) for s, w, f in words_at(text)
              if f == "nr" and is_person_name(w) and w not in NOT_ENTITIES and s not in taken
              and not re.fullmatch(NAME_TITLE, w)]  # (jieba tags 顾问 nr)
    return sorted((s, n) for s, n in found if not _byline(text, s))


def _trimmed(words: str) -> str:
    """A name read up to a boundary: a Chinese name jieba reads at its start (王明带队 → 王明, 张国清代表 → 张国清),
    else cut before its first verb or function word of two or more characters (奇亚尼拒绝 → 奇亚尼; one-character
    pieces stay: 哈勒+维)."""
    kept, pieces = "", pos_words(words)
    if "·" not in words and is_person_name(pieces[0][0]):
        return pieces[0][0]
    for word, flag in pieces:
        if kept and len(word) >= 2 and flag[0] in "vpcdurmt":
            break
        kept += word
    return kept


def _dotted_start(text: str, start: int, dot: int) -> int:
    """Where a dotted name begins: at the jieba word that ends at its first · (whatever its length), extended back
    over the name words (jieba nr…) before it while the name stays within `_DOTTED_LEAD` characters before the ·
    (总理本雅明·… → 本雅明, 设计师为符拉基米尔·… → 符拉基米尔)."""
    at = start + dot
    lo = max(0, at - _DOTTED_LEAD - _SEGMENT_MARGIN)
    begin = at
    for s, w, flag in reversed([(lo + s, w, f) for s, w, f in words_at(text[lo:at])]):
        if s + len(w) != begin or begin < at and (not flag.startswith("nr") or at - s > _DOTTED_LEAD
                                                  or re.fullmatch(NAME_TITLE, w)):
            break
        begin = s
    return begin


def person_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """The person nearest the question's words; a 谁 question answered by a body or country (西共体, 北约, 美国财政部)
    when the sentence names no one."""
    return nearest(q, text, person_names(text)) or nearest(q, text, body_names(text))


# --- who a named person is ---------------------------------------------------------------------------------------
_DESCRIBED = re.compile(rf"(?:{NAME_TITLE}|{ROLE_WORD.pattern})$")  # a description before a name ends in its title
_IS_CLAUSE = re.compile(r"是(?!否|谁|不是)([^，,。；;！!？?]{2,40})")  # 卢柯宇是[城口供电公司营销岗的一线工人]
_NOT_DESCRIPTION = re.compile(r"(?:在|这样|那样|从|于|如何|怎样|因为|由于|\d)")  # 是[在去年]…, 是[2019年]…
_LEAD_APPOSITIVE = re.compile(r"(?:[（(][^）)]*[）)])?[，,]([^，,。；;！!？?]{2,40})")  # X（…），[description]，
_DESCRIBING_FLAGS = ("n", "j", "l", "vn", "f", "m", "q", "b", "a")  # words a description of a person is made of


def asked_person(q: Question) -> str:
    """The person a question names (the one a `X是谁` question asks about), or ""."""
    return next((e.text for e in q.entities if e.kind is EntityKind.PERSON), "")


def _describes(words: str) -> bool:
    """`words` after `X是` or an opening `X，` say what X is: they end in a noun (一线工人, 原居民), not a cleft's when
    or how (是2019年入职的, 是在去年加入的, 是这样说的)."""
    tags = pos_words(words)
    return (len(words) >= 2 and not words.endswith("的") and not _NOT_DESCRIPTION.match(words)
            and bool(tags) and tags[-1][1].startswith("n"))


def identity_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """Who the person of a `X是谁` question (`Form.IDENTITY`) is, as the sentence says: what follows `X是` to the
    clause's end (卢柯宇是[城口供电公司营销岗的一线工人]), else the clause after a sentence-opening name and comma
    (邓兆棠（…），[香港新界元朗厦村新围原居民]，…), else the description written right before the name when it ends in
    a title or role ([重庆市总工会党组书记、副主席]余季平, 邀请[西南政法大学教授]赵万一); "" when it says neither
    (张潇说。)."""
    name = asked_person(q)
    if not name:
        return ""
    found = [m.start() for m in re.finditer(re.escape(name), text)]
    for at in found:
        copula = _IS_CLAUSE.match(text, at + len(name))
        if copula and _describes(copula.group(1).strip(STOP)) and not copula.group(1).startswith(name):
            return copula.group(1).strip(STOP)
    lead = _LEAD_APPOSITIVE.match(text[len(name):]) if text.startswith(name) else None
    if lead and _describes(lead.group(1)):  # an opening: 邓兆棠（…），[香港新界元朗厦村新围原居民]，乡事派代表。
        return lead.group(1)
    for at in found:
        words = words_at(text[:at])
        start = at
        for i in range(len(words) - 1, -1, -1):
            begin, word, flag = words[i]
            inside = flag == "v" and i > 0 and words[i - 1][2].startswith(("n", "j"))  # 社会[组织]工会联合会
            if not (word in ("、", "的") or flag.startswith(_DESCRIBING_FLAGS) or inside):
                break
            start = begin
        description = text[start:at].lstrip("、的")
        if len(description) >= 2 and _DESCRIBED.search(description):
            return description
    return ""


# --- organisations -----------------------------------------------------------------------------------------------
def org_names(text: str) -> list[Found]:
    """The organisations named in `text`: each from its first place or name word to the organisation word
    (此次大会由江西省总工会主办 → 江西省总工会; a generic body, 各设区市总工会, from after its last function word)."""
    found = []
    for m in ORG.finditer(text):
        words = pos_words(m.group(0))
        start = next((i for i, (_, flag) in enumerate(words) if flag in ("ns", "nt", "nz", "nr", "j")), None)
        if start is None:
            start = max((i + 1 for i, (_, flag) in enumerate(words) if flag[0] in "pcrdumqv"), default=0)
        name = re.sub(rf"等(?:{ORG_SUFFIX})$", "", "".join(w for w, _ in words[start:]))
        if len(name) >= 2:
            found.append((text.find(name, m.start()), name))
    return found


def org_answer(q: Question, text: str, cfg: ComposerConfig) -> str:
    """The organisation right before a word the question asks with (由谁承办 → …产业系统工会共同承办: Chinese puts
    the doer first), else the first one the question does not name; a 谁 question (由谁发明) whose sentence names no
    organisation is answered by the person nearest its words."""
    names = [f for f in org_names(text) if f[1] not in q.norm]
    if not names and "谁" in q.norm:
        return nearest(q, text, [f for f in person_names(text) if f[1] not in q.norm])
    ask = QUESTION_WORD.search(q.norm)
    asked = [t for t in q.terms if ask and q.norm.find(t) > ask.start() and t in text]
    spots = [text.find(t) for t in asked]

    def gap(item: Found) -> int:
        end = item[0] + len(item[1])
        return min((s - end if end <= s else _AFTER_ASKED + item[0] - s for s in spots), default=0)

    return min(names, key=gap)[1] if names else ""


def body_names(text: str) -> list[Found]:
    """Organisations and countries that can act (谁 questions): organisation names, jieba nt/j words, countries."""
    found = [(s, w) for s, w, f in words_at(text) if (f in _ORG_FLAGS and len(w) >= 2 or w in COUNTRIES)
             and w not in NOT_ENTITIES]
    return sorted([*found, *org_names(text)])
