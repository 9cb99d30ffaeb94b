"""The ingest loop: files in, raw-article messages on ``articles.raw``, rejects on ``articles.dlq``."""

from __future__ import annotations

import base64
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kafka import KafkaProducer

from schemas import ArticleIngested, ArticleRejected, encode
from services.ingest.reader import Rejected, build_ingested, decode_input
from services.ingest.seen import SeenStore
from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)

DLQ_ORIGINAL_BYTES = 1024 * 1024
SEND_TIMEOUT_S = 60


@dataclass(frozen=True)
class Delivery:
    """One delivered document: where it came from and its bytes."""

    uri: str
    data: bytes


@dataclass
class IngestReport:
    published: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (uri, reason, detail)

    def rejected_by_reason(self) -> Counter[str]:
        return Counter(reason for _, reason, _ in self.rejected)


def iter_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, and the files below any directory given, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            yield path


def read_deliveries(paths: Iterable[Path]) -> Iterator[Delivery]:
    for path in iter_paths(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            # An unreadable path still gets a delivery so that it is reported, not skipped.
            log.warning("cannot read file", extra={"path": str(path), "error": str(exc)})
            yield Delivery(uri=str(path), data=b"")
            continue
        yield Delivery(uri=str(path.resolve()), data=data)


class Publisher:
    """Publishes deliveries once each; ``scope`` names the Kafka cluster and topic the seen-ids belong to."""

    def __init__(self, settings: IngestSettings, producer: KafkaProducer, seen: SeenStore, scope: str) -> None:
        self._settings = settings
        self._producer = producer
        self._seen = seen
        self._scope = scope

    def publish(
        self, deliveries: Iterable[Delivery], *, on_progress: Callable[[Delivery], None] | None = None
    ) -> IngestReport:
        report = IngestReport()
        published_now: set[str] = set()
        for delivery in deliveries:
            self._publish_one(delivery, report, published_now)
            if on_progress:
                on_progress(delivery)
        self._producer.flush(timeout=SEND_TIMEOUT_S)
        return report

    def close(self) -> None:
        self._producer.close(timeout=SEND_TIMEOUT_S)
        self._seen.close()

    def _publish_one(self, delivery: Delivery, report: IngestReport, published_now: set[str]) -> None:
        received_at = datetime.now(UTC)
        try:
            decoded = decode_input(delivery.data, name=delivery.uri, max_bytes=self._settings.max_article_bytes)
        except Rejected as exc:
            self._dead_letter(delivery, exc)
            report.rejected.append((delivery.uri, exc.reason, exc.detail))
            return
        message = build_ingested(
            decoded, uri=delivery.uri, received_at=received_at, source_name=self._settings.source_name
        )
        if message.id in published_now or self._seen.contains(self._scope, message.id):
            report.duplicates.append(delivery.uri)
            return
        self._send(self._settings.topic_raw, message)
        self._seen.add(self._scope, message.id)
        published_now.add(message.id)
        report.published.append(message.id)
        log.info("article ingested", extra={"article_id": message.id, "uri": delivery.uri})

    def _send(self, topic: str, message: ArticleIngested | ArticleRejected) -> None:
        key = getattr(message, "id", None) or getattr(message, "article_id", None) or message.event_id
        # Waiting for the acknowledgement before recording the id as seen: nothing is marked
        # published that the broker did not take.
        self._producer.send(topic, key=key.encode(), value=encode(message)).get(timeout=SEND_TIMEOUT_S)

    def _dead_letter(self, delivery: Delivery, exc: Rejected) -> None:
        original = delivery.data[:DLQ_ORIGINAL_BYTES]
        try:
            text, encoding = original.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(original).decode("ascii"), "base64"
        rejected = ArticleRejected(
            stage="ingest",
            reason=exc.reason,
            error=f"{delivery.uri}: {exc.detail}",
            original=text,
            original_encoding=encoding,  # type: ignore[arg-type]
            original_truncated=len(delivery.data) > DLQ_ORIGINAL_BYTES,
        )
        self._send(self._settings.topic_dlq, rejected)
        log.warning("article rejected", extra={"uri": delivery.uri, "reason": exc.reason, "detail": exc.detail})
