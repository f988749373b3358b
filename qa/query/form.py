"""What a question asks for: the `Form` enum. Each form has one rule entry in the answer composer
(qa/answer/forms.py: how a sentence is scored for it, how its short answer is extracted, its length cap)."""

from __future__ import annotations

from enum import StrEnum


class Form(StrEnum):
    """The asked form; a str enum, so it prints, compares and serialises as its plain name ("number")."""

    NUMBER = "number"  # 多少, 几, how many
    DATE = "date"  # 何时, 哪一年, when
    LIST = "list"  # 哪些, 包括什么, which … measures
    ORG = "org"  # 哪家, 由谁主办, which organisation
    PERSON = "person"  # 谁, 哪位, who
    PLACE = "place"  # 哪里, 在哪, where
    EXPLANATION = "explanation"  # 为什么, 怎样, 有什么作用, why/how
    GENERIC = "generic"  # anything else
