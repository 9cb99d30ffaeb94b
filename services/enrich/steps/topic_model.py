"""The trained Media Topic classifier: TF-IDF words and word pairs, one calibrated logistic regression per topic.

Training (``make topics-train``, ``services/enrich/topics_train``) writes ``data/topics_model.json``; this module
only reads it, with no scikit-learn at run time: a score is a sparse dot product, an intercept and a Platt sigmoid,
so a few thousand dictionary look-ups per article.
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

_TOKEN = re.compile(r"[^\W_]+(?:['’\-.][^\W_]+)*")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class TopicLabel:
    """One topic the model scores, with the Platt sigmoid that turns its margin into a probability."""

    code: str
    label: str
    parent: str | None
    intercept: float
    slope: float
    offset: float


@dataclass(frozen=True)
class ModelScore:
    """A topic's calibrated probability and the features that pushed it up most (feature, contribution)."""

    code: str
    probability: float
    evidence: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class TopicModel:
    labels: tuple[TopicLabel, ...]
    idf: dict[str, float]
    weights: dict[str, tuple[tuple[int, float], ...]]

    def score(self, text: str, evidence: int = 5) -> list[ModelScore]:
        """Every label's calibrated probability for ``text``, in the order of ``labels``."""
        vector = tfidf(features(text), self.idf)
        margins = [label.intercept for label in self.labels]
        contributions: list[list[tuple[float, str]]] = [[] for _ in self.labels]
        for feature, value in vector.items():
            for index, weight in self.weights.get(feature, ()):
                margins[index] += weight * value
                if weight > 0:
                    contributions[index].append((weight * value, feature))
        scores = []
        for label, margin, pushed in zip(self.labels, margins, contributions, strict=True):
            probability = 1.0 / (1.0 + math.exp(-(label.slope * margin + label.offset)))
            top = sorted(pushed, reverse=True)[:evidence]
            scores.append(ModelScore(label.code, probability, tuple((f, round(c, 4)) for c, f in top)))
        return scores


def features(text: str) -> list[str]:
    """Lower-cased words with every digit as 0 ("2-1" and "3-0" are one feature) and each pair of adjacent words."""
    words = [_DIGIT.sub("0", word) for word in _TOKEN.findall(text.casefold().replace("’", "'"))]
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
    weights = {
        term: tuple((int(index), float(weight)) for index, weight in entry[1])
        for term, entry in data["features"].items()
    }
    return TopicModel(labels=labels, idf=idf, weights=weights)
