"""The indexer loop: ``articles.enriched`` -> Elasticsearch bulk, committing offsets only after ES acknowledged.

Each document's id is the article id and its index is fixed by the article's month, so a re-delivered batch
overwrites itself instead of duplicating. Per-item rejections that retrying cannot fix (a malformed document)
go to the DLQ; everything else (429, 5xx, Elasticsearch unreachable) is retried with backoff, without committing.

Two batches are in hand at most: while Elasticsearch indexes one (in the "bulk" thread), the loop polls and decodes
the next. A batch's offsets are committed, explicitly and by the loop's thread (the consumer is not thread-safe),
only once its bulk has finished, so the pipelining changes the speed, not the guarantee.

A large batch goes to Elasticsearch as ``bulk_concurrency`` requests at once, split by document id. Elasticsearch
runs one bulk request for a shard on one write thread, so a single request leaves the other cores idle; splitting by
id keeps every version of a document in one request, in order, and the next batch starts only after all of them.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import zlib
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch
from kafka import KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from prometheus_client import Counter, Gauge, Histogram

from schemas import ArticleEnriched, InvalidMessage, decode_with_object, encode
from services.common.bulk import REQUEST_ERRORS, BulkRetryPolicy, Stopping, bulk_pass, is_transient
from services.common.elastic import current_generation
from services.common.stage import (
    Acknowledgement,
    NotAcknowledged,
    Reason,
    SendRefused,
    SourceRecord,
    commit_after_acknowledged,
    dead_letter,
    dead_letter_key,
)
from services.indexer.documents import bulk_action
from services.indexer.settings import IndexerSettings

log = logging.getLogger(__name__)

MESSAGES_IN = Counter("dateline_indexer_messages_in_total", "Records consumed from articles.enriched.")
INDEXED = Counter("dateline_indexer_documents_indexed_total", "Documents Elasticsearch acknowledged.")
DEAD_LETTERS = Counter("dateline_indexer_dead_letters_total", "Records sent to the DLQ, by reason.", ["reason"])
BULK_RETRIES = Counter("dateline_indexer_bulk_retries_total", "Bulk passes retried (429, 5xx, unreachable).")
BATCH_SECONDS = Histogram(
    "dateline_indexer_batch_seconds",
    "From poll to commit of one batch.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
CONSUMER_LAG = Gauge("dateline_indexer_consumer_lag", "Records behind the end of each partition.", ["partition"])
ES_AVAILABLE = Gauge("dateline_indexer_elasticsearch_available", "1 unless the last bulk pass failed to connect.")


# A batch smaller than this per request goes as one request: splitting a few documents costs more than it saves.
MIN_DOCUMENTS_PER_REQUEST = 50
# How long a batch's commit waits for its dead letters' acknowledgements (the producer retries within it).
DEAD_LETTER_ACK_TIMEOUT_S = 60.0


class BulkPassFailed(Exception):
    """A bulk pass that Elasticsearch did not finish: ``retry`` holds every action still to index, ``cause`` why."""

    def __init__(self, retry: list[Pending], cause: Exception) -> None:
        super().__init__(str(cause))
        self.retry = retry
        self.cause = cause


@dataclass(frozen=True)
class Pending:
    record: ConsumerRecord
    action: dict[str, Any]


@dataclass
class RequestOutcome:
    """What one bulk request did: counts, and the items Elasticsearch asks to send again."""

    indexed: int = 0
    dead_lettered: int = 0
    retry: list[Pending] = field(default_factory=list)


@dataclass
class BatchReport:
    indexed: int = 0
    dead_lettered: int = 0
    retries: int = 0
    decode_s: float = 0.0
    bulk_s: float = 0.0


@dataclass
class Batch:
    """One polled batch: its bulk actions, and the offsets to commit once they are all indexed or dead-lettered."""

    records: int
    pending: list[Pending]
    offsets: dict[TopicPartition, int]
    report: BatchReport = field(default_factory=BatchReport)
    # Every dead letter sent for the batch: its offsets are committed only once all of them are acknowledged.
    dead_letters: list[Acknowledgement] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


def next_offsets(records: Sequence[ConsumerRecord]) -> dict[TopicPartition, int]:
    """Per partition, the offset after the last record: what a commit of these records stores."""
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
    return offsets


def split_by_id(pending: Sequence[Pending], parts: int) -> list[list[Pending]]:
    """``pending`` in at most ``parts`` groups of about ``MIN_DOCUMENTS_PER_REQUEST`` or more; every action for one
    document id falls in the same group, in the original order."""
    count = max(1, min(parts, len(pending) // MIN_DOCUMENTS_PER_REQUEST))
    if count == 1:
        return [list(pending)] if pending else []
    groups: list[list[Pending]] = [[] for _ in range(count)]
    for item in pending:
        groups[zlib.crc32(item.action["_id"].encode()) % count].append(item)
    return [group for group in groups if group]


class GenerationWatch:
    """The index generation to write: the read alias's, asked again every ``check_s`` (a replay swaps it)."""

    def __init__(self, es: Elasticsearch, prefix: str, check_s: float) -> None:
        self._es, self._prefix, self._check_s = es, prefix, check_s
        self._generation = 0
        self._checked_at = float("-inf")

    def current(self) -> int:
        if time.monotonic() - self._checked_at >= self._check_s:
            try:
                generation = current_generation(self._es, self._prefix)
            except REQUEST_ERRORS as exc:  # keep the last known one
                log.warning("could not read the index generation", extra={"error": str(exc)})
            else:
                if generation != self._generation:
                    log.info("index generation changed", extra={"from": self._generation, "to": generation})
                self._generation = generation
            self._checked_at = time.monotonic()
        return self._generation


