"""IPTC Media Topics for an article: a trained classifier (``steps/topic_model.py``) joined with the keyword
lexicon we wrote (``data/topics.json``).

The classifier gives a calibrated probability for each of the 17 top-level topics and for the second-level topics
it was trained on; the lexicon is the high-precision signal for the narrower topics it knows. A topic's score is the
higher of the two. Every article of ``MIN_WORDS_FOR_A_TOPIC`` words or more gets at least its best top-level topic;
others are kept from ``MIN_SCORE`` (top level) and ``MIN_SECOND_LEVEL_SCORE`` (second level, under a kept parent).
A parent scores at least as high as its best child, so "diplomacy" brings "international relations" and "politics
and government" with it.

Keyword scores: a topic's raw weight is its keyword hits (title hits count ``TITLE_WEIGHT`` times) per
``_LENGTH_UNIT`` words of text; the score squashes that into [0, 1).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from services.enrich.nlp import DATA_DIR
from services.enrich.steps.topic_model import ModelScore, load_model

MIN_WORDS_FOR_A_TOPIC = 20
MIN_SCORE = 0.35
MIN_SECOND_LEVEL_SCORE = 0.5
TITLE_WEIGHT = 3
MIN_KEYWORD_SCORE = 0.4  # above two plain keyword hits (0.39): two mentions in passing do not make a topic
MIN_DISTINCT_KEYWORDS = 2
_LENGTH_UNIT = 300  # words; longer articles need proportionally more hits for the same score
_SATURATION = 4.0  # weight at which the score reaches 1 - 1/e


@dataclass(frozen=True)
class TopicScore:
    """One Media Topic with its score in [0, 1]; ``code`` is the qcode, e.g. "medtop:11000000"."""

    code: str
    label: str
    score: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Topic:
    code: str
    label: str
    parent: str | None


@dataclass(frozen=True)
class _Keyword:
    """One keyword of one topic: its words after the first, each a literal or a compiled "*" pattern."""

    code: str
    rest: tuple[str | re.Pattern[str], ...]


# A word as the keyword boundaries see it: hyphens belong to it ("visa-free", "semi-final").
_WORD = re.compile(r"[\w\-]+")
_BETWEEN_WORDS = re.compile(r"\s+")


def topics_for(title: str | None, body: str) -> list[TopicScore]:
    """The Media Topics the article's title and body support, best first (ties by code).

    Each topic's ``evidence`` says why: the features that raised the classifier's score most
    ("model: tariffs +0.41") and the keywords found ("keyword: trade deal").
    """
    model = load_model()
    keyword_scores, keyword_hits = _keyword_topics(title, body)
    scored = {s.code: s for s in model.score(f"{title or ''}\n\n{body}")}
    labels = {label.code: label for label in model.labels}
    lexicon = _lexicon()
    names = {**{code: t.label for code, t in lexicon.items()}, **{code: lab.label for code, lab in labels.items()}}
    parents = {**{code: t.parent for code, t in lexicon.items()}, **{code: lab.parent for code, lab in labels.items()}}
    scores: dict[str, float] = {}
    for code, model_score in scored.items():
        threshold = MIN_SCORE if parents[code] is None else MIN_SECOND_LEVEL_SCORE
        if model_score.probability >= threshold:
            scores[code] = model_score.probability
    top_level = [s for s in scored.values() if parents[s.code] is None]
    words = len(body.split())
    if words >= MIN_WORDS_FOR_A_TOPIC and top_level:
        best = max(top_level, key=lambda s: s.probability)
        scores.setdefault(best.code, best.probability)
    for code, score in keyword_scores.items():
        scores[code] = max(scores.get(code, 0.0), score)
    for code in list(scores):
        if parents.get(code) is not None and parents[code] not in scores and code in scored:
            del scores[code]  # a second-level guess of the model under a top level it does not support
    for code, score in list(scores.items()):
        parent = parents.get(code)
        while parent is not None:
            scores[parent] = max(scores.get(parent, 0.0), score)
            parent = parents.get(parent)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [
        TopicScore(
            code=code,
            label=names[code],
            score=score,
            evidence=_evidence(scored.get(code), keyword_hits.get(code, [])),
        )
        for code, score in ranked
    ]


def _evidence(model_score: ModelScore | None, keywords: list[str]) -> tuple[str, ...]:
    pushed = [f"model: {feature} +{weight:.2f}" for feature, weight in (model_score.evidence if model_score else ())]
    return (*pushed, *(f"keyword: {keyword}" for keyword in dict.fromkeys(keywords)))


def keyword_topics_for(title: str | None, body: str) -> list[TopicScore]:
    """The lexicon's topics alone (the plain keyword baseline of ``make quality-entities``), best first."""
    scores, hits = _keyword_topics(title, body)
    lexicon = _lexicon()
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [
        TopicScore(code=code, label=lexicon[code].label, score=score, evidence=tuple(hits.get(code, ())))
        for code, score in ranked
    ]


