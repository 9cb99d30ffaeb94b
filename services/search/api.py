"""The HTTP search API and the search page. OpenAPI at ``/openapi.json``; the page is static files at ``/``.

Every search runs inside a point in time (PIT) so that following its ``next`` cursor pages through one
consistent snapshot, past 10,000 hits (``search_after``) when near-duplicates are not collapsed.
"""

from __future__ import annotations

import logging
import time as clock
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any

from elastic_transport import TransportError as ConnectionLevelError
from elasticsearch import ApiError, Elasticsearch, NotFoundError
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel

from services.common.ratelimit import RateLimiter
from services.search.query import (
    FACET_FIELDS,
    MAX_RESULT_WINDOW,
    PIT_KEEP_ALIVE,
    Cursor,
    Interval,
    InvalidCursor,
    InvalidQuery,
    SearchRequest,
    Sort,
    UnknownFacet,
    build_search_body,
    parse_search_page,
)
from services.search.settings import SearchSettings

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"

SEARCHES = Counter("dateline_search_requests_total", "Search API requests, by outcome.", ["outcome"])
SEARCH_SECONDS = Histogram(
    "dateline_search_seconds", "Search API request time.", buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
)
TIMED_OUT = Counter("dateline_search_timed_out_total", "Searches Elasticsearch cut short at the timeout.")


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
    limiter = RateLimiter(settings.search_rate_per_s, settings.search_rate_burst)
    # A search may take its whole budget on the node; the HTTP request gets a little more before it gives up.
    client = es.options(request_timeout=settings.search_timeout_s + 5)

    def check_rate(request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        allowed, wait_s = limiter.allow(client)
        if not allowed:
            SEARCHES.labels(outcome="rate_limited").inc()
            raise HTTPException(429, f"too many requests from {client}", headers={"Retry-After": str(wait_s)})

    @app.get("/api/health")
    @app.get("/health")
    def health() -> JSONResponse:
        """200 while Elasticsearch answers, 503 while it does not (compose's healthcheck asks this)."""
        try:
            up = bool(es.options(request_timeout=5, max_retries=0).ping())
        except (ApiError, ConnectionLevelError):
            up = False
        return JSONResponse({"ok": up, "elasticsearch_available": up, "index": alias}, status_code=200 if up else 503)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/api/search", response_model=SearchPage)
    def search(
        http_request: Request,
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
        check_rate(http_request)
        started = clock.perf_counter()
        try:
            page_cursor = Cursor.decode(cursor) if cursor else None
        except InvalidCursor as exc:
            raise HTTPException(400, str(exc)) from exc
        size = min(size, settings.max_page_size)
        if collapse and page_cursor is not None:
            size = max(1, min(size, MAX_RESULT_WINDOW - page_cursor.offset))
        try:
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
            if page_cursor is None:
                # Checked first, so that a refused query opens no point in time.
                page_cursor = Cursor(pit_id=es.open_point_in_time(index=alias, keep_alive=PIT_KEEP_ALIVE)["id"])
                request = replace(request, cursor=page_cursor)
            response = client.search(**build_search_body(request, timeout=settings.search_timeout))
        except InvalidQuery as exc:
            SEARCHES.labels(outcome="invalid_query").inc()
            raise HTTPException(400, f"query not accepted: {exc}") from exc
        except UnknownFacet as exc:
            raise HTTPException(422, str(exc)) from exc
        except NotFoundError as exc:
            # An expired point in time, or no index yet behind the alias.
            raise HTTPException(404 if cursor is None else 410, _reason(exc)) from exc
        except ApiError as exc:
            if exc.meta.status >= 500:
                raise
            raise HTTPException(400, _reason(exc)) from exc
        if response.body.get("timed_out"):
            TIMED_OUT.inc()
            log.warning("search timed out; partial hits", extra={"query": q[:200], "timeout": settings.search_timeout})
        SEARCHES.labels(outcome="ok").inc()
        SEARCH_SECONDS.observe(clock.perf_counter() - started)
        return parse_search_page(response.body, request)

    @app.get("/api/articles/{article_id}")
    def article(http_request: Request, article_id: str) -> dict[str, Any]:
        check_rate(http_request)
        response = client.search(
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
