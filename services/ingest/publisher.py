"""The ingest loop: deliveries in, raw-article messages on ``articles.raw``, rejects on ``articles.dlq``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Literal

from kafka import KafkaProducer
from kafka.errors import KafkaError

from schemas import ArticleIngested, ArticleRejected, encode
from services.common.stage import Acknowledgement, Reason, Rejection, SendRefused, dead_letter, wait_acknowledged
from services.ingest.reader import Delivery, build_ingested, decode_input
from services.ingest.seen import SeenStore
from services.ingest.settings import IngestSettings

if TYPE_CHECKING:
    from services.ingest.metrics import IngestMetrics

log = logging.getLogger(__name__)

# The command-line ingest publishes in chunks of this many deliveries: sends are pipelined within a chunk.
CHUNK = 100


OutcomeStatus = Literal["published", "duplicate", "rejected", "unavailable"]


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery. ``unavailable``: the broker did not acknowledge it; nothing was recorded."""

    uri: str
    status: OutcomeStatus
    article_id: str | None = None
    reason: str | None = None
    detail: str | None = None


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge in time; the deliveries concerned were not recorded as published."""


@dataclass
class IngestReport:
    published: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (uri, reason, detail)


@dataclass
class _Pending:
    position: int
    uri: str
    key: str
    topic: str
    ack: Acknowledgement
    sent_at: float


class Publisher:
    """Publishes deliveries once each; ``scope`` names the Kafka cluster and topic the seen-ids belong to.

    Thread-safe: the HTTP API, the feed poller and the drop-directory watcher share one publisher.
    """

    def __init__(
        self,
        settings: IngestSettings,
        producer: KafkaProducer,
        seen: SeenStore,
        scope: str,
        metrics: IngestMetrics | None = None,
    ) -> None:
        self._settings = settings
        self._producer = producer
        self._seen = seen
        self._scope = scope
        self._metrics = metrics
        self._lock = threading.Lock()
        self._refused: KafkaError | None = None

    @property
    def scope(self) -> str:
        return self._scope

    def publish(
        self,
        deliveries: Iterable[Delivery],
        *,
        on_progress: Callable[[Delivery], None] | None = None,
        topic: str | None = None,
    ) -> IngestReport:
        """Publishes files (the command line); raises ``BrokerUnavailable`` when the broker does not acknowledge."""
        report = IngestReport()
        iterator = iter(deliveries)
        while chunk := list(islice(iterator, CHUNK)):
            for delivery, outcome in zip(chunk, self.publish_batch(chunk, topic=topic, lane="files"), strict=True):
                if outcome.status == "unavailable":
                    raise BrokerUnavailable(f"{outcome.uri}: {outcome.detail}")
                if outcome.status == "published":
                    report.published.append(outcome.article_id or "")
                elif outcome.status == "duplicate":
                    report.duplicates.append(outcome.uri)
                else:
                    report.rejected.append((outcome.uri, outcome.reason or "", outcome.detail or ""))
                if on_progress:
                    on_progress(delivery)
        return report

    def publish_batch(self, deliveries: Sequence[Delivery], *, topic: str | None = None, lane: str) -> list[Outcome]:
        """One outcome per delivery, in order. Sends are pipelined; an id counts as published only once acked."""
        topic = topic or self._settings.topic_raw
        with self._lock:
            return self._publish_batch(deliveries, topic, lane)

    def reject(self, delivery: Delivery, reason: Reason, detail: str, *, lane: str) -> Outcome:
        """Records a delivery ingest refuses for a reason of its own (e.g. a feed item without text) in the DLQ."""
        with self._lock:
            if self._metrics:
                self._metrics.received(lane, 1)
            outcomes: list[Outcome | None] = [None]
            pending: list[_Pending] = []
            self._dead_letter(0, delivery, Rejection(reason, detail), outcomes, pending)
            self._await(pending, outcomes)
            result = outcomes[0]
            assert result is not None
            return result

    def flush(self) -> None:
        self._producer.flush(timeout=self._settings.publish_timeout_s)

    def close(self) -> None:
        self._producer.close(timeout=self._settings.publish_timeout_s)
        self._seen.close()

    def _publish_batch(self, deliveries: Sequence[Delivery], topic: str, lane: str) -> list[Outcome]:
        if self._metrics:
            self._metrics.received(lane, len(deliveries))
        outcomes: list[Outcome | None] = [None] * len(deliveries)
        pending: list[_Pending] = []
        in_batch: set[str] = set()
        for position, delivery in enumerate(deliveries):
            received_at = datetime.now(UTC)
            try:
                decoded = decode_input(delivery.data, name=delivery.uri, max_bytes=self._settings.max_article_bytes)
            except Rejection as exc:
                self._dead_letter(position, delivery, exc, outcomes, pending)
                continue
            if delivery.content_type:
                decoded = replace(decoded, content_type=delivery.content_type)
            message = build_ingested(
                decoded, uri=delivery.uri, received_at=received_at, source_name=self._settings.source_name
            )
            if message.id in in_batch or self._seen.contains(self._scope, message.id):
                outcomes[position] = Outcome(delivery.uri, "duplicate", article_id=message.id)
                if self._metrics:
                    self._metrics.duplicate(lane)
                continue
            in_batch.add(message.id)
            pending.append(self._send(position, delivery.uri, topic, message, message.id))
        self._await(pending, outcomes)
        return [outcome for outcome in outcomes if outcome is not None]

    def _send(
        self, position: int, uri: str, topic: str, message: ArticleIngested | ArticleRejected, key: str
    ) -> _Pending:
        # The producer's max_block_ms bounds how long send() itself may block (no metadata, full buffer). Once
        # one send was refused, the rest of the batch is not tried: the broker is down, each would block again.
        ack: Acknowledgement
        if self._refused is not None:
            ack = SendRefused(self._refused)
        else:
            try:
                ack = self._producer.send(topic, key=key.encode(), value=encode(message))
            except KafkaError as exc:
                self._refused = exc
                ack = SendRefused(exc)
        return _Pending(position, uri, key, topic, ack, time.monotonic())

    def _await(self, pending: list[_Pending], outcomes: list[Outcome | None]) -> None:
        """Waits for every acknowledgement under one deadline; records as seen only what the broker took.

        The stage rule per delivery: each delivery is its own source, and its "commit" (the seen-store entry, or
        the rejection outcome the caller reports) happens only after its article or dead letter was acknowledged.
        """
        self._refused = None
        answers = wait_acknowledged([item.ack for item in pending], self._settings.publish_timeout_s)
        acked: list[str] = []
        for item, answer in zip(pending, answers, strict=True):
            current = outcomes[item.position]
            is_dead_letter = current is not None and current.status == "rejected"
            if isinstance(answer, BaseException):
                exc = answer
                article_id = None if is_dead_letter else item.key
                outcomes[item.position] = Outcome(item.uri, "unavailable", article_id, "broker_unavailable", str(exc))
                if self._metrics:
                    self._metrics.unavailable()
                log.warning("broker did not acknowledge", extra={"article_id": article_id, "error": str(exc)})
                continue
            if self._metrics:
                self._metrics.published(item.topic, time.monotonic() - item.sent_at)
            if is_dead_letter:
                continue  # its rejection outcome stands
            acked.append(item.key)
            outcomes[item.position] = Outcome(item.uri, "published", item.key)
            log.info("article ingested", extra={"article_id": item.key, "uri": item.uri, "topic": item.topic})
        # Recording after the acknowledgement: nothing is marked published that the broker did not take.
        self._seen.add_many(self._scope, acked)

    def _dead_letter(
        self,
        position: int,
        delivery: Delivery,
        exc: Rejection,
        outcomes: list[Outcome | None],
        pending: list[_Pending],
    ) -> None:
        rejected = dead_letter("ingest", exc.reason, f"{delivery.uri}: {exc.detail}", delivery.data)
        outcomes[position] = Outcome(delivery.uri, "rejected", reason=exc.reason, detail=exc.detail)
        # The dead letter is awaited like an article: a rejection the DLQ did not take is "unavailable".
        pending.append(self._send(position, delivery.uri, self._settings.topic_dlq, rejected, rejected.event_id))
        if self._metrics:
            self._metrics.rejected(exc.reason)
        log.warning("article rejected", extra={"uri": delivery.uri, "reason": exc.reason, "detail": exc.detail})
