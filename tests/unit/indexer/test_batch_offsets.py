from __future__ import annotations

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from services.indexer.consumer import next_offsets


def _record(partition: int, offset: int) -> ConsumerRecord:
    return ConsumerRecord(
        topic="articles.enriched",
        partition=partition,
        leader_epoch=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=b"{}",
        headers=[],
        checksum=None,
        serialized_key_size=-1,
        serialized_value_size=2,
        serialized_header_size=-1,
    )


def test_a_batch_commits_the_offset_after_its_last_record_per_partition() -> None:
    records = [_record(0, 7), _record(1, 3), _record(0, 9), _record(0, 8)]
    assert next_offsets(records) == {
        TopicPartition("articles.enriched", 0): 10,
        TopicPartition("articles.enriched", 1): 4,
    }


def test_an_empty_batch_commits_nothing() -> None:
    assert next_offsets([]) == {}
