from __future__ import annotations

import orjson
import pytest
from pydantic import SecretStr

from infra.ingest.feed_server import rss
from services.common.ratelimit import RateLimiter
from services.ingest.backpressure import DeliveryGate
from services.ingest.request_checks import (
    RequestRefused,
    bearer_token_matches,
    media_type,
    parse_articles_request,
)

TOKEN = SecretStr("s3cret-token")
ARTICLE = {"title": "Talks resume", "body": "TOKYO - Trade ministers met on Monday.", "url": "http://x/1"}


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("Bearer s3cret-token", True),
        ("bearer s3cret-token", True),
        ("Bearer wrong", False),
        (None, False),
        ("Basic s3cret-token", False),
        ("Bearer ", False),
        ("s3cret-token", False),
    ],
)
def test_bearer_token(header: str | None, ok: bool) -> None:
    assert bearer_token_matches(header, TOKEN) is ok


def test_single_object_batch_and_items_wrapper() -> None:
    single = parse_articles_request("application/json", orjson.dumps(ARTICLE), max_items=5)
    assert [(i, d.uri, d.content_type) for i, d in single.deliveries] == [(0, "http://x/1", "application/json")]
    batch = parse_articles_request("application/json", orjson.dumps([ARTICLE, 3, {"title": "no text"}]), max_items=5)
    assert [i for i, _ in batch.deliveries] == [0]
    assert [(r.item, r.reason) for r in batch.rejections] == [(1, "not_an_object"), (2, "no_text")]
    wrapped = parse_articles_request("application/json", orjson.dumps({"items": [ARTICLE, ARTICLE]}), max_items=5)
    assert len(wrapped.deliveries) == 2


def test_text_html_and_feed_bodies() -> None:
    html = parse_articles_request(media_type("text/html; charset=utf-8"), b"<p>Hello</p>", max_items=5)
    assert html.deliveries[0][1].content_type == "text/html"
    feed = parse_articles_request("application/rss+xml", rss("W", [("a", "A", "Text a."), ("b", "B", "")]), max_items=5)
    assert len(feed.deliveries) == 1 and feed.rejections[0].reason == "no_text"


@pytest.mark.parametrize(
    ("kind", "body", "status", "reason"),
    [
        ("application/xml", b"<x/>", 415, "unsupported_media_type"),
        ("", b"x", 415, "unsupported_media_type"),
        ("application/json", b"{nope", 400, "invalid_json"),
        ("application/json", b"  ", 400, "empty"),
        ("application/json", b"[]", 400, "empty"),
        ("application/json", orjson.dumps([ARTICLE] * 6), 413, "too_many_items"),
        ("application/rss+xml", b"<html>no</html>", 400, "not_a_feed"),
    ],
)
def test_refused_requests(kind: str, body: bytes, status: int, reason: str) -> None:
    with pytest.raises(RequestRefused) as refused:
        parse_articles_request(kind, body, max_items=5)
    assert (refused.value.status, refused.value.reason) == (status, reason)


def test_rate_limiter_per_client_with_retry_after() -> None:
    now = [0.0]
    limiter = RateLimiter(2.0, 2, max_clients=2, clock=lambda: now[0])
    assert limiter.allow("a") == (True, 0)
    assert limiter.allow("a") == (True, 0)
    assert limiter.allow("a") == (False, 1)
    assert limiter.allow("b")[0]  # another client has its own bucket
    now[0] = 0.5
    assert limiter.allow("a")[0]
    limiter.allow("c")
    assert len(limiter._buckets) == 2  # bounded memory


def test_gate_bounds_in_flight_and_remembers_a_failure() -> None:
    now = [0.0]
    fills: list[int] = []
    gate = DeliveryGate(3, cooldown_s=5, clock=lambda: now[0], on_change=fills.append)
    assert gate.try_acquire(2)
    assert not gate.try_acquire(2)
    gate.release(2, broker_ok=False)
    assert gate.broker_down()
    now[0] = 6.0
    assert not gate.broker_down()  # half-open: the next request may try
    assert gate.try_acquire(10)  # an empty gate lets a large batch through rather than refusing it forever
    gate.release(10, broker_ok=True)
    assert fills == [2, 0, 10, 0]
