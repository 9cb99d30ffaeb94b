from __future__ import annotations

import socket
import time

import pytest
from kafka import KafkaConsumer

from services.common.kafka import KafkaUnavailable, declared_topics, ensure_topics
from services.common.settings import CommonSettings


def test_declared_topics_exist_with_their_partition_counts(settings: CommonSettings) -> None:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        for spec in declared_topics(settings):
            assert len(consumer.partitions_for_topic(spec.name) or ()) == spec.partitions, spec.name
    finally:
        consumer.close()
    assert {spec.name for spec in declared_topics(settings)} == {
        settings.topic_raw,
        f"{settings.topic_prefix}articles.backfill",
        settings.topic_enriched,
        settings.topic_dlq,
    }


def test_creating_topics_again_is_a_no_op(settings: CommonSettings) -> None:
    assert ensure_topics(settings) == []


def test_a_service_waits_for_kafka_then_says_clearly_that_it_is_not_there() -> None:
    closed_port = socket.socket()
    closed_port.bind(("127.0.0.1", 0))
    address = f"127.0.0.1:{closed_port.getsockname()[1]}"
    closed_port.close()
    settings = CommonSettings(KAFKA_BOOTSTRAP_SERVERS=address, kafka_startup_wait_s=2)
    started = time.monotonic()
    with pytest.raises(KafkaUnavailable, match="did not answer within 2 s"):
        ensure_topics(settings)
    assert 2 <= time.monotonic() - started < 30
