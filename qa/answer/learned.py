"""A learned sentence scorer: the composer's signals and general answer-type signals, weighed by gradient-boosted
trees trained on development questions (`eval/train_scorer.py`), stored as plain JSON (qa/data/sentence_scorer.json)
and evaluated here without scikit-learn. The composer uses it when `ComposerConfig.learned_scorer` names a file.

`sentence_features(q, c, context, weights, cosine_gap)` describes one candidate sentence as named numbers (mostly in
[0, 1]; the hand-set score may pass 1 and the relative ones are ≤ 0): how much of the question it holds (terms
weighted by rarity, character pairs, names), whether it holds the kind of fact asked for (a date, a quantity, a
person, place or organisation name from jieba's part-of-speech tags, a 《title》, a list), how new it is beside the
question, and the hit's rank and dense similarity; `pool_features` adds
how each compares with the question's other candidates. `SentenceScorer.load(path)` reads the trees; `margin(features)`
is the log-odds that the sentence holds the answer, which the composer adds to the hand-set score of its best
candidates (`ComposerConfig.learned_weight`, `learned_top`), and `probability(features)` the chance it may gate on
(`ComposerConfig.min_probability`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa.answer.config import ComposerConfig
from qa.answer.evidence import Evidence
from qa.answer.facts import DATE, QUANTITY, TITLE, title_answer
from qa.answer.scoring import Candidate
from qa.index.tokens import normalize
from qa.lexicon import QUESTION_WORD
from qa.query.kinds import Form
from qa.query.question import Question, is_person_name, pos_words
from qa.schema import Hit

SCORER_PATH = Path(__file__).resolve().parent.parent / "data" / "sentence_scorer.json"
FORMAT = "union-qa sentence scorer 2"  # 1 was a logistic regression

_CJK = re.compile(r"[\u4e00-\u9fff]")

_DEFAULTS = ComposerConfig()  # the extractors' signature wants a config; the title extractor reads none of it
_TYPE_FLAGS = {"person": ("nr",), "place": ("ns",), "org": ("nt",)}


def _type_match(form: Form) -> str:
    """The type signal that answers a question of `form` (the feature a form's answer must show)."""
    return {Form.DATE: "has_date", Form.NUMBER: "has_quantity", Form.PERSON: "has_person", Form.PLACE: "has_place",
            Form.ORG: "has_org", Form.LIST: "has_list", Form.TITLE: "has_title"}.get(form, "")


FORMS = tuple(f.value for f in Form)
RELATIVE = ("hand_score", "coverage", "term_share", "pair_share", "type_near", "rank_prior", "dense_gap", "form_score",
            "term_share_context")  # also compared with the question's other candidates (`with_relative`)
BASE: tuple[str, ...] = (
    "hand_score", "coverage", "form_score", "rank_prior", "dense_gap", "term_share", "term_share_context",
    "rare_missing", "rare_missing_context", "pair_share", "pair_share_paragraph", "entity_share", "focus_in",
    "has_date", "has_quantity", "has_person", "has_place", "has_org", "has_title", "has_list", "type_match",
    "type_near", "novelty", "first_sentence", "short_sentence", "long_sentence",
    *(f"match_{f}" for f in FORMS),
)
FEATURES: tuple[str, ...] = (*BASE, *(f"rel_{n}" for n in RELATIVE), *(f"order_{n}" for n in RELATIVE))


def blended(score: float, margin: float, cfg: ComposerConfig) -> float:
    """The composer's ranking key for a re-ranked candidate: its hand-set score + `learned_weight` × the trees'
    log-odds (the trainer reports with the same key)."""
    return score + cfg.learned_weight * margin


def sigmoid(margin: float) -> float:
    """The chance a log-odds `margin` stands for."""
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, margin))))


