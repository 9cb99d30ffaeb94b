"""The I/O half of ``dateline audit``: every record of the three topics, and the ids in the index."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from elasticsearch import Elasticsearch, NotFoundError
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from schemas import ArticleEnriched, ArticleIngested, ArticleRejected, InvalidMessage, decode
from services.audit.reconcile import AuditReport, DeadLetter, IndexedDocs, TopicRecord, reconcile
from services.common.elastic import make_client
from services.common.kafka import kafka_client_options
from services.common.settings import CommonSettings

log = logging.getLogger(__name__)
T = TypeVar("T")


def read_topic(settings: CommonSettings, topic: str, parse: Callable[[ConsumerRecord], T]) -> Iterator[T]:
    """Every record of ``topic`` from the beginning to the end offsets of now, through ``parse``; no group."""
    consumer = KafkaConsumer(
        **kafka_client_options(settings),
        enable_auto_commit=False,
        group_id=None,
        client_id="dateline-audit",
        max_partition_fetch_bytes=32 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = {tp: end for tp, end in consumer.end_offsets(partitions).items() if end > 0}
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for batch in consumer.poll(timeout_ms=1000).values():
                for record in batch:
                    if record.offset < ends.get(TopicPartition(record.topic, record.partition), 0):
                        yield parse(record)
    finally:
        consumer.close()


def parse_raw(record: ConsumerRecord) -> TopicRecord:
    try:
        article_id: str | None = decode(record.value or b"", ArticleIngested).id
    except InvalidMessage:
        article_id = None
    return TopicRecord(record.topic, record.partition, record.offset, article_id)


def parse_enriched(record: ConsumerRecord) -> TopicRecord:
    try:
        article = decode(record.value or b"", ArticleEnriched)
    except InvalidMessage:
        return TopicRecord(record.topic, record.partition, record.offset, None)
    return TopicRecord(record.topic, record.partition, record.offset, article.id, article.raw_id)


def parse_dead_letter(record: ConsumerRecord) -> DeadLetter:
    try:
        letter = decode(record.value or b"", ArticleRejected)
    except InvalidMessage as exc:
        return DeadLetter(stage="unknown", reason=f"unreadable_{exc.reason}", article_id=None, source=None)
    source = None
    if letter.source_topic is not None and letter.source_partition is not None and letter.source_offset is not None:
        source = (letter.source_topic, letter.source_partition, letter.source_offset)
    return DeadLetter(stage=letter.stage, reason=letter.reason, article_id=letter.article_id, source=source)


def indexed_docs(es: Elasticsearch, index: str, page: int = 1000) -> IndexedDocs:
    """Exact per-id document counts across the alias's indices (composite aggregation, paged), and raw ids."""
    return IndexedDocs(
        id_counts=_term_counts(es, index, "id", page), raw_ids=frozenset(_term_counts(es, index, "raw_id", page))
    )


def _term_counts(es: Elasticsearch, index: str, field: str, page: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    after: dict[str, Any] | None = None
    while True:
        composite: dict[str, Any] = {"size": page, "sources": [{"v": {"terms": {"field": field}}}]}
        if after:
            composite["after"] = after
        try:
            response = es.options(request_timeout=60).search(
                index=index, size=0, aggs={"ids": {"composite": composite}}
            )
        except NotFoundError:
            return counts  # no alias yet: nothing indexed
        buckets = response["aggregations"]["ids"]["buckets"]
        for bucket in buckets:
            counts[bucket["key"]["v"]] = bucket["doc_count"]
        after = response["aggregations"]["ids"].get("after_key")
        if not buckets or not after:
            return counts


def run_audit(settings: CommonSettings) -> AuditReport:
    """Reads the topics and the index named by ``settings`` and reconciles them."""
    es = make_client(settings)
    es.options(ignore_status=404).indices.refresh(index=settings.index_prefix)
    raw = [
        item
        for topic in (settings.topic_raw, settings.topic_backfill)
        for item in read_topic(settings, topic, parse_raw)
    ]
    enriched = list(read_topic(settings, settings.topic_enriched, parse_enriched))
    dead_letters = list(read_topic(settings, settings.topic_dlq, parse_dead_letter))
    return reconcile(raw, enriched, dead_letters, indexed_docs(es, settings.index_prefix))
