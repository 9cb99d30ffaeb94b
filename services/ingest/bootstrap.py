"""Wiring of the ingest service: producer, seen-id store, topics."""

from __future__ import annotations

from kafka import KafkaAdminClient

from services.common.kafka import ensure_topics, make_producer
from services.ingest.publisher import Publisher
from services.ingest.seen import SeenStore
from services.ingest.settings import IngestSettings


def cluster_scope(settings: IngestSettings) -> str:
    """Seen-ids are kept per Kafka cluster and topic: a new cluster (e.g. a wiped local stack) starts afresh."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, client_id="dateline-ingest")
    try:
        cluster_id = admin.describe_cluster().get("cluster_id") or "unknown-cluster"
    finally:
        admin.close()
    return f"{cluster_id}/{settings.topic_raw}"


def bootstrap(settings: IngestSettings) -> Publisher:
    ensure_topics(settings)
    seen = SeenStore(settings.state_dir / "ingest-seen.sqlite")
    return Publisher(settings, make_producer(settings, client_id="dateline-ingest"), seen, cluster_scope(settings))