def _keyword_topics(title: str | None, body: str) -> tuple[dict[str, float], dict[str, list[str]]]:
    """The lexicon's topic scores of at least ``MIN_KEYWORD_SCORE`` (parents raised to their best child), and the
    keywords found per topic."""
    topics = _lexicon()
    words = max(1, len(body.split()) + len((title or "").split()))
    length_factor = max(1.0, words / _LENGTH_UNIT)
    body_hits = _hits(body)
    title_hits = _hits(title or "")
    scores: dict[str, float] = {}
    for code in body_hits.keys() | title_hits.keys():
        in_body, in_title = body_hits.get(code, []), title_hits.get(code, [])
        if len(set(in_body) | set(in_title)) < MIN_DISTINCT_KEYWORDS:
            continue
        weight = (len(in_body) + TITLE_WEIGHT * len(in_title)) / length_factor
        scores[code] = 1.0 - math.exp(-weight / _SATURATION)
    for code, score in list(scores.items()):
        parent = topics[code].parent
        while parent is not None and parent in topics:
            scores[parent] = max(scores.get(parent, 0.0), score)
            parent = topics[parent].parent
    hits = {code: body_hits.get(code, []) + title_hits.get(code, []) for code in body_hits.keys() | title_hits.keys()}
    return {code: score for code, score in scores.items() if score >= MIN_KEYWORD_SCORE}, hits


def lexicon_entries() -> list[dict[str, Any]]:
    """The raw entries of ``data/topics.json`` (code, label, parent, keywords)."""
    return list(json.loads((DATA_DIR / "topics.json").read_text(encoding="utf-8"))["topics"])


@cache
def _lexicon() -> dict[str, _Topic]:
    return {
        entry["code"]: _Topic(code=entry["code"], label=entry["label"], parent=entry["parent"])
        for entry in lexicon_entries()
    }


def _hits(text: str) -> dict[str, list[str]]:
    """Each topic's keyword matches in ``text`` (lower-cased), per topic the longest at a word, none overlapping.

    One pass over the words with dictionary look-ups, rather than one regular expression per topic over the text.
    """
    exact, wildcard = _keyword_index()
    words = [(m.group(0).casefold(), m.start(), m.end()) for m in _WORD.finditer(text)]
    found: dict[str, list[tuple[int, int]]] = {}
    for i, (word, _start, _end) in enumerate(words):
        keywords = list(exact.get(word, ()))
        for pattern, candidates in wildcard.get(word[:3], ()):
            if pattern.fullmatch(word):
                keywords.extend(candidates)
        for keyword in keywords:
            last = _match_rest(keyword.rest, words, i, text)
            if last is not None:
                found.setdefault(keyword.code, []).append((i, last))
    hits: dict[str, list[str]] = {}
    for code, spans in found.items():
        taken = -1
        for first, last in sorted(spans, key=lambda span: (span[0], -span[1])):
            if first > taken:
                hits.setdefault(code, []).append(" ".join(w for w, _, _ in words[first : last + 1]))
                taken = last
    return hits


def _match_rest(
    rest: tuple[str | re.Pattern[str], ...], words: list[tuple[str, int, int]], first: int, text: str
) -> int | None:
    """The index of the keyword's last word when its words after the first follow word ``first``, else None."""
    position = first
    for part in rest:
        position += 1
        if position >= len(words) or not _BETWEEN_WORDS.fullmatch(text, words[position - 1][2], words[position][1]):
            return None
        word = words[position][0]
        if not (part == word if isinstance(part, str) else part.fullmatch(word)):
            return None
    return position


@cache
def _keyword_index() -> tuple[dict[str, list[_Keyword]], dict[str, list[tuple[re.Pattern[str], list[_Keyword]]]]]:
    """Keywords by their first word: literal first words in one table, "*" first words under their first three
    letters (every such keyword starts with at least three literal letters; a test checks)."""
    exact: dict[str, list[_Keyword]] = {}
    patterns: dict[str, list[_Keyword]] = {}
    for entry in lexicon_entries():
        for keyword in dict.fromkeys(k.casefold() for k in entry["keywords"]):
            first, *rest = keyword.split()
            compiled = _Keyword(code=entry["code"], rest=tuple(_word_pattern(part) for part in rest))
            if "*" in first:
                patterns.setdefault(first, []).append(compiled)
            else:
                exact.setdefault(first, []).append(compiled)
    wildcard: dict[str, list[tuple[re.Pattern[str], list[_Keyword]]]] = {}
    for first, keywords in patterns.items():
        wildcard.setdefault(first[:3], []).append((_wildcard(first), keywords))
    return exact, wildcard


def _word_pattern(part: str) -> str | re.Pattern[str]:
    """A keyword word: itself, or with "*" standing for any run of word characters and hyphens."""
    return _wildcard(part) if "*" in part else part


def _wildcard(part: str) -> re.Pattern[str]:
    return re.compile(re.escape(part).replace(r"\*", r"[\w\-]*"))
