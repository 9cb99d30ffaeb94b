"""Issue 6: at-least-once through Kafka plus idempotent indexing is effectively-once in the index.

Each test injects one fault into the running pipeline (real processes, real Kafka and Elasticsearch), waits until
the pipeline has drained, and asserts what ``dateline audit`` says: every accepted article is indexed or in the
DLQ, none is indexed twice, and the DLQ holds only genuinely bad input. Each prints its counts and duration.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import urllib3
from kafka import KafkaConsumer, KafkaProducer
from kafka.partitioner.default import murmur2

from schemas import ArticleEnriched, Enrichment, Lineage, Origin, Source, encode
from services.common.elastic import make_client
from services.ingest.reader import raw_article_id
from tests.builders import enriched_article
from tests.faults.conftest import REPO_ROOT, SINGLE_ARTICLE_SAMPLES, Pipeline
from tests.faults.proxy import RejectingProxy
from tests.faults.servers import KAFKA_LIB, PrivateElasticsearch, PrivateKafka, free_port
from tests.kafka_helpers import read_topic

PER_ROUND = len(SINGLE_ARTICLE_SAMPLES)


def assert_clean(report: dict, *, accepted: int, dlq: int = 0) -> None:
    assert report["lost"] == 0, report["lost_ids"]
    assert report["duplicated"] == 0, report["duplicated_ids"]
    assert report["accepted"] == accepted
    assert report["dlq"] == dlq, report["dlq_by_reason"]


@pytest.mark.timeout(300)
def test_enrich_worker_killed_mid_batch(pipeline: Pipeline) -> None:
    pipeline.start("indexer")
    pipeline.ingest(pipeline.variants(4))  # 24 articles waiting, batches of 4
    total = 4 * PER_ROUND
    worker = pipeline.start("enrich", "enrich-1")
    deadline = time.monotonic() + 120
    while pipeline.topic_counts()["enriched"] == 0:
        assert time.monotonic() < deadline, pipeline.tail("enrich-1")
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    at_kill = pipeline.topic_counts()["enriched"]
    print(f"\n  killed the worker (-9) with {at_kill} of {total} articles enriched")
    assert at_kill < total, "the worker finished before it could be killed; nothing was proved"
    pipeline.start("enrich", "enrich-2")
    pipeline.wait_drained(total)
    counts = pipeline.topic_counts()
    print(f"  enriched records {counts['enriched']} for {total} articles (re-delivered batches: the excess)")
    assert_clean(pipeline.audit(), accepted=total)


@pytest.mark.timeout(300)
def test_indexer_killed_after_bulk_before_commit(pipeline: Pipeline) -> None:
    """The fault hook SIGKILLs the indexer right after Elasticsearch acknowledged its first bulk and before the
    offset commit: the one moment a crash re-delivers work already done. A kill -9 from outside could not hit
    that window reliably; the hook only chooses the moment, the death is a real SIGKILL."""
    pipeline.start("enrich")
    pipeline.ingest(pipeline.variants(2))
    total = 2 * PER_ROUND
    doomed = pipeline.start("indexer", "indexer-1", DATELINE_FAULT_EXIT_AFTER_BULK="1")
    assert doomed.wait(timeout=180) == -signal.SIGKILL, pipeline.tail("indexer-1")
    es = make_client(pipeline.settings)
    es.indices.refresh(index=pipeline.settings.index_prefix)
    before = es.count(index=pipeline.settings.index_prefix)["count"]
    print(f"\n  indexer killed after an acknowledged, uncommitted bulk; {before} documents in the index")
    assert before >= 1
    pipeline.start("indexer", "indexer-2")
    pipeline.wait_drained(total)
    es.indices.refresh(index=pipeline.settings.index_prefix)
    versions = es.search(index=pipeline.settings.index_prefix, size=100, version=True, query={"match_all": {}})
    overwritten = sum(1 for hit in versions["hits"]["hits"] if hit["_version"] > 1)
    print(f"  re-delivered and overwritten in place (_version > 1): {overwritten} documents")
    assert overwritten >= 1
    assert_clean(pipeline.audit(), accepted=total)


def malformed_article() -> ArticleEnriched:
    """Valid against our schema, refused by the index mapping: lineage.added_words is an ES integer."""
    now = datetime.now(UTC)
    return enriched_article(
        id="badbadbadbadbadbadbadbadbadbad00",
        raw_id="badbadbadbadbadbadbadbadbadbad00",
        story_id="badbadbadbadbadbadbadbadbadbad00",
        lineage=Lineage(original=False, original_id="0" * 32, added_words=2**40),
        source=Source(name="Fault test"),
        title="A document the mapping refuses",
        body="Its word count does not fit an integer field.",
        published_at=now,
        published_at_precision=None,
        received_at=now,
        origin=Origin(uri="fault://malformed"),
        enrichment=Enrichment(version="fault", model="none"),
    )


@pytest.mark.timeout(300)
def test_elasticsearch_429_and_one_malformed_document(pipeline: Pipeline) -> None:
    proxy = RejectingProxy(pipeline.env["ELASTICSEARCH_URL"], reject_bulks=6)
    try:
        pipeline.start("enrich")
        pipeline.start("indexer", ELASTICSEARCH_URL=proxy.url)
        pipeline.ingest(pipeline.variants(1))
        producer = KafkaProducer(bootstrap_servers=pipeline.env["KAFKA_BOOTSTRAP_SERVERS"])
        producer.send(pipeline.settings.topic_enriched, key=b"malformed", value=encode(malformed_article()))
        producer.flush()
        producer.close()
        pipeline.ingest(pipeline.variants(1))
        pipeline.wait_drained(2 * PER_ROUND)
        print(f"\n  proxy answered 429 to {proxy.rejected} bulks, passed {proxy.bulks_passed}")
        assert proxy.rejected == 6
    finally:
        proxy.close()
    report = pipeline.audit()
    assert_clean(report, accepted=2 * PER_ROUND, dlq=1)
    assert report["dlq_by_reason"] == {"index/es_rejected": 1}

    # The DLQ is replayable, once: a dry run lists it, a replay sends it, a second replay sends nothing.
    dry = json.loads(pipeline.dateline("dlq", "replay", "--stage", "index", "--dry-run", "--json").stdout)
    sent = json.loads(
        pipeline.dateline("dlq", "replay", "--stage", "index", "--reason", "es_rejected", "--json").stdout
    )
    again = json.loads(pipeline.dateline("dlq", "replay", "--stage", "index", "--json").stdout)
    print(f"  dlq replay: dry run {dry}, replay {sent}, again {again}")
    assert (dry["would_replay"], sent["replayed"], again["replayed"]) == (1, 1, 0)
    assert again["skipped"] == {"already_replayed": again["matched"]}
    # Nothing was fixed, so the replayed document is refused again: a second DLQ record, still nothing lost.
    deadline = time.monotonic() + 60
    while pipeline.topic_counts()["dlq"] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert_clean(pipeline.audit(), accepted=2 * PER_ROUND, dlq=2)


@pytest.mark.timeout(360)
def test_second_worker_joins_and_leaves(pipeline: Pipeline) -> None:
    pipeline.start("enrich", "enrich-a")
    pipeline.start("indexer")
    pipeline.ingest(pipeline.variants(1))
    second = pipeline.start("enrich", "enrich-b")
    rounds = 1
    deadline = time.monotonic() + 150
    while pipeline.batches("enrich-b")[0] == 0:  # keep the stream going until the newcomer has taken a share
        assert time.monotonic() < deadline, pipeline.tail("enrich-b")
        pipeline.ingest(pipeline.variants(1))
        rounds += 1
        time.sleep(3)
    stop_s = pipeline.stop(second)
    print(f"\n  second worker stopped by SIGTERM in {stop_s:.1f} s")
    pipeline.ingest(pipeline.variants(1))
    rounds += 1
    pipeline.wait_drained(rounds * PER_ROUND)
    a, b = pipeline.batches("enrich-a"), pipeline.batches("enrich-b")
    print(f"  worker a: {a[0]} batches / {a[1]} raw; worker b: {b[0]} batches / {b[1]} raw")
    assert a[1] > 0 and b[1] > 0
    assert_clean(pipeline.audit(), accepted=rounds * PER_ROUND)


def console_produce(pipeline: Pipeline, topic: str, data: bytes, *extra: str) -> subprocess.CompletedProcess[bytes]:
    """Kafka's own console producer (kafka.tools.ConsoleProducer from our jars): one record per input line."""
    command = ["java", "-Xmx512m", "-cp", f"{KAFKA_LIB}/*", "kafka.tools.ConsoleProducer"]
    command += ["--bootstrap-server", pipeline.env["KAFKA_BOOTSTRAP_SERVERS"], "--topic", topic, "--sync", *extra]
    return subprocess.run(command, input=data, capture_output=True, timeout=120)


