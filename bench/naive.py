"""``python -m bench.naive enrich|index``: the same pipeline written the obvious way, as the baseline.

One message at a time, ``nlp(text)`` with the model's default pipes (plus our gazetteer, so the output is the
same), one produce and one commit per article, one ``index`` call per document, one process. It reuses the
pure steps and document builder, so the difference to the real services is only in how the work is done.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, datetime

import spacy
from kafka import KafkaConsumer

from schemas import ArticleEnriched, ArticleIngested, decode, encode
from services.common.elastic import install_template, make_client
from services.common.kafka import make_producer
from services.enrich.nlp import GAZETTEER_FACTORY
from services.enrich.pipeline import enrich_batch
from services.enrich.settings import EnrichSettings
from services.indexer.documents import bulk_action
from services.indexer.settings import IndexerSettings


def _stop_event() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def run_enrich() -> None:
    settings = EnrichSettings()
    nlp = spacy.load(settings.spacy_model)  # every default pipe: tagger, parser, lemmatizer, ...
    nlp.add_pipe(GAZETTEER_FACTORY, name="dateline_gazetteer", before="ner")
    consumer = KafkaConsumer(
        settings.topic_raw,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.app_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    producer = make_producer(settings)
    stop = _stop_event()
    while not stop.is_set():
        for records in consumer.poll(timeout_ms=200, max_records=1).values():
            for record in records:
                raw = decode(record.value or b"", ArticleIngested)
                for outcome in enrich_batch([raw], nlp, model_name=settings.spacy_model, batch_size=1):
                    for article in outcome.articles:
                        producer.send(settings.topic_enriched, key=article.id.encode(), value=encode(article)).get()
                consumer.commit()
    consumer.close(autocommit=False)
    producer.close()


def run_index() -> None:
    settings = IndexerSettings()
    es = make_client(settings)
    install_template(es, settings)
    consumer = KafkaConsumer(
        settings.topic_enriched,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    stop = _stop_event()
    while not stop.is_set():
        for records in consumer.poll(timeout_ms=200, max_records=1).values():
            for record in records:
                article = decode(record.value or b"", ArticleEnriched)
                action = bulk_action(settings.index_prefix, article, indexed_at=datetime.now(UTC))
                es.index(index=action["_index"], id=action["_id"], document=action["_source"])
                consumer.commit()
    consumer.close(autocommit=False)


if __name__ == "__main__":
    {"enrich": run_enrich, "index": run_index}[sys.argv[1]]()
