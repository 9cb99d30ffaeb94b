"""Fits one logistic regression per Media Topic over TF-IDF words and word pairs, calibrates each with Platt
scaling on out-of-fold margins, and writes the weights as JSON that ``steps/topic_model.py`` reads without
scikit-learn.

Labels: all 17 top-level topics, and the second-level topics with at least ``MIN_SECOND_LEVEL_ITEMS`` written items.
An item counts for its code's top-level and second-level ancestors.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from services.enrich.steps.topic_model import MODEL_PATH, features
from services.enrich.topics_train.corpus import Item, definition_items, written_items

DEFAULT_TAXONOMY = Path(__file__).resolve().parents[3].parent / "shared" / "taxonomy"
TAXONOMY_FILE = "mediatopics_en-GB_active.compact.json"
MIN_SECOND_LEVEL_ITEMS = 4
REGULARISATION_C = 4.0
MIN_DOCUMENT_FREQUENCY = 2
# Weights this small change no probability by more than a rounding error; dropping them keeps the file small.
MIN_WEIGHT = 0.05
FOLDS = 5
SEED = 13


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


def label_sets(items: Sequence[Item], chains: dict[str, list[str]]) -> list[set[str]]:
    """Per item, the top-level and second-level codes it is about."""
    sets = []
    for item in items:
        codes: set[str] = set()
        for code in item.codes:
            chain = chains[code]
            codes.add(chain[-1])
            if len(chain) >= 2:
                codes.add(chain[-2])
        sets.append(codes)
    return sets


def fit(items: Sequence[Item], taxonomy: list[dict[str, str | None]]) -> dict[str, object]:
    """The model as the JSON document ``load_model`` reads."""
    chains = ancestry(taxonomy)
    by_code = {str(c["qcode"]): c for c in taxonomy}
    targets = label_sets(items, chains)
    written = [t for t, item in zip(targets, items, strict=True) if not item.source.startswith("iptc:")]
    counts = Counter(code for t in written for code in t)
    codes = sorted(c for c in by_code if by_code[c]["broader"] is None)
    codes += sorted(c for c, n in counts.items() if by_code[c]["broader"] is not None and n >= MIN_SECOND_LEVEL_ITEMS)
    vectoriser = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=MIN_DOCUMENT_FREQUENCY)
    matrix = vectoriser.fit_transform([item.text for item in items])
    weights = np.array([item.weight for item in items])
    labels = []
    coefficients = []
    for code in codes:
        y = np.array([code in t for t in targets], dtype=int)
        margins = out_of_fold_margins(matrix, y, weights)
        platt = LogisticRegression(C=1e4).fit(margins.reshape(-1, 1), y)
        model = LogisticRegression(C=REGULARISATION_C, max_iter=2000).fit(matrix, y, sample_weight=weights)
        coefficients.append(model.coef_[0])
        labels.append(
            {
                "code": code,
                "label": by_code[code]["label"],
                "parent": by_code[code]["broader"],
                "intercept": round(float(model.intercept_[0]), 5),
                "slope": round(float(platt.coef_[0][0]), 5),
                "offset": round(float(platt.intercept_[0]), 5),
            }
        )
    vocabulary = vectoriser.get_feature_names_out()
    stacked = np.vstack(coefficients)
    table = {}
    for column, term in enumerate(vocabulary):
        kept = [
            [int(row), round(float(stacked[row, column]), 4)]
            for row in np.flatnonzero(abs(stacked[:, column]) >= MIN_WEIGHT)
        ]
        if kept:
            table[str(term)] = [round(float(vectoriser.idf_[column]), 5), kept]
    return {
        "_comment": "Written by `make topics-train` (services/enrich/topics_train); do not edit by hand.",
        "labels": labels,
        "features": table,
    }


def out_of_fold_margins(matrix: object, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each item's margin from a model that did not see it, for calibrating that margin honestly."""
    margins = np.zeros(len(y))
    for train, test in KFold(FOLDS, shuffle=True, random_state=SEED).split(y):
        if y[train].min() == y[train].max():
            margins[test] = -10.0 if y[train].max() == 0 else 10.0
            continue
        model = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
        model.fit(matrix[train], y[train], sample_weight=weights[train])  # type: ignore[index]
        margins[test] = model.decision_function(matrix[test])  # type: ignore[index]
    return margins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.enrich.topics_train", description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY / TAXONOMY_FILE)
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    taxonomy = json.loads(args.taxonomy.read_text(encoding="utf-8"))
    items = [*written_items(), *definition_items(args.taxonomy)]
    model = fit(items, taxonomy)
    args.output.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    labels = model["labels"]
    print(
        f"{sum(not i.source.startswith('iptc:') for i in items)} written items, "
        f"{sum(i.source.startswith('iptc:') for i in items)} IPTC definitions; {len(labels)} topics "  # type: ignore[arg-type]
        f"({len(model['features'])} features) -> {args.output} ({args.output.stat().st_size / 1e6:.2f} MB)"  # type: ignore[arg-type]
    )
    return 0
