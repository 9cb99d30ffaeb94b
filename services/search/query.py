"""Search requests to Elasticsearch bodies and responses to the ``dateline search --json`` contract. Pure.

The CLI and the HTTP API both build their bodies here, so the same request gives the same hits and facet counts.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

from schemas import to_rfc3339

# Facet name (CLI, API) -> keyword field in the index.
FACET_FIELDS: dict[str, str] = {
    "persons": "persons",
    "organizations": "organizations",
    "places": "places",
    "countries": "countries",
    "country_pairs": "country_pairs",
    "topics": "topics.code",
    "topic_labels": "topics.label",
    "source": "source.name",
    "agency": "source.agency",
    "language": "language",
}
# Facets over the quotations (nested documents): name -> the keyword field; counts are of articles.
QUOTE_FACET_FIELDS: dict[str, str] = {"speakers": "quotes.speaker"}
QUOTES_PATH = "quotes"
QUOTE_TEXT_FIELD = "quotes.text"
QUOTE_SPEAKER_FIELD = "quotes.speaker"
# Quotations shown per hit when searching by speaker.
QUOTES_PER_HIT = 3
SEARCH_FIELDS = ["title^2", "body"]
# Quoted phrases in a query string match the unstemmed sub-field: "talks" finds "talks", not "talk".
QUOTE_FIELD_SUFFIX = ".exact"
FACET_SIZE = 20
COLLAPSE_FIELD = "story_id"
DATE_FIELD = "published_at"
# Elasticsearch's index.max_result_window: from + size may not pass it. Collapsed results page with `from`
# (search_after cannot be combined with collapse on a relevance sort), so they stop here.
MAX_RESULT_WINDOW = 10_000
PIT_KEEP_ALIVE = "2m"
Interval = Literal["day", "week", "month", "year"]
Sort = Literal["relevance", "newest"]


class UnknownFacet(ValueError):
    pass


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: a point in time plus either the last hit's sort values or an offset."""

    pit_id: str
    search_after: tuple[Any, ...] | None = None
    offset: int = 0

    def encode(self) -> str:
        payload = {"pit": self.pit_id, "after": list(self.search_after or []) or None, "from": self.offset}
        return base64.urlsafe_b64encode(orjson.dumps(payload)).decode()

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            payload = orjson.loads(base64.urlsafe_b64decode(token.encode()))
            after = payload.get("after")
            return cls(
                pit_id=str(payload["pit"]),
                search_after=tuple(after) if after else None,
                offset=int(payload.get("from") or 0),
            )
        except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidCursor("the cursor is not one this service issued") from exc


@dataclass(frozen=True)
class SearchRequest:
    query: str
    facets: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    size: int = 10
    collapse: bool = True
    histogram: Interval | None = None
    sort: Sort = "relevance"
    cursor: Cursor | None = None
    speaker: str | None = None  # only articles quoting this speaker; the query text then searches the quotations

    def __post_init__(self) -> None:
        known = {**FACET_FIELDS, **QUOTE_FACET_FIELDS}
        for name in (*self.facets, *(name for name, _ in self.filters)):
            if name not in known:
                raise UnknownFacet(f"unknown facet {name!r}; choose from {', '.join(known)}")


def build_query(request: SearchRequest, *, inner_hits: bool = False) -> dict[str, Any]:
    """The ``bool`` query alone: text, facet filters and date range (what hits, facets and histogram share).

    With a speaker, the text must match within one quotation by that speaker (a ``nested`` query), and
    ``inner_hits`` asks for the matching quotations with the hits.
    """
    text = request.query.strip()
    if request.speaker:
        must = [_speaker_query(text, request.speaker, inner_hits=inner_hits)]
    else:
        must = [_text_query(text, SEARCH_FIELDS)]
    filters: list[dict[str, Any]] = [_filter(name, value) for name, value in request.filters]
    if request.since or request.until:
        bounds = {}
        if request.since:
            bounds["gte"] = to_rfc3339(request.since)
        if request.until:
            bounds["lte"] = to_rfc3339(request.until)
        filters.append({"range": {DATE_FIELD: bounds}})
    return {"bool": {"must": must, "filter": filters}}


def _text_query(text: str, fields: list[str]) -> dict[str, Any]:
    if not text or text == "*":
        return {"match_all": {}}
    return {
        "query_string": {
            "query": text,
            "fields": fields,
            "quote_field_suffix": QUOTE_FIELD_SUFFIX,
            "default_operator": "AND",
            "lenient": True,
        }
    }


def _speaker_query(text: str, speaker: str, *, inner_hits: bool) -> dict[str, Any]:
    nested: dict[str, Any] = {
        "path": QUOTES_PATH,
        "query": {
            "bool": {
                "must": [_text_query(text, [QUOTE_TEXT_FIELD])],
                "filter": [_speaker_term(speaker)],
            }
        },
    }
    if inner_hits:
        nested["inner_hits"] = {
            "size": QUOTES_PER_HIT,
            "_source": ["quotes.text", "quotes.speaker", "quotes.speaker_type"],
            "highlight": {
                "pre_tags": ["<em>"],
                "post_tags": ["</em>"],
                "fields": {QUOTE_TEXT_FIELD: {"number_of_fragments": 0}},
            },
        }
    return {"nested": nested}


def _speaker_term(speaker: str) -> dict[str, Any]:
    # Canonical names are what the speakers facet lists; case is forgiven ("lee jae-myung").
    return {"term": {QUOTE_SPEAKER_FIELD: {"value": speaker, "case_insensitive": True}}}