@pytest.mark.timeout(300)
def test_poison_messages_from_a_foreign_producer(pipeline: Pipeline) -> None:
    pipeline.start("enrich")
    pipeline.start("indexer")
    topic = pipeline.settings.topic_raw
    pipeline.ingest(pipeline.variants(1))  # creates the topics with their declared limits
    before = pipeline.topic_counts()["raw"]
    poison = b"\n".join(
        [
            b'{"id": "not closed", ',  # invalid JSON
            b'{"schema": "someone.elses_event", "id": 42, "payload": {"x": 1}}',  # valid JSON, wrong schema
            b"",  # empty body
            b"\x00\x01\x02\x7f\xc3\x28\xa0\xa1\xff binary",  # binary (the line reader decodes it as UTF-8)
        ]
    )
    result = console_produce(pipeline, topic, poison + b"\n")
    assert result.returncode == 0, result.stderr.decode()
    assert pipeline.topic_counts()["raw"] == before + 4

    huge = b'{"content": "' + b"x" * (20 * 1024 * 1024) + b'"}\n'
    result = console_produce(pipeline, topic, huge, "--producer-property", "max.request.size=33554432")
    stderr = result.stderr.decode(errors="replace")
    rejected = "RecordTooLargeException" in stderr or "MessageSizeTooLarge" in stderr
    print(f"\n  20 MB record: console producer exit {result.returncode}, broker rejected it: {rejected}")
    print("   ", next((line for line in stderr.splitlines() if "TooLarge" in line), stderr[-300:]))
    assert rejected
    assert pipeline.topic_counts()["raw"] == before + 4

    pipeline.ingest(pipeline.variants(1))
    pipeline.wait_drained(2 * PER_ROUND)
    report = pipeline.audit()
    assert_clean(report, accepted=2 * PER_ROUND, dlq=4)
    assert report["poison"] == 4
    assert report["dlq_by_reason"] == {"enrich/invalid_json": 3, "enrich/schema_mismatch": 1}


