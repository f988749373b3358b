"""Evaluation metrics as pure functions: relevance matching, retrieval, answers (CMRC 2018 EM/F1), citations, latency.

Retrieval metrics follow sentence-transformers' `InformationRetrievalEvaluator` (accuracy@k, MRR@k, nDCG@k with
binary gains and a log2 discount). EM/F1 reproduce the official CMRC 2018 evaluation script
(github.com/ymcui/cmrc2018, `squad-style-data/cmrc2018_evaluate.py`, v5), including its quirks.
Every rate is a float in [0, 1].
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

# ---------------------------------------------------------------- matching (answers, evidence, citations)

_PUNCT_FOLD = str.maketrans({"。": ".", "、": ",", "“": '"', "”": '"', "„": '"', "‘": "'", "’": "'",
                             "【": "[", "】": "]", "〔": "(", "〕": ")", "「": '"', "」": '"', "『": '"', "』": '"',
                             "—": "-", "–": "-", "－": "-", "〜": "~"})
_SPACE = re.compile(r"\s+")
_MARKER = re.compile(r"\[\d+\]")


def match_key(s: str) -> str:
    """The key by which scoring compares answers, evidence and paragraphs: NFKC (full-width letters, digits, ，：？（）
    become ASCII), the remaining CJK punctuation folded to its ASCII twin (。→. 、→, “”→\"), all whitespace removed,
    lower-cased. (Matching questions with text is `qa.index.tokens.normalize`.)"""
    return _SPACE.sub("", unicodedata.normalize("NFKC", s).translate(_PUNCT_FOLD)).lower()


def strip_markers(text: str) -> str:
    """The answer text without its `[n]` citation markers."""
    return _MARKER.sub("", text)


def is_relevant(paragraph_text: str, evidence: str) -> bool:
    """True when the normalised evidence is a substring of the normalised paragraph; empty evidence matches nothing."""
    needle = match_key(evidence)
    return bool(needle) and needle in match_key(paragraph_text)


def answer_correct(answer_text: str, groups: Sequence[Sequence[str]]) -> bool:
    """True when every group has at least one alternative inside the answer (normalised, `[n]` markers ignored).

    `groups` is `[[alt, alt], [alt]]`: all groups must appear, any alternative of a group counts. No groups: False.
    """
    text = match_key(strip_markers(answer_text))
    alternatives = [[match_key(a) for a in group if match_key(a)] for group in groups]
    return bool(alternatives) and all(any(a in text for a in group) for group in alternatives)


def article_of(paragraph_id: str) -> str:
    """The article (news item) id of a paragraph id `<article-id>#p<n>`; an id without `#p<n>` is its own article."""
    head, sep, n = paragraph_id.rpartition("#p")
    return head if sep and n.isdigit() else paragraph_id


def in_docs(paragraph_id: str, doc_ids: Sequence[str]) -> bool:
    """True when the paragraph belongs to one of the gold items `doc_ids` (relevance by document, not by evidence)."""
    return article_of(paragraph_id) in doc_ids


# ---------------------------------------------------------------- retrieval (sentence-transformers definitions)


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k!r}")


def hit_at_k(ranked_relevance: Sequence[bool], k: int) -> float:
    """accuracy@k: 1.0 when a relevant item is among the first k, else 0.0."""
    _check_k(k)
    return 1.0 if any(ranked_relevance[:k]) else 0.0


def mrr_at_k(ranked_relevance: Sequence[bool], k: int) -> float:
    """Reciprocal rank (1-based) of the first relevant item among the first k, else 0.0."""
    _check_k(k)
    return next((1.0 / rank for rank, rel in enumerate(ranked_relevance[:k], start=1) if rel), 0.0)


def dcg_at_k(gains: Sequence[float], k: int) -> float:
    """Sum of gain_i / log2(i + 1) over 1-based positions i <= k."""
    return sum(float(g) / math.log2(i + 2) for i, g in enumerate(gains[:k]))


def ndcg_at_k(ranked_relevance: Sequence[bool], k: int, n_relevant: int | None = None) -> float:
    """Binary-gain nDCG@k. The ideal DCG puts `n_relevant` relevant items first (capped at k); by default
    `n_relevant` is the number of relevant items in the list, as the full set is unknown. No relevant item: 0.0."""
    _check_k(k)
    n = sum(bool(r) for r in ranked_relevance) if n_relevant is None else n_relevant
    ideal = dcg_at_k([1.0] * min(n, k), k)
    return dcg_at_k([1.0 if r else 0.0 for r in ranked_relevance], k) / ideal if ideal > 0 else 0.0


# ---------------------------------------------------------------- CMRC 2018 EM / F1 (official script, faithfully)

# The official list of characters CMRC removes. "……" is a two-character entry and so never matches a single char,
# and ASCII , . ; ! ? ( ) are not in it: both quirks are kept, as in the official script.
CMRC_PUNCT = frozenset(["-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=", "，", "。", "：", "？", "！", "“",
                        "”", "；", "’", "《", "》", "……", "·", "、", "「", "」", "（", "）", "－", "～", "『", "』"])
_CJK = re.compile("[\u4e00-\u9fa5]")  # the official script's range


def mixed_segmentation(text: str, rm_punc: bool = False) -> list[str]:
    """CMRC segmentation: lower-case and strip; each CJK character (U+4E00-U+9FA5) and each CMRC punctuation mark is a
    token, runs of anything else go through the word tokenizer. With `rm_punc`, punctuation is skipped *without*
    ending the current run ("ab-cd" -> ["abcd"]), exactly as the official script does."""
    out: list[str] = []
    run = ""
    for char in text.lower().strip():
        if rm_punc and char in CMRC_PUNCT:
            continue
        if _CJK.search(char) or char in CMRC_PUNCT:
            if run:
                out.extend(word_tokenize(run))
                run = ""
            out.append(char)
        else:
            run += char
    if run:
        out.extend(word_tokenize(run))
    return out


# NLTK's word tokenizer (NLTKWordTokenizer, the Treebank rules behind nltk.word_tokenize), re-expressed without the
# nltk dependency. Not reproduced: punkt sentence splitting (inner "word." periods stay attached, as inside one
# sentence) and the MacIntyre contractions (cannot -> can not). Both only touch English prose.
_TB_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), r) for p, r in (
    (r"([«“‘„]|`+)", r" \1 "), (r'^"', "``"), (r"(``)", r" \1 "), (r"([ (\[{<])(\"|'{2})", r"\1 `` "),
    (r"(?i)(?<!\w)(')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)", r"\1 "),  # starting quotes
    (r"([^.])(\.)([\])}>\"'»”’ ]*+)\s*$", r"\1 \2 \3 "), (r"([:,])([^\d])", r" \1 \2"), (r"([:,])$", r" \1 "),
    (r"\.{2,}", r" \g<0> "), (r"[;@#$%&]", r" \g<0> "), ("[\u2012-\u2015]", r" \g<0> "),
    (r"([^.])(\.)([\])}>\"']*)\s*$", r"\1 \2\3 "), (r"[?!]", r" \g<0> "), (r"([^'])' ", r"\1 ' "),
    (r"[*]", r" \g<0> "),  # punctuation
    (r"[\]\[(){}<>]", r" \g<0> "), (r"--", r" -- "),  # brackets, double dashes
))
_TB_END: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), r) for p, r in (
    (r"([»”’])", r" \1 "), (r"''", " '' "), (r'"', " '' "), (r"\s+", " "),
    (r"([^' ])('[sS]|'[mM]|'[dD]|') ", r"\1 \2 "), (r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", r"\1 \2 "),
))


def word_tokenize(text: str) -> list[str]:
    """Treebank-style tokens of a non-Chinese run: "3.5%" -> ["3.5", "%"], "1,000" stays, "(AI)" -> ["(", "AI", ")"]."""
    for pattern, repl in _TB_RULES:
        text = pattern.sub(repl, text)
    text = f" {text} "
    for pattern, repl in _TB_END:
        text = pattern.sub(repl, text)
    return text.split()


def remove_punctuation(text: str) -> str:
    """CMRC EM normalisation: lower-case, strip, drop the CMRC punctuation characters (inner spaces stay)."""
    return "".join(c for c in text.lower().strip() if c not in CMRC_PUNCT)


def find_lcs(a: Sequence[str], b: Sequence[str]) -> tuple[list[str], int]:
    """Longest common *contiguous* token run of a and b (the first one found in a), and its length."""
    best, end = 0, 0
    prev = [0] * (len(b) + 1)
    for i in range(len(a)):
        cur = [0] * (len(b) + 1)
        for j in range(len(b)):
            if a[i] == b[j]:
                cur[j + 1] = prev[j] + 1
                if cur[j + 1] > best:
                    best, end = cur[j + 1], i + 1
        prev = cur
    return list(a[end - best : end]), best


def _golds(golds: Sequence[str]) -> Sequence[str]:
    if isinstance(golds, str) or not golds:
        raise ValueError(f"golds must be a non-empty list of answer strings, got {golds!r}")
    return golds


def cmrc_f1(prediction: str, golds: Sequence[str]) -> float:
    """CMRC F1: per gold, P and R of the longest common substring of the punctuation-free mixed segmentations;
    the harmonic mean, maximised over the gold alternatives."""
    pred = mixed_segmentation(prediction, rm_punc=True)
    scores = []
    for gold in _golds(golds):
        ans = mixed_segmentation(gold, rm_punc=True)
        _, n = find_lcs(ans, pred)
        if n == 0:
            scores.append(0.0)
            continue
        precision, recall = n / len(pred), n / len(ans)
        scores.append(2 * precision * recall / (precision + recall))
    return max(scores)


def cmrc_em(prediction: str, golds: Sequence[str]) -> float:
    """CMRC EM: 1.0 when the punctuation-free prediction equals some punctuation-free gold, else 0.0."""
    pred = remove_punctuation(prediction)
    return 1.0 if any(remove_punctuation(g) == pred for g in _golds(golds)) else 0.0


def best_span_em_f1(prediction: str, golds: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) of one prediction against gold alternatives, each the best over the golds (CMRC per-question score).

    The whole prediction is scored; no sub-span of it is searched for. Average over questions (x100 for CMRC's scale).
    """
    return cmrc_em(prediction, golds), cmrc_f1(prediction, golds)


# ---------------------------------------------------------------- citations


def citation_recall(cited_texts: Sequence[str], evidence: str) -> float:
    """1.0 when some cited paragraph contains the evidence, else 0.0 (also for no citations)."""
    return 1.0 if any(is_relevant(t, evidence) for t in cited_texts) else 0.0


def citation_precision(cited_texts: Sequence[str], evidence: str, answer_groups: Sequence[Sequence[str]]) -> float:
    """Share of cited paragraphs that contain the evidence or some answer alternative; no citations: 0.0."""
    if not cited_texts:
        return 0.0
    alternatives = [a for group in answer_groups for a in group]
    good = sum(is_relevant(t, evidence) or any(is_relevant(t, a) for a in alternatives) for t in cited_texts)
    return good / len(cited_texts)


# ---------------------------------------------------------------- latency


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0 <= p <= 100) with linear interpolation between order statistics (numpy's default)."""
    if not values:
        raise ValueError("percentile of an empty list: pass at least one value")
    if not 0 <= p <= 100:
        raise ValueError(f"p must be within [0, 100], got {p!r}")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
