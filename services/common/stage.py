"""The one stage contract: how every stage (ingest's publisher, the enrichment worker, the indexer, the replay)
rejects a record, and when it may commit the record's source offset.

- ``Reason``: the catalogue of reason codes a dead letter may carry, each with one line saying what it means
  (``dateline dlq reasons`` prints it).
- ``dead_letter()``: the one builder of ``ArticleRejected`` records. The original bytes are kept exactly: as text
  when they are valid UTF-8, as base64 otherwise (never decoded with ``errors="replace"``, which would lose a
  binary record's bytes), cut to ``ORIGINAL_MAX_BYTES`` with the cut stated in the record.
- ``commit_after_acknowledged()``: the rule "every output and every dead letter acknowledged by the broker before
  the source offset is committed", written once. It knows nothing of Kafka: an acknowledgement is anything with
  kafka-python's ``get(timeout)``, so the rule is unit-tested without a broker.

Pure: no Kafka or Elasticsearch import, so ``dateline enrich`` and the ingest reader may use it.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Protocol, TypeVar

from schemas import ArticleRejected
from schemas.models import Stage

# The most bytes of an original a dead letter keeps. Ingest refuses deliveries over 5 MiB, the raw topics hold
# up to 8 MiB and the DLQ topic 32 MiB (infra/kafka/topics.json), so a dead letter always fits its topic; what
# was cut is still on the source topic at ``source_offset``.
ORIGINAL_MAX_BYTES = 1024 * 1024
# The most characters of an error's detail: enough for a validation report, not a stack of them.
ERROR_MAX_CHARS = 2000


class Reason(StrEnum):
    """Why a record went to the DLQ. The value is the code in ``ArticleRejected.reason``."""

    # ingest: the delivered bytes
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    BINARY = "binary"
    UNDECODABLE = "undecodable"
    NO_TEXT = "no_text"
    # any consumer: the record is not the message its topic carries
    INVALID_JSON = "invalid_json"
    SCHEMA_MISMATCH = "schema_mismatch"
    # enrich: extraction and the enrichment steps
    INVALID_XML = "invalid_xml"
    UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
    TOO_MANY_ARTICLES = "too_many_articles"
    NO_ARTICLE = "no_article"
    EXTRACTION_FAILED = "extraction_failed"
    ENRICH_FAILED = "enrich_failed"
    # index: Elasticsearch
    ES_REJECTED = "es_rejected"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]

    @classmethod
    def of(cls, code: str) -> Reason:
        """The catalogued reason for a code raised below the services (``schemas``, the enrichment steps).

        Raises ``ValueError`` for a code not in the catalogue: a unit test walks every code those layers raise.
        """
        return cls(code)


_DESCRIPTIONS: dict[Reason, str] = {
    Reason.TOO_LARGE: "Larger than the stage's limit (DATELINE_MAX_ARTICLE_BYTES at ingest, 8M characters at enrich).",
    Reason.EMPTY: "No content, or only white space.",
    Reason.BINARY: "Control bytes: not a text document.",
    Reason.UNDECODABLE: "Not UTF-8, and no other text encoding fits.",
    Reason.NO_TEXT: "A feed item with neither a body nor a link to one.",
    Reason.INVALID_JSON: "The payload is not JSON (or, for a ninjs article, not a JSON document).",
    Reason.SCHEMA_MISMATCH: "JSON, but not the message the topic carries (schemas/*.v1.json).",
    Reason.INVALID_XML: "A feed or NewsML document that does not parse as XML.",
    Reason.UNSUPPORTED_CONTENT_TYPE: "A content type no extractor reads.",
    Reason.TOO_MANY_ARTICLES: "A page or feed with more articles than one delivery may hold (1,000).",
    Reason.NO_ARTICLE: "Extraction found no article text.",
    Reason.EXTRACTION_FAILED: "Extraction refused or crashed on the document; the error says how.",
    Reason.ENRICH_FAILED: "An enrichment step crashed on the article; the error says how.",
    Reason.ES_REJECTED: "Elasticsearch refused the document for good (a 4xx other than 429, e.g. the mapping).",
}


class Rejection(ValueError):
    """A record a stage refuses: ``reason`` from the catalogue, ``detail`` for people."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SourceRecord:
    """Where a rejected record was read from, when it was read from a topic."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class KeptOriginal:
    """The original as a dead letter holds it."""

    text: str
    encoding: Literal["utf-8", "base64"]
    truncated: bool
    size: int  # bytes in the whole original


def keep_original(data: bytes, max_bytes: int = ORIGINAL_MAX_BYTES) -> KeptOriginal:
    """``data`` as text when it is valid UTF-8, as base64 otherwise, cut to its first ``max_bytes``.

    A cut that splits a UTF-8 character keeps the text before it (up to 3 bytes fewer), so text stays text.
    """
    kept = data[:max_bytes]
    truncated = len(data) > max_bytes
    try:
        return KeptOriginal(kept.decode("utf-8"), "utf-8", truncated, len(data))
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(kept) - 3 and exc.reason == "unexpected end of data":
            return KeptOriginal(kept[: exc.start].decode("utf-8"), "utf-8", truncated, len(data))
    return KeptOriginal(base64.b64encode(kept).decode("ascii"), "base64", truncated, len(data))


def original_bytes(letter: ArticleRejected) -> bytes:
    """The bytes a dead letter kept of its original, exactly (the first ``ORIGINAL_MAX_BYTES`` when truncated)."""
    if letter.original_encoding == "base64":
        return base64.b64decode(letter.original, validate=True)
    return letter.original.encode("utf-8")


def dead_letter(
    stage: Stage,
    reason: Reason,
    error: str,
    original: bytes | None,
    *,
    source: SourceRecord | None = None,
    article_id: str | None = None,
) -> ArticleRejected:
    """The DLQ record for a record ``stage`` refuses for ``reason``; every stage builds its dead letters here."""
    kept = keep_original(original or b"")
    return ArticleRejected(
        stage=stage,
        reason=reason.value,
        error=error[:ERROR_MAX_CHARS],
        article_id=article_id,
        source_topic=source.topic if source else None,
        source_partition=source.partition if source else None,
        source_offset=source.offset if source else None,
        original=kept.text,
        original_encoding=kept.encoding,
        original_truncated=kept.truncated,
        original_size=kept.size,
    )


def dead_letter_key(letter: ArticleRejected) -> bytes:
    """The DLQ record's key: the article's id when known (its letters stay in order), else the letter's own."""
    return (letter.article_id or letter.event_id).encode()


