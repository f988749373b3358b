"""union-qa (工会资讯问答): cited question answering over Chinese trade-union news.

    from qa import QA, Settings
    qa = QA.open(Settings(corpus_dir=Path("corpus"), index_dir=Path("index")))
    answer = qa.ask("沙坪坝区建了多少个工会驿站？")

Importing the package is cheap; torch and the model load only when an index is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qa.errors import CorpusError, IndexStateError, ModelError, QAError
from qa.schema import Answer, Article, Chunk, Citation, Hit, Paragraph
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.api import QA

__all__ = ["QA", "Answer", "Article", "Chunk", "Citation", "Hit", "Paragraph", "Settings",
           "QAError", "CorpusError", "IndexStateError", "ModelError"]


def __getattr__(name: str) -> Any:
    if name == "QA":
        from qa.api import QA

        return QA
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
