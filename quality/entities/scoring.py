"""Pure scoring functions of the entity-quality report: set matching of names, codes and mention spans."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives, summed over articles (micro-averaging)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def normalise_name(name: str) -> str:
    """Case, runs of white space and typographic apostrophes do not make two names different; hyphens do."""
    return " ".join(name.replace("’", "'").split()).casefold()


def name_counts(expected: Sequence[Iterable[str]], predicted: Iterable[str], optional: Iterable[str] = ()) -> Counts:
    """Scores predicted names against expected entities, each given as its accepted spellings.

    An entity is found when any of its spellings is predicted; predicting two of its spellings counts the second
    as a false positive (the pipeline failed to make them one). Predicted names listed in ``optional`` count
    neither way.
    """
    remaining = {normalise_name(name) for name in predicted}
    tp = fn = 0
    for spellings in expected:
        matched = sorted(remaining & {normalise_name(s) for s in spellings})
        if matched:
            tp += 1
            remaining.discard(matched[0])
        else:
            fn += 1
    fp = len(remaining - {normalise_name(name) for name in optional})
    return Counts(tp=tp, fp=fp, fn=fn)


def code_counts(expected: Iterable[str], predicted: Iterable[str], optional: Iterable[str] = ()) -> Counts:
    """Scores predicted codes (countries, topics) against expected ones; ``optional`` codes count neither way."""
    want, have, spare = set(expected), set(predicted), set(optional)
    return Counts(tp=len(want & have), fp=len(have - want - spare), fn=len(want - have))


def span_counts(expected: Iterable[tuple[int, int, str]], predicted: Iterable[tuple[int, int, str]]) -> Counts:
    """Exact-match scoring of (start, end, type) mention spans, as the CoNLL-2003 evaluation does."""
    want, have = set(expected), set(predicted)
    return Counts(tp=len(want & have), fp=len(have - want), fn=len(want - have))


def ancestors(code: str, parents: Mapping[str, str | None]) -> list[str]:
    """``code`` and its broader concepts up to the top level, narrowest first."""
    chain = [code]
    while (parent := parents.get(chain[-1])) is not None:
        chain.append(parent)
    return chain


def topic_levels(codes: Iterable[str], parents: Mapping[str, str | None]) -> tuple[set[str], set[str]]:
    """The top-level and second-level Media Topics that ``codes`` name or fall under."""
    top: set[str] = set()
    second: set[str] = set()
    for code in codes:
        chain = ancestors(code, parents)
        top.add(chain[-1])
        if len(chain) >= 2:
            second.add(chain[-2])
    return top, second
