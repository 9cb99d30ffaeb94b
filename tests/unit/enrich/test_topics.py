import json

import pytest

from services.enrich.steps.extract import extract_articles
from services.enrich.steps.topics import keyword_topics_for, lexicon_entries, topics_for
from tests.unit.enrich.conftest import shared_path


def codes(title: str | None, body: str) -> set[str]:
    return {t.code for t in topics_for(title, body)}


def test_lexicon_matches_the_iptc_taxonomy() -> None:
    taxonomy = json.loads(shared_path("taxonomy", "mediatopics_en-GB_active.compact.json").read_text(encoding="utf-8"))
    by_code = {concept["qcode"]: concept for concept in taxonomy}
    for entry in lexicon_entries():
        concept = by_code.get(entry["code"])
        assert concept is not None, f"{entry['code']} is not an active Media Topic"
        assert concept["label"] == entry["label"], entry["code"]
        assert concept["broader"] == entry["parent"], entry["code"]


def test_lexicon_is_well_formed() -> None:
    entries = lexicon_entries()
    known = {e["code"] for e in entries}
    assert len(known) == len(entries)
    for entry in entries:
        assert entry["keywords"], entry["code"]
        assert entry["parent"] is None or entry["parent"] in known, f"{entry['code']}: parent not in lexicon"


def test_seed_004_is_about_trade(seed_text) -> None:
    (article,) = extract_articles(seed_text("004"), content_type="text/plain")
    found = codes(article.title, article.body)
    assert {"medtop:04000000", "medtop:20000373"} <= found


def test_seed_001_is_about_diplomacy(seed_text) -> None:
    (article,) = extract_articles(seed_text("001"), content_type="text/plain")
    found = codes(article.title, article.body)
    assert {"medtop:11000000", "medtop:20000638", "medtop:20000639"} <= found


def test_seed_000_crime_teaser(seed_text) -> None:
    teaser = extract_articles(seed_text("000"), content_type="text/plain")[1]
    assert "medtop:20000082" in codes(teaser.title, teaser.body)


def test_election_and_defence() -> None:
    body = (
        "Voters go to the polls on Sunday in an upper house election. The campaign has focused on prices. "
        "Candidates of the ruling coalition need 50 seats."
    )
    assert "medtop:20000574" in codes("Japan heads to the polls", body)
    defence = "The navy and air force held joint drills near the border. Missile defence systems were deployed."
    assert "medtop:20000598" in codes("Allies stage military drills", defence)


def test_scores_are_ordered_in_range_and_parents_follow_children() -> None:
    body = "Tariff talks resumed. Both sides discussed tariffs on steel, exports and a trade deal on cars."
    scores = topics_for("Tariff talks", body)
    assert scores == sorted(scores, key=lambda t: -t.score)
    assert all(0.0 <= t.score <= 1.0 for t in scores)
    by_code = {t.code: t.score for t in scores}
    assert by_code["medtop:20000344"] >= by_code["medtop:20000373"]


def test_no_topic_without_text() -> None:
    assert topics_for(None, "") == []


@pytest.mark.parametrize("body", ["", "The weather was pleasant and the cat slept."])
def test_no_keyword_topic_without_two_keywords(body: str) -> None:
    assert keyword_topics_for(None, body) == []


def test_wildcard_keywords_start_with_three_letters() -> None:
    # topics.py indexes "*" keywords by their first three letters.
    for entry in lexicon_entries():
        for keyword in entry["keywords"]:
            first = keyword.split()[0]
            assert "*" not in first[:3], f"{entry['code']}: {keyword!r}"


def test_keywords_match_whole_words_phrases_and_endings() -> None:
    body = "Tariffs rose. The trade  deal failed; subtrade quotas and the non-tariff barriers stayed. Trade, deal."
    found = {t.code for t in topics_for(None, body)}
    assert "medtop:20000373" in found
    from services.enrich.steps.topics import _hits

    hits = _hits(body)["medtop:20000373"]
    assert "tariffs" in hits and "trade deal" in hits and "non-tariff" in hits
    assert hits.count("trade deal") == 1 and "trade" in hits  # "Trade, deal": punctuation breaks the phrase
    assert "subtrade" not in hits


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "Striker's transfer delayed as club faces tax fraud trial",
            "The club's record signing was put on hold after prosecutors charged its former president with tax "
            "fraud over earlier player transfers. The trial opens in court next month.",
        ),
        (
            "Tariff talks resumed",
            "Both sides discussed tariffs on steel, exports and a trade deal on cars, while farmers protested.",
        ),
    ],
)
def test_keywords_never_reorder_the_classifiers_best_top_level_topic(title: str, body: str) -> None:
    from services.enrich.steps.topic_model import load_model

    model = load_model()
    best = max(model.top_level(model.vector(f"{title}\n\n{body}")), key=lambda s: s.probability)
    top_level = [t for t in topics_for(title, body) if t.code.endswith("000000")]
    assert top_level[0].code == best.code
    assert top_level[0].score == pytest.approx(best.probability)
