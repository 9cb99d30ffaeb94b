"""Wiring of the ingest service: producer, seen-id store, topics; and, for `serve`, the feeds, drop directory
and HTTP API around them."""

from __future__ import annotations

from kafka import KafkaAdminClient, KafkaProducer

from services.common.kafka import ensure_topics, kafka_client_options, make_producer
from services.ingest.backpressure import DeliveryGate
from services.ingest.dropdir import DropDirWatcher
from services.ingest.feed_state import FeedStateStore
from services.ingest.feeds import load_feeds
from services.ingest.metrics import IngestMetrics
from services.ingest.poller import FeedPoller, http_fetch
from services.ingest.publisher import Publisher
from services.ingest.seen import SeenStore
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings

FEED_FETCH_TIMEOUT_S = 30.0


def cluster_scope(settings: IngestSettings) -> str:
    """Seen-ids are kept per Kafka cluster and topic: a new cluster (e.g. a wiped local stack) starts afresh."""
    admin = KafkaAdminClient(**kafka_client_options(settings), client_id="dateline-ingest")
    try:
        cluster_id = admin.describe_cluster().get("cluster_id") or "unknown-cluster"
    finally:
        admin.close()
    return f"{cluster_id}/{settings.topic_raw}"


def bootstrap(
    settings: IngestSettings,
    *,
    producer: KafkaProducer | None = None,
    scope: str | None = None,
    metrics: IngestMetrics | None = None,
) -> Publisher:
    """The publisher. Given a producer and a scope it touches no broker here (tests point it at a dead port)."""
    if producer is None:
        ensure_topics(settings)
        # send() blocks at most this long on missing metadata or a full buffer, then fails: back-pressure
        # becomes an answer (503, a retried poll) instead of a hang.
        producer = make_producer(
            settings, client_id="dateline-ingest", max_block_ms=int(settings.publish_timeout_s * 1000)
        )
    seen = SeenStore(settings.state_dir / "ingest-seen.sqlite")
    return Publisher(settings, producer, seen, scope or cluster_scope(settings), metrics)


def bootstrap_service(
    settings: IngestSettings, *, producer: KafkaProducer | None = None, scope: str | None = None
) -> IngestService:
    """The long-running service: publisher, back-pressure gate, feed poller, drop-directory watcher, metrics."""
    if settings.ingest_token is None or not settings.ingest_token.get_secret_value():
        raise SystemExit("DATELINE_INGEST_TOKEN is not set: the ingest API does not run without a token")
    metrics = IngestMetrics()
    publisher = bootstrap(settings, producer=producer, scope=scope, metrics=metrics)
    gate = DeliveryGate(
        settings.ingest_buffer_limit, cooldown_s=settings.ingest_retry_after_s, on_change=metrics.buffer_fill.set
    )
    metrics.buffer_capacity.set(settings.ingest_buffer_limit)
    feed_store = None
    poller = None
    if settings.feeds_file is not None:
        feed_store = FeedStateStore(settings.state_dir / "ingest-feeds.sqlite")
        poller = FeedPoller(
            load_feeds(settings.feeds_file),
            feed_store,
            publisher,
            gate,
            fetch=http_fetch(FEED_FETCH_TIMEOUT_S, settings.max_article_bytes),
            metrics=metrics,
        )
    watcher = DropDirWatcher(settings.drop_dir, publisher, gate) if settings.drop_dir is not None else None
    return IngestService(settings, publisher, gate, metrics, poller=poller, feed_store=feed_store, watcher=watcher)
