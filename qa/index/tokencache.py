"""The token cache of an index directory: a text's keyword tokens, kept across builds in `tokens.sqlite`.

Segmenting with jieba is most of a keyword index's build time (30 s of 33 at 10k items), and almost every text of an
incremental build was segmented by the build before. A text's key hashes the tokenizer's identity (the union
dictionary, the stopwords, the jieba and OpenCC versions: `tokenizer_id`), the segmentation and the text, so tokens
are reused only where `qa.index.tokens.tokenize` would give the same ones, and a changed dictionary segments again.
Tokens are stored NUL-joined and zlib-compressed (a token never holds a control character). Stored through
`qa.index.blobcache`, like `qa.index.vectorcache`.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from qa.index.blobcache import BlobCache
from qa.index.tokens import tokenize

TOKENS_NAME = "tokens.sqlite"
TOKENS_VERSION = 1  # raise when `tokenize` changes in a way its inputs below do not show


@cache
def tokenizer_id() -> str:
    """What `tokenize`'s output depends on besides its arguments: the union dictionary, the stopwords and the
    versions of jieba and OpenCC."""
    import jieba
    import opencc

    from qa.lexicon import STOPWORDS, USER_DICT

    parts = [str(TOKENS_VERSION), jieba.__version__, getattr(opencc, "__version__", ""),
             USER_DICT.read_text(encoding="utf-8"), "\n".join(sorted(STOPWORDS))]
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()[:16]


def token_key(text: str, segmentation: str) -> str:
    return hashlib.sha1(f"{tokenizer_id()}\0{segmentation}\0{text}".encode()).hexdigest()


class TokenCache(BlobCache):
    """Token lists by text; `tokens` returns them for a batch of texts, segmenting (and storing) only new ones.
    `segmented` counts the texts this cache had to segment since it was opened."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "tokens", "toks")
        self.segmented = 0

    def tokens(self, texts: Sequence[str], segmentation: str) -> list[list[str]]:
        """One token list per text (as `tokenize(text, segmentation)` gives it), from the cache where known."""
        keys = [token_key(t, segmentation) for t in texts]
        found = {k: _unpack(blob) for k, blob in self.get_blobs(keys).items()}
        new = {k: tokenize(t, segmentation) for k, t in zip(keys, texts, strict=True) if k not in found}
        self.segmented += len(new)
        if new:
            self.put_blobs((k, _pack(v)) for k, v in new.items())
        found.update(new)
        return [found[k] for k in keys]


def _pack(tokens: list[str]) -> bytes:
    return zlib.compress("\0".join(tokens).encode(), 1)


def _unpack(blob: bytes) -> list[str]:
    text = zlib.decompress(blob).decode()
    return text.split("\0") if text else []
