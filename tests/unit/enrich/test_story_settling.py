"""The rule that settles two workers founding the same story at once (``settle_founder``), without a broker: each
case is what each worker's read-back can see, and both must end with one story id."""

from __future__ import annotations

from services.enrich.steps.stories import DEFAULT_THRESHOLD, Candidate, best_match, settle_founder

INDEX = "articles_stories-2025.06"


def founder(article_id: str, seq_no: int) -> Candidate:
    """A copy that founded its story: its story id is its own id, written at ``seq_no``."""
    return Candidate(story_id=article_id, shared=40, sample_size=50, position=(INDEX, 1, seq_no))


def settled(article_id: str, seq_no: int, sees: list[Candidate]) -> str:
    return settle_founder(article_id, (INDEX, 1, seq_no), 50, sees, DEFAULT_THRESHOLD)


def test_when_both_see_each_other_the_later_written_joins_the_earlier() -> None:
    a, b = founder("a-copy", 7), founder("b-copy", 9)
    assert settled("a-copy", 7, [b]) == "a-copy"
    assert settled("b-copy", 9, [a]) == "a-copy"


def test_when_only_the_later_written_sees_the_other_they_still_agree() -> None:
    # Write-then-read guarantees only that the copy made visible second sees the first. The later one's id is
    # the smaller here: a rule on (received_at, id) would keep both ids; the write order does not.
    a = founder("zz-later-id", 7)
    assert settled("zz-later-id", 7, []) == "zz-later-id"
    assert settled("aa-smaller-id", 9, [a]) == "zz-later-id"


def test_a_later_founder_seen_on_read_back_changes_nothing() -> None:
    assert settled("a-copy", 7, [founder("b-copy", 9), founder("c-copy", 12)]) == "a-copy"


def test_three_founders_at_once_end_in_the_earliest_written_story() -> None:
    a, b, c = founder("a", 3), founder("b", 4), founder("c", 5)
    assert {settled("a", 3, [b, c]), settled("b", 4, [a, c]), settled("c", 5, [a, b])} == {"a"}


def test_an_earlier_article_of_another_story_that_matched_joins_that_story() -> None:
    grouped = Candidate(story_id="story-x", shared=30, sample_size=40, position=(INDEX, 1, 2))
    assert settled("new", 9, [grouped]) == "story-x"


def test_positions_order_months_then_primary_terms_then_sequence_numbers() -> None:
    may = Candidate(story_id="may", shared=40, sample_size=50, position=("articles_stories-2025.05", 1, 900))
    failover = Candidate(story_id="term2", shared=40, sample_size=50, position=(INDEX, 2, 1))
    assert settle_founder("june", (INDEX, 1, 5), 50, [may], DEFAULT_THRESHOLD) == "may"
    assert settle_founder("june", (INDEX, 1, 5), 50, [failover], DEFAULT_THRESHOLD) == "june"


def test_too_little_in_common_is_not_a_story() -> None:
    teaser = Candidate(story_id="other", shared=2, sample_size=2, position=(INDEX, 1, 1))
    weak = Candidate(story_id="other", shared=10, sample_size=60, position=(INDEX, 1, 1))
    assert settled("new", 9, [teaser]) == "new"
    assert settled("new", 9, [weak]) == "new"


def test_best_match_breaks_containment_ties_by_the_earliest_written() -> None:
    later = Candidate(story_id="later", shared=40, sample_size=50, position=(INDEX, 1, 8))
    earlier = Candidate(story_id="earlier", shared=40, sample_size=50, position=(INDEX, 1, 3))
    match = best_match([later, earlier], 50, DEFAULT_THRESHOLD)
    assert match is not None and match.story_id == "earlier"
