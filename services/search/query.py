"""Search requests to Elasticsearch bodies and responses to the ``dateline search --json`` contract. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas import to_rfc3339

# Facet name (CLI, API) -> keyword field in the index.
FACET_FIELDS: dict[str, str] = {
    "persons": "persons",
    "organizations": "organizations",
    "places": "places",
    "countries": "countries",
    "topics": "topics.code",
    "source": "source.name",
    "language": "language",
}
SEARCH_FIELDS = ["title^2", "body"]
FACET_SIZE = 20


class UnknownFacet(ValueError):
    pass


@dataclass(frozen=True)
class SearchRequest:
    query: str
    facets: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    size: int = 10

    def __post_init__(self) -> None:
        for name in (*self.facets, *(name for name, _ in self.filters)):
            if name not in FACET_FIELDS:
                raise UnknownFacet(f"unknown facet {name!r}; choose from {', '.join(FACET_FIELDS)}")


def build_search_body(request: SearchRequest) -> dict[str, Any]:
    """The body of an Elasticsearch ``_search`` call for the request."""
    text = request.query.strip()
    must: list[dict[str, Any]] = (
        [
            {
                "query_string": {
                    "query": text,
                    "fields": SEARCH_FIELDS,
                    "default_operator": "AND",
                    "lenient": True,
                }
            }
        ]
        if text and text != "*"
        else [{"match_all": {}}]
    )
    filters: list[dict[str, Any]] = [{"term": {FACET_FIELDS[name]: value}} for name, value in request.filters]
    if request.since or request.until:
        bounds = {}
        if request.since:
            bounds["gte"] = to_rfc3339(request.since)
        if request.until:
            bounds["lte"] = to_rfc3339(request.until)
        filters.append({"range": {"published_at": bounds}})
    body: dict[str, Any] = {
        "query": {"bool": {"must": must, "filter": filters}},
        "size": request.size,
        "track_total_hits": True,
        "_source": ["id", "title", "source", "published_at", "url", "topics"],
        "highlight": {
            "pre_tags": ["<em>"],
            "post_tags": ["</em>"],
            "fields": {
                "title": {"number_of_fragments": 0},
                "body": {"fragment_size": 160, "number_of_fragments": 2},
            },
        },
        "sort": ["_score", {"published_at": {"order": "desc", "missing": "_last"}}],
    }
    if request.facets:
        body["aggs"] = {name: {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}} for name in request.facets}
    return body


def parse_search_response(response: dict[str, Any], facets: tuple[str, ...]) -> dict[str, Any]:
    """The stable JSON contract: ``{"total", "hits": [...], "facets": {NAME: [{"value", "count"}]}}``."""
    hits = []
    for hit in response["hits"]["hits"]:
        source = hit.get("_source", {})
        hits.append(
            {
                "id": hit["_id"],
                "title": source.get("title"),
                "source": source.get("source", {}),
                "published_at": source.get("published_at"),
                "url": source.get("url"),
                "score": hit.get("_score"),
                "highlight": hit.get("highlight", {}),
            }
        )
    aggregations = response.get("aggregations", {})
    return {
        "total": response["hits"]["total"]["value"],
        "hits": hits,
        "facets": {
            name: [{"value": b["key"], "count": b["doc_count"]} for b in aggregations.get(name, {}).get("buckets", [])]
            for name in facets
        },
    }
