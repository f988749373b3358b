"""Question analysis (pure): the asked form (number, date, list, …), the asked unit, key terms and required entities.

`analyze_question("沙坪坝区建了多少个工会驿站？")` gives form "number", unit "个", terms (建, 工会驿站), focus
(工会驿站,) and the required entity 沙坪坝 (a place). Input is normalised first (NFKC, traditional → simplified);
English questions are read with a small domain glossary and, when the caller passes one, the corpus `Lexicon`
(qa/english.py: dictionary meanings and pinyin names), so that their places, years and key nouns can be checked
against the Chinese paragraphs. Segmentation and part-of-speech tags come from the project's one jieba tokenizer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from qa.index.tokens import STOPWORDS, normalize, place_aliases, tokenize

if TYPE_CHECKING:
    from qa.query.english import Lexicon

FORMS = ("number", "date", "list", "org", "person", "place", "explanation", "generic")

# Words that carry the question's form or point back to an earlier turn, never its topic.
QUESTION_WORDS = frozenset(
    """多少 几 哪些 哪个 哪家 哪所 哪位 哪几 哪一 哪 什么 怎么样 怎样 如何 怎么 为什么 为何 何时 时候 时间 日期 哪一年
    哪年 哪天 哪里 哪儿 在哪 何地 何处 谁 请问 一共 总共 共 分别 具体 主要 情况 内容 名称 数量 多长 多久 多大
    其中 他们 她们 它们 他 她 它 该 此 其 这个 这些 这项 这次 那个 那些 还 做 做了 是 有 了 的 呢 吗 啊 们 又
    一下 知道 告诉 介绍 请 问 能否 可以 包括 都 哪些方面 方面 地方 地点""".split()
)

# Province-level names: a question about one of them may be answered from a paragraph that names only a district,
# so they are checked against all retrieved paragraphs, not the chosen one (see answer.py).
PROVINCES = frozenset(
    """北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川
    贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门""".split()
)

# Common words jieba tags as places or names (ns/nr/nt) that never name a particular place, body or person.
NOT_ENTITIES = frozenset(
    """东西 南北 东南 西北 上下 内外 中外 城市 农村 城乡 城区 全国 全省 全市 全区 全县 地方 当地 本地 各地 外地 异地
    国内 海外 山区 沿海 内地 基层 社区 乡村 师生 员工 职工 干部 群众 工人 农民""".split()
)

_PLACE_SUFFIX = re.compile(r"(自治区|自治州|自治县|特别行政区|街道|省|市|区|县|镇|乡|村)$")
_ORG_SUFFIX = re.compile(r"(市总工会|区总工会|县总工会|省总工会|总工会|工会|有限公司|公司|集团|大学|学院|学校|医院)$")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:年|\b|(?=\D))")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2}月(?:\d{1,2}日)?)")
_ORDINAL = re.compile(r"第([0-9一二三四五六七八九十]+)(届|期|次|批|个|轮)")
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])")
UNITS = tuple("""人次 场次 万元 亿元 个 人 项 家 名 场 次 期 批 条 件 所 座 支 位 年 天 届 元 台 门 节 处 户 套 篇 份
    辆 万 %""".split())  # measure words after a quantity, longest first where one is a prefix of another
QUESTION_WORD = re.compile(r"多少|几|哪|什么|谁|怎|如何|为何|何时")  # where a question asks (its clause, what follows)
_ASK_UNIT = re.compile(r"(?:多少|(?<![那这近前后好])几)\s*(?:万|千|百|亿)?("  # 那几年 asks nothing
                       + "|".join(u for u in UNITS if u != "%") + ")")
_UNIT_NOUNS = (("元", ("资金", "经费", "金额", "钱", "款", "效益", "投入", "损失", "money", "fund", "yuan")),
               ("%", ("率", "比例", "占比", "百分", "percent", "proportion", "rate")),
               ("人", ("人数", "会员", "职工", "选手", "员工", "人员", "人才", "people", "member", "worker",
                      "participant", "player", "contestant", "employee", "person")))
_FORM_PATTERNS = (  # first match wins; English patterns run on lower-cased text
    ("number", r"多长时间|多久"),
    ("date", r"什么时候|何时|哪一年|哪年|哪一天|哪天|几月|几号|几日|什么时间|哪个月|日期|举办时间|举行时间"
             r"|\bwhen\b|what year|which year|what date|what time"),
    ("list", r"哪些|哪几|哪[“‘「\"]|哪[一二三四五六七八九十两]+[项个种类条方]|包括什么|包括哪|都有什么|分别"
             r"|有什么(?!好处|作用|意义|影响|效果|成效|变化|帮助|区别|不同|特点)"
             r"|什么(?:措施|举措|做法|办法|经验|服务|活动|项目|功能|内容)"
             r"|\b(?:which|what)\b.*\b(?:measures|services|activities|projects)\b|what (?:are|were) the|\blist\b"),
    ("org", r"哪家|哪所|哪个(?:单位|部门|组织|机构|企业|公司|学校|医院|大学|协会|团队)|什么(?:单位|机构|组织)|由谁"
            r"|谁(?=主办|承办|举办|组织|发起|牵头|打造|主导|指导|颁发)"
            r"|\bwhich (?:organi[sz]ation|company|unit|department|school|university|enterprise|institution|agency)\b"
            r"|\bwho (?:organi[sz]ed|hosted|sponsored|ran)\b"),
    ("number", r"多少|(?<![那这近前后好])几(?!乎)|数量|人数|金额|比例|占比|多大|多高|[\u4e00-\u9fff]数$"
               r"|\bhow (?:many|much|old|large|big)\b|number of"
               r"|what percentage|what (?:is|was|are|were) the (?:[\w'-]+ ){0,5}?(?:rate|percentage|proportion|number"
               r"|amount|total|size|count)\b"),
    ("person", r"谁|哪位|何人|什么人|姓名|名字|\bwho\b|\bwhose\b"),
    ("place", r"哪里|哪儿|在哪|什么地方|何地|何处|地点|哪个(?:城市|地方|区|县|市|省|基地)"
              r"|\bwhere\b|which (?:city|district|county|place|venue|province)"),
    ("explanation", r"为什么|为何|怎样|如何|怎么(?!样)|什么原因|原因|目的|意义|作用|好处|效果|成效|影响|帮助"
                    r"|\bwhy\b|\bhow\b|\bbenefits?\b"),
)
_NOUNISH = ("n", "nz", "vn", "nr", "ns", "nt", "j", "l", "eng", "an", "i", "t")


@dataclass(frozen=True)
class Entity:
    """Something the question names that the evidence must also name: a place, organisation, person or year…

    `text` is what is searched for (a place without its 区/县 suffix, an organisation's distinctive part);
    `kind` is place | province | org | person | year | date | ordinal | number; `alts` are other accepted forms.
    """

    text: str
    kind: str
    alts: tuple[str, ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.text, *self.alts)


@dataclass(frozen=True)
class Question:
    """The analysed question: normalised text, form, asked unit, key terms with their sub-words, entities."""

    text: str
    norm: str  # NFKC, simplified, lower-case
    form: str  # one of FORMS
    unit: str  # asked unit of a number question ("个", "人", "元", "%"), else ""
    terms: tuple[str, ...]  # key terms (topic words), longest segmentation
    focus: tuple[str, ...]  # the term(s) the question word asks about ("工会驿站" in 多少个工会驿站)
    entities: tuple[Entity, ...]
    english: bool = False
    subwords: tuple[tuple[str, tuple[str, ...]], ...] = ()  # term -> its shorter jieba words (partial matches)
    alternatives: tuple[tuple[str, tuple[str, ...]], ...] = ()  # term -> other words it may be written as (English)
    asked: tuple[str, ...] = ()  # terms of the clause that holds the question word (哪个项目拿了一等奖)

    def parts(self, term: str) -> tuple[str, ...]:
        return dict(self.subwords).get(term, ())

    def alts(self, term: str) -> tuple[str, ...]:
        return dict(self.alternatives).get(term, ())


def is_english(text: str) -> bool:
    """Mainly Latin letters (more Latin letters than CJK characters)."""
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return latin > 2 * cjk and latin >= 3


def detect_form(norm: str) -> str:
    """The asked form of a normalised question (first matching pattern), else "generic"."""
    for form, pattern in _FORM_PATTERNS:
        if re.search(pattern, norm):
            return form
    return "generic"


def asked_unit(norm: str, focus: tuple[str, ...] = ()) -> str:
    """The unit a number question asks for: the measure word after 多少/几, else one implied by the asked noun
    (`focus`, or for English the whole question: "how much funding" → 元)."""
    m = _ASK_UNIT.search(norm)
    if m:
        return m.group(1)
    for unit, nouns in _UNIT_NOUNS:
        if any(noun in word for word in focus or (norm,) for noun in nouns):
            return unit
    return ""


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
    terms, focus = _terms(words, form, entity_words)
    terms, focus = _with_quoted(norm, terms, focus, entity_words)
    unit = asked_unit(norm, focus) if form == "number" else ""
    terms, focus = tuple(t for t in terms if t != unit), tuple(f for f in focus if f != unit)
    subwords = tuple((t, tuple(s for s in tokenize(t) if s != t and len(s) >= 2)) for t in terms)
    clause = next((c for c in re.split(r"[，,；;]", norm) if QUESTION_WORD.search(c)), "")
    asked = tuple(t for t in terms if t in clause) if clause != norm else ()
    return Question(text, norm, form, unit, terms, focus, entities, False, subwords, asked=asked)


def _english_question(text: str, norm: str, form: str, lexicon: Lexicon | None) -> Question:
    """An English question: glossary terms and places first, then the lexicon's corpus words for the rest."""
    terms, entities = list(english_terms(norm)), list(english_entities(norm))
    entities += [Entity(y, "year") for y in dict.fromkeys(_YEAR.findall(norm))]
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
            entities.append(Entity(t.forms[0], "place", t.forms[1:]) if t.forms else Entity(t.english, "place"))
    unit = asked_unit(span if asked else norm) if form == "number" else ""
    return Question(text, norm, form, unit, tuple(terms), tuple(focus), tuple(entities), True,
                    alternatives=tuple(alternatives))


def search_query(question: str, lexicon: Lexicon | None = None) -> str:
    """The text to retrieve with: the question itself, plus for an English question the Chinese forms of its
    places and key words from the glossary and the `lexicon` (BM25 matches nothing in English; e5 matches better)."""
    if not is_english(question):
        return question
    q = analyze_question(question, lexicon)
    extra = [f for e in q.entities if e.kind in ("place", "province") for f in e.forms if not is_english(f)]
    extra += [w for t in q.terms for w in (t, *q.alts(t))]
    return f"{question} {' '.join(dict.fromkeys(extra))}" if extra else question


def pos_words(norm: str) -> list[tuple[str, str]]:
    """(word, part-of-speech) pairs from the project's jieba tokenizer and dictionary."""
    return [(w.word, w.flag) for w in _pos_tokenizer().cut(norm) if w.word.strip()]


def _entities(norm: str, words: list[tuple[str, str]]) -> tuple[tuple[Entity, ...], set[str]]:
    """Entities of a normalised question, and the words they were read from (not topic terms then)."""
    found: dict[str, Entity] = {}
    source_words: set[str] = set()
    aliases = [(alias, name) for alias, name in place_aliases() if alias in norm]
    for alias, name in aliases:  # 山城 → 重庆, 粤省 → 广东: either form counts as evidence
        found[name] = Entity(name, "province" if name in PROVINCES else "place", (alias,))
    for word, flag in words:
        if any(alias in word or word in alias for alias, _ in aliases):
            source_words.add(word)
            continue
        if word in NOT_ENTITIES:
            continue
        if flag in ("ns", "nt") or flag == "nr" and is_person_name(word):
            core = _ORG_SUFFIX.sub("", word) if flag == "nt" else word
            core = _PLACE_SUFFIX.sub("", core) if len(_PLACE_SUFFIX.sub("", core)) >= 2 else core
            if len(core) >= 2 and core not in STOPWORDS:
                kind = "province" if core in PROVINCES else {"ns": "place", "nt": "org", "nr": "person"}[flag]
                found.setdefault(core, Entity(core, kind))
                source_words.add(word)
    for word, flag in words:  # a named union from the domain dictionary (全国总工会), not a generic 市总工会
        m = re.fullmatch(r"(.{2,8}?)(?:总工会|工会)", word)
        if flag == "n" and m and not re.fullmatch(r"(?:[省市区县镇乡总]|基层|各级|产业|行业|企业|社区)+", m.group(1)):
            found.setdefault(word, Entity(word, "org", _synonym_forms(word)))
            source_words.add(word)
    for name in PROVINCES:  # provinces hidden inside longer words (北京市总工会)
        if name in norm and name not in found:
            found[name] = Entity(name, "province")
    for year in _YEAR.findall(norm):
        found.setdefault(year, Entity(year, "year"))
    for md in _MONTH_DAY.findall(norm):
        found.setdefault(md, Entity(md, "date"))
    for num, unit in _ORDINAL.findall(norm):
        digits = str(cn_to_int(num)) if not num.isdigit() else num
        text = f"第{digits}{unit}"
        found.setdefault(text, Entity(text, "ordinal", (f"第{int_to_cn(int(digits))}{unit}",)))
    dated = " ".join(e.text for e in found.values() if e.kind in ("year", "date", "ordinal"))
    for num in _NUMBER.findall(norm):
        if num not in dated:
            found.setdefault(num, Entity(num, "number"))
    return tuple(found.values()), source_words | set(found)


_SURNAMES = frozenset("""王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗
    郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏
    吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦
    邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔
    向 汤 常 温 康 施 文 牛 樊 葛 邢 安 齐 易 乔 伍 庞 颜 倪 庄 聂 章 鲁 岳 翟 殷
    詹 申 欧 耿 关 兰 焦 俞 左 柳 甘 祝 包 宁 尚 符 舒 阮 柯 纪 梅 童 凌 毕 单 季
    裴 霍 涂 成 苗 谷 盛 曲 翁 冉 骆 蓝 路 游 辛 靳 管 柴 蒙 鲍 华 喻 祁 蒲 房 滕
    屈 饶 解 牟 艾 尤 阳 时 穆 农 司 卓 古 吉 缪 简 车 项 连 芦 麦 褚 娄 窦 戚 岑
    景 党 宫 费 卜 冷 晏 席 卫 米 柏 宗 瞿 桂 全 佟 应 臧 闵 苟 邬 边 卞 姬 师 和
    仇 栾 隋 商 刁 沙 荣 巫 寇 桑 郎 甄 丛 仲 虞 敖 巩 明 佘 池 查 麻 苑 迟 邝""".split())


def is_person_name(word: str) -> bool:
    """A jieba `nr` word that looks like a Chinese personal name: 2-4 characters starting with a common surname."""
    return 2 <= len(word) <= 4 and word[0] in _SURNAMES and not word.endswith(("化", "性", "型", "业"))


def _synonym_forms(word: str) -> tuple[str, ...]:
    """Other written forms of a name from the abbreviation map (全国总工会 → 全总)."""
    from qa.index.tokens import expand_query

    return tuple(w for w in expand_query(word)[len(word):].split() if w != word)


def _terms(words: list[tuple[str, str]], form: str,
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
        if (after_q >= 0 and i - after_q <= 3 and len(focus) < (2 if form == "number" else 1) and word not in UNITS
                and (flag in _NOUNISH or right_after and not focus)):
            focus.append(word)
    if not focus and form in ("number", "list", "date", "person", "place"):
        before = [w for w, _ in words[: max(after_q, 0)] if w in terms and w not in UNITS]
        focus = before[-1:]  # X in "X是多少" / "X包括哪些" (jieba tags some nouns as verbs: 举措)
    return tuple(terms), tuple(focus)


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


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(text: str) -> int:
    """Chinese numerals up to 99 (十, 十二, 二十, 二十五) as an int; digits pass through."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)
    return _CN_DIGITS.get(text, 0)


def int_to_cn(n: int) -> str:
    """1..99 in Chinese numerals (the inverse of cn_to_int)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return f"{'' if tens == 1 else digits[tens]}十{digits[ones] if ones else ''}"


@lru_cache(maxsize=1)
def _pos_tokenizer():  # noqa: ANN202 - jieba has no type stubs
    import jieba.posseg

    from qa.index.tokens import _jieba  # the same jieba instance and union dictionary as `tokenize`

    return jieba.posseg.POSTokenizer(_jieba())


# A small English → Chinese glossary of this domain, so English questions can be checked against Chinese text.
EN_PLACES = dict(line.split(":") for line in """beijing:北京 tianjin:天津 shanghai:上海
    chongqing:重庆 hebei:河北 shanxi:山西 liaoning:辽宁 jilin:吉林
    heilongjiang:黑龙江 jiangsu:江苏 zhejiang:浙江 anhui:安徽
    fujian:福建 jiangxi:江西 shandong:山东 henan:河南 hubei:湖北
    hunan:湖南 guangdong:广东 hainan:海南 sichuan:四川
    guizhou:贵州 yunnan:云南 shaanxi:陕西 gansu:甘肃 qinghai:青海
    taiwan:台湾 guangxi:广西 tibet:西藏 ningxia:宁夏 xinjiang:新疆
    macau:澳门 guangzhou:广州 shenzhen:深圳 hangzhou:杭州
    nanjing:南京 wuhan:武汉 chengdu:成都 nanchang:南昌
    taizhou:台州 jiaojiang:椒江 yuzhong:渝中 jiangbei:江北
    shapingba:沙坪坝 jiulongpo:九龙坡 beibei:北碚 yubei:渝北
    banan:巴南 fuling:涪陵 wanzhou:万州 qianjiang:黔江
    changshou:长寿 jiangjin:江津 hechuan:合川 yongchuan:永川
    nanchuan:南川 qijiang:綦江 dazu:大足 bishan:璧山
    tongliang:铜梁 tongnan:潼南 rongchang:荣昌 kaizhou:开州
    liangping:梁平 wulong:武隆 chengkou:城口 fengdu:丰都
    dianjiang:垫江 yunyang:云阳 fengjie:奉节 wushan:巫山 wuxi:巫溪
    shizhu:石柱 xiushan:秀山 youyang:酉阳 pengshui:彭水
    liangjiang:两江""".split())
EN_TERMS = (  # longest phrases first; a word also matches with a plural -s/-es
    ("unionization rate", "建会率"), ("small three-level", "小三级"), ("workers' congress", "职代会"),
    ("democratic management", "民主管理"), ("factory affairs", "厂务公开"), ("model worker studio", "劳模创新工作室"),
    ("women worker", "女职工"), ("female worker", "女职工"), ("migrant worker", "农民工"), ("first prize", "一等奖"),
    ("rural revitalization", "乡村振兴"), ("poverty alleviation", "脱贫"), ("epidemic prevention", "疫情防控"),
    ("medical check", "体检"), ("unpaid wage", "欠薪"), ("ride-hailing", "网约车"), ("truck driver", "货车司机"),
    ("delivery rider", "外卖"), ("reading room", "职工书屋"), ("heatstroke", "防暑降温"), ("state-owned", "国有"),
    ("all-china federation of trade unions", "全国总工会"), ("federation of trade unions", "总工会"),
    ("trade union", "工会"), ("union", "工会"), ("outdoor worker", "户外劳动者"), ("service station", "服务站"),
    ("station", "驿站"), ("new forms of employment", "新就业形态"), ("new employment form", "新就业形态"),
    ("gig worker", "新就业形态"), ("model worker", "劳模"), ("industrial worker", "产业工人"),
    ("collective bargaining", "集体协商"), ("collective negotiation", "集体协商"), ("legal supervision", "法律监督"),
    ("labor dispute", "劳动争议"), ("labour dispute", "劳动争议"), ("legal aid", "法律援助"),
    ("innovation studio", "创新工作室"), ("quality of life", "生活品质"), ("vice chairman", "副主席"),
    ("vice-chairman", "副主席"), ("vice chair", "副主席"), ("part-time", "兼职"), ("summer camp", "夏令营"),
    ("mental health", "心理"), ("psychological", "心理"), ("bachelor", "本科"), ("degree", "学历"),
    ("worker", "职工"), ("employee", "职工"), ("member", "会员"), ("craftsman", "工匠"), ("craftsmen", "工匠"),
    ("competition", "竞赛"), ("contest", "竞赛"), ("skill", "技能"), ("training", "培训"), ("mediation", "调解"),
    ("dispute", "纠纷"), ("matchmaking", "婚恋"), ("dating", "婚恋"), ("marriage", "婚恋"), ("innovation", "创新"),
    ("achievement", "成果"), ("patent", "专利"), ("reform", "改革"), ("case", "案例"), ("column", "专刊"),
    ("newspaper", "报"), ("lecture", "讲座"), ("children", "子女"), ("needy", "困难"), ("fund", "资金"),
    ("pilot", "试点"), ("lunch", "午餐"), ("smart", "智能"), ("intelligent", "智能"), ("upgrade", "升级"),
    ("grassroots", "基层"), ("organization", "组织"), ("organisation", "组织"), ("economic benefit", "经济效益"),
    ("exhibition", "展"), ("conference", "大会"), ("project", "项目"), ("electric power", "电力"),
    ("electricity", "电力"), ("postal", "邮政"), ("courier", "快递"), ("express delivery", "快递"),
    ("childcare", "托育"), ("alliance", "联盟"), ("participant", "参赛"), ("contestant", "选手"),
    ("player", "选手"), ("team", "队伍"), ("national", "全国"), ("epidemic", "疫情"), ("pandemic", "疫情"),
    ("prevention", "防控"), ("health", "健康"), ("lawyer", "律师"), ("legal", "法律"), ("arbitration", "仲裁"),
    ("safety", "安全"), ("youth", "青年"), ("single", "单身"), ("volunteer", "志愿"), ("culture", "文化"),
    ("cultural", "文化"), ("sport", "体育"), ("driver", "司机"), ("retiree", "退休"), ("enterprise", "企业"),
    ("company", "企业"), ("companies", "企业"), ("award", "奖"), ("prize", "奖"), ("final", "决赛"),
    ("vocational", "职业"), ("school", "学校"), ("university", "大学"), ("college", "学院"), ("graduate", "毕业"),
    ("student", "学生"), ("teacher", "教师"), ("kindergarten", "幼儿园"), ("tourism", "旅游"), ("mediator", "调解员"),
    ("lawsuit", "诉讼"), ("hotline", "热线"), ("counseling", "心理"), ("donation", "捐赠"), ("poverty", "困难"),
    ("family", "家庭"), ("families", "家庭"), ("rate", "率"), ("budget", "预算"), ("salary", "工资"), ("wage", "工资"),
    ("subsidy", "补贴"), ("subsidies", "补贴"), ("community", "社区"), ("communities", "社区"),
)


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
    """Places an English question names, as Chinese entities (province-level names are kind "province")."""
    found = [zh for en, zh in EN_PLACES.items() if _en_find(en, norm)]
    if _en_find("hong kong", norm):
        found.append("香港")
    if _en_find("inner mongolia", norm):
        found.append("内蒙古")
    return tuple(Entity(zh, "province" if zh in PROVINCES else "place") for zh in dict.fromkeys(found))
