"""The faust app: consumes ``articles.raw`` in batches, enriches, produces ``articles.enriched`` or the DLQ.

Offsets are acknowledged by ``take_events`` only after the batch body returns, and the body returns only after
every output was acknowledged by the broker, so a crash at any point re-delivers rather than loses.

Two lanes share the one spaCy thread: live wires (``articles.raw``) and archive imports (``articles.backfill``).
A backfill batch starts only while the live lane is idle (no live batch running, no live record waiting on an
assigned partition), and backfill batches are small, so a live article waits for at most one of them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import ssl
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NoReturn, cast

import faust
from prometheus_client import Counter, Gauge, Histogram
from spacy.language import Language

from schemas import ArticleIngested, InvalidMessage, decode, encode
from services.common.bulk import Stopping
from services.common.stage import Reason, SourceRecord, dead_letter, dead_letter_key, gather_acknowledged
from services.enrich.pipeline import EnrichOutcome, enrich_batch
from services.enrich.settings import EnrichSettings
from services.enrich.steps.stories import StoryAssigner, StoryIndex
from services.enrich.story_store import StoryStoreFailed

log = logging.getLogger(__name__)

# The worker's exit status when the broker refused an output: EX_SOFTWARE, so a supervisor restarts it.
EXIT_NOT_ACKNOWLEDGED = 70

MESSAGES_IN = Counter("dateline_enrich_messages_in_total", "Records consumed, by lane (live, backfill).", ["lane"])
MESSAGES_OUT = Counter("dateline_enrich_messages_out_total", "Records produced, by topic kind.", ["kind"])
FAILURES = Counter("dateline_enrich_failures_total", "Raw records dead-lettered, by reason.", ["reason"])
BATCH_SECONDS = Histogram(
    "dateline_enrich_batch_seconds",
    "From a batch taken to its outputs acknowledged by the broker.",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
CONSUMER_LAG = Gauge(
    "dateline_enrich_consumer_lag", "Records behind the end of each partition.", ["topic", "partition"]
)
BACKFILL_YIELDED = Counter(
    "dateline_enrich_backfill_yield_seconds_total", "Time backfill batches waited for the live lane to be idle."
)


@dataclass
class WorkerHealth:
    """What ``/health`` reports for the worker: started, and how long since the last batch."""

    started: bool = False
    batches: int = 0
    last_batch_at: float = field(default_factory=time.monotonic)

    def report(self) -> dict[str, Any]:
        return {
            "ok": self.started,
            "service": "enrich",
            "batches": self.batches,
            "seconds_since_batch": round(time.monotonic() - self.last_batch_at, 1),
        }


@dataclass
class LiveLane:
    """What the backfill lane needs to know about the live one: is a live batch running, is a live record waiting.

    ``next_offsets`` holds, per live partition, the offset after the last record a live batch took.
    """

    running: int = 0
    next_offsets: dict[Any, int] = field(default_factory=dict)

    def took(self, events: Sequence[Any]) -> None:
        for event in events:
            tp = event.message.tp
            self.next_offsets[tp] = max(self.next_offsets.get(tp, 0), event.message.offset + 1)

    def waiting(self, highwaters: Mapping[Any, int | None], positions: Mapping[Any, int | None]) -> int:
        """Live records on the broker that no live batch has taken yet. The consumer's fetch position counts too:
        records already fetched are the live agent's within ``batch_within_s``, and after a rebalance hands a
        partition back, the position is ahead of what this worker took from it before."""
        waiting = 0
        for tp, highwater in highwaters.items():
            if highwater is None:
                continue
            taken = max(self.next_offsets.get(tp, 0), positions.get(tp) or 0)
            waiting += max(0, highwater - taken)
        return waiting


def faust_brokers(bootstrap_servers: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server.strip()]


def faust_credentials(settings: EnrichSettings) -> faust.SASLCredentials | faust.SSLCredentials | None:
    """The worker's broker credentials, from the same settings as every kafka-python client's."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context(cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None)
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None,
        ssl_context=context if protocol == "SASL_SSL" else None,
        mechanism=settings.kafka_sasl_mechanism,
    )


