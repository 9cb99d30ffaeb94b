"""Wiring of the indexer: Kafka consumer and producer (for the DLQ), Elasticsearch client and template."""

from __future__ import annotations

from kafka import KafkaConsumer

from services.common.elastic import install_template, make_client
from services.common.kafka import ensure_topics, kafka_client_options, make_producer
from services.indexer.consumer import Indexer
from services.indexer.settings import IndexerSettings


def bootstrap(settings: IndexerSettings) -> Indexer:
    ensure_topics(settings)
    es = make_client(settings)
    install_template(es, settings)
    consumer = KafkaConsumer(
        settings.topic_enriched,
        **kafka_client_options(settings),
        group_id=settings.group_id,
        client_id="dateline-indexer",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.batch_size,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    return Indexer(settings, consumer, make_producer(settings, client_id="dateline-indexer"), es)
