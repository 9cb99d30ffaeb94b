"""The message contract of Dateline: typed models, their JSON Schema files, and (de)serialisers.

Every service imports its payloads from here; none defines its own.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from schemas.models import (
    MESSAGE_MODELS,
    ArticleEnriched,
    ArticleIngested,
    ArticleRejected,
    Enrichment,
    Entity,
    Lineage,
    Mention,
    Origin,
    Quote,
    Source,
    SourceHint,
    Topic,
    to_rfc3339,
)

__all__ = [
    "MESSAGE_MODELS",
    "ArticleEnriched",
    "ArticleIngested",
    "ArticleRejected",
    "Enrichment",
    "Entity",
    "InvalidMessage",
    "Lineage",
    "Mention",
    "Origin",
    "Quote",
    "Source",
    "SourceHint",
    "Topic",
    "decode",
    "decode_with_object",
    "encode",
    "schema_document",
    "to_rfc3339",
]

M = TypeVar("M", bound=BaseModel)


class InvalidMessage(ValueError):
    """A payload that is not a valid message of the expected kind; ``reason`` is a short code for the DLQ."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def encode(message: BaseModel) -> bytes:
    """Serialises a message to the JSON bytes that go on Kafka."""
    return orjson.dumps(message.model_dump(mode="json", by_alias=True))


def decode(payload: bytes | str, model: type[M]) -> M:
    """Parses and validates a Kafka payload; raises InvalidMessage with a DLQ reason code."""
    return decode_with_object(payload, model)[0]


def decode_with_object(payload: bytes | str, model: type[M]) -> tuple[M, dict[str, Any]]:
    """``decode``, also returning the JSON object the message was validated from (the indexer stores it)."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage("invalid_json", str(exc)) from exc
    if not isinstance(data, dict):
        raise InvalidMessage("schema_mismatch", f"expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data), data
    except ValidationError as exc:
        raise InvalidMessage("schema_mismatch", _short_errors(exc)) from exc


def _short_errors(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()[:5]]
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


@cache
def schema_document(name: str) -> dict[str, Any]:
    """The committed JSON Schema file ``schemas/<name>.json``, e.g. ``article_enriched.v1``."""
    text = resources.files("schemas").joinpath(f"{name}.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document
