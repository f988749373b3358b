"""The kinds of question analysis as enums: `Form`, what a question asks for (each has one rule entry in the answer
composer, qa/answer/forms.py), and `EntityKind`, what a name the question gives is. Both are str enums: they
print, compare and serialise as their plain names ("number", "place")."""

from __future__ import annotations

from enum import StrEnum


class Form(StrEnum):
    """The asked form; a str enum, so it prints, compares and serialises as its plain name ("number")."""

    NUMBER = "number"  # 多少, 几, how many
    DATE = "date"  # 何时, 哪一年, when
    LIST = "list"  # 哪些, 包括什么, which … measures
    ORG = "org"  # 哪家, 由谁主办, which organisation
    PERSON = "person"  # 谁, 哪位, who
    IDENTITY = "identity"  # X是谁, 谁是X about a named person: who X is (a role, a description), not a name
    PLACE = "place"  # 哪里, 在哪, where
    TITLE = "title"  # 哪部电影, 什么节目: a work's title, usually in 《》
    EXPLANATION = "explanation"  # 为什么, 怎样, 有什么作用, why/how
    GENERIC = "generic"  # anything else


class EntityKind(StrEnum):
    """What a required entity of a question is."""

    PLACE = "place"  # 沙坪坝, 云阳
    PROVINCE = "province"  # 重庆, 广东: may be left implicit when a place inside it is named
    ORG = "org"  # 全国总工会
    PERSON = "person"  # 卢柯宇
    YEAR = "year"  # 2023 (also matched by an article's date)
    DATE = "date"  # 5月12日
    ORDINAL = "ordinal"  # 第三届
    NUMBER = "number"  # 174 (matched as a whole number)
