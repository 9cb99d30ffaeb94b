"""``dateline status``: what is up, how far each consumer group is behind, what is indexed and dead-lettered."""

from __future__ import annotations

import logging
from typing import Any

from services.common.elastic import current_generation, make_client
from services.common.kafka import consumer_lag, end_offsets
from services.common.settings import CommonSettings
from services.enrich.settings import EnrichSettings
from services.indexer.settings import IndexerSettings

log = logging.getLogger(__name__)


def collect_status() -> dict[str, Any]:
    """The status report; a part that cannot be reached is reported as not ok, never raised."""
    settings = CommonSettings()
    report: dict[str, Any] = {
        "kafka": {"bootstrap": settings.kafka_bootstrap_servers, "ok": False},
        "elasticsearch": {"url": settings.elasticsearch_url, "index": settings.index_prefix, "ok": False},
        "topics": {},
        "lag": {},
        "index_docs": None,
        "dlq": None,
    }
    try:
        topics = [settings.topic_raw, settings.topic_backfill, settings.topic_enriched, settings.topic_dlq]
        report["topics"] = end_offsets(settings, topics)
        report["dlq"] = report["topics"][settings.topic_dlq]
        report["lag"] = consumer_lag(settings, [EnrichSettings().app_id, IndexerSettings().group_id])
        report["kafka"]["ok"] = True
    except Exception as exc:  # status reports failures, it does not raise them
        report["kafka"]["error"] = f"{type(exc).__name__}: {exc}"
    try:
        client = make_client(settings, max_retries=0, request_timeout=5)
        health = client.cluster.health()
        report["elasticsearch"]["status"] = health["status"]
        report["elasticsearch"]["ok"] = health["status"] in ("green", "yellow")
        if client.indices.exists_alias(name=settings.index_prefix):
            report["index_docs"] = client.count(index=settings.index_prefix)["count"]
            report["elasticsearch"]["generation"] = current_generation(client, settings.index_prefix)
        else:
            report["index_docs"] = 0
    except Exception as exc:
        report["elasticsearch"]["error"] = f"{type(exc).__name__}: {exc}"
    return report