class Indexer:
    def __init__(
        self, settings: IndexerSettings, consumer: KafkaConsumer, producer: KafkaProducer, es: Elasticsearch
    ) -> None:
        self._settings = settings
        self._consumer = consumer
        self._producer = producer
        self._es = es
        self._retry_policy = BulkRetryPolicy(max_backoff_s=settings.max_backoff_s)
        self._generation = GenerationWatch(es, settings.index_prefix, settings.generation_check_s)
        self._requests = ThreadPoolExecutor(max_workers=settings.bulk_concurrency, thread_name_prefix="bulk-request")
        self.stop_requested = threading.Event()
        self.batches_done = 0
        self.last_loop_at = time.monotonic()
        self.running = False
        self.elasticsearch_ok = True

    def health(self) -> dict[str, Any]:
        """For ``/health``: ok while the loop runs and turns (a bulk waiting for Elasticsearch still turns)."""
        idle = time.monotonic() - self.last_loop_at
        return {
            "ok": self.running and idle < 120,
            "service": "indexer",
            "elasticsearch_available": self.elasticsearch_ok,
            "batches": self.batches_done,
            "seconds_since_loop": round(idle, 1),
        }

    def run(self) -> None:
        """Polls, indexes and commits until ``stop_requested`` is set; a batch in progress is finished and
        committed first, or, when Elasticsearch is down at that moment, left uncommitted to be re-delivered."""
        log.info(
            "indexer started",
            extra={"topic": self._settings.topic_enriched, "group": self._settings.group_id},
        )
        self.running = True
        bulk_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk")
        in_flight: tuple[Batch, Future[BatchReport]] | None = None
        try:
            while not self.stop_requested.is_set():
                self.last_loop_at = time.monotonic()
                polled = self._consumer.poll(
                    timeout_ms=self._settings.poll_timeout_ms, max_records=self._settings.batch_size
                )
                records = [record for batch in polled.values() for record in batch]
                self._record_lag()
                MESSAGES_IN.inc(len(records))
                # Decoding this batch overlaps the previous batch's bulk; then that bulk is waited for and committed.
                batch = self.prepare(records) if records else None
                if in_flight is not None and (batch is not None or in_flight[1].done()):
                    self._finish(*in_flight)
                    in_flight = None
                if batch is not None:
                    in_flight = (batch, bulk_thread.submit(self.index, batch))
            if in_flight is not None:
                self._finish(*in_flight)
        except Stopping:
            log.info("stopping with a batch uncommitted; it will be re-delivered")
        finally:
            self.running = False
            bulk_thread.shutdown(wait=True)
            self._requests.shutdown(wait=True)
            self._consumer.close(autocommit=False)
            self._producer.close(timeout=30)
            log.info("indexer stopped", extra={"batches": self.batches_done})

    def _finish(self, batch: Batch, bulk: Future[BatchReport]) -> None:
        """Waits for a batch's bulk (re-raising ``Stopping``), then commits exactly that batch's offsets."""
        while True:
            self.last_loop_at = time.monotonic()
            try:
                report = bulk.result(timeout=5)
                break
            except TimeoutError:
                continue  # Elasticsearch is slow or down: the bulk thread is retrying; keep /health fresh
        self.batches_done += 1
        if self.batches_done == self._settings.fault_exit_after_bulk:
            # Fault injection (off by default): die like kill -9 after Elasticsearch acknowledged, before the
            # commit, so the fault tests can prove that the re-delivered batch overwrites itself.
            log.warning("FAULT INJECTION: SIGKILL after an acknowledged bulk, before the commit")
            os.kill(os.getpid(), signal.SIGKILL)
        offsets = {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in batch.offsets.items()}
        try:
            commit_after_acknowledged(
                batch.dead_letters, lambda _: self._consumer.commit(offsets), timeout_s=DEAD_LETTER_ACK_TIMEOUT_S
            )
        except NotAcknowledged as exc:
            # A dead letter the broker refused (too large for the DLQ topic, topic missing, broker away past the
            # producer's retries): committing would lose its article. Stop without committing; the batch is
            # read again when the indexer is back, and its dead letters sent again.
            log.error("dead letter not acknowledged; stopping with the batch uncommitted", extra={"error": str(exc)})
            raise
        except KafkaError as exc:
            # A rebalance moved the partitions, or the broker is away: whoever reads them next re-delivers the
            # batch, which overwrites the same documents (same ids, same indices).
            log.warning("commit failed; the batch will be re-delivered", extra={"error": str(exc)})
        BATCH_SECONDS.observe(time.monotonic() - batch.started)
        log.info("batch indexed", extra={"records": batch.records, **vars(report)})

    def _record_lag(self) -> None:
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            try:
                position = self._consumer.position(tp, timeout_ms=1000)
            except Exception:  # lag is a gauge, not worth failing a loop over
                continue
            if position is not None:
                CONSUMER_LAG.labels(partition=str(tp.partition)).set(max(0, highwater - position))

    def prepare(self, records: Sequence[ConsumerRecord]) -> Batch:
        """Decodes a polled batch into bulk actions; records that are not valid enriched articles go to the DLQ."""
        started = time.monotonic()
        report = BatchReport()
        indexed_at = datetime.now(UTC)
        generation = self._generation.current()
        batch = Batch(records=len(records), pending=[], offsets=next_offsets(records), report=report)
        for record in records:
            try:
                article, message = decode_with_object(record.value or b"", ArticleEnriched)
            except InvalidMessage as exc:
                self._dead_letter(batch, record, Reason.of(exc.reason), exc.detail)
                report.dead_lettered += 1
                continue
            action = bulk_action(
                self._settings.index_prefix, article, indexed_at=indexed_at, generation=generation, message=message
            )
            batch.pending.append(Pending(record, action))
        report.decode_s = round(time.monotonic() - started, 3)
        return batch

    def index(self, batch: Batch) -> BatchReport:
        """Bulk-indexes a prepared batch, retrying with backoff; returns when every action is indexed or
        dead-lettered, or raises ``Stopping`` when shutdown is asked for while Elasticsearch refuses."""
        report, pending = batch.report, batch.pending
        bulk_started = time.monotonic()
        backoffs = self._retry_policy.backoffs()
        while pending:
            self.last_loop_at = time.monotonic()
            try:
                pending = self._bulk_pass(batch, pending)
                self.elasticsearch_ok = True
            except BulkPassFailed as failed:
                pending, exc = failed.retry, failed.cause
                if not is_transient(exc):
                    raise exc from None
                if isinstance(exc, ApiError):
                    log.warning(
                        "elasticsearch refused the bulk; retrying",
                        extra={"status": exc.meta.status, "error": str(exc)[:300]},
                    )
                else:
                    self.elasticsearch_ok = False
                    log.warning("elasticsearch unavailable; retrying", extra={"error": str(exc)})
            ES_AVAILABLE.set(1 if self.elasticsearch_ok else 0)
            if pending:
                report.retries += 1
                BULK_RETRIES.inc()
                if self.stop_requested.wait(next(backoffs)):
                    raise Stopping
        report.bulk_s = round(time.monotonic() - bulk_started, 3)
        return report

    def _bulk_pass(self, batch: Batch, pending: list[Pending]) -> list[Pending]:
        """Sends ``pending`` as concurrent requests (``split_by_id``) and returns the items to retry; raises
        ``BulkPassFailed`` with them when a request failed as a whole (its items are all retried)."""
        groups = split_by_id(pending, self._settings.bulk_concurrency)
        results = [self._requests.submit(self._bulk, batch, group) for group in groups]
        retry: list[Pending] = []
        cause: Exception | None = None
        for group, result in zip(groups, results, strict=True):
            try:
                outcome = result.result()
            except REQUEST_ERRORS as exc:
                retry.extend(group)
                cause = cause or exc
                continue
            retry.extend(outcome.retry)
            batch.report.indexed += outcome.indexed
            batch.report.dead_lettered += outcome.dead_lettered
        if cause is not None:
            raise BulkPassFailed(retry, cause)
        return retry

    def _bulk(self, batch: Batch, pending: list[Pending]) -> RequestOutcome:
        """One bulk request (split into chunks by streaming_bulk); documents refused for good go to the DLQ."""
        result = bulk_pass(
            self._es, pending, lambda item: item.action, self._retry_policy, chunk_size=self._settings.batch_size
        )
        INDEXED.inc(len(result.indexed))
        for item, error in result.refused:
            self._dead_letter(batch, item.record, Reason.ES_REJECTED, error, article_id=item.action["_id"])
        return RequestOutcome(indexed=len(result.indexed), dead_lettered=len(result.refused), retry=result.retry)

    def _dead_letter(
        self, batch: Batch, record: ConsumerRecord, reason: Reason, error: str, article_id: str | None = None
    ) -> None:
        """Sends the record's dead letter and adds its acknowledgement to the batch: the batch's commit waits for
        it. A send the producer refuses outright (larger than its max_request_size) fails the commit the same way."""
        source = SourceRecord(record.topic, record.partition, record.offset)
        rejected = dead_letter("index", reason, error, record.value, source=source, article_id=article_id)
        ack: Acknowledgement
        try:
            ack = self._producer.send(self._settings.topic_dlq, key=dead_letter_key(rejected), value=encode(rejected))
        except KafkaError as exc:
            ack = SendRefused(exc)
        batch.dead_letters.append(ack)
        DEAD_LETTERS.labels(reason=reason).inc()
        log.warning("document rejected", extra={"article_id": article_id, "reason": reason, "error": error[:300]})