@dataclass(frozen=True)
class Tree:
    """One regression tree of the ensemble, as parallel node arrays: an inner node sends a row left when its
    feature is at most the threshold; a leaf (`left` −1) holds its value."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]

    def __call__(self, x: Sequence[float]) -> float:
        node = 0
        while self.left[node] >= 0:
            node = self.left[node] if x[self.feature[node]] <= self.threshold[node] else self.right[node]
        return self.value[node]


@dataclass(frozen=True)
class SentenceScorer:
    """Gradient-boosted trees over named features (scikit-learn's HistGradientBoostingClassifier, exported by
    eval/train_scorer.py): `margin` is the log-odds that a candidate sentence holds the answer."""

    names: tuple[str, ...]
    bias: float
    trees: tuple[Tree, ...]

    def margin(self, features: Mapping[str, float]) -> float:
        x = [features.get(n, 0.0) for n in self.names]
        return self.bias + sum(t(x) for t in self.trees)

    def probability(self, features: Mapping[str, float]) -> float:
        return sigmoid(self.margin(features))

    def save(self, path: Path, meta: Mapping[str, object] | None = None) -> None:
        data = {"format": FORMAT, "names": list(self.names), "bias": self.bias,
                "trees": [[list(t.feature), list(t.threshold), list(t.left), list(t.right), list(t.value)]
                          for t in self.trees], "meta": dict(meta or {})}
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str = SCORER_PATH) -> SentenceScorer:
        """The scorer in `path`, or for a bare file name that is not there, the one in qa/data/ (read once per
        version of the file)."""
        path = Path(path)
        if not path.exists() and path.parent == Path():
            path = SCORER_PATH.parent / path
        return _load(str(path.resolve()), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)  # the product's file, or the five cross-validation folds of eval/composer_sweep.py
def _load(path: str, mtime_ns: int) -> SentenceScorer:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT!r} file (format {data.get('format')!r}): retrain it with "
                         "`python eval/train_scorer.py`")
    unknown = set(data["names"]) - set(FEATURES)
    if unknown:
        raise ValueError(f"{path} uses features this version does not compute ({sorted(unknown)}): retrain it")
    trees = tuple(Tree(*(tuple(column) for column in t)) for t in data["trees"])
    return SentenceScorer(tuple(data["names"]), float(data["bias"]), trees)


def sentence_features(q: Question, c: Candidate, context: str, weights: Mapping[str, float],
                      cosine_gap: float) -> dict[str, float]:
    """The named features of candidate sentence `c` for question `q`; `context` is the hit's normalised context,
    `weights` the question terms' rarity weights, `cosine_gap` the best pool cosine minus this paragraph's."""
    sentence = normalize(c.text)
    paragraph = normalize(c.paragraph.text)
    signals = type_signals(q, sentence)
    f: dict[str, float] = {
        "hand_score": c.score, "coverage": c.coverage, "form_score": c.form, "rank_prior": 1.0 / c.rank,
        "dense_gap": min(1.0, max(0.0, cosine_gap) * 10),
        "term_share": _term_share(q, sentence, weights), "term_share_context": _term_share(q, context, weights),
        "rare_missing": _rare_missing(q, sentence, weights), "rare_missing_context": _rare_missing(q, context, weights),
        "pair_share": _pair_share(q.norm, sentence), "pair_share_paragraph": _pair_share(q.norm, paragraph),
        "entity_share": (sum(any(x in sentence for x in e.forms) for e in q.entities) / len(q.entities)
                         if q.entities else 1.0),
        "focus_in": float(any(t in sentence for t in q.focus)) if q.focus else 1.0,
        **signals,
        "novelty": _novelty(q.norm, sentence),
        "first_sentence": float(c.index == 0),
        "short_sentence": float(len(sentence) < 20), "long_sentence": float(len(sentence) > 120),
    }
    match = _type_match(q.form)
    f["type_match"] = signals[match] if match else 0.0
    f["type_near"] = _type_near(q, sentence, match) if match else 0.0
    for form in FORMS:
        f[f"match_{form}"] = f["type_match"] if q.form.value == form else 0.0
    return f


def pool_features(q: Question, pool: Sequence[tuple[int, Hit]], ev: Evidence, cosines: Sequence[float] | None,
                  candidates: Sequence[Candidate]) -> list[dict[str, float]]:
    """The features of every candidate of one question, relative ones included, as the scorer sees them (the
    composer ranks with them; eval/train_scorer.py learns from them)."""
    best = max(cosines) if cosines else 0.0
    gaps = {h.paragraph.id: best - c for (_, h), c in zip(pool, cosines or (), strict=False)}
    weights = dict(ev.term_weights)
    return with_relative([sentence_features(q, c, ev.context[c.paragraph.id], weights, gaps.get(c.paragraph.id, 0.0))
                          for c in candidates])


def with_relative(rows: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
    """The features of one question's candidates, each with, for the RELATIVE ones, its distance below the best
    candidate (`rel_`) and its place among them (`order_`, 0 for the best, 1 from the tenth on)."""
    out = [dict(r) for r in rows]
    for n in RELATIVE:
        values = [r.get(n, 0.0) for r in rows]
        top = max(values, default=0.0)
        order = sorted(range(len(values)), key=lambda i: -values[i])
        for place, i in enumerate(order):
            out[i][f"rel_{n}"] = values[i] - top
            out[i][f"order_{n}"] = min(place, 10) / 10
    return out


def type_signals(q: Question, sentence: str) -> dict[str, float]:
    """Which kinds of fact the normalised sentence holds that the question does not already name."""
    tags = pos_words(sentence)
    named = {kind: any(flag in flags and word not in q.norm and len(word) >= 2
                       and (kind != "person" or is_person_name(word)) for word, flag in tags)
             for kind, flags in _TYPE_FLAGS.items()}
    quantity = any(m.group("num")[0].isdigit() and (m.group("unit") or m.group("mag"))
                   for m in QUANTITY.finditer(sentence))
    return {"has_date": float(bool(DATE.search(sentence))), "has_quantity": float(quantity),
            "has_person": float(named["person"]), "has_place": float(named["place"]), "has_org": float(named["org"]),
            "has_title": float(bool(title_answer(q, sentence, _DEFAULTS))),
            "has_list": float(sentence.count("、") >= 2 or bool(re.search(r"[^，。]{1,20}和[^，。]{1,20}", sentence)))}


def _positions(q: Question, sentence: str, match: str) -> list[int]:
    if match == "has_date":
        return [m.start() for m in DATE.finditer(sentence)]
    if match == "has_quantity":
        return [m.start() for m in QUANTITY.finditer(sentence) if m.group("num")[0].isdigit()]
    if match == "has_title":
        return [m.start() for m in TITLE.finditer(sentence)]
    if match in ("has_person", "has_place", "has_org"):
        flags = _TYPE_FLAGS[match[4:]]
        out, pos = [], 0
        for word, flag in pos_words(sentence):
            at = sentence.find(word, pos)
            if at >= 0:
                pos = at + len(word)
                if flag in flags and word not in q.norm:
                    out.append(at)
        return out
    return [m.start() for m in re.finditer("、", sentence)]


def _type_near(q: Question, sentence: str, match: str) -> float:
    """Closeness of the asked kind of fact to a question term in the sentence: 1 / (1 + characters / 10)."""
    facts = _positions(q, sentence, match)
    anchors = [m.start() for t in (*q.focus, *q.terms) if len(t) >= 2 for m in re.finditer(re.escape(t), sentence)]
    if not facts or not anchors:
        return 0.0
    return 1.0 / (1.0 + min(abs(a - b) for a in facts for b in anchors) / 10.0)


def _term_share(q: Question, text: str, weights: Mapping[str, float]) -> float:
    terms = [t for t in q.terms if len(t) >= 2] or list(q.terms)
    total = sum(weights.get(t, 1.0) for t in terms)
    return sum(weights.get(t, 1.0) for t in terms if t in text) / total if total else 0.0


def _rare_missing(q: Question, text: str, weights: Mapping[str, float]) -> float:
    """The rarity weight of the rarest question term (two characters or more) the text lacks, 0 when none."""
    return max((weights.get(t, 1.0) for t in q.terms if len(t) >= 2 and t not in text), default=0.0)


def _pairs(text: str) -> set[str]:
    chars = "".join(_CJK.findall(QUESTION_WORD.sub("", text)))
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def _pair_share(question: str, text: str) -> float:
    """Share of the question's Chinese character pairs (question words removed) found in the text."""
    pairs = _pairs(question)
    return sum(p in text for p in pairs) / len(pairs) if pairs else 0.0


def _novelty(question: str, sentence: str) -> float:
    """Share of the sentence's Chinese characters the question does not hold (a restatement holds no answer)."""
    chars = _CJK.findall(sentence)
    return sum(ch not in question for ch in chars) / len(chars) if chars else 0.0


def feature_matrix(rows: Sequence[Mapping[str, float]], names: Sequence[str] = FEATURES) -> list[list[float]]:
    return [[r.get(n, 0.0) for n in names] for r in rows]
