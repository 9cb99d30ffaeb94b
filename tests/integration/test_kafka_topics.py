from __future__ import annotations

from kafka import KafkaConsumer

from services.common.kafka import declared_topics, ensure_topics
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