def scrape(port: int, path: str) -> tuple[int, str]:
    response = urllib3.request("GET", f"http://127.0.0.1:{port}{path}", timeout=5, retries=False)
    return response.status, response.data.decode()


def metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


@pytest.mark.timeout(420)
def test_elasticsearch_stopped_for_60_s(private_pipeline: Pipeline, private_es: PrivateElasticsearch) -> None:
    pipeline = private_pipeline
    port = free_port()
    pipeline.start("enrich")
    pipeline.start("indexer", DATELINE_METRICS_PORT=str(port))
    pipeline.ingest(pipeline.variants(1))
    pipeline.wait_drained(PER_ROUND)
    private_es.stop()
    stopped = time.monotonic()
    rounds = 1
    for _ in range(3):  # ingest carries on while Elasticsearch is down
        pipeline.ingest(pipeline.variants(1))
        rounds += 1
        time.sleep(max(0.0, 20 * (rounds - 1) - (time.monotonic() - stopped)))
    health_status, health = scrape(port, "/health")
    _, metrics = scrape(port, "/metrics")
    retries = metric(metrics, "dateline_indexer_bulk_retries_total")
    print(f"\n  during the outage: /health {health_status} {health}; bulk retries so far {retries:.0f}")
    assert json.loads(health)["elasticsearch_available"] is False
    assert retries > 0
    private_es.start()
    print(f"  Elasticsearch back after {time.monotonic() - stopped:.0f} s")
    pipeline.wait_drained(rounds * PER_ROUND)
    assert_clean(pipeline.audit(), accepted=rounds * PER_ROUND)


@pytest.mark.timeout(420)
def test_kafka_broker_restarted(private_pipeline: Pipeline, private_kafka: PrivateKafka) -> None:
    pipeline = private_pipeline
    pipeline.start("enrich")
    pipeline.start("indexer")
    pipeline.ingest(pipeline.variants(1))
    rounds = 1
    pipeline.wait_drained(PER_ROUND)  # both services up and consuming before the broker goes
    # A second round in flight while the broker goes down: whatever ingest got acknowledged must arrive.
    background = threading.Thread(target=lambda: pipeline.ingest(pipeline.variants(1), check=False))
    background.start()
    private_kafka.stop()
    background.join(timeout=120)
    down = pipeline.ingest(pipeline.variants(1), check=False, timeout=120)
    print(f"\n  ingest while the broker is down: exit {down.returncode} {down.stdout.strip()[-200:]}")
    time.sleep(5)
    private_kafka.start()
    print("  broker restarted")
    pipeline.ingest(pipeline.variants(1))
    rounds += 1
    for label, process in pipeline.processes:
        assert process.poll() is None, f"{label} died with the broker: {pipeline.tail(label)}"
    report = pipeline.wait_drained(rounds * PER_ROUND)
    final = pipeline.audit()
    assert final["lost"] == 0 and final["duplicated"] == 0
    assert final["dlq"] == 0, final["dlq_by_reason"]
    # rounds 2 and 3 were published only as far as the broker acknowledged them before going down
    assert final["accepted"] >= rounds * PER_ROUND and final["accepted"] == report.accepted


