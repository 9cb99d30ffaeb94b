"""Kafka plumbing shared by the services: topic declarations, the producer, and read-only admin queries."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import (
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NotCoordinatorError,
    TopicAlreadyExistsError,
)

from services.common.settings import CommonSettings

log = logging.getLogger(__name__)

T = TypeVar("T")
# Raw pages may be large; the broker's topic config allows 8 MiB (infra/kafka/topics.json).
MAX_REQUEST_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]


def declared_topics(settings: CommonSettings) -> list[TopicSpec]:
    """The topics in ``infra/kafka/topics.json``, named with the settings' prefix, with the settings' partitions,
    replication factor and ``min.insync.replicas``."""
    document = json.loads((settings.infra_dir / "kafka" / "topics.json").read_text(encoding="utf-8"))
    partitions = settings.topic_partitions
    return [
        TopicSpec(
            name=f"{settings.topic_prefix}{name}",
            partitions=partitions[name],
            replication_factor=settings.topic_replication_factor,
            config={
                **{k: str(v) for k, v in spec.get("config", {}).items()},
                "min.insync.replicas": str(settings.topic_min_insync_replicas),
            },
        )
        for name, spec in document["topics"].items()
    ]


def topic_drift(spec: TopicSpec, partitions: int, replication_factor: int) -> list[str]:
    """What an existing topic lacks of its declaration. Reported, not changed: adding partitions moves keys to other
    partitions (an article's versions could then be indexed out of order while the old ones drain), and a new
    replication factor is a reassignment (``kafka-reassign-partitions.sh``), which an operator plans."""
    drift = []
    if partitions < spec.partitions:
        drift.append(
            f"{spec.name} has {partitions} partitions, {spec.partitions} configured: "
            f"kafka-topics.sh --alter --topic {spec.name} --partitions {spec.partitions} once the topic is drained"
        )
    elif partitions > spec.partitions:
        drift.append(f"{spec.name} has {partitions} partitions, {spec.partitions} configured: partitions cannot shrink")
    if replication_factor != spec.replication_factor:
        drift.append(
            f"{spec.name} has replication factor {replication_factor}, {spec.replication_factor} configured: "
            "reassign its partitions with kafka-reassign-partitions.sh"
        )
    return drift


def kafka_client_options(settings: CommonSettings) -> dict[str, Any]:
    """Connection options every kafka-python client gets: where the brokers are and, when the listener wants it,
    TLS (with the deployment's CA) and SASL credentials."""
    options: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap_servers}
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return options
    options["security_protocol"] = protocol
    if protocol in ("SSL", "SASL_SSL") and settings.kafka_ssl_cafile:
        options["ssl_cafile"] = str(settings.kafka_ssl_cafile)
    if protocol.startswith("SASL_"):
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = (
            settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
        )
    return options


class KafkaUnavailable(RuntimeError):
    """Kafka did not answer within the configured start-up wait."""


def connect_admin(settings: CommonSettings, *, wait_s: float | None = None) -> KafkaAdminClient:
    """An admin client, waiting (with a log line per attempt) while Kafka is not up yet: a service started before
    its broker waits for it instead of crashing. Gives up after ``kafka_startup_wait_s``."""
    wait_s = settings.kafka_startup_wait_s if wait_s is None else wait_s
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return KafkaAdminClient(
                **kafka_client_options(settings),
                client_id="dateline-admin",
                bootstrap_timeout_ms=int(min(10.0, max(wait_s, 1.0)) * 1000),
            )
        except (KafkaTimeoutError, KafkaConnectionError) as exc:
            if time.monotonic() >= deadline:
                raise KafkaUnavailable(
                    f"Kafka at {settings.kafka_bootstrap_servers} did not answer within {wait_s:.0f} s"
                ) from exc
            log.warning("waiting for Kafka", extra={"bootstrap": settings.kafka_bootstrap_servers})
            time.sleep(1.0)


def ensure_topics(settings: CommonSettings) -> list[str]:
    """Creates the declared topics that do not exist yet; returns the names it created."""
    admin = connect_admin(settings)
    try:
        existing = set(admin.list_topics())
        declared = declared_topics(settings)
        missing = [spec for spec in declared if spec.name not in existing]
        _report_drift(admin, [spec for spec in declared if spec.name in existing])
        if not missing:
            return []
        try:
            admin.create_topics(
                [
                    NewTopic(
                        name=spec.name,
                        num_partitions=spec.partitions,
                        replication_factor=spec.replication_factor,
                        topic_configs=spec.config,
                    )
                    for spec in missing
                ]
            )
        except TopicAlreadyExistsError:
            log.info("topics were created concurrently by another service")
        created = [spec.name for spec in missing]
        log.info("created topics", extra={"topics": created})
        return created
    finally:
        admin.close()


def _report_drift(admin: KafkaAdminClient, specs: list[TopicSpec]) -> None:
    if not specs:
        return
    by_name = {spec.name: spec for spec in specs}
    for topic in admin.describe_topics([spec.name for spec in specs]):
        replicas = {len(partition["replica_nodes"]) for partition in topic["partitions"]}
        for problem in topic_drift(by_name[topic["name"]], len(topic["partitions"]), min(replicas, default=0)):
            log.warning("topic differs from its settings", extra={"topic": topic["name"], "drift": problem})


def make_producer(settings: CommonSettings, **overrides: Any) -> KafkaProducer:
    """A producer that loses nothing it acknowledged: acks from all in-sync replicas, idempotent retries."""
    options: dict[str, Any] = {
        **kafka_client_options(settings),
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "max_request_size": MAX_REQUEST_BYTES,
        "client_id": "dateline",
    }
    options.update(overrides)
    return KafkaProducer(**options)


def end_offsets(settings: CommonSettings, topics: Iterable[str]) -> dict[str, int]:
    """Sum of the end offsets over each topic's partitions (the number of records ever written)."""
    consumer = KafkaConsumer(**kafka_client_options(settings), enable_auto_commit=False)
    try:
        totals: dict[str, int] = {}
        for topic in topics:
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in partitions]
            totals[topic] = sum(consumer.end_offsets(tps).values()) if tps else 0
        return totals
    finally:
        consumer.close()


def consumer_lag(settings: CommonSettings, groups: Iterable[str]) -> dict[str, int]:
    """Records not yet committed by each consumer group, over the partitions it has committed on."""
    groups = list(groups)
    admin = KafkaAdminClient(**kafka_client_options(settings), client_id="dateline-admin")
    consumer = KafkaConsumer(**kafka_client_options(settings), enable_auto_commit=False)
    try:
        committed_by_group = _with_coordinator(lambda: admin.list_group_offsets(groups))
        lag: dict[str, int] = {}
        for group in groups:
            committed = committed_by_group.get(group) or {}
            ends = consumer.end_offsets(list(committed)) if committed else {}
            lag[group] = sum(max(0, ends[tp] - meta.offset) for tp, meta in committed.items())
        return lag
    finally:
        consumer.close()
        admin.close()


def _with_coordinator(call: Callable[[], T], wait_s: float = 15.0) -> T:
    """Retries while the group coordinator is still coming up or moving: a fresh broker creates __consumer_offsets
    lazily and assigns its partitions' coordinators over the first seconds."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return call()
        except (CoordinatorNotAvailableError, CoordinatorLoadInProgressError, NotCoordinatorError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
