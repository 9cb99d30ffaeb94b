"""Issue 16: the one stage contract under faults. A dead letter the broker refuses stops the commit (the
indexer ends with an error and the batch is read again once the DLQ takes it); a binary poison record's dead
letter holds its exact bytes. Each prints its audit, like the other fault tests."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from schemas import encode
from services.common.stage import original_bytes
from services.dlq.replay import read_dead_letters
from tests.faults.conftest import SINGLE_ARTICLE_SAMPLES, Pipeline
from tests.faults.test_faults import assert_clean, malformed_article

PER_ROUND = len(SINGLE_ARTICLE_SAMPLES)
# Smaller than the malformed document's dead letter (its original alone is about 1 KB).
REFUSING_DLQ_BYTES = 600


def set_dlq_limit(admin: KafkaAdminClient, topic: str, limit: int) -> None:
    resource = ConfigResource(ConfigResourceType.TOPIC, topic, configs={"max.message.bytes": str(limit)})
    admin.alter_configs([resource])


@pytest.mark.timeout(300)
def test_a_dead_letter_the_broker_refuses_stops_the_commit(pipeline: Pipeline) -> None:
    settings = pipeline.settings
    admin = KafkaAdminClient(bootstrap_servers=pipeline.env["KAFKA_BOOTSTRAP_SERVERS"])
    try:
        # This test's own DLQ topic, created before the services declare it, with a limit its dead letter exceeds.
        config = {"max.message.bytes": str(REFUSING_DLQ_BYTES)}
        admin.create_topics([NewTopic(settings.topic_dlq, 1, 1, topic_configs=config)])
        pipeline.start("enrich")
        indexer = pipeline.start("indexer", "indexer-1")
        pipeline.ingest(pipeline.variants(1))
        producer = KafkaProducer(bootstrap_servers=pipeline.env["KAFKA_BOOTSTRAP_SERVERS"])
        producer.send(settings.topic_enriched, key=b"malformed", value=encode(malformed_article()))
        producer.flush()
        producer.close()

        code = indexer.wait(timeout=180)
        pipeline.processes = [(label, p) for label, p in pipeline.processes if p is not indexer]
        refused = [e for e in pipeline.log_lines("indexer-1") if e.get("msg", "").startswith("dead letter not ack")]
        group = pipeline.env["DATELINE_GROUP_ID"]
        committed = admin.list_group_offsets([group]).get(group) or {}
        lag = pipeline.topic_counts()["enriched"] - sum(meta.offset for meta in committed.values())
        print(f"\n  DLQ topic limit {REFUSING_DLQ_BYTES} B: indexer exit {code}, uncommitted records {lag}")
        print("   ", refused[0]["error"][:200] if refused else pipeline.tail("indexer-1", 5))
        assert code == 1 and refused, pipeline.tail("indexer-1")
        assert lag >= 1  # the batch holding the refused dead letter was not committed
        assert pipeline.topic_counts()["dlq"] == 0

        set_dlq_limit(admin, settings.topic_dlq, 33554432)
        time.sleep(2)
        pipeline.start("indexer", "indexer-2")
        pipeline.wait_drained(PER_ROUND)
    finally:
        admin.close()
    report = pipeline.audit()
    assert_clean(report, accepted=PER_ROUND, dlq=1)
    assert report["dlq_by_reason"] == {"index/es_rejected": 1}


BINARY_POISON = bytes(range(256)) + b"\n\x00\xc3\x28\xa0\xa1\xff\r\n binary tail \x80"


@pytest.mark.timeout(300)
def test_a_binary_poison_records_dead_letter_holds_its_exact_bytes(pipeline: Pipeline) -> None:
    pipeline.start("enrich")
    pipeline.start("indexer")
    settings = pipeline.settings
    pipeline.ingest(pipeline.variants(1))  # creates the topics with their declared limits
    producer = KafkaProducer(bootstrap_servers=pipeline.env["KAFKA_BOOTSTRAP_SERVERS"])
    sent = producer.send(settings.topic_raw, value=BINARY_POISON).get(timeout=30)
    producer.close()
    pipeline.wait_drained(PER_ROUND)
    letters = [letter for _, letter in read_dead_letters(settings)]
    (letter,) = [
        letter for letter in letters if (letter.source_partition, letter.source_offset) == (sent.partition, sent.offset)
    ]
    print(
        f"\n  poison of {len(BINARY_POISON)} bytes: dead letter {letter.stage}/{letter.reason}, "
        f"{letter.original_encoding}, size {letter.original_size}, truncated {letter.original_truncated}"
    )
    assert letter.original_encoding == "base64" and not letter.original_truncated
    assert original_bytes(letter) == BINARY_POISON
    report = pipeline.audit()
    assert_clean(report, accepted=PER_ROUND, dlq=1)
    assert report["poison"] == 1
