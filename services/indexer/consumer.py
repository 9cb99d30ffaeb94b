"""The indexer loop: ``articles.enriched`` -> Elasticsearch bulk, committing offsets only after ES acknowledged.

Each document's id is the article id and its index is fixed by the article's month, so a re-delivered batch
overwrites itself instead of duplicating. Per-item rejections that retrying cannot fix (a malformed document)
go to the DLQ; everything else (429, 5xx, Elasticsearch unreachable) is retried with backoff, without committing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from elastic_transport import TransportError as ConnectionLevelError
from elasticsearch import Elasticsearch
from elasticsearch import TransportError as ESTransportError
from elasticsearch.helpers import streaming_bulk
from kafka import KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord

from schemas import ArticleEnriched, ArticleRejected, InvalidMessage, decode, encode
from services.indexer.documents import bulk_action
from services.indexer.settings import IndexerSettings

log = logging.getLogger(__name__)


class Stopping(Exception):
    """Raised inside a retry wait when shutdown was asked for; the batch is left uncommitted."""


@dataclass(frozen=True)
class Pending:
    record: ConsumerRecord
    action: dict[str, Any]


@dataclass
class BatchReport:
    indexed: int = 0
    dead_lettered: int = 0
    retries: int = 0


def is_permanent(status: int) -> bool:
    """An item status that retrying cannot fix: client errors other than 429 (too many requests)."""
    return 400 <= status < 500 and status != 429


class Indexer:
    def __init__(
        self, settings: IndexerSettings, consumer: KafkaConsumer, producer: KafkaProducer, es: Elasticsearch
    ) -> None:
        self._settings = settings
        self._consumer = consumer
        self._producer = producer
        self._es = es
        self.stop_requested = threading.Event()

    def run(self) -> None:
        """Polls, indexes and commits until ``stop_requested`` is set; then commits what is done and closes."""
        log.info(
            "indexer started",
            extra={"topic": self._settings.topic_enriched, "group": self._settings.group_id},
        )
        try:
            while not self.stop_requested.is_set():
                polled = self._consumer.poll(
                    timeout_ms=self._settings.poll_timeout_ms, max_records=self._settings.batch_size
                )
                records = [record for batch in polled.values() for record in batch]
                if not records:
                    continue
                report = self.process(records)
                self._consumer.commit()
                log.info("batch indexed", extra={"records": len(records), **vars(report)})
        except Stopping:
            log.info("stopping with a batch uncommitted; it will be re-delivered")
        finally:
            self._consumer.close(autocommit=False)
            self._producer.close(timeout=30)

    def process(self, records: Sequence[ConsumerRecord]) -> BatchReport:
        """Indexes one polled batch; returns only when every record is indexed or dead-lettered."""
        report = BatchReport()
        indexed_at = datetime.now(UTC)
        pending: list[Pending] = []
        for record in records:
            try:
                article = decode(record.value or b"", ArticleEnriched)
            except InvalidMessage as exc:
                self._dead_letter(record, exc.reason, exc.detail)
                report.dead_lettered += 1
                continue
            pending.append(Pending(record, bulk_action(self._settings.index_prefix, article, indexed_at=indexed_at)))
        backoff = 0.5
        while pending:
            try:
                pending = self._bulk(pending, report)
            except (ConnectionLevelError, ESTransportError) as exc:
                log.warning("elasticsearch unavailable; retrying", extra={"error": str(exc), "backoff_s": backoff})
            if pending:
                report.retries += 1
                if self.stop_requested.wait(backoff):
                    raise Stopping
                backoff = min(backoff * 2, self._settings.max_backoff_s)
        self._producer.flush(timeout=60)
        return report

    def _bulk(self, pending: list[Pending], report: BatchReport) -> list[Pending]:
        """One bulk pass; returns the items to retry. Results are matched back by index and id, not position,
        because streaming_bulk yields 429-retried items late."""
        by_key: dict[tuple[str, str], list[Pending]] = {}
        for item in pending:
            by_key.setdefault((item.action["_index"], item.action["_id"]), []).append(item)
        retry: list[Pending] = []
        results = streaming_bulk(
            self._es,
            [item.action for item in pending],
            chunk_size=self._settings.batch_size,
            max_retries=3,
            initial_backoff=0.5,
            max_backoff=self._settings.max_backoff_s,
            raise_on_error=False,
            raise_on_exception=True,
        )
        for ok, info in results:
            detail = next(iter(info.values()))
            item = by_key[(detail["_index"], detail["_id"])].pop()
            if ok:
                report.indexed += 1
            elif is_permanent(int(detail.get("status", 500))):
                self._dead_letter(item.record, "es_rejected", str(detail.get("error")), article_id=item.action["_id"])
                report.dead_lettered += 1
            else:
                retry.append(item)
        return retry

    def _dead_letter(self, record: ConsumerRecord, reason: str, error: str, article_id: str | None = None) -> None:
        value = record.value or b""
        rejected = ArticleRejected(
            stage="index",
            reason=reason,
            error=error[:2000],
            article_id=article_id,
            source_topic=record.topic,
            source_partition=record.partition,
            source_offset=record.offset,
            original=value.decode("utf-8", errors="replace"),
        )
        key = (article_id or rejected.event_id).encode()
        self._producer.send(self._settings.topic_dlq, key=key, value=encode(rejected))
        log.warning("document rejected", extra={"article_id": article_id, "reason": reason, "error": error[:300]})
