"""The trained Media Topic classifier: TF-IDF words and word pairs, linear softmax models in two levels.

- **Top level**: one multiclass model over the 17 top-level Media Topics; its softmax probabilities (temperature
  fitted on out-of-fold predictions) rank them, so they sum to 1 and compete with each other.
- **Second level**: per top-level topic, one multiclass model over its second-level topics (and "none of them"),
  giving the probability of a child *given* the parent. A child's probability is the parent's times that, so it never
  exceeds the parent's.

Training (``make topics-train``, ``services/enrich/topics_train``) writes ``data/topics_model.json``; this module
only reads it, with no scikit-learn at run time: a score is a sparse dot product and a softmax per group, so a few
thousand dictionary look-ups per article.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from services.enrich.nlp import DATA_DIR

MODEL_PATH = DATA_DIR / "topics_model.json"

TOP_LEVEL = ""  # the group of the top-level model; a second-level group is named by its parent's code

_TOKEN = re.compile(r"[^\W_]+(?:['’\-.][^\W_]+)*")
_DIGIT = re.compile(r"\d")
# HTML entities that lost their "&" (often to a space: "Web #39;s", " quot;Hi") or kept it ("&amp;").
_ENTITY = re.compile(r"(?:&|\s)?#(\d{2,5});|(?:&|(?<![\w&])\s?)(quot|amp|apos|lt|gt|nbsp);")
_NAMED = {"quot": '"', "amp": "&", "apos": "'", "lt": "<", "gt": ">", "nbsp": " "}


@dataclass(frozen=True)
class TopicLabel:
    """One row of the model: a topic (``code`` None for a group's "none of its children") in a softmax group."""

    code: str | None
    label: str
    parent: str | None
    group: str
    bias: float


@dataclass(frozen=True)
class ModelScore:
    """A topic's probability and the features that pushed it up most (feature, contribution to its logit).

    For a second-level topic, ``probability`` is the parent's times ``conditional`` (the child's given the parent).
    """

    code: str
    probability: float
    conditional: float
    evidence: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class TopicModel:
    labels: tuple[TopicLabel, ...]
    temperatures: dict[str, float]
    thresholds: dict[str, float]
    idf: dict[str, float]
    # per group (TOP_LEVEL or a parent's code), per feature: (row in ``labels``, weight)
    weights: dict[str, dict[str, tuple[tuple[int, float], ...]]]

    def vector(self, text: str) -> dict[str, float]:
        """The TF-IDF vector of ``text`` over the model's features."""
        return tfidf(features(text), self.idf)

    def top_level(self, vector: dict[str, float], evidence: int = 5) -> list[ModelScore]:
        """The probability of each top-level topic (they sum to 1), in the order of ``labels``."""
        return self._group(TOP_LEVEL, vector, 1.0, evidence)

    def children(
        self, vector: dict[str, float], parent: str, parent_probability: float, evidence: int = 5
    ) -> list[ModelScore]:
        """The second-level topics under ``parent``: probability given the parent, times ``parent_probability``.
        Empty when the model has no second level there."""
        return self._group(parent, vector, parent_probability, evidence) if parent in self.weights else []

    def score(self, text: str, evidence: int = 5) -> list[ModelScore]:
        """Every top-level topic, then the second-level topics under each (a convenience; ``topics_for`` asks for
        the children of the chosen top-level topics only)."""
        vector = self.vector(text)
        top = self.top_level(vector, evidence)
        return top + [child for t in top for child in self.children(vector, t.code, t.probability, evidence)]

    def _group(self, group: str, vector: dict[str, float], scale: float, evidence: int) -> list[ModelScore]:
        table = self.weights[group]
        rows = self._rows(group)
        logits = {row: self.labels[row].bias for row in rows}
        pushed: dict[int, list[tuple[float, str]]] = {row: [] for row in rows}
        for feature, value in vector.items():
            for row, weight in table.get(feature, ()):
                logits[row] += weight * value
                if weight > 0:
                    pushed[row].append((weight * value, feature))
        temperature = self.temperatures[group]
        peak = max(logits.values())
        exps = {row: math.exp(temperature * (logit - peak)) for row, logit in logits.items()}
        total = sum(exps.values())
        scores = []
        for row in rows:
            code = self.labels[row].code
            if code is None:
                continue
            p = exps[row] / total
            best = sorted(pushed[row], reverse=True)[:evidence]
            scores.append(ModelScore(code, scale * p, p, tuple((f, round(c, 4)) for c, f in best)))
        return scores

    def _rows(self, group: str) -> list[int]:
        return _group_rows(self.labels)[group]


@cache
def _group_rows(labels: tuple[TopicLabel, ...]) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        rows.setdefault(label.group, []).append(index)
    return rows


def normalise(text: str) -> str:
    """``text`` with HTML entity leftovers decoded ("#39;" -> "'", "quot;" -> '"') and backslashes as spaces."""
    text = _ENTITY.sub(lambda m: chr(int(m.group(1))) if m.group(1) else _NAMED[m.group(2)], text)
    return text.replace("\\", " ")


def features(text: str) -> list[str]:
    """Lower-cased words with every digit as 0 ("2-1" and "3-0" are one feature) and each pair of adjacent words."""
    words = [_DIGIT.sub("0", word) for word in _TOKEN.findall(normalise(text).casefold().replace("’", "'"))]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def tfidf(terms: list[str], idf: dict[str, float]) -> dict[str, float]:
    """Sublinear term frequency times idf, unit length (as scikit-learn's TfidfVectorizer(sublinear_tf=True))."""
    counts = Counter(term for term in terms if term in idf)
    vector = {term: (1.0 + math.log(count)) * idf[term] for term, count in counts.items()}
    norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
    return {term: value / norm for term, value in vector.items()}


@cache
def load_model(path: Path = MODEL_PATH) -> TopicModel:
    """The model in ``path`` (JSON written by ``services.enrich.topics_train``), read once per process."""
    data = json.loads(path.read_text(encoding="utf-8"))
    labels = tuple(TopicLabel(**label) for label in data["labels"])
    idf = {term: entry[0] for term, entry in data["features"].items()}
    weights: dict[str, dict[str, list[tuple[int, float]]]] = {label.group: {} for label in labels}
    for term, (_idf, entries) in data["features"].items():
        for index, weight in entries:
            weights[labels[index].group].setdefault(term, []).append((int(index), float(weight)))
    return TopicModel(
        labels=labels,
        temperatures=dict(data["temperatures"]),
        thresholds=dict(data["thresholds"]),
        idf=idf,
        weights={group: {term: tuple(rows) for term, rows in table.items()} for group, table in weights.items()},
    )
