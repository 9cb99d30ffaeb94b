from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import pytest
from elasticsearch import Elasticsearch

from schemas import ArticleEnriched, ArticleRejected, decode, encode
from services.common.kafka import consumer_lag, make_producer
from services.indexer.bootstrap import bootstrap
from services.indexer.consumer import MIN_DOCUMENTS_PER_REQUEST
from services.indexer.settings import IndexerSettings
from tests.builders import enriched_article
from tests.kafka_helpers import read_topic


def _article(n: int, *, countries: list[str] | None = None) -> ArticleEnriched:
    return enriched_article(
        n,
        title=f"Tariff story {n}",
        body=f"Japan and the United States discussed tariffs, round {n}.",
        published_at=datetime(2025, 6, 1 + n % 28, tzinfo=UTC),
        published_at_precision="day",
        countries=countries if countries is not None else ["JP", "US"],
        country_pairs=["JP-US"],
    )


def _produce(settings, payloads: list[tuple[bytes, bytes]]) -> None:
    producer = make_producer(settings)
    for key, value in payloads:
        producer.send(settings.topic_enriched, key=key, value=value)
    producer.flush()
    producer.close()


def _run_indexer_until(es: Elasticsearch, settings: IndexerSettings, expected_docs: int) -> None:
    indexer = bootstrap(settings)
    thread = threading.Thread(target=indexer.run, daemon=True)
    thread.start()
    try:
        for _ in range(120):
            es.indices.refresh(index=f"{settings.index_prefix}-*", ignore_unavailable=True, allow_no_indices=True)
            if consumer_lag(settings, [settings.group_id])[settings.group_id] == 0 and (
                es.indices.exists_alias(name=settings.index_prefix)
                and es.count(index=settings.index_prefix)["count"] >= expected_docs
            ):
                break
            threading.Event().wait(0.5)
    finally:
        indexer.stop_requested.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_articles_are_indexed_once_even_when_delivered_twice(settings, es: Elasticsearch) -> None:
    indexer_settings = IndexerSettings()
    articles = [_article(n) for n in range(40)]
    _produce(settings, [(a.id.encode(), encode(a)) for a in articles])
    _run_indexer_until(es, indexer_settings, len(articles))
    assert es.count(index=indexer_settings.index_prefix)["count"] == 40

    _produce(settings, [(a.id.encode(), encode(a)) for a in articles[:10]])
    _run_indexer_until(es, indexer_settings, len(articles))
    assert es.count(index=indexer_settings.index_prefix)["count"] == 40
    assert consumer_lag(settings, [indexer_settings.group_id])[indexer_settings.group_id] == 0

    hits = es.search(index=indexer_settings.index_prefix, query={"match": {"body": "tariff"}}, size=0)
    assert hits["hits"]["total"]["value"] == 40
    assert es.indices.exists(index=f"{indexer_settings.index_prefix}-2025.06")


def test_only_the_bad_documents_of_a_batch_go_to_the_dlq(settings, es: Elasticsearch) -> None:
    indexer_settings = IndexerSettings()
    # An index whose mapping conflicts with the template makes Elasticsearch reject one document per item.
    conflicting = _article(100, countries=["JP"])
    conflicting_index = f"{indexer_settings.index_prefix}-2030.01"
    es.indices.create(index=conflicting_index, mappings={"properties": {"countries": {"type": "integer"}}})
    conflicting = conflicting.model_copy(update={"published_at": datetime(2030, 1, 5, tzinfo=UTC)})

    good = [_article(n) for n in range(5)]
    payloads = [(a.id.encode(), encode(a)) for a in good]
    payloads.insert(2, (conflicting.id.encode(), encode(conflicting)))
    payloads.insert(4, (b"poison", b"{not json"))
    _produce(settings, payloads)
    _run_indexer_until(es, indexer_settings, len(good))

    assert es.count(index=f"{indexer_settings.index_prefix}-2025.*")["count"] == 5
    dead = [decode(r.value, ArticleRejected) for r in read_topic(settings.kafka_bootstrap_servers, settings.topic_dlq)]
    assert sorted(message.reason for message in dead) == ["es_rejected", "invalid_json"]
    assert all(message.stage == "index" for message in dead)
    rejected = next(message for message in dead if message.reason == "es_rejected")
    assert rejected.article_id == conflicting.id
    assert rejected.source_topic == settings.topic_enriched


def test_a_large_batch_sent_as_concurrent_requests_keeps_each_documents_last_version(
    settings, es: Elasticsearch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="services.indexer.consumer")
    indexer_settings = IndexerSettings(bulk_concurrency=2)
    first = [_article(n) for n in range(300)]
    # The second versions follow on the same partitions (same keys), so they can share a batch with the first.
    second = [a.model_copy(update={"title": f"Revised story {n}"}) for n, a in enumerate(first[:100])]
    _produce(settings, [(a.id.encode(), encode(a)) for a in [*first, *second]])
    _run_indexer_until(es, indexer_settings, len(first))

    es.indices.refresh(index=indexer_settings.index_prefix)
    assert es.count(index=indexer_settings.index_prefix)["count"] == 300
    revised = es.count(index=indexer_settings.index_prefix, query={"match_phrase": {"title": "Revised story"}})
    assert revised["count"] == 100
    assert consumer_lag(settings, [indexer_settings.group_id])[indexer_settings.group_id] == 0
    batches = [getattr(r, "records", 0) for r in caplog.records if r.getMessage() == "batch indexed"]
    assert max(batches) >= 2 * MIN_DOCUMENTS_PER_REQUEST  # at least one batch went as two requests