class Acknowledgement(Protocol):
    """What a send returns: kafka-python's ``FutureRecordMetadata`` has this shape."""

    def get(self, timeout: float | None = None) -> Any: ...


class SendRefused:
    """A send the producer refused outright (too large, no metadata, full buffer): it fails like a late
    acknowledgement, so callers handle one kind of failure."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    def get(self, timeout: float | None = None) -> Any:
        raise self._error


class NotAcknowledged(RuntimeError):
    """Some output or dead letter was not acknowledged by the broker; the source offsets were not committed."""

    def __init__(self, failures: Sequence[tuple[int, BaseException]], total: int) -> None:
        first = failures[0][1]
        super().__init__(f"{len(failures)} of {total} sends not acknowledged; first: {type(first).__name__}: {first}")
        self.failures = list(failures)


R = TypeVar("R")


def wait_acknowledged(acks: Sequence[Acknowledgement], timeout_s: float) -> list[Any | BaseException]:
    """Per acknowledgement, in order, what the broker answered (record metadata) or the error, under one
    deadline for all of them: a broker that is away costs ``timeout_s`` once, not once per send."""
    deadline = time.monotonic() + timeout_s
    answers: list[Any | BaseException] = []
    for ack in acks:
        try:
            answers.append(ack.get(timeout=max(0.0, deadline - time.monotonic())))
        except Exception as exc:  # kafka-python raises KafkaError subclasses; a test double may raise anything
            answers.append(exc)
    return answers


def commit_after_acknowledged(
    acks: Sequence[Acknowledgement], commit: Callable[[list[Any]], R], *, timeout_s: float
) -> R:
    """Commits the source offsets (``commit(answers)``, with the broker's record metadata per ack) only once
    every output and dead letter in ``acks`` was acknowledged; otherwise raises ``NotAcknowledged`` without
    committing, so the source records are read again. Returns what ``commit`` returns.
    """
    answers = wait_acknowledged(acks, timeout_s)
    failures = [(position, a) for position, a in enumerate(answers) if isinstance(a, BaseException)]
    if failures:
        raise NotAcknowledged(failures, len(acks))
    return commit(answers)


async def gather_acknowledged(acks: Sequence[Awaitable[Any]]) -> list[Any]:
    """The rule for an asyncio producer (faust's): every acknowledgement awaited; raises ``NotAcknowledged`` when
    any failed, after all of them have settled (none is left in flight). Returns the record metadata."""
    answers = await asyncio.gather(*acks, return_exceptions=True)
    failures = [(position, a) for position, a in enumerate(answers) if isinstance(a, BaseException)]
    if failures:
        raise NotAcknowledged(failures, len(acks))
    return list(answers)
