"""Fits the two-level Media Topic classifier over TF-IDF words and word pairs and writes it as JSON that
``steps/topic_model.py`` reads without scikit-learn.

- Top level: one Complement Naive Bayes model over the 17 top-level topics (an item's label is the top-level
  ancestor of its first code, the one it is mostly about). Its log-likelihoods are linear in the TF-IDF vector, so
  they are stored as weights; a softmax temperature fitted on 5-fold out-of-fold predictions of the written items
  makes them read as probabilities. The threshold for a second, third... top-level topic is the one that gives the
  best micro-F1 of top-level topic sets on those out-of-fold predictions (multi-coded items count all their codes).
- Second level: per top-level topic, a Complement Naive Bayes model over its second-level topics with at least
  ``MIN_SECOND_LEVEL_ITEMS`` written items and "none of them", trained on that topic's items only, its temperature
  fitted the same way: the probability of a child given its parent.

Complement NB beat one-vs-rest and multinomial logistic regression on the development set (README); the weights of
each feature are centred over its group (a softmax does not change) and the small ones dropped to keep the file small.
"""

from __future__ import annotations

import argparse
import json
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB

from services.enrich.steps.topic_model import MODEL_PATH, TOP_LEVEL, features
from services.enrich.topics_train.corpus import Item, definition_items, written_items

DEFAULT_TAXONOMY = Path(__file__).resolve().parents[3].parent / "shared" / "taxonomy"
TAXONOMY_FILE = "mediatopics_en-GB_active.compact.json"
MIN_SECOND_LEVEL_ITEMS = 4
SMOOTHING = 1.0  # Complement NB's alpha (0.3 and 3 did worse on the development set)
MIN_DOCUMENT_FREQUENCY = 2
# Centred weights this small move no logit by more than a rounding error; dropping them keeps the file small.
MIN_WEIGHT = 0.1  # 0.05 gave the same dev accuracy at twice the size and cost
FOLDS = 5
SEED = 13
NONE = "none"


@dataclass
class Group:
    """One softmax group: its class names (codes, or NONE), centred weights (classes x features) and temperature."""

    name: str
    classes: list[str]
    weights: np.ndarray
    temperature: float


def ancestry(taxonomy: Sequence[dict[str, str | None]]) -> dict[str, list[str]]:
    """Each code's chain from itself up to its top-level topic."""
    broader = {str(c["qcode"]): c["broader"] for c in taxonomy}
    chains = {}
    for code in broader:
        chain = [code]
        while (parent := broader.get(chain[-1])) is not None:
            chain.append(parent)
        chains[code] = chain
    return chains


def top_levels(item: Item, chains: dict[str, list[str]]) -> list[str]:
    """The item's top-level topics, the one of its first code first."""
    return list(dict.fromkeys(chains[code][-1] for code in item.codes))


def second_level(item: Item, parent: str, chains: dict[str, list[str]]) -> str | None:
    """The item's first second-level topic under ``parent``, if any of its codes is that deep."""
    for code in item.codes:
        chain = chains[code]
        if chain[-1] == parent and len(chain) >= 2:
            return chain[-2]
    return None


def linear_model(matrix: object, y: Sequence[str], weights: np.ndarray, classes: list[str]) -> np.ndarray:
    """Complement NB's per-class feature weights (its log-likelihood is ``matrix @ weights.T``), centred per
    feature; rows in the order of ``classes``."""
    model = ComplementNB(alpha=SMOOTHING).fit(matrix, list(y), sample_weight=weights)
    order = [list(model.classes_).index(c) for c in classes]
    logged = np.asarray(model.feature_log_prob_)[order]
    return logged - logged.mean(axis=0, keepdims=True)


def out_of_fold_logits(
    matrix: object, y: list[str], weights: np.ndarray, classes: list[str], evaluated: np.ndarray
) -> np.ndarray:
    """Logits of the ``evaluated`` rows, each from a model that did not see it (the other rows always train)."""
    logits = np.zeros((len(y), len(classes)))
    rows = np.flatnonzero(evaluated)
    always = np.flatnonzero(~evaluated)
    strata = [y[i] for i in rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class with fewer than FOLDS items: some folds lack it
        splits = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(rows, strata))
    for train, test in splits:
        fit_rows = np.concatenate([rows[train], always])
        w = linear_model(matrix[fit_rows], [y[i] for i in fit_rows], weights[fit_rows], classes)  # type: ignore[index]
        logits[rows[test]] = matrix[rows[test]] @ w.T  # type: ignore[index]
    return logits


def fit_temperature(logits: np.ndarray, gold: Sequence[int]) -> float:
    """The softmax temperature that minimises the negative log-likelihood of ``gold``."""
    index = np.asarray(gold)

    def loss(t: float) -> float:
        return float(-log_softmax(t * logits, axis=1)[np.arange(len(index)), index].mean())

    return round(float(minimize_scalar(loss, bounds=(0.1, 200.0), method="bounded").x), 4)