def test_services_started_before_the_broker_wait_and_then_connect(
    private_pipeline: Pipeline, private_kafka: PrivateKafka
) -> None:
    pipeline = private_pipeline
    private_kafka.stop()
    pipeline.start("enrich")
    pipeline.start("indexer")
    time.sleep(10)  # both are in their start-up wait (DATELINE_KAFKA_STARTUP_WAIT_S, 300 s by default)
    for label, process in pipeline.processes:
        assert process.poll() is None, f"{label} gave up while the broker was down: {pipeline.tail(label)}"
    private_kafka.start()
    print("\n  broker started 10 s after the services")
    pipeline.ingest(pipeline.variants(1))
    report = pipeline.wait_drained(PER_ROUND)
    final = pipeline.audit()
    assert final["lost"] == 0 and final["duplicated"] == 0
    assert final["dlq"] == 0, final["dlq_by_reason"]
    assert final["accepted"] == PER_ROUND == report.accepted


WIRE_STORY = "05_no_title_court_ruling.txt"  # not among the warm-up samples: the copies found their story


def wire_copies(pipeline: Pipeline, count: int, partitions: int) -> list[Path]:
    """``count`` copies of one wire story (each naming its outlet in the first sentence), chosen so that their
    raw records, keyed by content hash, land on ``count`` different partitions of ``articles.raw``."""
    text = (REPO_ROOT / "samples" / "feed" / WIRE_STORY).read_text(encoding="utf-8")
    folder = pipeline.workdir / "wire-copies"
    folder.mkdir(exist_ok=True)
    chosen: dict[int, Path] = {}
    for outlet in range(1000):
        court = "The Osaka District Court"
        copy = text.replace(court, f"{court} ({pipeline.name} outlet {outlet})", 1)
        partition = (murmur2(raw_article_id(copy).encode()) & 0x7FFFFFFF) % partitions
        if partition not in chosen:
            chosen[partition] = folder / f"copy-{outlet}.txt"
            chosen[partition].write_text(copy, encoding="utf-8")
        if len(chosen) == count:
            return list(chosen.values())
    raise AssertionError("no copies on enough partitions")


# Story state in Elasticsearch, as a deployment of several workers runs it (the one-worker default keeps it in memory).
SHARED_STORIES = {"DATELINE_STORY_STORE": "elasticsearch"}


@pytest.mark.timeout(420)
def test_copies_of_one_wire_story_on_two_workers_and_a_restart_share_one_story_id(pipeline: Pipeline) -> None:
    """Issue 16: story state lives in Elasticsearch, so the workers agree on a story and a restart forgets none."""
    settings = pipeline.settings
    partitions = (
        len(
            KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers).partitions_for_topic(settings.topic_raw)
            or []
        )
        or 4
    )
    first_three = wire_copies(pipeline, 3, partitions)
    pipeline.start("enrich", "enrich-a", **SHARED_STORIES)
    worker_b = pipeline.start("enrich", "enrich-b", **SHARED_STORIES)
    pipeline.start("indexer")
    rounds = 0
    deadline = time.monotonic() + 180
    while not (pipeline.batches("enrich-a")[0] and pipeline.batches("enrich-b")[0]):  # both hold partitions
        assert time.monotonic() < deadline, pipeline.tail("enrich-b")
        pipeline.ingest(pipeline.variants(1))
        rounds += 1
        time.sleep(3)
    pipeline.ingest(first_three)  # one publish: the three copies reach both workers at once
    pipeline.wait_drained(rounds * PER_ROUND + 3)
    raw_partitions = {
        record.partition
        for record in read_topic(settings.kafka_bootstrap_servers, settings.topic_raw)
        if b"outlet" in record.value
    }
    assert len(raw_partitions) == 3, raw_partitions
    stop_s = pipeline.stop(worker_b)
    print(f"\n  worker b stopped by SIGTERM in {stop_s:.1f} s, started again")
    pipeline.start("enrich", "enrich-b2", **SHARED_STORIES)
    fourth = wire_copies(pipeline, 4, partitions)[-1]
    pipeline.ingest([fourth])
    pipeline.wait_drained(rounds * PER_ROUND + 4)
    es = make_client(settings)
    es.indices.refresh(index=settings.index_prefix)
    raw_ids = [raw_article_id(path.read_text(encoding="utf-8")) for path in [*first_three, fourth]]
    found = es.search(index=settings.index_prefix, query={"terms": {"raw_id": raw_ids}}, size=10, source=["story_id"])
    found = found["hits"]["hits"]
    story_ids = {hit["_source"]["story_id"] for hit in found}
    a, b = pipeline.batches("enrich-a"), pipeline.batches("enrich-b")
    print(f"  worker a: {a[0]} batches / {a[1]} raw; worker b: {b[0]} batches / {b[1]} raw")
    print(f"  {len(found)} copies of the wire story, on raw partitions {sorted(raw_partitions)}: story ids {story_ids}")
    assert len(found) == 4
    assert len(story_ids) == 1, story_ids
    assert_clean(pipeline.audit(), accepted=rounds * PER_ROUND + 4)
