from __future__ import annotations

from services.common.elastic import generation_of, generation_prefix, index_name
from services.replay.plan import caught_up, next_generation, swap_actions


def test_generations_name_their_indices_and_are_read_back() -> None:
    from datetime import UTC, datetime

    july = datetime(2025, 7, 3, tzinfo=UTC)
    assert index_name("articles", july) == "articles-2025.07"
    assert index_name("articles", july, 2) == "articles-g2-2025.07"
    assert generation_prefix("articles", 0) == "articles"
    assert generation_of("articles-2025.07", "articles") == 0
    assert generation_of("articles-g12-2025.07", "articles") == 12
    assert generation_of("articles-g2-template", "articles") is None
    assert generation_of("other-2025.07", "articles") is None
    assert generation_of("articles-meta", "articles") is None


def test_the_next_generation_is_above_every_existing_one() -> None:
    indices = ["articles-2025.07", "articles-g1-2025.07", "articles-g3-2025.06"]  # g3: a replay that failed
    assert next_generation(indices, "articles", current=1) == 4
    assert next_generation([], "articles", current=0) == 1


def test_the_swap_moves_the_alias_in_one_call() -> None:
    actions = swap_actions("articles", ["articles-2025.06", "articles-2025.07"], ["articles-g1-2025.07"])
    assert actions == [
        {"remove": {"index": "articles-2025.06", "alias": "articles"}},
        {"remove": {"index": "articles-2025.07", "alias": "articles"}},
        {"add": {"index": "articles-g1-2025.07", "alias": "articles"}},
    ]


def test_reading_is_done_only_when_every_partition_reached_its_end() -> None:
    ends = {("raw", 0): 5, ("raw", 1): 0, ("backfill", 0): 2}
    assert not caught_up({("raw", 0): 5}, ends)
    assert caught_up({("raw", 0): 5, ("backfill", 0): 2}, ends)
