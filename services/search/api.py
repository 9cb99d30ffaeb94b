"""The HTTP search API and the search page. OpenAPI at ``/openapi.json``; the page is static files at ``/``.

Every search runs inside a point in time (PIT) so that following its ``next`` cursor pages through one
consistent snapshot, past 10,000 hits (``search_after``) when near-duplicates are not collapsed.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError
from fastapi import FastAPI, HTTPException, Query
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from services.search.query import (
    FACET_FIELDS,
    MAX_RESULT_WINDOW,
    PIT_KEEP_ALIVE,
    Cursor,
    Interval,
    InvalidCursor,
    SearchRequest,
    Sort,
    UnknownFacet,
    build_search_body,
    parse_search_page,
)
from services.search.settings import SearchSettings

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"


class Bucket(BaseModel):
    value: str
    count: int


class HistogramBucket(BaseModel):
    date: str
    count: int


class MatchedQuote(BaseModel):
    text: str | None
    speaker: str | None
    speaker_type: str | None
    highlight: str | None


class Hit(BaseModel):
    id: str
    story_id: str | None
    title: str | None
    source: dict[str, str | None]
    published_at: str | None
    url: str | None
    score: float | None
    highlight: dict[str, list[str]]
    countries: list[str]
    language: str | None
    quotes: list[MatchedQuote] = []


class SearchPage(BaseModel):
    total: int
    stories: int
    hits: list[Hit]
    facets: dict[str, list[Bucket]]
    histogram: list[HistogramBucket]
    next: str | None


def parse_filters(values: list[str]) -> tuple[tuple[str, str], ...]:
    """``NAME:VALUE`` query parameters to (facet, value) pairs."""
    pairs = []
    for item in values:
        name, sep, value = item.partition(":")
        if not sep or not value:
            raise HTTPException(422, f"filter wants NAME:VALUE, got {item!r}")
        pairs.append((name, value))
    return tuple(pairs)


def day_bound(value: date | datetime | None, *, end: bool) -> datetime | None:
    """A date means its whole day: ``since`` from its first instant, ``until`` to its last."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.max if end else time.min, tzinfo=UTC)


def create_app(settings: SearchSettings, es: Elasticsearch) -> FastAPI:
    """The API over the read alias ``settings.index_prefix``; docs UIs are off because they load from a CDN."""
    app = FastAPI(
        title="Dateline search",
        version="1",
        description="Full-text and faceted search over enriched news articles.",
        docs_url=None,
        redoc_url=None,
    )
    alias = settings.index_prefix

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {"ok": bool(es.ping()), "index": alias}

    @app.get("/api/search", response_model=SearchPage)
    def search(
        q: Annotated[str, Query(description="Query string: words, AND/OR/NOT, \"phrases\"; '*' for all.")] = "*",
        filter_: Annotated[
            list[str], Query(alias="filter", description="NAME:VALUE, repeatable; NAME is a facet.")
        ] = [],  # noqa: B006 - FastAPI copies defaults per request
        facet: Annotated[list[str], Query(description="Facets to count; all when none is named.")] = [],  # noqa: B006
        since: Annotated[date | datetime | None, Query(description="Published on or after.")] = None,
        until: Annotated[date | datetime | None, Query(description="Published on or before.")] = None,
        size: Annotated[int, Query(ge=1)] = 10,
        collapse: Annotated[bool, Query(description="One hit per story (near-duplicates folded).")] = True,
        interval: Annotated[Interval, Query(description="Date histogram interval.")] = "month",
        sort: Annotated[Sort, Query()] = "relevance",
        cursor: Annotated[str | None, Query(description="The `next` of the previous page.")] = None,
        speaker: Annotated[
            str | None,
            Query(description="Only articles quoting this speaker (canonical name); `q` then searches the quotes."),
        ] = None,
    ) -> dict[str, Any]:
        try:
            page_cursor = Cursor.decode(cursor) if cursor else None
        except InvalidCursor as exc:
            raise HTTPException(400, str(exc)) from exc
        size = min(size, settings.max_page_size)
        if collapse and page_cursor is not None:
            size = max(1, min(size, MAX_RESULT_WINDOW - page_cursor.offset))
        try:
            if page_cursor is None:
                page_cursor = Cursor(pit_id=es.open_point_in_time(index=alias, keep_alive=PIT_KEEP_ALIVE)["id"])
            request = SearchRequest(
                query=q,
                facets=tuple(facet or FACET_FIELDS),
                filters=parse_filters(filter_),
                since=day_bound(since, end=False),
                until=day_bound(until, end=True),
                size=size,
                collapse=collapse,
                histogram=interval,
                sort=sort,
                cursor=page_cursor,
                speaker=speaker or None,
            )
            response = es.search(**build_search_body(request))
        except UnknownFacet as exc:
            raise HTTPException(422, str(exc)) from exc
        except NotFoundError as exc:
            # An expired point in time, or no index yet behind the alias.
            raise HTTPException(404 if cursor is None else 410, _reason(exc)) from exc
        except ApiError as exc:
            if exc.meta.status >= 500:
                raise
            raise HTTPException(400, _reason(exc)) from exc
        return parse_search_page(response.body, request)

    @app.get("/api/articles/{article_id}")
    def article(article_id: str) -> dict[str, Any]:
        response = es.search(
            index=alias,
            query={"ids": {"values": [article_id]}},
            size=1,
            source_excludes=["entities.mentions", "countries_geo"],
        )
        hits = response["hits"]["hits"]
        if not hits:
            raise HTTPException(404, "no such article")
        return dict(hits[0]["_source"])

    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="page")
    return app


def _reason(exc: ApiError) -> str:
    """Elasticsearch's own one-line reason (e.g. a query string it cannot parse), not the whole error."""
    info = exc.info if isinstance(exc.info, dict) else {}
    error = info.get("error", {})
    if isinstance(error, dict):
        causes = error.get("root_cause") or [error]
        return str(causes[0].get("reason") or error.get("type") or exc.message)
    return str(error or exc.message)
