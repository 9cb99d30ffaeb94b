"""Bytes per article at each stage, for sizing (``python -m bench sizes``, ``make bench-sizes``; README, Sizing).

The demo feed and a slice of the generated corpus each go through the real pipeline (``dateline ingest``, one
enrichment worker, the indexer) on their own topics and index. Then, per stage: the records on ``articles.raw`` and
``articles.enriched`` (key, value and headers, as the producers wrote them: uncompressed) and the partitions' size
on the broker's disk (``DescribeLogDirs``, so batch headers are in); the monthly indices' primary store before and
after a force-merge to one segment, over the top-level documents (``_count``; Lucene also counts each quotation,
a nested document). A dozen demo articles are mostly per-index overhead in Elasticsearch; the corpus figure is the
one to size with.
"""

from __future__ import annotations

import gzip
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from bench import runs
from bench.corpus import SAMPLE_FEED, build
from services.common.elastic import make_client
from services.common.kafka import end_offsets, kafka_client_options

STORE_STATS_REFRESH_S = 10
GZIP_BATCH = 100  # records per compressed batch: about what a producer's linger gathers under load


def record_sizes(stage: runs.Stage, topic: str) -> list[tuple[bytes, bytes, int]]:
    """(key, value, bytes of key + value + headers) of every record on one of the stage's topics."""
    consumer = KafkaConsumer(**kafka_client_options(stage.settings), enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        out: list[tuple[bytes, bytes, int]] = []
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    key, value = record.key or b"", record.value or b""
                    headers = sum(len(name) + len(data or b"") for name, data in record.headers)
                    out.append((key, value, len(key) + len(value) + headers))
        return out
    finally:
        consumer.close()


def log_bytes(stage: runs.Stage, topic: str) -> int:
    """The topic's partitions on the broker's disk (one broker locally: one copy)."""
    admin = KafkaAdminClient(**kafka_client_options(stage.settings))
    try:
        total = 0
        for broker in admin.describe_log_dirs([topic]):
            for log_dir in broker["log_dirs"]:
                for entry in log_dir["topics"]:
                    if entry["name"] == topic:
                        total += sum(partition["partition_size"] for partition in entry["partitions"])
        return total
    finally:
        admin.close()


def gzip_ratio(values: Sequence[bytes]) -> float:
    """Compressed over plain bytes for batches of ``GZIP_BATCH`` records (gzip is one of Kafka's codecs)."""
    plain = sum(len(v) for v in values)
    packed = sum(len(gzip.compress(b"".join(values[i : i + GZIP_BATCH]))) for i in range(0, len(values), GZIP_BATCH))
    return packed / plain if plain else 0.0


def _per_record(sizes: Sequence[tuple[bytes, bytes, int]], disk: int) -> dict[str, float]:
    lengths = [size for _, _, size in sizes]
    return {
        "records": len(lengths),
        "mean_bytes": statistics.fmean(lengths) if lengths else 0.0,
        "median_bytes": statistics.median(lengths) if lengths else 0.0,
        "disk_bytes_per_record": disk / len(lengths) if lengths else 0.0,
        "gzip_ratio": gzip_ratio([value for _, value, _ in sizes]),
    }


def _store(es: Any, pattern: str) -> tuple[int, int]:
    stats = es.indices.stats(index=pattern, metric="store,docs")["_all"]["primaries"]
    return int(stats["store"]["size_in_bytes"]), int(stats["docs"]["count"])


def _segments(es: Any, pattern: str) -> int:
    return int(es.indices.stats(index=pattern, metric="segments")["_all"]["primaries"]["segments"]["count"])


def measure(name: str, paths: Sequence[Path], memory: runs.MemoryWatch) -> dict[str, Any]:
    """One stage: ``paths`` through ingest, a worker and the indexer; the sizes at each step."""
    with runs.staged(f"sizes-{name}") as stage, runs.services(stage, memory, runs.ENRICH, runs.INDEXER) as running:
        settings = stage.settings
        topics = (settings.topic_raw, settings.topic_enriched, settings.topic_dlq)
        runs.finish(runs.ingest(stage, memory, paths), timeout=900)
        raw_count = end_offsets(settings, [settings.topic_raw])[settings.topic_raw]

        def enriched_or_dead() -> bool:
            ends = end_offsets(settings, topics)
            return ends[settings.topic_enriched] + ends[settings.topic_dlq] >= raw_count

        runs.wait_for(f"{name} enriched", enriched_or_dead, running, 1800)
        enriched = record_sizes(stage, settings.topic_enriched)
        articles = len({key for key, _, _ in enriched})  # a record per version of an article
        es = make_client(settings, request_timeout=600)
        runs.wait_for(f"{name} searchable", lambda: runs.searchable_count(es, stage) >= articles, running, 600)
        raw = record_sizes(stage, settings.topic_raw)
        kafka = {
            "raw": _per_record(raw, log_bytes(stage, settings.topic_raw)),
            "enriched": _per_record(enriched, log_bytes(stage, settings.topic_enriched)),
            "dead_letters": end_offsets(settings, [settings.topic_dlq])[settings.topic_dlq],
        }
        pattern = f"{settings.index_prefix}-*"
        es.indices.refresh(index=pattern)
        documents = int(es.count(index=pattern)["count"])
        live_store, lucene_docs = _store(es, pattern)
        segments_before = _segments(es, pattern)
        es.indices.forcemerge(index=pattern, max_num_segments=1)
        es.indices.refresh(index=pattern)
        # Elasticsearch caches an index's store size for index.store.stats_refresh_interval (10 s by default).
        time.sleep(STORE_STATS_REFRESH_S + 1)
        merged_store, _ = _store(es, pattern)
        segments_after = _segments(es, pattern)
        indices = sorted(es.indices.get(index=pattern))
    return {
        "files": len(paths),
        "kafka": kafka,
        "elasticsearch": {
            "documents": documents,
            "lucene_documents": lucene_docs,
            "indices": indices,
            "store_bytes_per_document": live_store / documents if documents else 0.0,
            "merged_store_bytes_per_document": merged_store / documents if documents else 0.0,
            "segments_before_merge": segments_before,
            "segments_after_merge": segments_after,
        },
    }


def sizes(articles: int) -> dict[str, Any]:
    """The demo feed, then ``articles`` corpus articles, each in its own stage."""
    memory = runs.MemoryWatch()
    try:
        demo = sorted(p for p in SAMPLE_FEED.iterdir() if p.is_file() and not p.name.startswith("."))
        corpus = build(articles)
        return {
            "demo_feed": measure("demo", demo, memory),
            "corpus": {**measure("corpus", corpus.paths(), memory), "words_per_article": corpus.words / articles},
        }
    finally:
        memory.close()


def table(results: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| | demo feed | generated corpus |",
        "|---|---:|---:|",
    ]
    demo, corpus = results["demo_feed"], results["corpus"]

    def row(label: str, get: Any, fmt: str = "{:,.0f}") -> None:
        lines.append(f"| {label} | {fmt.format(get(demo))} | {fmt.format(get(corpus))} |")

    row("raw records", lambda r: r["kafka"]["raw"]["records"])
    row("raw record, mean bytes", lambda r: r["kafka"]["raw"]["mean_bytes"])
    row("raw, bytes on the broker's disk per record", lambda r: r["kafka"]["raw"]["disk_bytes_per_record"])
    row("raw, gzip / plain", lambda r: r["kafka"]["raw"]["gzip_ratio"], "{:.2f}")
    row("enriched records", lambda r: r["kafka"]["enriched"]["records"])
    row("enriched record, mean bytes", lambda r: r["kafka"]["enriched"]["mean_bytes"])
    row("enriched, bytes on disk per record", lambda r: r["kafka"]["enriched"]["disk_bytes_per_record"])
    row("enriched, gzip / plain", lambda r: r["kafka"]["enriched"]["gzip_ratio"], "{:.2f}")
    row("Elasticsearch documents", lambda r: r["elasticsearch"]["documents"])
    row("primary store per document, as indexed", lambda r: r["elasticsearch"]["store_bytes_per_document"])
    row("primary store per document, force-merged", lambda r: r["elasticsearch"]["merged_store_bytes_per_document"])
    row(
        "segments before / after the merge",
        lambda r: r["elasticsearch"],
        "{0[segments_before_merge]} / {0[segments_after_merge]}",
    )
    lines.append(f"\nCorpus: {corpus['words_per_article']:.0f} words per article on average.")
    return "\n".join(lines)
