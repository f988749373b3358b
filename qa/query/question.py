"""Question analysis (pure): the asked form (number, date, list, …), the asked unit, key terms and required entities.

`analyze_question("沙坪坝区建了多少个工会驿站？")` gives form Form.NUMBER, unit "个", terms (建, 工会驿站), focus
(工会驿站,) and the required entity 沙坪坝 (a place). Input is normalised first (NFKC, traditional → simplified);
English questions are read with the domain glossary (EN_PLACES, EN_TERMS) and, when the caller passes one, the
corpus `Lexicon` (qa/query/english.py: dictionary meanings and pinyin names), so that their places, years and key
nouns can be checked against the Chinese paragraphs. Segmentation and part-of-speech tags come from the project's
one jieba tokenizer; every word list (question words, units, provinces, surnames, the glossary …) comes from the
domain lexicon, qa/lexicon.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from qa.index.tokens import jieba_tokenizer, normalize, tokenize
from qa.lexicon import (
    ASK_UNIT,
    CN_DIGITS,
    DIGIT_NAMES,
    EN_PLACE_PHRASES,
    EN_PLACES,
    EN_TERMS,
    IMPLICIT_ENTITIES,
    LOCATIVES,
    NOT_ENTITIES,
    ORDINAL_NUMERALS,
    ORG_NAME_SUFFIX,
    PLACE_ALIASES,
    PLACE_SUFFIX,
    PROVINCES,
    QUESTION_WORD,
    QUESTION_WORDS,
    STOPWORDS,
    SURNAMES,
    UNIT_NOUNS,
    UNITS,
)
from qa.query.kinds import EntityKind, Form

if TYPE_CHECKING:
    from qa.query.english import Lexicon


_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:年|\b|(?=\D))")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2}月(?:\d{1,2}日)?)")
_ORDINAL = re.compile(rf"第([0-9{ORDINAL_NUMERALS}]+)(届|期|次|批|个|轮)")
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])")
_FORM_PATTERNS: tuple[tuple[Form, str], ...] = (  # first match wins; English patterns run on lower-cased text
    (Form.NUMBER, r"多长时间|多久|多(?:远|长|宽|深|厚|重|快)(?=[?？。，,的呢]|$)"),  # 距离太阳多远: a measure
    (Form.DATE, r"什么时候|何时|哪一年|哪年|哪一天|哪天|几月|几日|什么时间|哪个月|日期|举办时间|举行时间"
             r"|几号(?!线|楼|球衣|房|门|床|位|车|馆|院|窗|文件|令|选手|队员)"  # (几号线, 几号球衣 ask for a number)
             r"|时间(?:是|为)?[?？。]*$"  # keyword style: 耶伦访华时间
             r"|\bwhen\b|what year|which year|what date|what time"),
    (Form.LIST, r"哪些|哪几|哪[“‘「\"]|哪[一二三四五六七八九十两]+[项个种类条方支队家国位名]"
             r"|(?:队伍|球队|名单)[?？。]*$|包括什么|包括哪|都有什么|分别"
             r"|有什么(?!好处|作用|意义|影响|效果|成效|变化|帮助|区别|不同|特点)"
             r"|什么(?:措施|举措|做法|办法|经验|服务|活动|项目|功能|内容)"
             r"|\b(?:which|what)\b.*\b(?:measures|services|activities|projects)\b|what (?:are|were) the|\blist\b"),
    (Form.TITLE, r"哪[部本首篇出档](?!门|分)|什么(?:电影|影片|书|歌|歌曲|节目|剧|作品|片子)|片名|书名|剧名"),
    (Form.ORG, r"(?:主办|承办|协办|组织|牵头|指导)(?:单位|方|机构)[?？。]*$"
            r"|哪家|哪所|哪个(?:单位|部门|组织|机构|企业|公司|学校|医院|大学|协会|团队)|什么(?:单位|机构|组织)|由谁"
            r"|谁(?=主办|承办|举办|组织|发起|牵头|打造|主导|指导|颁发)"
            r"|\bwhich (?:organi[sz]ation|company|unit|department|school|university|enterprise|institution|agency)\b"
            r"|\bwho (?:organi[sz]ed|hosted|sponsored|ran)\b"),
    (Form.NUMBER, r"多少|(?<![那这近前后好])几(?!乎|经)|数量|人数|金额|比例|占比|多大|多高|[\u4e00-\u9fff]数$"
               r"|\bhow (?:many|much|old|large|big)\b|number of"
               r"|what percentage|what (?:is|was|are|were) the (?:[\w'-]+ ){0,5}?(?:rate|percentage|proportion|number"
               r"|amount|total|size|count)\b"),
    (Form.PERSON, r"谁|哪位|何人|什么人|姓名"
                  r"|名字(?!.{0,3}?(?:含义|意思|意义|寓意|由来|来源|来历|怎么来|如何得来|源于|来自))"
                  r"|得主[?？。]*$|获得者[?？。]*$|\bwho\b|\bwhose\b"),  # (a name's meaning or origin: not a person)
    (Form.PLACE, r"哪里|哪儿|在哪|什么地方|何地|何处|地点|哪个(?:城市|地方|区|县|市|省|州|基地|国家|地区)|哪[国省市州]"
              r"|\bwhere\b|which (?:city|district|county|place|venue|province)"),
    # 简称为什么, 俗称为什么, 叫作为什么 ask a name, not why (jieba cuts 简称/为什么; 称为/什么 is left to _asks)
    (Form.EXPLANATION, r"(?<!称)(?<!叫作)(?<!叫做)为什么|因为什么|为啥|为何|怎样|如何|怎么(?!样)|什么原因|原因|目的"
                    r"|意义|作用|好处|效果|成效|影响|帮助"
                    r"|做了(?:什么|哪些)(?:事情?|工作)?(?=[?？，,。]|$)|(?:采取|推出|出台)了?(?:什么|哪些)(?:措施|举措|办法)"
                    r"|\bwhy\b|\bhow\b|\bbenefits?\b|\bwhat (?:did|does|has|have) .+ do\b"),
)
_NOUNISH = ("n", "nz", "vn", "nr", "ns", "nt", "j", "l", "eng", "an", "i", "t")
_FLAG_KINDS = {"ns": EntityKind.PLACE, "nt": EntityKind.ORG, "nr": EntityKind.PERSON}  # jieba tag → entity kind
_QUESTION_CHARS = "为几多什哪怎如何谁"  # the first characters of the question words that may be inside a word
_NOT_ASKING_FLAGS = ("ns", "nr", "nt", "nz")  # a longer name that begins with a question word: 几内亚
_MARKUP = re.compile(r"</?[a-z][^<>]*>", re.IGNORECASE)  # an HTML tag pasted into a question
_IDENTITY = re.compile(r"^(?:请问)?(?:(?P<before>[\u4e00-\u9fff]{2,4})(?:是谁|是什么人|是何人|是哪位|是做什么的)"
                       r"|谁是(?P<after>[\u4e00-\u9fff]{2,4}))[?？。!！]*$")
_NAMED_FOCUS_FORMS = (Form.NUMBER, Form.LIST, Form.DATE, Form.PERSON, Form.PLACE)  # focus may precede the asking


@dataclass(frozen=True)
class Entity:
    """Something the question names that the evidence must also name: a place, organisation, person or year…

    `text` is what is searched for (a place without its 区/县 suffix, an organisation's distinctive part);
    `kind` is an EntityKind (place, province, org, person, year, date, ordinal, number); `alts` are other
    accepted forms.
    """

    text: str
    kind: EntityKind  # given as its name ("place") or the enum
    alts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EntityKind(self.kind))  # a wrong name fails here, not in a comparison

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.text, *self.alts)


@dataclass(frozen=True)
class Question:
    """The analysed question: normalised text, form, asked unit, key terms with their sub-words, entities."""

    text: str
    norm: str  # NFKC, simplified, lower-case
    form: Form  # given as its name ("number") or the enum
    unit: str  # asked unit of a number question ("个", "人", "元", "%"), else ""
    terms: tuple[str, ...]  # key terms (topic words), longest segmentation
    focus: tuple[str, ...]  # the term(s) the question word asks about ("工会驿站" in 多少个工会驿站)
    entities: tuple[Entity, ...]
    english: bool = False
    subwords: tuple[tuple[str, tuple[str, ...]], ...] = ()  # term -> its shorter jieba words (partial matches)
    alternatives: tuple[tuple[str, tuple[str, ...]], ...] = ()  # term -> other words it may be written as (English)
    asked: tuple[str, ...] = ()  # terms of the clause that holds the question word (哪个项目拿了一等奖)
    counted: tuple[str, ...] = ()  # number questions: what is counted, modifiers then head (全国, 最美, 驿站)

    def __post_init__(self) -> None:
        object.__setattr__(self, "form", Form(self.form))

    def parts(self, term: str) -> tuple[str, ...]:
        return dict(self.subwords).get(term, ())

    def alts(self, term: str) -> tuple[str, ...]:
        return dict(self.alternatives).get(term, ())


def is_english(text: str) -> bool:
    """Mainly Latin letters (more Latin letters than CJK characters), markup such as `<script>` not counted."""
    text = _MARKUP.sub("", text)
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return latin > 2 * cjk and latin >= 3


def detect_form(norm: str) -> Form:
    """The asked form of a normalised question (first pattern with a match that is a question word), else generic."""
    spans = None if is_english(norm) else [(at, at + len(w), f) for at, w, f in words_at(norm)]
    for form, pattern in _FORM_PATTERNS:
        if any(spans is None or _asks(m, spans) for m in re.finditer(pattern, norm)):
            return form
    return Form.GENERIC


def _asks(m: re.Match[str], spans: list[tuple[int, int, str]]) -> bool:
    """A pattern match is a question word unless it starts inside a word other than a numeral (称为|什么 is not
    为什么; 第几个 asks) or is the start of a longer name or adverb (几内亚, 几经)."""
    if m.group(0)[:1] not in _QUESTION_CHARS:  # (参赛队伍数: the pattern's first character is any noun's)
        return True
    for start, end, flag in spans:
        if start < m.start() < end:
            return flag in ("m", "d")  # (第几个, 有多深 hold their question word)
        if start == m.start():
            return end <= m.end() or not flag.startswith(_NOT_ASKING_FLAGS)
    return True


def asked_unit(norm: str, focus: tuple[str, ...] = ()) -> str:
    """The unit a number question asks for: the measure word after 多少/几, else one implied by the asked noun
    (`focus`, or for English the whole question: "how much funding" → 元)."""
    m = ASK_UNIT.search(norm)
    if m:
        return m.group(1)
    for unit, nouns in UNIT_NOUNS:
        if any(noun in word for word in focus or (norm,) for noun in nouns):
            return unit
    return ""


@lru_cache(maxsize=1024)  # pure: follow-ups, the glossary search and the composer meet the same text once
def analyze_question(text: str, lexicon: Lexicon | None = None) -> Question:
    """Analyse one question (Chinese, traditional Chinese, full-width digits or English). An English question's
    words are read with the project glossary and, when given, the `lexicon` of the indexed corpus."""
    english = is_english(text)
    norm = normalize(text).strip()
    form = detect_form(norm)
    if english:
        return _english_question(text, norm, form, lexicon)
    words = pos_words(norm)
    entities, entity_words = _entities(norm, words)
    named = identity_name(norm) if form is Form.PERSON else ""
    if named:  # 赵万一是谁: the name is what the question is about, however jieba cut it (赵/万一)
        form = Form.IDENTITY
        entities = (*(e for e in entities if e.text not in named), Entity(named, EntityKind.PERSON))
        entity_words |= {w for w, _ in pos_words(named)} | {named}
    terms, focus = _terms(words, form, entity_words)
    terms, focus = _with_quoted(norm, terms, focus, entity_words)
    unit = asked_unit(norm, focus) if form is Form.NUMBER else ""
    terms, focus = tuple(t for t in terms if t != unit), tuple(f for f in focus if f != unit)
    subwords = tuple((t, tuple(s for s in tokenize(t) if s != t and len(s) >= 2)) for t in terms)
    clause = next((c for c in re.split(r"[，,；;]", norm) if QUESTION_WORD.search(c)), "")
    asked = tuple(t for t in terms if t in clause) if clause != norm else ()
    counted = _counted(words, terms, entity_words, unit) if form is Form.NUMBER else ()
    return Question(text, norm, form, unit, terms, focus, entities, False, subwords, asked=asked, counted=counted)


def _english_question(text: str, norm: str, form: Form, lexicon: Lexicon | None) -> Question:
    """An English question: glossary terms and places first, then the lexicon's corpus words for the rest."""
    terms, entities = list(english_terms(norm)), list(english_entities(norm))
    entities += [Entity(y, EntityKind.YEAR) for y in dict.fromkeys(_YEAR.findall(norm))]
    asked = re.search(r"\b(?:how many|how much|number of|which|what)\b((?:\W+[\w'-]+){1,5})", norm)
    span = asked.group(1) if asked else ""
    focus, alternatives = list(english_terms(span)), []
    for t in lexicon.translate(text) if lexicon is not None else ():
        known = [*terms, *(f for e in entities for f in e.forms)]
        if any(f in known for f in t.forms):
            continue
        if t.kind == "term" and t.forms:
            terms.append(t.forms[0])
            alternatives.append((t.forms[0], t.forms[1:]))
            if t.english.lower() in span:
                focus.append(t.forms[0])
        elif t.kind in ("name", "unknown"):  # an unknown name stays English: no paragraph has it → not found
            entities.append(Entity(t.forms[0], EntityKind.PLACE, t.forms[1:]) if t.forms
                            else Entity(t.english, EntityKind.PLACE))
    unit = asked_unit(span if asked else norm) if form is Form.NUMBER else ""
    return Question(text, norm, form, unit, tuple(terms), tuple(focus), tuple(entities), True,
                    alternatives=tuple(alternatives))


def search_query(question: str, lexicon: Lexicon | None = None) -> str:
    """The text to retrieve with: the question itself, plus for an English question the Chinese forms of its
    places and key words from the glossary and the `lexicon` (BM25 matches nothing in English; e5 matches better)."""
    if not is_english(question):
        return question
    q = analyze_question(question, lexicon)
    places = (EntityKind.PLACE, EntityKind.PROVINCE)
    extra = [f for e in q.entities if e.kind in places for f in e.forms if not is_english(f)]
    extra += [w for t in q.terms for w in (t, *q.alts(t))]
    return f"{question} {' '.join(dict.fromkeys(extra))}" if extra else question


def words_at(text: str) -> list[tuple[int, str, str]]:
    """(start, word, part of speech) of each jieba word of `text` (`pos_words` with where each word starts)."""
    out, pos = [], 0
    for word, flag in pos_words(text):
        pos = text.find(word, pos)
        out.append((pos, word, flag))
        pos += len(word)
    return out


@lru_cache(maxsize=4096)  # one question tags a few hundred texts; ~5 KB an entry at most
def pos_words(norm: str) -> tuple[tuple[str, str], ...]:
    """(word, part-of-speech) pairs from the project's jieba tokenizer and dictionary (remembered: the composer and
    the learned scorer's features tag the same candidate sentences several times, and jieba's HMM is slow)."""
    return tuple((w.word, w.flag) for w in _pos_tokenizer().cut(norm) if w.word.strip())


def _entities(norm: str, words: Sequence[tuple[str, str]]) -> tuple[tuple[Entity, ...], set[str]]:
    """Entities of a normalised question, and the words they were read from (not topic terms then)."""
    found: dict[str, Entity] = {}
    source_words: set[str] = set()
    aliases = [(alias, name) for alias, name in PLACE_ALIASES if alias in norm]
    for alias, name in aliases:  # 山城 → 重庆, 粤省 → 广东: either form counts as evidence
        found[name] = Entity(name, _place_kind(name), (alias,))
    for word, flag in words:
        if any(alias in word or word in alias for alias, _ in aliases):
            source_words.add(word)
            continue
        if word in NOT_ENTITIES or word in IMPLICIT_ENTITIES or _segmentation_artefact(word):
            continue
        if flag in ("ns", "nt") or flag == "nr" and is_person_name(word):
            core = ORG_NAME_SUFFIX.sub("", word) if flag == "nt" else word
            core = PLACE_SUFFIX.sub("", core) if len(PLACE_SUFFIX.sub("", core)) >= 2 else core
            if len(core) >= 2 and core not in STOPWORDS:
                kind = EntityKind.PROVINCE if core in PROVINCES else _FLAG_KINDS[flag]
                found.setdefault(core, Entity(core, kind))
                source_words.add(word)
    for word, flag in words:  # a named union from the domain dictionary (全国总工会), not a generic 市总工会
        m = re.fullmatch(r"(.{2,8}?)(?:总工会|工会)", word)
        if flag == "n" and m and not re.fullmatch(r"(?:[省市区县镇乡总]|基层|各级|产业|行业|企业|社区)+", m.group(1)):
            found.setdefault(word, Entity(word, EntityKind.ORG, _synonym_forms(word)))
            source_words.add(word)
    for name in PROVINCES:  # provinces hidden inside longer words (北京市总工会)
        if name in norm and name not in found:
            found[name] = Entity(name, EntityKind.PROVINCE)
    for year in _YEAR.findall(norm):
        found.setdefault(year, Entity(year, EntityKind.YEAR))
    for md in _MONTH_DAY.findall(norm):
        found.setdefault(md, Entity(md, EntityKind.DATE))
    for num, unit in _ORDINAL.findall(norm):
        digits = str(cn_to_int(num)) if not num.isdigit() else num
        text = f"第{digits}{unit}"
        found.setdefault(text, Entity(text, EntityKind.ORDINAL, (f"第{int_to_cn(int(digits))}{unit}",)))
    dated = " ".join(e.text for e in found.values() if e.kind in (EntityKind.YEAR, EntityKind.DATE, EntityKind.ORDINAL))
    for num in _NUMBER.findall(norm):
        if num not in dated:
            found.setdefault(num, Entity(num, EntityKind.NUMBER))
    return tuple(found.values()), source_words | set(found)


def _segmentation_artefact(word: str) -> bool:
    """A word jieba made up from a locative and what follows it (在出口总量中占比 → 中占比, tagged a place): it starts
    with a locative and is not in jieba's dictionary."""
    return word[0] in LOCATIVES and not jieba_tokenizer().FREQ.get(word)


def _place_kind(name: str) -> EntityKind:
    """A place name's kind: province-level names are provinces, the rest places."""
    return EntityKind.PROVINCE if name in PROVINCES else EntityKind.PLACE


def identity_name(norm: str) -> str:
    """The person a `X是谁` / `谁是X` / `X是什么人` question asks about, or "": X must look like a personal name (2-4
    characters from a common surname, `is_person_name`) that jieba reads as one name or cuts after its surname
    (赵/万一, 余/季平) — not 中国代表, 小女孩, 主席 (`鸡西市…主席是谁` asks for a name: the person form)."""
    m = _IDENTITY.match(norm)
    name = m and (m["before"] or m["after"])
    if not name or not is_person_name(name):
        return ""
    first, flag = pos_words(name)[0]
    return name if first == name and flag.startswith("nr") or len(first) == 1 else ""


def is_person_name(word: str) -> bool:
    """A jieba `nr` word that looks like a Chinese personal name: 2-4 characters starting with a common surname."""
    return 2 <= len(word) <= 4 and word[0] in SURNAMES and not word.endswith(("化", "性", "型", "业"))


def _synonym_forms(word: str) -> tuple[str, ...]:
    """Other written forms of a name from the abbreviation map (全国总工会 → 全总)."""
    from qa.index.tokens import expand_query

    return tuple(w for w in expand_query(word)[len(word):].split() if w != word)


def _terms(words: Sequence[tuple[str, str]], form: Form,
           entity_words: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    terms: list[str] = []
    focus: list[str] = []
    after_q = -1
    for i, (word, flag) in enumerate(words):
        if re.fullmatch(r"多少|几\w?|哪\w*|什么|谁|数量|比例|人数", word) or word in QUESTION_WORDS and flag == "r":
            after_q = i
            continue
        if not _is_term(word, flag) or word in entity_words or word in UNITS and i == after_q + 1:
            continue  # (the measure word of 哪所/多少个 is no topic)
        word = word[:-1] if len(word) > 2 and word.endswith("了") else word
        if word not in terms:
            terms.append(word)
        right_after = after_q >= 0 and all(f in ("q", "m") for _, f in words[after_q + 1 : i])
        if (after_q >= 0 and i - after_q <= 3 and len(focus) < (2 if form is Form.NUMBER else 1) and word not in UNITS
                and (flag in _NOUNISH or right_after and not focus)):
            focus.append(word)
    if not focus and form in _NAMED_FOCUS_FORMS:
        before = [w for w, _ in words[: max(after_q, 0)] if w in terms and w not in UNITS]
        focus = before[-1:]  # X in "X是多少" / "X包括哪些" (jieba tags some nouns as verbs: 举措)
    return tuple(terms), tuple(focus)


_COUNT_WORD = re.compile(r"多少|几\w?")
_PHRASE_FLAGS = (*_NOUNISH, "a", "b")  # words a counted phrase is made of: 全国/最美/驿站, 兼职/干部
# words between a counted phrase and the 多少 after it: 全国最美驿站[的数量是]多少, 驿站[共有]多少个
_BEFORE_COUNT = {"有", "是", "为", "共", "共有", "一共", "一共有", "总共", "达", "达到", "的", "数量", "总数", "个数"}


def _counted(words: Sequence[tuple[str, str]], terms: Sequence[str], entity_words: set[str],
             unit: str) -> tuple[str, ...]:
    """What a number question counts, as its terms (modifiers, then the head), when it writes that as one phrase of
    nouns and adjectives right after its last 多少/几 (a measure word or 是 between: 多少个是全国最美驿站) or right
    before it (全国最美驿站有多少个, 全国最美驿站的数量是多少); () when the phrase has fewer than two terms."""
    at = max((i for i, (w, _) in enumerate(words) if _COUNT_WORD.fullmatch(w)), default=-1)
    if at < 0:
        return ()

    def phrase(indices: Iterable[int]) -> list[str]:
        out = []
        for i in indices:
            word, flag = words[i]
            if word in entity_words or not flag.startswith(_PHRASE_FLAGS):
                break
            if not flag.startswith(("nr", "ns", "nt", "t")):  # a name or a time is the scope (中国乘用车), not a kind
                out.append(word)
        return out

    after = at + 1
    while after < len(words) and (words[after][1] in ("q", "m") or words[after][0] == "是"):
        after += 1
    counted = [w for w in phrase(range(after, len(words))) if w in terms and w != unit]
    if not counted:  # nothing counted after it (有多少人): what comes before
        before = at - 1
        while before >= 0 and words[before][0] in _BEFORE_COUNT:
            before -= 1
        counted = [w for w in phrase(range(before, -1, -1))[::-1] if w in terms and w != unit]
    return tuple(counted) if len(counted) >= 2 else ()


QUOTED = re.compile(r"[“\"「『‘']([^”\"」』’']{2,16})[”\"」』’']")


def _with_quoted(norm: str, terms: tuple[str, ...], focus: tuple[str, ...],
                 entity_words: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A quoted name (“四个提升”, “链条式”) is one term: it replaces the words it was cut into (terms, focus)."""
    quoted = [m.group(1) for m in QUOTED.finditer(norm) if m.group(1) not in entity_words]
    if not quoted:
        return terms, focus
    rest = [t for t in terms if not any(t in phrase for phrase in quoted)]
    inside = [next((p for p in quoted if f in p), f) for f in focus]
    return tuple(dict.fromkeys([*quoted, *rest])), tuple(dict.fromkeys(inside))


def _is_term(word: str, flag: str) -> bool:
    if word in STOPWORDS or word in QUESTION_WORDS or not re.search(r"[\w\u4e00-\u9fff]", word):
        return False
    return flag not in ("x", "uj", "ul", "uz", "ug", "ud", "uv", "y", "c", "p", "r", "m", "q", "d", "e", "o")


def cn_to_int(text: str) -> int:
    """Chinese numerals up to 99 (十, 十二, 二十, 二十五) as an int; digits pass through."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return CN_DIGITS.get(tens, 1) * 10 + CN_DIGITS.get(ones, 0)
    return CN_DIGITS.get(text, 0)


def int_to_cn(n: int) -> str:
    """1..99 in Chinese numerals (the inverse of cn_to_int)."""
    if n < 10:
        return DIGIT_NAMES[n]
    tens, ones = divmod(n, 10)
    return f"{'' if tens == 1 else DIGIT_NAMES[tens]}十{DIGIT_NAMES[ones] if ones else ''}"


@lru_cache(maxsize=1)
def _pos_tokenizer():  # noqa: ANN202 - jieba has no type stubs
    import jieba.posseg

    return jieba.posseg.POSTokenizer(jieba_tokenizer())  # the same jieba instance and union dictionary as `tokenize`


def _en_find(phrase: str, norm: str) -> bool:
    return re.search(rf"\b{re.escape(phrase)}(?:s|es)?\b", norm) is not None


def english_terms(norm: str) -> tuple[str, ...]:
    """Chinese key terms for the glossary phrases an English question contains (longest phrase wins)."""
    found: list[str] = []
    rest = norm
    for phrase, zh in EN_TERMS:
        if _en_find(phrase, rest):
            rest = re.sub(rf"\b{re.escape(phrase)}(?:s|es)?\b", " ", rest)
            if zh not in found:
                found.append(zh)
    return tuple(found)


def english_entities(norm: str) -> tuple[Entity, ...]:
    """Places an English question names, as Chinese entities (province-level names are EntityKind.PROVINCE)."""
    found = [zh for en, zh in (*EN_PLACES.items(), *EN_PLACE_PHRASES) if _en_find(en, norm)]
    return tuple(Entity(zh, _place_kind(zh)) for zh in dict.fromkeys(found))