def top_level_threshold(probabilities: np.ndarray, gold: Sequence[set[int]]) -> float:
    """The probability from which a top-level topic beyond the best is kept: best micro-F1 of the topic sets."""
    best, chosen = -1.0, 0.5
    for threshold in np.arange(0.05, 0.96, 0.01):
        tp = fp = fn = 0
        for row, want in zip(probabilities, gold, strict=True):
            got = {int(np.argmax(row))} | {int(i) for i in np.flatnonzero(row >= threshold)}
            tp += len(got & want)
            fp += len(got - want)
            fn += len(want - got)
        f1 = 2 * tp / (2 * tp + fp + fn)
        if f1 > best + 1e-9:
            best, chosen = f1, round(float(threshold), 2)
    return chosen


def fit(items: Sequence[Item], taxonomy: list[dict[str, str | None]]) -> dict[str, object]:
    """The model as the JSON document ``load_model`` reads."""
    chains = ancestry(taxonomy)
    by_code = {str(c["qcode"]): c for c in taxonomy}
    written = np.array([not item.source.startswith("iptc:") for item in items])
    vectoriser = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=MIN_DOCUMENT_FREQUENCY)
    matrix = vectoriser.fit_transform([item.text for item in items])
    weights = np.array([item.weight for item in items])

    top_codes = sorted(c for c in by_code if by_code[c]["broader"] is None)
    primary = [top_levels(item, chains)[0] for item in items]
    oof = out_of_fold_logits(matrix, primary, weights, top_codes, written)
    rows = np.flatnonzero(written)
    temperature = fit_temperature(oof[rows], [top_codes.index(primary[i]) for i in rows])
    probabilities = np.exp(log_softmax(temperature * oof[rows], axis=1))
    gold_sets = [{top_codes.index(c) for c in top_levels(items[int(i)], chains)} for i in rows]
    groups = [Group(TOP_LEVEL, top_codes, linear_model(matrix, primary, weights, top_codes), temperature)]
    threshold = top_level_threshold(probabilities, gold_sets)

    for parent in top_codes:
        under = np.array([parent in top_levels(item, chains) for item in items])
        children = [second_level(item, parent, chains) for item in items]
        counts = Counter(c for c, w, u in zip(children, written, under, strict=True) if c and w and u)
        known = sorted(c for c, n in counts.items() if n >= MIN_SECOND_LEVEL_ITEMS)
        if not known:
            continue
        classes = [*known, NONE]
        rows = np.flatnonzero(under)
        y = [c if c in known else NONE for c in (children[i] for i in rows)]
        sub, sub_weights, sub_written = matrix[rows], weights[rows], written[rows]
        oof = out_of_fold_logits(sub, y, sub_weights, classes, sub_written)
        evaluated = np.flatnonzero(sub_written)
        group_temperature = fit_temperature(oof[evaluated], [classes.index(y[i]) for i in evaluated])
        groups.append(Group(parent, classes, linear_model(sub, y, sub_weights, classes), group_temperature))

    labels = []
    for group in groups:
        for code in group.classes:
            named = code != NONE
            labels.append(
                {
                    "code": code if named else None,
                    "label": str(by_code[code]["label"]) if named else f"none of the topics under {group.name}",
                    "parent": by_code[code]["broader"] if named else group.name,
                    "group": group.name,
                    "bias": 0.0,
                }
            )
    stacked = np.vstack([group.weights for group in groups])
    table = {}
    for column, term in enumerate(vectoriser.get_feature_names_out()):
        kept = [
            [int(row), round(float(stacked[row, column]), 3)]
            for row in np.flatnonzero(abs(stacked[:, column]) >= MIN_WEIGHT)
        ]
        if kept:
            table[str(term)] = [round(float(vectoriser.idf_[column]), 4), kept]
    return {
        "_comment": "Written by `make topics-train` (services/enrich/topics_train); do not edit by hand.",
        "trained_on": {"written_items": int(written.sum()), "iptc_definitions": int((~written).sum())},
        "labels": labels,
        "temperatures": {group.name: group.temperature for group in groups},
        "thresholds": {"top_level": threshold},
        "features": table,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.enrich.topics_train", description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY / TAXONOMY_FILE)
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    taxonomy = json.loads(args.taxonomy.read_text(encoding="utf-8"))
    items = [*written_items(), *definition_items(args.taxonomy)]
    model = fit(items, taxonomy)
    args.output.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    labels: list[dict[str, Any]] = model["labels"]  # type: ignore[assignment]
    second = sum(1 for label in labels if label["code"] and label["parent"] is not None)
    print(
        f"{sum(not i.source.startswith('iptc:') for i in items)} written items, "
        f"{sum(i.source.startswith('iptc:') for i in items)} IPTC definitions; 17 top-level and {second} second-level "
        f"topics; top-level temperature {model['temperatures']['']}, threshold {model['thresholds']} "  # type: ignore[index]
        f"({len(model['features'])} features) -> {args.output} ({args.output.stat().st_size / 1e6:.2f} MB)"  # type: ignore[arg-type]
    )
    return 0
