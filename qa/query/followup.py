"""Follow-up resolution (pure, rule-based): turn a short or anaphoric question into a standalone query.

Three cases, tried in order against the last user question (itself resolved first, so chains work):
- "那江北区呢？" / "And Jiangbei?": the new name replaces the name of the same kind (place, organisation, person,
  year) in the previous question — "沙坪坝区建了多少个工会驿站？" → "江北区建了多少个工会驿站？"; a plain noun
  replaces the previous question's asked-about term.
- a pronoun standing for the previous subject ("他们还做了什么？") is replaced by that subject (沙坪坝区总工会);
- other anaphors ("其中多少个智能化升级了？", "这个活动什么时候举办的？") or a question with no topic of its own
  ("为什么？") get the previous question's names and noun phrases put in front.
A question that names its own topic and has no anaphor is returned unchanged, so it never drags in the old topic.
Units, question words, place suffixes and the English place names come from the domain lexicon (qa/lexicon.py).
"""

from __future__ import annotations

import re

from qa.index.tokens import normalize
from qa.lexicon import ASKED_UNITS, EN_PLACES, MEASURE_CHARS, QUESTION_WORD, SUBJECT_WORD, SURFACE_SUFFIX
from qa.query.kinds import EntityKind
from qa.query.question import (
    QUOTED,
    Question,
    analyze_question,
    english_entities,
    is_english,
    is_person_name,
    pos_words,
)

PRONOUNS = re.compile(r"他们|她们|它们|(?<![其吉])他(?!人)|她|(?<![其])它|该(?:单位|组织|会|工会|区|县|市|公司|企业)")
ANAPHORS = re.compile(r"其中|这(?:个|些|项|次|场|里|位|家|一|两|几)|此(?:次|项|外)?(?=[\u4e00-\u9fff])|上述"
                      r"|那(?:个|些|次|里|位|家)"
                      r"|当地|以上|同期|(?<!应)该(?=[\u4e00-\u9fff])")
EN_ANAPHORS = re.compile(r"\b(?:it|its|they|them|their|those|these|this|that|there|he|she|his|her)\b", re.IGNORECASE)
SWAP = re.compile(r"^(?:那么?|还有|那么请问|请问)?\s*(?P<x>[^，,？?。]{1,16}?)(?:的情况|的)?"
                  r"(?:呢|怎么样|又如何|情况如何|如何)[？?。!！\s]*$")
EN_LEAD = re.compile(r"^\s*(?:and|also|then)\b", re.IGNORECASE)
EN_SWAP = re.compile(r"^\s*(?:and|what about|how about)\s+(?P<x>[^?]{1,40}?)\s*[?.!]*\s*$", re.IGNORECASE)
ELLIPSIS_MAX_TERMS = 2  # a question with no names and at most this many key terms continues the previous topic
_MEASURE_AFTER_QWORD = re.compile(rf"(多少|几)(?:万|千|百)?(?:{ASKED_UNITS})")
_KIND_GROUP = {kind: kind for kind in EntityKind} | {EntityKind.PROVINCE: EntityKind.PLACE}  # what a swap may replace
_NAME_FLAGS = ("ns", "nt", "nr")
_QUESTION_PART = re.compile(
    rf"(?:是|有|为)?(?:多少|几)(?:万|千|百)?[{MEASURE_CHARS}]?|什么时候|什么时间"
    r"|哪一年|哪年|何时|哪些|哪几[个项种类]?|哪个|哪家|哪所|在哪里|在哪儿|在哪|哪里|哪儿|什么|谁|如何|怎样|怎么样|怎么"
    r"|为什么|为何|是否"
    r"|[吗呢]|^请问")


def resolve_followup(question: str, history: list[dict[str, str]]) -> str:
    """A standalone query for `question` given earlier role/content turns (oldest first)."""
    previous = ""
    answer_after: dict[int, str] = {}
    user_turns: list[str] = []
    for turn in history:
        content = (turn.get("content") or "").strip()
        if turn.get("role") == "assistant" and user_turns:
            answer_after[len(user_turns) - 1] = content
        elif turn.get("role") != "assistant" and content:
            user_turns.append(content)
    if user_turns and user_turns[-1] == question.strip():
        user_turns.pop()  # the caller included the current question in the history
    for i, turn in enumerate(user_turns):
        previous = _resolve_one(turn, previous, answer_after.get(i - 1, ""))
    return _resolve_one(question.strip(), previous, answer_after.get(len(user_turns) - 1, ""))


def is_followup(question: str) -> bool:
    """True when the question points back (anaphor, 那X呢) or has no topic of its own."""
    if is_english(question):
        own = analyze_question(question)
        return _en_swap(question) is not None or bool(EN_ANAPHORS.search(question) or EN_LEAD.match(question)) and not (
            own.entities or len(own.terms) > 1)
    norm = normalize(question)
    if SWAP.match(norm) and not _has_question_word(SWAP.match(norm).group("x")):
        return True
    q = analyze_question(question)
    if ANAPHORS.search(norm) or PRONOUNS.search(norm):
        return not q.entities or len(q.terms) <= 1
    return not q.terms and not q.entities


def is_elliptical(question: str, previous: str) -> bool:
    """A short question without names of its own ("发展了多少会员？") after one that had names continues it."""
    if not previous or is_english(question):
        return False
    q = analyze_question(question)
    named = bool(analyze_question(previous).entities) or bool(QUOTED.search(normalize(previous)))  # or “今日工会”
    return not q.entities and len(q.terms) <= ELLIPSIS_MAX_TERMS and named


