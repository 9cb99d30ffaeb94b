from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from importlib import resources

import jsonschema
import orjson
import pytest

from schemas import (
    ArticleEnriched,
    ArticleIngested,
    ArticleRejected,
    Enrichment,
    InvalidMessage,
    Origin,
    Source,
    decode,
    encode,
    schema_document,
)
from schemas.generate import render
from schemas.models import MESSAGE_MODELS
from tests.builders import enriched_article


@pytest.mark.parametrize("name", sorted(MESSAGE_MODELS))
def test_committed_schema_file_matches_model(name: str) -> None:
    committed = resources.files("schemas").joinpath(f"{name}.json").read_text(encoding="utf-8")
    assert committed == render(name), f"schemas/{name}.json is stale: run `make schemas`"


def _ingested() -> ArticleIngested:
    return ArticleIngested(
        id="0" * 32,
        content="TOKYO\nSomething happened.",
        content_type="text/plain",
        origin=Origin(uri="/tmp/a.txt"),
        received_at=datetime(2025, 6, 29, 21, 31, tzinfo=timezone(timedelta(hours=9))),
    )


def _enriched() -> ArticleEnriched:
    return enriched_article(
        id="1" * 32,
        raw_id="0" * 32,
        story_id="0" * 32,
        source=Source(name="Japan Today", agency="Kyodo"),
        title="A title",
        body="Body text.",
        received_at=datetime(2025, 6, 29, 12, 40, tzinfo=UTC),
        origin=Origin(uri="/tmp/a.txt", item=0),
        countries=["JP"],
        enrichment=Enrichment(version="0", model="m"),
    )


@pytest.mark.parametrize(
    ("message", "name"),
    [
        (_ingested(), "article_ingested.v1"),
        (_enriched(), "article_enriched.v1"),
        (
            ArticleRejected(stage="enrich", reason="invalid_json", error="x", original="{"),
            "article_rejected.v1",
        ),
    ],
)
def test_encoded_messages_validate_against_their_schema_file(message, name) -> None:
    data = orjson.loads(encode(message))
    jsonschema.Draft202012Validator(schema_document(name)).validate(data)
    assert data["schema"] == MESSAGE_MODELS[name].model_fields["schema_"].default
    assert decode(encode(message), type(message)) == message


def test_dates_are_serialised_as_utc_rfc3339() -> None:
    data = orjson.loads(encode(_ingested()))
    assert data["received_at"] == "2025-06-29T12:31:00Z"
    assert data["occurred_at"].endswith("Z")


def test_decode_reports_invalid_json() -> None:
    with pytest.raises(InvalidMessage) as info:
        decode(b"{not json", ArticleIngested)
    assert info.value.reason == "invalid_json"


@pytest.mark.parametrize("payload", [b'{"hello": "world"}', b"[1, 2]", b'"text"'])
def test_decode_reports_schema_mismatch(payload: bytes) -> None:
    with pytest.raises(InvalidMessage) as info:
        decode(payload, ArticleIngested)
    assert info.value.reason == "schema_mismatch"


def test_schema_file_rejects_unknown_fields() -> None:
    data = orjson.loads(encode(_enriched()))
    data["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema_document("article_enriched.v1")).validate(data)
