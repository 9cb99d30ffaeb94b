"""Typed models of every message Dateline puts on Kafka.

The JSON Schema files beside this module (``*.v1.json``) are generated from these models by
``python -m schemas.generate`` and committed; ``tests/unit/test_schemas.py`` fails when the two disagree.
Every message carries an envelope (``schema``, ``schema_version``, ``event_id``, ``occurred_at``) so that any
consumer, faust or not, knows what it holds without guessing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

ArticleId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", description="Stable id: same article, same id.")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]

PublishedPrecision = Literal["exact", "minute", "day", "relative", "inferred_year"]
ContentType = Literal[
    "text/plain",
    "text/html",
    "application/json",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
]
Stage = Literal["ingest", "enrich", "index"]


def _new_event_id() -> str:
    return uuid.uuid4().hex


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    event_id: str = Field(default_factory=_new_event_id, description="Unique per message, not per article.")
    occurred_at: AwareDatetime = Field(default_factory=_utc_now)

    @field_serializer("occurred_at", check_fields=False)
    def _rfc3339(self, value: datetime) -> str:
        return to_rfc3339(value)


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Origin(_Part):
    uri: str = Field(description="The file path or URL the article came from.")
    item: int | None = Field(default=None, ge=0, description="Position within a multi-article page or feed.")


class SourceHint(_Part):
    name: str | None = None


class ArticleIngested(_Message):
    """A raw article as delivered, published by ingest to ``articles.raw``."""

    schema_: Literal["dateline.article_ingested"] = Field(default="dateline.article_ingested", alias="schema")
    schema_version: Literal[1] = 1
    id: ArticleId
    content: str = Field(min_length=1, description="The delivered bytes, decoded to text.")
    content_type: ContentType
    origin: Origin
    source: SourceHint = SourceHint()
    received_at: AwareDatetime = Field(description="When the feed delivered it; relative dates resolve against it.")

    @field_serializer("received_at")
    def _received_rfc3339(self, value: datetime) -> str:
        return to_rfc3339(value)


class Source(_Part):
    name: str | None = Field(default=None, description="Publisher, e.g. Japan Today.")
    agency: str | None = Field(default=None, description="Wire agency credited, e.g. Kyodo.")


class Mention(_Part):
    start: int = Field(ge=0, description="Character offset into the mention's field.")
    end: int = Field(ge=0)
    text: str = Field(description="The mention as written (the entity's canonical name is its name).")
    field: Literal["title", "body"] = Field(default="body", description="The field the offsets point into.")


class Entity(_Part):
    name: str = Field(description="Canonical name.")
    type: str = Field(description="spaCy label: PERSON, ORG, GPE, LOC, NORP, ...")
    role: str | None = Field(default=None, description="Title split off the name, e.g. Prime Minister.")
    mentions: list[Mention]


class Topic(_Part):
    code: str = Field(pattern=r"^medtop:\d{8}$", description="IPTC Media Topic qcode.")
    label: str
    score: float = Field(ge=0, le=1)


class Quote(_Part):
    """A direct quotation in the body and who said it."""

    text: str = Field(min_length=1, description="The quoted words, without the quotation marks.")
    speaker: str | None = Field(default=None, description="Canonical name of who said it; null when unattributed.")
    speaker_type: str | None = Field(default=None, description="PERSON, ORG or GPE; null when unattributed.")
    start: int = Field(ge=0, description="Offset of the quoted words in the body.")
    end: int = Field(ge=0)


class Lineage(_Part):
    """Where the article stands in its story: the original, or a republication that added or cut words."""

    original: bool = Field(description="True for the story's reference copy (the agency's, else the earliest).")
    original_id: ArticleId | None = Field(default=None, description="The original's id, when this is not it.")
    added_words: int = Field(default=0, ge=0, description="Words this copy has that the original lacks.")
    cut_words: int = Field(default=0, ge=0, description="Words of the original this copy lacks.")


class Enrichment(_Part):
    version: str
    model: str


class ArticleEnriched(_Message):
    """One clean, tagged article, published by the enrichment worker to ``articles.enriched``."""

    schema_: Literal["dateline.article_enriched"] = Field(default="dateline.article_enriched", alias="schema")
    schema_version: Literal[1] = 1
    id: ArticleId
    raw_id: ArticleId = Field(description="The ingested message this article was extracted from.")
    story_id: ArticleId = Field(description="Shared by near-duplicates (one wire story republished or extended).")
    lineage: Lineage | None = Field(default=None, description="Original or republication within the story.")
    url: str | None = None
    source: Source
    title: str | None
    title_derived: bool = Field(default=False, description="True when the title was made from the lead.")
    byline: str | None = None
    body: str = Field(min_length=1)
    published_at: AwareDatetime | None = Field(description="RFC 3339 UTC, or null when the article states none.")
    published_at_precision: PublishedPrecision | None = None
    received_at: AwareDatetime
    dateline: str | None = None
    language: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1.")
    origin: Origin
    entities: list[Entity]
    persons: list[str]
    organizations: list[str]
    places: list[str]
    countries: list[CountryCode]
    country_pairs: list[str]
    topics: list[Topic]
    quotes: list[Quote] = Field(default=[], description="Direct quotations with their speakers, in body order.")
    enrichment: Enrichment

    @field_serializer("published_at", "received_at")
    def _dates_rfc3339(self, value: datetime | None) -> str | None:
        return None if value is None else to_rfc3339(value)


class ArticleRejected(_Message):
    """A message that could not go on, with the reason, published to ``articles.dlq``."""

    schema_: Literal["dateline.article_rejected"] = Field(default="dateline.article_rejected", alias="schema")
    schema_version: Literal[1] = 1
    stage: Stage
    reason: str = Field(
        description="Short machine-readable reason, e.g. invalid_json; `dateline dlq reasons` lists them."
    )
    error: str = Field(description="Human-readable detail.")
    article_id: str | None = None
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    original: str = Field(description="The original payload, as text or base64 (see original_encoding).")
    original_encoding: Literal["utf-8", "base64"] = "utf-8"
    original_truncated: bool = Field(default=False, description="True when only the first bytes are kept.")
    original_size: int | None = Field(
        default=None, ge=0, description="Bytes in the whole original; more than `original` holds when truncated."
    )


def to_rfc3339(value: datetime) -> str:
    """UTC, seconds precision unless sub-second is present, with a ``Z`` suffix."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


MESSAGE_MODELS: dict[str, type[_Message]] = {
    "article_ingested.v1": ArticleIngested,
    "article_enriched.v1": ArticleEnriched,
    "article_rejected.v1": ArticleRejected,
}
