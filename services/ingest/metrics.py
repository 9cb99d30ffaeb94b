"""Prometheus metrics of the ingest service, in a registry of their own (one per service object, so tests can
build several side by side)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class IngestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._in = Counter(
            "dateline_ingest_messages_in", "Deliveries received, by lane.", ["lane"], registry=self.registry
        )
        self._out = Counter(
            "dateline_ingest_messages_out",
            "Messages the broker acknowledged, by topic.",
            ["topic"],
            registry=self.registry,
        )
        self._duplicates = Counter(
            "dateline_ingest_duplicates", "Deliveries already published, by lane.", ["lane"], registry=self.registry
        )
        self._rejections = Counter(
            "dateline_ingest_rejections",
            "Deliveries or requests refused, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self._unavailable = Counter(
            "dateline_ingest_broker_unacknowledged",
            "Sends the broker did not acknowledge in time.",
            registry=self.registry,
        )
        self._latency = Histogram(
            "dateline_ingest_publish_seconds",
            "From send to the broker's acknowledgement.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.buffer_fill = Gauge(
            "dateline_ingest_buffer_fill", "Articles in flight to the broker.", registry=self.registry
        )
        self.buffer_capacity = Gauge(
            "dateline_ingest_buffer_capacity",
            "Articles allowed in flight (DATELINE_INGEST_BUFFER_LIMIT).",
            registry=self.registry,
        )
        self._polls = Counter(
            "dateline_ingest_feed_polls", "Feed polls, by outcome.", ["outcome"], registry=self.registry
        )

    def received(self, lane: str, count: int) -> None:
        self._in.labels(lane).inc(count)

    def published(self, topic: str, seconds: float) -> None:
        self._out.labels(topic).inc()
        self._latency.observe(seconds)

    def duplicate(self, lane: str) -> None:
        self._duplicates.labels(lane).inc()

    def rejected(self, reason: str, count: int = 1) -> None:
        self._rejections.labels(reason).inc(count)

    def unavailable(self) -> None:
        self._unavailable.inc()

    def polled(self, outcome: str) -> None:
        self._polls.labels(outcome).inc()

    def exposition(self) -> bytes:
        """The Prometheus text format."""
        return generate_latest(self.registry)
