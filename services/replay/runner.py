"""The replay: read ``articles.raw`` and ``articles.backfill`` from their beginning, enrich in this process with the
current model, index into a new generation, move the read alias there, then catch up with what arrived meanwhile.

The local Elasticsearch has no ``_reindex`` (and re-enriching needs the raw articles anyway), so the raw topics,
kept without time limit, are the source of a replay. The live services keep running throughout: until the swap
the indexer writes the old generation and search reads it; after the swap the indexer follows the alias within
``generation_check_s``, and the catch-up re-enriches everything that arrived up to then into the new generation
(same ids, so what the live indexer wrote there too is overwritten, not doubled).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from spacy.language import Language

from schemas import ArticleIngested, InvalidMessage, decode, encode
from services.common.bulk import BulkRetryPolicy, bulk_until_done
from services.common.elastic import (
    aliased_indices,
    current_generation,
    generation_of,
    generation_prefix,
    generation_template,
    install_template,
)
from services.common.kafka import kafka_client_options
from services.common.stage import (
    Acknowledgement,
    Reason,
    SendRefused,
    SourceRecord,
    Stage,
    commit_after_acknowledged,
    dead_letter,
    dead_letter_key,
)
from services.enrich.pipeline import enrich_batch
from services.enrich.steps.stories import StoryIndex
from services.indexer.documents import bulk_action
from services.replay.plan import caught_up, next_generation, swap_actions
from services.replay.settings import ReplaySettings

log = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    generation_from: int
    generation_to: int
    raw_records: int = 0
    poison: int = 0
    indexed: int = 0
    dead_lettered: int = 0
    docs_before: int = 0
    docs_after: int = 0
    new_indices: list[str] = field(default_factory=list)
    dry_run: bool = False


class Replay:
    def __init__(
        self,
        settings: ReplaySettings,
        es: Elasticsearch,
        producer: KafkaProducer,
        nlp: Language,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self._settings = settings
        self._es = es
        self._producer = producer
        self._nlp = nlp
        self._on_progress = on_progress or (lambda _: None)
        self._stories = StoryIndex()
        self._created: set[str] = set()
        self._retry_policy = BulkRetryPolicy(max_backoff_s=settings.max_backoff_s)

    def plan(self) -> tuple[ReplayReport, KafkaConsumer, dict[TopicPartition, int]]:
        """The generations involved, and a consumer at the beginning of both raw topics with their end offsets."""
        prefix = self._settings.index_prefix
        install_template(self._es, self._settings)
        current = current_generation(self._es, prefix)
        existing = self._es.indices.get(index=f"{prefix}-*", allow_no_indices=True)
        report = ReplayReport(current, next_generation(existing, prefix, current), docs_before=self._count())
        consumer = KafkaConsumer(
            **kafka_client_options(self._settings),
            client_id="dateline-replay",
            group_id=None,
            enable_auto_commit=False,
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )
        topics = (self._settings.topic_raw, self._settings.topic_backfill)
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
        report.raw_records = sum(ends[tp] - starts[tp] for tp in partitions)
        return report, consumer, ends

    def run(self, report: ReplayReport, consumer: KafkaConsumer, ends: dict[TopicPartition, int]) -> ReplayReport:
        prefix, target = self._settings.index_prefix, report.generation_to
        name, body = generation_template(self._settings, target, aliased=False)
        self._es.indices.put_index_template(name=name, **body)
        self._read(consumer, ends, report)

        new_indices = list(self._es.indices.get(index=f"{generation_prefix(prefix, target)}-*", allow_no_indices=True))
        aliased = aliased_indices(self._es, prefix)
        self._es.indices.put_index_template(name=name, **generation_template(self._settings, target, aliased=True)[1])
        self._es.indices.update_aliases(actions=swap_actions(prefix, aliased, new_indices))
        log.info("read alias moved", extra={"alias": prefix, "generation": target})
        time.sleep(2 * self._settings.generation_check_s)  # the indexer now writes the new generation

        for tp, end in ends.items():
            consumer.seek(tp, end)
        self._read(consumer, consumer.end_offsets(list(ends)), report)
        # A month the old generation opened between the swap and the indexer's next check has the alias from the
        # prefix's template; its articles were just replayed, so it leaves the alias.
        stray = [index for index in aliased_indices(self._es, prefix) if generation_of(index, prefix) != target]
        if stray:
            self._es.indices.update_aliases(actions=[{"remove": {"index": i, "alias": prefix}} for i in stray])
        self._es.indices.refresh(index=prefix)
        report.docs_after = self._count()
        report.new_indices = sorted(aliased_indices(self._es, prefix))
        consumer.close()
        self._producer.flush(timeout=60)
        return report

    def _read(self, consumer: KafkaConsumer, ends: dict[TopicPartition, int], report: ReplayReport) -> None:
        batch: list[ConsumerRecord] = []
        while not caught_up({tp: consumer.position(tp) for tp in ends}, ends):
            for tp, records in consumer.poll(timeout_ms=1000, max_records=self._settings.batch_size).items():
                batch.extend(record for record in records if record.offset < ends[tp])
            if len(batch) >= self._settings.batch_size:
                self._replay(batch, report)
                batch = []
        if batch:
            self._replay(batch, report)

    def _replay(self, records: Sequence[ConsumerRecord], report: ReplayReport) -> None:
        decoded: list[tuple[ArticleIngested, ConsumerRecord]] = []
        for record in records:
            try:
                decoded.append((decode(record.value or b"", ArticleIngested), record))
            except InvalidMessage:
                report.poison += 1  # the live worker dead-lettered it when it first came; nothing to redo
        outcomes = enrich_batch(
            [raw for raw, _ in decoded],
            self._nlp,
            model_name=self._settings.spacy_model,
            batch_size=self._settings.batch_size,
            stories=self._stories,
        )
        indexed_at, prefix = datetime.now(UTC), self._settings.index_prefix
        dead_letters: list[Acknowledgement] = []
        to_index: list[tuple[dict[str, Any], ConsumerRecord]] = []
        for outcome, (raw, record) in zip(outcomes, decoded, strict=True):
            if outcome.reason:
                reason, error = Reason.of(outcome.reason), outcome.error or outcome.reason
                dead_letters.append(self._dead_letter(record, "enrich", reason, error, raw.id))
                report.dead_lettered += 1
            for article in outcome.articles:
                action = bulk_action(prefix, article, indexed_at=indexed_at, generation=report.generation_to)
                to_index.append((action, record))
        for index in {action["_index"] for action, _ in to_index} - self._created:
            self._es.options(ignore_status=400).indices.create(index=index)  # 400: it exists already
            self._created.add(index)
        # The indexer's policy: 429 and 5xx retried with backoff, other refusals dead-lettered.
        done = bulk_until_done(
            self._es,
            to_index,
            lambda item: item[0],
            self._retry_policy,
            chunk_size=self._settings.replay_bulk_size,
            on_retry=lambda cause, wait_s: log.warning(
                "bulk retried", extra={"error": str(cause)[:300] if cause else "items refused", "backoff_s": wait_s}
            ),
        )
        report.indexed += len(done.indexed)
        for (action, record), error in done.refused:
            dead_letters.append(self._dead_letter(record, "index", Reason.ES_REJECTED, error, action["_id"]))
            report.dead_lettered += 1
        # Progress counts a batch as done only once its dead letters are acknowledged; a refusal stops the replay.
        commit_after_acknowledged(dead_letters, lambda _: self._on_progress(len(records)), timeout_s=60)

    def _dead_letter(
        self, record: ConsumerRecord, stage: Stage, reason: Reason, error: str, article_id: str
    ) -> Acknowledgement:
        source = SourceRecord(record.topic, record.partition, record.offset)
        rejected = dead_letter(stage, reason, f"replay: {error}", record.value, source=source, article_id=article_id)
        try:
            return self._producer.send(self._settings.topic_dlq, key=dead_letter_key(rejected), value=encode(rejected))
        except KafkaError as exc:
            return SendRefused(exc)

    def _count(self) -> int:
        found = self._es.options(ignore_status=404).count(index=self._settings.index_prefix)
        return int(found.body.get("count", 0)) if found.meta.status == 200 else 0