def _filter(name: str, value: str) -> dict[str, Any]:
    if name in QUOTE_FACET_FIELDS:
        return {"nested": {"path": QUOTES_PATH, "query": _speaker_term(value)}}
    return {"term": {FACET_FIELDS[name]: value}}


def build_search_body(request: SearchRequest) -> dict[str, Any]:
    """The body of an Elasticsearch ``_search`` call for the request (with ``pit`` when paging a cursor)."""
    newest_first = {DATE_FIELD: {"order": "desc", "missing": "_last"}}
    body: dict[str, Any] = {
        "query": build_query(request, inner_hits=True),
        "size": request.size,
        "track_total_hits": True,
        "_source": ["id", "story_id", "title", "source", "published_at", "url", "topics", "countries", "language"],
        "highlight": {
            "pre_tags": ["<em>"],
            "post_tags": ["</em>"],
            "fields": {
                "title": {"number_of_fragments": 0},
                "body": {"fragment_size": 160, "number_of_fragments": 2},
            },
        },
        "sort": ["_score", newest_first] if request.sort == "relevance" else [newest_first, "_score"],
    }
    if request.collapse:
        body["collapse"] = {"field": COLLAPSE_FIELD}
        body["aggs"] = {"stories": {"cardinality": {"field": COLLAPSE_FIELD}}}
    cursor = request.cursor
    if cursor is not None:
        body["pit"] = {"id": cursor.pit_id, "keep_alive": PIT_KEEP_ALIVE}
        if request.collapse:
            body["from"] = cursor.offset
        elif cursor.search_after is not None:
            body["search_after"] = list(cursor.search_after)
    if request.facets:
        body.setdefault("aggs", {}).update({name: _facet_aggregation(name) for name in request.facets})
    if request.histogram:
        body.setdefault("aggs", {})["histogram"] = {
            "date_histogram": {"field": DATE_FIELD, "calendar_interval": request.histogram, "min_doc_count": 1}
        }
    return body


def _facet_aggregation(name: str) -> dict[str, Any]:
    if name in QUOTE_FACET_FIELDS:
        # Buckets count articles (reverse_nested), not quotations, like every other facet.
        terms = {"field": QUOTE_FACET_FIELDS[name], "size": FACET_SIZE, "order": {"articles": "desc"}}
        return {
            "nested": {"path": QUOTES_PATH},
            "aggs": {name: {"terms": terms, "aggs": {"articles": {"reverse_nested": {}}}}},
        }
    return {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}}


def _facet_buckets(aggregations: dict[str, Any], name: str) -> list[dict[str, Any]]:
    if name in QUOTE_FACET_FIELDS:
        buckets = aggregations.get(name, {}).get(name, {}).get("buckets", [])
        return [{"value": b["key"], "count": b["articles"]["doc_count"]} for b in buckets]
    return [{"value": b["key"], "count": b["doc_count"]} for b in aggregations.get(name, {}).get("buckets", [])]


def _matched_quotes(hit: dict[str, Any]) -> list[dict[str, Any]]:
    """The quotations a speaker search matched in this hit, with the matched words marked."""
    inner = hit.get("inner_hits", {}).get(QUOTES_PATH, {}).get("hits", {}).get("hits", [])
    return [
        {
            "text": quote["_source"].get("text"),
            "speaker": quote["_source"].get("speaker"),
            "speaker_type": quote["_source"].get("speaker_type"),
            "highlight": (quote.get("highlight", {}).get(QUOTE_TEXT_FIELD) or [None])[0],
        }
        for quote in inner
    ]


def parse_search_response(response: dict[str, Any], facets: tuple[str, ...]) -> dict[str, Any]:
    """The stable JSON contract: ``{"total", "hits": [...], "facets": {NAME: [{"value", "count"}]}}``.

    Each hit's ``quotes`` are the quotations a speaker search matched (empty otherwise).
    """
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
                "quotes": _matched_quotes(hit),
            }
        )
    aggregations = response.get("aggregations", {})
    return {
        "total": response["hits"]["total"]["value"],
        "hits": hits,
        "facets": {name: _facet_buckets(aggregations, name) for name in facets},
    }


def parse_search_page(response: dict[str, Any], request: SearchRequest) -> dict[str, Any]:
    """The API's page: the CLI contract plus ``stories``, ``histogram``, per-hit story fields and ``next``.

    ``next`` is an opaque cursor for the following page (``None`` on the last one); it needs the PIT id the
    response carries, so it is only given for requests made inside a point in time.
    """
    page = parse_search_response(response, request.facets)
    for result, hit in zip(page["hits"], response["hits"]["hits"], strict=True):
        source = hit.get("_source", {})
        result["story_id"] = source.get("story_id")
        result["countries"] = source.get("countries", [])
        result["language"] = source.get("language")
    aggregations = response.get("aggregations", {})
    page["stories"] = aggregations["stories"]["value"] if "stories" in aggregations else page["total"]
    page["histogram"] = [
        {"date": b["key_as_string"], "count": b["doc_count"]}
        for b in aggregations.get("histogram", {}).get("buckets", [])
    ]
    page["next"] = None
    pit_id = response.get("pit_id")
    hits = response["hits"]["hits"]
    if pit_id and len(hits) == request.size and hits:
        offset = (request.cursor.offset if request.cursor else 0) + request.size
        if request.collapse:
            if offset < min(page["stories"], MAX_RESULT_WINDOW):
                page["next"] = Cursor(pit_id=pit_id, offset=offset).encode()
        elif offset < page["total"]:
            page["next"] = Cursor(pit_id=pit_id, search_after=tuple(hits[-1]["sort"]), offset=offset).encode()
    return page
