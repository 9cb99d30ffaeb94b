from __future__ import annotations

from typing import Any, cast

from services.indexer.consumer import MIN_DOCUMENTS_PER_REQUEST, Pending, split_by_id


def _pending(article_id: str, version: int) -> Pending:
    action: dict[str, Any] = {"_index": "articles-2025.06", "_id": article_id, "_source": {"version": version}}
    return Pending(record=cast(Any, None), action=action)


def test_a_small_batch_goes_as_one_request() -> None:
    pending = [_pending(f"id-{n}", 0) for n in range(2 * MIN_DOCUMENTS_PER_REQUEST - 1)]
    assert split_by_id(pending, 2) == [pending]


def test_an_empty_batch_makes_no_request() -> None:
    assert split_by_id([], 4) == []


def test_a_large_batch_is_split_into_at_most_the_given_number_of_requests() -> None:
    pending = [_pending(f"id-{n}", 0) for n in range(500)]
    groups = split_by_id(pending, 3)
    assert len(groups) == 3
    assert sorted(id(item) for group in groups for item in group) == sorted(id(item) for item in pending)
    assert all(len(group) > MIN_DOCUMENTS_PER_REQUEST for group in groups)


def test_every_version_of_a_document_stays_in_one_request_in_order() -> None:
    pending = [_pending(f"id-{n % 120}", n // 120) for n in range(480)]  # each id four times, versions 0..3
    groups = split_by_id(pending, 2)
    assert len(groups) == 2
    for group in groups:
        ids = {item.action["_id"] for item in group}
        assert not any(item.action["_id"] in ids for other in groups if other is not group for item in other)
        for article_id in ids:
            versions = [item.action["_source"]["version"] for item in group if item.action["_id"] == article_id]
            assert versions == [0, 1, 2, 3]


def test_one_request_at_a_time_when_concurrency_is_one() -> None:
    pending = [_pending(f"id-{n}", 0) for n in range(500)]
    assert split_by_id(pending, 1) == [pending]
