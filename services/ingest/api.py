"""The ingest HTTP API: ``POST /articles`` (bearer token), ``GET /health``, ``GET /metrics``.

An article is reported accepted only after the broker acknowledged it; when the broker is down or the
in-flight bound is reached the answer is 503 with Retry-After, and nothing of the request is reported accepted
that the broker did not take.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from services.common.ratelimit import RateLimiter
from services.ingest.publisher import Outcome
from services.ingest.request_checks import (
    RequestRefused,
    bearer_token_matches,
    check_media_type,
    media_type,
    parse_articles_request,
)
from services.ingest.service import IngestService

log = logging.getLogger(__name__)


def create_app(service: IngestService, *, manage_service: bool = True) -> FastAPI:
    """The API over ``service``; with ``manage_service`` the app starts and stops it with its lifespan."""
    settings = service.settings
    assert settings.ingest_token is not None, "bootstrap_service refuses to build a service without a token"
    token = settings.ingest_token
    limiter = RateLimiter(settings.ingest_rate_per_s, settings.ingest_rate_burst)
    metrics = service.metrics
    gate = service.gate

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_service:
            service.start()
        try:
            yield
        finally:
            if manage_service:
                await run_in_threadpool(service.stop)

    app = FastAPI(title="Dateline ingest", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

    def refuse(exc: RequestRefused, headers: dict[str, str] | None = None) -> JSONResponse:
        metrics.rejected(exc.reason)
        log.warning("request refused", extra={"status": exc.status, "reason": exc.reason, "detail": exc.detail})
        return JSONResponse({"error": exc.reason, "detail": exc.detail}, status_code=exc.status, headers=headers)

    def unavailable(reason: str, detail: str, accepted: list[dict[str, Any]] | None = None) -> JSONResponse:
        metrics.rejected(reason)
        body = {"error": reason, "detail": detail, "accepted": accepted or []}
        headers = {"Retry-After": str(settings.ingest_retry_after_s)}
        return JSONResponse(body, status_code=503, headers=headers)

    @app.post("/articles")
    async def post_articles(request: Request) -> Response:
        client = request.client.host if request.client else "unknown"
        allowed, wait_s = limiter.allow(client)
        if not allowed:
            return refuse(RequestRefused(429, "rate_limited", f"{client} sends too fast"), {"Retry-After": str(wait_s)})
        if not bearer_token_matches(request.headers.get("authorization"), token):
            return refuse(
                RequestRefused(401, "unauthorized", "missing or wrong bearer token"), {"WWW-Authenticate": "Bearer"}
            )
        limit = settings.ingest_max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return refuse(RequestRefused(413, "body_too_large", f"{declared} bytes, the limit is {limit}"))
        kind = media_type(request.headers.get("content-type"))
        try:
            check_media_type(kind)  # before reading the body
            body = await _read_limited(request, limit)
            parsed = parse_articles_request(kind, body, max_items=settings.ingest_max_items)
        except RequestRefused as exc:
            return refuse(exc)
        rejected: list[dict[str, Any]] = [
            {"item": r.item, "reason": r.reason, "detail": r.detail} for r in parsed.rejections
        ]
        for rejection in parsed.rejections:
            metrics.rejected(rejection.reason)
        count = len(parsed.deliveries)
        if count and gate.broker_down():
            return unavailable("broker_unavailable", "the broker did not acknowledge recently; retry later")
        if count and not gate.try_acquire(count):
            return unavailable("buffer_full", f"{gate.in_flight} articles in flight, the limit is {gate.capacity}")
        outcomes: list[Outcome] = []
        try:
            if count:
                outcomes = await run_in_threadpool(
                    service.publisher.publish_batch, [d for _, d in parsed.deliveries], lane="api"
                )
        finally:
            if count:
                gate.release(count, broker_ok=all(o.status != "unavailable" for o in outcomes))
        accepted: list[dict[str, Any]] = []
        missing = False
        for (position, _), outcome in zip(parsed.deliveries, outcomes, strict=True):
            if outcome.status in ("published", "duplicate"):
                accepted.append(
                    {"item": position, "id": outcome.article_id, "duplicate": outcome.status == "duplicate"}
                )
            elif outcome.status == "rejected":
                rejected.append({"item": position, "reason": outcome.reason, "detail": outcome.detail})
            else:
                missing = True
        if missing:
            return unavailable("broker_unavailable", "the broker did not acknowledge in time; retry later", accepted)
        rejected.sort(key=lambda r: int(r["item"]))
        status = 200 if accepted or not rejected else 422
        return JSONResponse({"accepted": accepted, "rejected": rejected}, status_code=status)

    @app.get("/health")
    def health() -> JSONResponse:
        down = gate.broker_down()
        body = {
            "status": "unavailable" if down else "ok",
            "broker": "down" if down else "ok",
            "buffer": {"in_flight": gate.in_flight, "capacity": gate.capacity},
            "feeds": len(service.poller.feeds) if service.poller else 0,
            "drop_dir": str(service.watcher.directory) if service.watcher else None,
        }
        return JSONResponse(body, status_code=503 if down else 200)

    @app.get("/metrics")
    def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it grows past ``limit`` (a chunked body declares no length)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestRefused(413, "body_too_large", f"more than {limit} bytes, the limit is {limit}")
        chunks.append(chunk)
    return b"".join(chunks)
