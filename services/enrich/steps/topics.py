"""IPTC Media Topics for an article: a trained two-level classifier (``steps/topic_model.py``) with the keyword
lexicon we wrote (``data/topics.json``) beside it.

- **Top level**: the classifier's softmax over the 17 top-level topics ranks them. A top-level topic is kept from
  the model's threshold (chosen at training on out-of-fold predictions); the best is always kept when the text has
  a word the model knows, so every body of ``MIN_WORDS_FOR_A_TOPIC`` words or more has one (short items too: on
  the development set keeping a headline's best raised accuracy and coverage by a point each).
- **Second level**: beneath a kept top-level topic only, a child is kept when its probability *given the parent* is
  at least ``MIN_SECOND_LEVEL_SCORE``; its score is the parent's times that, never above the parent.
- **Keywords** add or confirm narrower topics beneath a kept top-level topic (scored no higher than it), and may add
  a top-level topic the classifier did not keep, scored no higher than the classifier's best: they never reorder the
  classifier's pick (letting a strong keyword score of 0.8 or more reorder it changed nothing on either labelled set).

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
    """The Media Topics the article's title and body support, best first (ties: the classifier's pick first).

    Each topic's ``evidence`` says why: the features that raised the classifier's score most
    ("model: tariffs +0.41") and the keywords found ("keyword: trade deal").
    """
    model = load_model()
    vector = model.vector(f"{title or ''}\n\n{body}")
    if not vector and not body.strip():
        return []
    top = sorted(model.top_level(vector), key=lambda s: -s.probability) if vector else []
    chosen: dict[str, ModelScore] = {s.code: s for s in top if s.probability >= model.thresholds["top_level"]}
    if top:
        chosen.setdefault(top[0].code, top[0])
    for kept in list(chosen.values()):
        for child in model.children(vector, kept.code, kept.probability):
            if child.conditional >= MIN_SECOND_LEVEL_SCORE:
                chosen[child.code] = child
    scores = {code: s.probability for code, s in chosen.items()}
    keyword_scores, keyword_hits = _keyword_topics(title, body)
    parents = _parents()
    best = top[0].probability if top else 1.0
    for code, keyword in sorted(keyword_scores.items(), key=lambda item: _depth(item[0], parents)):
        ancestor = _top_level_of(code, parents)
        if ancestor == code and code not in scores:  # a top level the classifier did not keep
            scores[code] = min(keyword, best)
        elif ancestor != code and ancestor in scores:  # beneath a kept top level; capped below
            scores[code] = max(scores.get(code, 0.0), keyword)
    for code in sorted(scores, key=lambda c: _depth(c, parents)):
        parent = parents.get(code)
        if parent is not None:
            if parent not in scores:
                del scores[code]
            else:
                scores[code] = min(scores[code], scores[parent])
    rank = {s.code: i for i, s in enumerate(top)}
    ranked = sorted(scores.items(), key=lambda item: (-item[1], rank.get(item[0], len(rank)), item[0]))
    return [
        TopicScore(
            code=code,
            label=_names()[code],
            score=score,
            evidence=_evidence(chosen.get(code), _keywords_at_or_under(code, keyword_hits, parents)),
        )
        for code, score in ranked
    ]


def _keywords_at_or_under(code: str, hits: dict[str, list[str]], parents: dict[str, str | None]) -> list[str]:
    """The keywords found for ``code`` itself and for the narrower topics that raised its keyword score."""
    found = list(hits.get(code, []))
    for other, keywords in hits.items():
        ancestor = parents.get(other)
        while ancestor is not None and ancestor != code:
            ancestor = parents.get(ancestor)
        if ancestor == code:
            found.extend(keywords)
    return found


def _depth(code: str, parents: dict[str, str | None]) -> int:
    depth = 0
    while (code := parents.get(code) or "") != "":
        depth += 1
    return depth


def _top_level_of(code: str, parents: dict[str, str | None]) -> str:
    while (parent := parents.get(code)) is not None:
        code = parent
    return code


@cache
def _parents() -> dict[str, str | None]:
    lexicon = _lexicon()
    labels = [label for label in load_model().labels if label.code is not None]
    return {**{code: t.parent for code, t in lexicon.items()}, **{lab.code: lab.parent for lab in labels if lab.code}}


@cache
def _names() -> dict[str, str]:
    lexicon = _lexicon()
    labels = [label for label in load_model().labels if label.code is not None]
    return {**{code: t.label for code, t in lexicon.items()}, **{lab.code: lab.label for lab in labels if lab.code}}


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
