"""The trained Media Topic classifier on text written for these tests (not in its training corpus)."""

import json
import math

import pytest

from services.enrich.steps.topic_model import MODEL_PATH, TOP_LEVEL, features, load_model, normalise
from services.enrich.steps.topics import MIN_WORDS_FOR_A_TOPIC, lexicon_entries, topics_for
from services.enrich.topics_train.corpus import written_items
from tests.unit.enrich.conftest import shared_path

TOP_LEVEL_CODES = {f"medtop:{n:02d}000000" for n in range(1, 18)}


def test_the_artifact_loads_from_the_repository_and_covers_all_17_top_level_topics() -> None:
    assert MODEL_PATH.exists(), "run make topics-train"
    model = load_model()
    assert {label.code for label in model.labels if label.group == TOP_LEVEL} == TOP_LEVEL_CODES
    assert model.idf and model.weights
    assert 0.05 <= model.thresholds["top_level"] <= 0.95
    assert MODEL_PATH.stat().st_size < 4_000_000  # the artifact stays small enough to commit


def test_top_level_probabilities_sum_to_one_and_children_never_exceed_their_parent() -> None:
    model = load_model()
    vector = model.vector("Shares tumble as oil jumps. Stock markets fell after oil prices jumped 6 percent.")
    top = model.top_level(vector)
    assert math.isclose(sum(s.probability for s in top), 1.0, rel_tol=1e-9)
    economy = next(s for s in top if s.code == "medtop:04000000")
    assert economy.probability == max(s.probability for s in top)
    children = model.children(vector, economy.code, economy.probability)
    assert children, "the economy has second-level topics"
    assert sum(c.conditional for c in children) <= 1.0 + 1e-9  # "none of them" takes the rest
    for child in children:
        assert math.isclose(child.probability, economy.probability * child.conditional)
        assert child.probability <= economy.probability


def test_model_labels_match_the_iptc_taxonomy() -> None:
    taxonomy = json.loads(shared_path("taxonomy", "mediatopics_en-GB_active.compact.json").read_text(encoding="utf-8"))
    by_code = {concept["qcode"]: concept for concept in taxonomy}
    for label in load_model().labels:
        if label.code is None:  # a group's "none of its children"
            assert label.parent == label.group and by_code[label.group]["broader"] is None
            continue
        concept = by_code.get(label.code)
        assert concept is not None, f"{label.code} is not an active Media Topic"
        assert (concept["label"], concept["broader"]) == (label.label, label.parent), label.code
        assert label.parent is None or by_code[label.parent]["broader"] is None, f"{label.code} is not second level"


def test_training_corpus_codes_are_active_media_topics() -> None:
    taxonomy = json.loads(shared_path("taxonomy", "mediatopics_en-GB_active.compact.json").read_text(encoding="utf-8"))
    known = {concept["qcode"] for concept in taxonomy}
    for item in written_items():
        assert set(item.codes) <= known, item.source


def test_a_clear_sports_item_is_sport_first() -> None:
    title = "Hosts grab late equaliser in qualifier"
    body = (
        "The home side equalised in the 88th minute through a substitute's volley, drawing 1-1 with the group "
        "leaders in front of 40,000 fans and keeping alive their hopes of reaching the finals next summer."
    )
    assert topics_for(title, body)[0].code == "medtop:15000000"


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        (
            "Central bank holds borrowing costs",
            "The central bank left its main interest rate unchanged at 4.5 percent on Thursday, saying inflation "
            "was easing but wage growth remained too strong for a cut before the autumn.",
            "medtop:04000000",
        ),
        (
            "Probe sends back first close-up images of icy moon",
            "The spacecraft passed 400 kilometres above the moon's surface, and its cameras revealed cracks in the "
            "ice that scientists believe could vent water from an ocean underneath.",
            "medtop:13000000",
        ),
        (
            "Rebels shell government positions near the airport",
            "Artillery fire hit army positions around the airport overnight, the military said, and at least nine "
            "soldiers were killed as the fighting entered its second week.",
            "medtop:16000000",
        ),
    ],
)
def test_clear_items_get_their_top_level_topic_first(title: str, body: str, expected: str) -> None:
    assert topics_for(title, body)[0].code == expected


def test_every_article_of_twenty_words_gets_a_top_level_topic() -> None:
    body = (
        "On Tuesday afternoon a number of people met in the large room on the second floor and talked for a "
        "while before they went home again."
    )
    assert len(body.split()) >= MIN_WORDS_FOR_A_TOPIC
    assert any(t.code in TOP_LEVEL_CODES for t in topics_for(None, body))


def test_an_article_about_two_things_gets_two_top_level_topics() -> None:
    title = "Striker's transfer delayed as club faces tax fraud trial"
    body = (
        "The club's record signing was put on hold after prosecutors charged its former president with tax fraud "
        "over earlier player transfers. The trial opens in court next month; the striker trained with his new "
        "team-mates on Monday while lawyers argued over the contract."
    )
    top = [t.code for t in topics_for(title, body) if t.code in TOP_LEVEL_CODES]
    assert {"medtop:15000000", "medtop:02000000"} <= set(top)


def test_scores_are_probabilities_parents_follow_children_and_each_topic_says_why() -> None:
    topics = topics_for(
        "Shares tumble as oil jumps",
        "Stock markets fell across Asia and Europe after oil prices jumped 6 percent, and investors bought "
        "government bonds and gold as the dollar weakened against the yen.",
    )
    by_code = {t.code: t.score for t in topics}
    assert all(0.0 <= t.score <= 1.0 for t in topics)
    assert topics == sorted(topics, key=lambda t: -t.score)
    parents = {e["code"]: e["parent"] for e in lexicon_entries()} | {
        lab.code: lab.parent for lab in load_model().labels
    }
    for t in topics:
        if parents[t.code] is not None:
            assert by_code[parents[t.code]] >= t.score, t.code
        assert t.evidence, t.code
    assert any(e.startswith("model: ") for e in topics[0].evidence)


def test_features_are_words_and_word_pairs_with_digits_folded() -> None:
    assert features("Won 2-1, in Rome") == ["won", "0-0", "in", "rome", "won 0-0", "0-0 in", "in rome"]


def test_html_entity_leftovers_and_backslashes_are_normalised_before_tokenising() -> None:
    assert normalise("The Web #39;s quot;best quot; firm pays #36;5 &amp; more\\band") == (
        'The Web\'s "best " firm pays$5 & more band'
    )
    assert features("the club#39;s") == features("the club's")
    assert normalise("#1 seed; ampersand; quotation;") == "#1 seed; ampersand; quotation;"


def test_explain_adds_the_evidence_of_each_topic_in_the_record() -> None:
    from services.cli import _with_topic_evidence

    record = {
        "title": "Shares tumble as oil jumps",
        "body": "Stock markets fell across Asia after oil prices jumped, and investors bought bonds and gold.",
        "topics": [{"code": "medtop:04000000", "label": "economy, business and finance", "score": 0.9}],
    }
    explained = _with_topic_evidence(record)
    assert set(explained["topic_evidence"]) == {"medtop:04000000"}
    assert explained["topic_evidence"]["medtop:04000000"]
