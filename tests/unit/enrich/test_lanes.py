"""The backfill lane's view of the live lane (``LiveLane``): pure bookkeeping, no broker."""

from __future__ import annotations

from types import SimpleNamespace

from services.enrich.worker import LiveLane


def _event(partition: int, offset: int) -> SimpleNamespace:
    return SimpleNamespace(message=SimpleNamespace(tp=("articles.raw", partition), offset=offset))


def test_live_records_not_yet_taken_count_as_waiting() -> None:
    lane = LiveLane()
    lane.took([_event(0, 4), _event(0, 5), _event(1, 9)])
    # partition 0: offsets 6 and 7 are on the broker but no live batch took them; partition 1 is caught up.
    assert lane.waiting({("articles.raw", 0): 8, ("articles.raw", 1): 10}, {}) == 2
    lane.took([_event(0, 6), _event(0, 7)])
    assert lane.waiting({("articles.raw", 0): 8, ("articles.raw", 1): 10}, {}) == 0


def test_partitions_no_live_batch_took_from_yet_use_the_consumer_position() -> None:
    lane = LiveLane()
    highwaters = {("articles.raw", 2): 30, ("articles.raw", 3): None}  # None: nothing fetched from 3 yet
    assert lane.waiting(highwaters, {("articles.raw", 2): 25}) == 5
    assert lane.waiting(highwaters, {("articles.raw", 2): 30}) == 0


def test_a_partition_handed_back_after_a_rebalance_is_not_taken_for_waiting() -> None:
    lane = LiveLane()
    lane.took([_event(0, 99)])  # then partition 0 went to another worker, which took it to offset 200
    assert lane.waiting({("articles.raw", 0): 200}, {("articles.raw", 0): 200}) == 0
