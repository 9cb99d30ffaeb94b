"""``dateline dlq replay``: re-publish dead letters of a stage/reason to the topic they came from, once each.

A replay is for after a fix (a new enrichment version, a mapping change): the original payload goes back to its
``source_topic`` unchanged, with a ``dateline-replay-of`` header naming the DLQ record. Every replayed DLQ record
is written to a ledger (``<state_dir>/dlq-replayed.jsonl``, keyed by the Kafka cluster and DLQ topic) after the
broker acknowledged it, with a fingerprint of its payload, so running the same command again replays nothing
twice, including the dead letter a replayed payload earns when it fails again (remove its ledger line after a
second fix to replay it once more). A crash between the broker's ack
and the ledger line can replay one record twice; the pipeline is idempotent, so that costs work, not data.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
from kafka import KafkaAdminClient
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

from schemas import ArticleRejected, InvalidMessage, decode
from services.audit.collect import read_topic
from services.common.kafka import kafka_client_options, make_producer
from services.common.settings import CommonSettings
from services.common.stage import SendRefused, commit_after_acknowledged, original_bytes

log = logging.getLogger(__name__)

REPLAY_HEADER = "dateline-replay-of"


@dataclass(frozen=True)
class Candidate:
    """A DLQ record and what replaying it would do."""

    dlq_offset: int
    letter: ArticleRejected
    skip: str | None = None  # why it will not be replayed, or None

    @property
    def payload(self) -> bytes:
        return original_bytes(self.letter)

    @property
    def fingerprint(self) -> str:
        """Same payload to the same topic, same fingerprint: a replay that failed again is not replayed again."""
        return payload_fingerprint(self.letter.source_topic or "", self.payload)


def payload_fingerprint(topic: str, payload: bytes) -> str:
    return hashlib.sha256(topic.encode() + b"\0" + payload).hexdigest()


def select(
    letters: Iterable[tuple[int, ArticleRejected]],
    *,
    stages: Sequence[str] = (),
    reasons: Sequence[str] = (),
    replayed: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """The DLQ records matching ``stages`` and ``reasons`` (any when empty), each with a skip reason or none.

    Pure: ``replayed`` holds the DLQ event ids and payload fingerprints already replayed (the ledger), so neither
    the same record nor the same payload failing again after its replay goes twice.
    """
    chosen = []
    for offset, letter in letters:
        if (stages and letter.stage not in stages) or (reasons and letter.reason not in reasons):
            continue
        skip = None
        candidate = Candidate(offset, letter)
        if letter.event_id in replayed or (letter.source_topic and candidate.fingerprint in replayed):
            skip = "already_replayed"
        elif not letter.source_topic:
            skip = "no_source_topic"  # ingest rejected the file before it was ever a message: re-ingest it
        elif letter.original_truncated:
            skip = "original_truncated"
        chosen.append(Candidate(offset, letter, skip))
    return chosen


class Ledger:
    """The DLQ event ids already replayed, per scope (cluster id and DLQ topic), as JSON Lines."""

    def __init__(self, path: Path, scope: str) -> None:
        self._path = path
        self._scope = scope

    def replayed(self) -> frozenset[str]:
        if not self._path.exists():
            return frozenset()
        ids = set()
        for line in self._path.read_bytes().splitlines():
            if line.strip():
                entry = orjson.loads(line)
                if entry.get("scope") == self._scope:
                    ids.add(entry["event_id"])
                    ids.add(entry.get("fingerprint", ""))
        return frozenset(ids)

    def record(self, candidate: Candidate, target: str, partition: int, offset: int) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "scope": self._scope,
            "event_id": candidate.letter.event_id,
            "fingerprint": candidate.fingerprint,
            "stage": candidate.letter.stage,
            "reason": candidate.letter.reason,
            "article_id": candidate.letter.article_id,
            "dlq_offset": candidate.dlq_offset,
            "to": f"{target}@{partition}:{offset}",
        }
        with self._path.open("ab") as ledger:
            ledger.write(orjson.dumps(entry) + b"\n")


def ledger_for(settings: CommonSettings, state_dir: Path) -> Ledger:
    admin = KafkaAdminClient(**kafka_client_options(settings), client_id="dateline-dlq")
    try:
        cluster_id = admin.describe_cluster().get("cluster_id") or "unknown-cluster"
    finally:
        admin.close()
    return Ledger(state_dir / "dlq-replayed.jsonl", f"{cluster_id}/{settings.topic_dlq}")


def read_dead_letters(settings: CommonSettings) -> list[tuple[int, ArticleRejected]]:
    def parse(record: ConsumerRecord) -> tuple[int, ArticleRejected] | None:
        try:
            return record.offset, decode(record.value or b"", ArticleRejected)
        except InvalidMessage:
            log.warning("unreadable DLQ record skipped", extra={"offset": record.offset})
            return None

    return [item for item in read_topic(settings, settings.topic_dlq, parse) if item is not None]


def replay(settings: CommonSettings, candidates: Sequence[Candidate], ledger: Ledger) -> int:
    """Publishes every candidate without a skip reason to its source topic; returns how many went."""
    to_send = [c for c in candidates if c.skip is None]
    if not to_send:
        return 0
    producer = make_producer(settings, client_id="dateline-dlq-replay")
    try:
        for candidate in to_send:
            target = str(candidate.letter.source_topic)
            key = candidate.letter.article_id.encode() if candidate.letter.article_id else None
            headers = [(REPLAY_HEADER, candidate.letter.event_id.encode())]
            try:
                ack = producer.send(target, key=key, value=candidate.payload, headers=headers)
            except KafkaError as exc:
                ack = SendRefused(exc)
            # The ledger line is this command's commit: written only once the broker took the payload.
            (metadata,) = commit_after_acknowledged([ack], lambda answers: answers, timeout_s=60)
            ledger.record(candidate, target, metadata.partition, metadata.offset)
            log.info(
                "dead letter replayed",
                extra={"article_id": candidate.letter.article_id, "to": target, "dlq_offset": candidate.dlq_offset},
            )
    finally:
        producer.close(timeout=30)
    return len(to_send)