def _resolve_one(question: str, previous: str, previous_answer: str = "") -> str:
    if not previous or not question or not (is_followup(question) or is_elliptical(question, previous)):
        return question
    if is_english(question) and (x := _en_swap(question)):
        return _swap(previous, x, english=True)
    norm = normalize(question)
    m = SWAP.match(norm)
    if m and not _has_question_word(m.group("x")):
        return _swap(previous, m.group("x").strip(), english=False)
    subject = _subject(previous) or _subject(previous_answer)
    if subject and not is_english(question) and PRONOUNS.search(norm):
        return PRONOUNS.sub(subject, norm, count=1)
    return f"{topic_of(previous)} {question}".strip()


def _swap(previous: str, x: str, english: bool) -> str:
    """Put `x` in place of the previous question's name of the same kind (or its asked-about term)."""
    new = _entity_of(x, english)
    if new is not None:
        kind, core, surface = new
        for p_kind, p_core, p_surface, start in _located_entities(previous):
            if _KIND_GROUP[p_kind] == _KIND_GROUP[kind]:
                if is_english(previous):  # Shapingba → Jiangbei (the place word only; "District" stays)
                    old, repl = p_surface, _english_place_word(x) or x
                else:  # 沙坪坝区 → 江北区, or 沙坪坝 → 江北 keeping the old suffix when X has none
                    old, repl = (p_surface, surface) if surface != core else (p_core, surface)
                return previous[:start] + previous[start:].replace(old, repl, 1)
        return f"{surface}{previous}" if kind in (EntityKind.YEAR, EntityKind.DATE) else f"{surface} {previous}"
    q = analyze_question(previous)
    if q.focus and all(f in previous for f in q.focus):
        first = min(previous.index(f) for f in q.focus)
        last = max(previous.index(f) + len(f) for f in q.focus)
        swapped = previous[:first] + x + previous[last:]
        return _MEASURE_AFTER_QWORD.sub(r"\1", swapped)  # 多少人 → 多少: the new noun brings its own unit
    return f"{' '.join(_names(previous))} {x} {previous}".strip()


def _english_place_word(x: str) -> str:
    low = x.lower()
    for en in EN_PLACES:
        pos = low.find(en)
        if pos >= 0:
            return x[pos : pos + len(en)]
    return ""


def _entity_of(x: str, english: bool) -> tuple[EntityKind, str, str] | None:
    """(kind, core, surface) of the name `x` names, if it is one."""
    if english:
        found = english_entities(normalize(x))
        return (found[0].kind, found[0].text, found[0].text) if found else None
    q = analyze_question(x)
    for e in q.entities:
        surface = next((w for w, _ in pos_words(q.norm) if e.text in w and len(w) <= len(e.text) + 1), e.text)
        if e.kind is EntityKind.YEAR:
            surface = f"{e.text}年" if f"{e.text}年" in q.norm else e.text
        return e.kind, e.text, surface
    return None


def _located_entities(previous: str) -> list[tuple[EntityKind, str, str, int]]:
    """(kind, core, surface, position) of the previous question's entities, as written in it."""
    out = []
    if is_english(previous):
        low = previous.lower()
        for en, zh in EN_PLACES.items():
            pos = low.find(en)
            if pos >= 0:
                out.append((EntityKind.PLACE, zh, previous[pos : pos + len(en)], pos))
        return sorted(out, key=lambda t: t[3])
    q: Question = analyze_question(previous)
    norm = q.norm
    for e in q.entities:
        pos = norm.find(e.text)
        if pos < 0:
            continue
        suffix = SURFACE_SUFFIX.match(norm[pos + len(e.text):])
        surface = previous[pos : pos + len(e.text) + (len(suffix.group(0)) if suffix else 0)]
        out.append((e.kind, previous[pos : pos + len(e.text)], surface, pos))
    return sorted(out, key=lambda t: t[3])


def _subject(text: str) -> str:
    """The first named organisation, place or person of `text` with the words that complete it (沙坪坝区总工会)."""
    if not text or is_english(text):
        return ""
    words = pos_words(normalize(text))
    for i, (word, flag) in enumerate(words):
        if flag in _NAME_FLAGS and (flag != "nr" or is_person_name(word)):
            phrase = word
            for nxt, nflag in words[i + 1 : i + 3]:
                if nflag in ("n", "nt", "j") and SUBJECT_WORD.search(nxt):
                    phrase += nxt
                else:
                    break
            return phrase
    return ""


def _names(text: str) -> list[str]:
    return [w for w, f in pos_words(normalize(text)) if f in _NAME_FLAGS]


def topic_of(question: str) -> str:
    """The question without its question words and final punctuation: its topic, in its own words
    ("沙坪坝区建了多少个工会驿站？" → "沙坪坝区建了工会驿站")."""
    if is_english(question):  # "How many … teams are active in Shenyang?" → "teams are active in Shenyang"
        return re.sub(r"^\s*(?:how (?:many|much)|what|which|who|when|where|why|how)\b\s*|[\s?.!]+$", "",
                      question.strip(), flags=re.IGNORECASE)
    return re.sub(r"[？?。!！,，\s]+$", "", _QUESTION_PART.sub("", question.strip())).strip()


def _en_swap(question: str) -> str | None:
    """X of "And X?" / "What about X?" when X is a short name or noun phrase, not a new question."""
    m = EN_SWAP.match(question)
    x = m.group("x") if m else ""
    if not x or len(x.split()) > 4 or re.search(r"\b(?:how|what|when|where|who|which|why|many|much)\b", x, re.I):
        return None
    return x


def _has_question_word(x: str) -> bool:
    return bool(QUESTION_WORD.search(x)) or "是否" in x
