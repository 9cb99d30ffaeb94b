"""From an enriched-article message to the Elasticsearch document and its index. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas import ArticleEnriched, to_rfc3339
from services.common.elastic import index_name
from services.indexer.geo import countries_geo

_ENVELOPE = ("schema", "schema_", "schema_version", "event_id", "occurred_at", "received_at")


def to_es_doc(
    article: ArticleEnriched, *, indexed_at: datetime, message: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The document stored for an article: the message without its envelope, plus ingest and index times and a
    map point per country (``countries_geo``).

    ``message``, the JSON object ``article`` was validated from, becomes the document itself, which spares
    ``model_dump`` (a third of the indexer's decoding). Where a valid message may differ from the dump in a way
    Elasticsearch would see, the model's values are written over it: both dates, the booleans and the lineage
    counts. Fields a message leaves out are then absent instead of null, which no query tells apart, and numbers
    sent as strings are coerced by Elasticsearch as pydantic coerced them. Neither argument is changed.
    """
    if message is None:
        document = article.model_dump(mode="json", by_alias=True)
    else:
        # A shallow copy is enough: only top-level keys are set or removed below, nested values are replaced whole.
        document = dict(message)
        document["published_at"] = None if article.published_at is None else to_rfc3339(article.published_at)
        document["title_derived"] = article.title_derived
        if article.lineage is not None:
            document["lineage"] = article.lineage.model_dump(mode="json")
    for key in _ENVELOPE:
        document.pop(key, None)
    document["ingested_at"] = to_rfc3339(article.received_at)
    document["indexed_at"] = to_rfc3339(indexed_at)
    document["countries_geo"] = countries_geo(article.countries)
    return document


def target_index(prefix: str, article: ArticleEnriched, generation: int = 0) -> str:
    """Publication month, else delivery month: deterministic, so a re-delivered article overwrites itself."""
    return index_name(prefix, article.published_at or article.received_at, generation)


def bulk_action(
    prefix: str,
    article: ArticleEnriched,
    *,
    indexed_at: datetime,
    generation: int = 0,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "_op_type": "index",
        "_index": target_index(prefix, article, generation),
        "_id": article.id,
        "_source": to_es_doc(article, indexed_at=indexed_at, message=message),
    }