def source_of(event_message: Any) -> SourceRecord:
    """Where a faust event's message was read from."""
    return SourceRecord(event_message.topic, event_message.partition, event_message.offset)


def create_app(
    settings: EnrichSettings,
    nlp: Language,
    health: WorkerHealth | None = None,
    stories: StoryAssigner | None = None,
) -> faust.App:
    """The faust app with its one agent; ``nlp`` is loaded once by bootstrap, and ``stories`` (the story state,
    Elasticsearch's or this process's) built there too. Without one, the worker groups in its own memory."""
    health = health if health is not None else WorkerHealth()
    stories = stories if stories is not None else StoryIndex()
    app = faust.App(
        settings.app_id,
        broker=faust_brokers(settings.kafka_bootstrap_servers),
        broker_credentials=faust_credentials(settings),
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_max_request_size=8 * 1024 * 1024,
        topic_allow_declare=False,
        topic_disable_leader=True,
        web_enabled=settings.web_enabled,
        web_port=settings.web_port,
        stream_wait_empty=False,
    )
    raw_topic = app.topic(settings.topic_raw, key_type=bytes, value_type=bytes, allow_empty=True)
    backfill_topic = app.topic(settings.topic_backfill, key_type=bytes, value_type=bytes, allow_empty=True)
    enriched_topic = app.topic(settings.topic_enriched, key_type=bytes, value_type=bytes)
    dlq_topic = app.topic(settings.topic_dlq, key_type=bytes, value_type=bytes)
    # spaCy is CPU-bound: it runs in one worker thread so the event loop keeps heartbeating to the broker.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spacy")
    live = LiveLane()

    def exit_uncommitted(message: str, exc: BaseException, code: int = EXIT_NOT_ACKNOWLEDGED) -> NoReturn:
        """Ends the process at once, like a kill -9, so the batch's offsets are not committed and it is re-delivered.

        Raising instead would commit them: faust's ``take_events`` acks a batch's events in a ``finally``
        (faust/streams.py), whatever the agent raised."""
        log.critical(message, extra={"error": f"{type(exc).__name__}: {exc}"})
        logging.shutdown()
        os._exit(code)

    async def send_all(messages: Sequence[tuple[Any, bytes, bytes]]) -> None:
        """Returns only once the broker acknowledged every output and dead letter of the batch; when one was
        refused, the process ends without committing (``exit_uncommitted``)."""
        try:
            # force=True sends now instead of attaching to the event (which would publish after the ack).
            futures = [await topic.send(key=key, value=value, force=True) for topic, key, value in messages]
            await gather_acknowledged(futures)
        except Exception as exc:
            exit_uncommitted("output or dead letter not acknowledged; exiting without committing the batch", exc)

    @app.task
    async def mark_started() -> None:
        health.started = True

    def record_lag(events: Sequence[Any]) -> None:
        last: dict[Any, int] = {}
        for event in events:
            last[event.message.tp] = max(last.get(event.message.tp, -1), event.message.offset)
        for tp, offset in last.items():
            try:
                highwater = app.consumer.highwater(tp)
            except Exception:  # lag is a gauge, not worth failing a batch over
                continue
            if highwater is not None:
                CONSUMER_LAG.labels(topic=tp.topic, partition=str(tp.partition)).set(max(0, highwater - offset - 1))

    async def live_records_waiting() -> int:
        live_tps = [tp for tp in app.consumer.assignment() if tp.topic == settings.topic_raw]
        highwaters = {tp: app.consumer.highwater(tp) for tp in live_tps}
        positions = {tp: await app.consumer.position(tp) for tp in live_tps}
        return live.waiting(highwaters, positions)

    async def wait_for_spare_capacity() -> None:
        started = time.monotonic()
        while live.running or await live_records_waiting():
            await asyncio.sleep(settings.backfill_idle_check_s)
        BACKFILL_YIELDED.inc(time.monotonic() - started)

    async def enrich_events(events: Sequence[Any], lane: str) -> None:
        started = time.monotonic()
        MESSAGES_IN.labels(lane=lane).inc(len(events))
        record_lag(events)
        outgoing: list[tuple[Any, bytes, bytes]] = []
        decoded: list[tuple[ArticleIngested, Any]] = []
        for event in events:
            try:
                decoded.append((decode(event.message.value or b"", ArticleIngested), event.message))
            except InvalidMessage as exc:
                FAILURES.labels(reason=exc.reason).inc()
                rejected = dead_letter(
                    "enrich", Reason.of(exc.reason), exc.detail, event.message.value, source=source_of(event.message)
                )
                log.warning(
                    "raw message rejected",
                    extra={"reason": exc.reason, "offset": f"{event.message.partition}:{event.message.offset}"},
                )
                outgoing.append((dlq_topic, dead_letter_key(rejected), encode(rejected)))
        if decoded:
            raws = [raw for raw, _ in decoded]
            try:
                # The story store retries an unreachable Elasticsearch itself: the batch waits here, uncommitted.
                outcomes: list[EnrichOutcome] = await asyncio.get_running_loop().run_in_executor(
                    executor,
                    functools.partial(
                        enrich_batch,
                        raws,
                        nlp,
                        model_name=settings.spacy_model,
                        batch_size=settings.batch_size,
                        stories=stories,
                    ),
                )
            except StoryStoreFailed as exc:
                exit_uncommitted("story state refused; exiting without committing the batch", exc)
            except Stopping as exc:  # asked to stop while Elasticsearch was away: the batch is re-delivered
                exit_uncommitted("stopping with a batch waiting for the story store; not committed", exc, code=0)
            for outcome, (_, message) in zip(outcomes, decoded, strict=True):
                outgoing.extend(_outgoing(outcome, message, enriched_topic, dlq_topic))
        await send_all(outgoing)
        for topic, _, _ in outgoing:
            MESSAGES_OUT.labels(kind="dlq" if topic is dlq_topic else "enriched").inc()
        BATCH_SECONDS.observe(time.monotonic() - started)
        health.batches += 1
        health.last_batch_at = time.monotonic()
        log.info("batch enriched", extra={"lane": lane, "raw": len(events), "out": len(outgoing)})

    # concurrency 1 per lane: faust could otherwise commit past an in-flight batch.
    @app.agent(raw_topic, concurrency=1)
    async def enrich_raw_articles(stream: faust.StreamT) -> None:
        async for events in cast(faust.Stream, stream).take_events(settings.batch_size, within=settings.batch_within_s):
            live.running += 1
            live.took(events)
            try:
                await enrich_events(events, "live")
            finally:
                live.running -= 1

    @app.agent(backfill_topic, concurrency=1)
    async def enrich_backfill_articles(stream: faust.StreamT) -> None:
        batches = cast(faust.Stream, stream).take_events(settings.backfill_batch_size, within=settings.batch_within_s)
        async for events in batches:
            await wait_for_spare_capacity()
            await enrich_events(events, "backfill")

    return app


def _outgoing(
    outcome: EnrichOutcome, message: Any, enriched_topic: Any, dlq_topic: Any
) -> list[tuple[Any, bytes, bytes]]:
    if outcome.reason:
        rejected = dead_letter(
            "enrich",
            Reason.of(outcome.reason),
            outcome.error or outcome.reason,
            message.value,
            source=source_of(message),
            article_id=outcome.raw.id,
        )
        FAILURES.labels(reason=outcome.reason).inc()
        log.warning("article rejected", extra={"article_id": outcome.raw.id, "reason": outcome.reason})
        return [(dlq_topic, dead_letter_key(rejected), encode(rejected))]
    return [(enriched_topic, article.id.encode(), encode(article)) for article in outcome.articles]
