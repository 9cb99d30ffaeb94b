"""``POST /articles`` checks: token, content type, body, batch; and a per-client rate limit. Pure."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import SecretStr

from services.ingest.feeds import FeedSource, NotAFeed, parse_feed
from services.ingest.reader import Delivery

API_URI = "api:/articles"
JSON = "application/json"
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
TEXT_TYPES = ("text/plain", "text/html")
ACCEPTED_TYPES = (JSON, *TEXT_TYPES, *FEED_TYPES)
# The fields the enrichment extractor reads an article's text from (ninjs and our simple shape).
TEXT_FIELDS = ("body", "body_text", "body_html", "body_xhtml", "bodies")


class RequestRefused(ValueError):
    """The whole request is refused with ``status``; ``reason`` is the short code in the answer and metrics."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.status = status
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ItemRejection:
    item: int
    reason: str
    detail: str


@dataclass
class ParsedRequest:
    """The deliveries of a request, each with its position in the batch, and the items refused already."""

    deliveries: list[tuple[int, Delivery]] = field(default_factory=list)
    rejections: list[ItemRejection] = field(default_factory=list)


def bearer_token_matches(authorization: str | None, token: SecretStr) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    scheme, _, provided = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not provided:
        return False
    return hmac.compare_digest(provided.strip().encode(), token.get_secret_value().encode())


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def check_media_type(kind: str) -> None:
    """415 for anything but the types ingest handles."""
    if kind not in ACCEPTED_TYPES:
        detail = f"{kind or 'no content type'}; send one of {', '.join(ACCEPTED_TYPES)}"
        raise RequestRefused(415, "unsupported_media_type", detail)


def parse_articles_request(kind: str, body: bytes, *, max_items: int) -> ParsedRequest:
    """One delivery per article in the body: a JSON object or array of objects, one text/HTML page, or a feed."""
    check_media_type(kind)
    if not body.strip():
        raise RequestRefused(400, "empty", "the body is empty")
    if kind in TEXT_TYPES:
        return ParsedRequest(deliveries=[(0, Delivery(uri=API_URI, data=body, content_type=kind))])
    if kind in FEED_TYPES:
        return _from_feed(body, kind, max_items)
    return _from_json(body, max_items)


def _from_json(body: bytes, max_items: int) -> ParsedRequest:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestRefused(400, "invalid_json", str(exc)) from exc
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        items: list[Any] = document["items"]
    elif isinstance(document, list):
        items = document
    else:
        items = [document]
    _check_count(len(items), max_items)
    parsed = ParsedRequest()
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            parsed.rejections.append(ItemRejection(position, "not_an_object", f"a {type(item).__name__}"))
        elif not any(value for key, value in item.items() if str(key).lower() in TEXT_FIELDS):
            parsed.rejections.append(ItemRejection(position, "no_text", f"none of {', '.join(TEXT_FIELDS)}"))
        else:
            url = item.get("url")
            uri = url if isinstance(url, str) and url else f"{API_URI}#{position}"
            data = orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
            parsed.deliveries.append((position, Delivery(uri=uri, data=data, content_type=JSON)))
    return parsed


def _from_feed(body: bytes, kind: str, max_items: int) -> ParsedRequest:
    try:
        items = parse_feed(body, FeedSource(url=API_URI), content_type=kind)
    except NotAFeed as exc:
        raise RequestRefused(400, "not_a_feed", str(exc)) from exc
    _check_count(len(items), max_items)
    parsed = ParsedRequest()
    for position, item in enumerate(items):
        if item.payload is None:
            parsed.rejections.append(ItemRejection(position, "no_text", "feed item has no text"))
        else:
            parsed.deliveries.append(
                (position, Delivery(uri=item.url or f"{API_URI}#{position}", data=item.payload, content_type=JSON))
            )
    return parsed


def _check_count(count: int, max_items: int) -> None:
    if count > max_items:
        raise RequestRefused(413, "too_many_items", f"{count} articles in one request, the limit is {max_items}")
    if count == 0:
        raise RequestRefused(400, "empty", "no articles in the request")
