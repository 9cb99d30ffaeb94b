"""IPTC Media Topics for an article, from a keyword lexicon we wrote (``data/topics.json``).

Explainable on purpose: every topic is there because of keywords one can point at. A topic's raw weight is its
keyword hits (title hits count ``TITLE_WEIGHT`` times) per ``_LENGTH_UNIT`` words of text; the score squashes that
into [0, 1). A parent scores at least as high as its best child, so "diplomacy" brings "international relations"
and "politics and government" with it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from services.enrich.nlp import DATA_DIR

TITLE_WEIGHT = 3
MIN_SCORE = 0.35
MIN_DISTINCT_KEYWORDS = 2
_LENGTH_UNIT = 300  # words; longer articles need proportionally more hits for the same score
_SATURATION = 4.0  # weight at which the score reaches 1 - 1/e


@dataclass(frozen=True)
class TopicScore:
    """One Media Topic with its score in [0, 1]; ``code`` is the qcode, e.g. "medtop:11000000"."""

    code: str
    label: str
    score: float


@dataclass(frozen=True)
class _Topic:
    code: str
    label: str
    parent: str | None
    pattern: re.Pattern[str]


def topics_for(title: str | None, body: str) -> list[TopicScore]:
    """The Media Topics the article's title and body support, best first (ties by code)."""
    topics = _lexicon()
    words = max(1, len(body.split()) + len((title or "").split()))
    length_factor = max(1.0, words / _LENGTH_UNIT)
    scores: dict[str, float] = {}
    for topic in topics.values():
        body_hits = [m.group(0).casefold() for m in topic.pattern.finditer(body)]
        title_hits = [m.group(0).casefold() for m in topic.pattern.finditer(title or "")]
        if len(set(body_hits) | set(title_hits)) < MIN_DISTINCT_KEYWORDS:
            continue
        weight = (len(body_hits) + TITLE_WEIGHT * len(title_hits)) / length_factor
        scores[topic.code] = 1.0 - math.exp(-weight / _SATURATION)
    for code, score in list(scores.items()):
        parent = topics[code].parent
        while parent is not None and parent in topics:
            scores[parent] = max(scores.get(parent, 0.0), score)
            parent = topics[parent].parent
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [
        TopicScore(code=code, label=topics[code].label, score=score) for code, score in ranked if score >= MIN_SCORE
    ]


def lexicon_entries() -> list[dict[str, Any]]:
    """The raw entries of ``data/topics.json`` (code, label, parent, keywords)."""
    return list(json.loads((DATA_DIR / "topics.json").read_text(encoding="utf-8"))["topics"])


@cache
def _lexicon() -> dict[str, _Topic]:
    return {
        entry["code"]: _Topic(
            code=entry["code"],
            label=entry["label"],
            parent=entry["parent"],
            pattern=_keyword_pattern(entry["keywords"]),
        )
        for entry in lexicon_entries()
    }


def _keyword_pattern(keywords: list[str]) -> re.Pattern[str]:
    """One regex for a topic's keywords: whole words, "*" for any word ending, longest first."""
    parts = []
    for keyword in sorted(keywords, key=len, reverse=True):
        escaped = re.escape(keyword.casefold()).replace(r"\*", r"[\w\-]*").replace(r"\ ", r"\s+")
        parts.append(escaped)
    return re.compile(rf"(?<![\w\-])(?:{'|'.join(parts)})(?![\w\-])", re.IGNORECASE)
