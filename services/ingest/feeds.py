"""RSS/Atom feeds: the feed list, conditional-request headers, and feed items as raw-article JSON. Pure.

Each item becomes one JSON object ``{title, body | body_html, published_at, source, url, byline, guid}`` — the
simple shape ``services/enrich/steps/extract/ninjs.py`` reads — serialised with sorted keys, so the same item always
has the same bytes and therefore the same article id.
"""

from __future__ import annotations

import calendar
import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import orjson

from schemas import to_rfc3339

MIN_INTERVAL_S = 1.0
DEFAULT_INTERVAL_S = 300.0
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class FeedConfigError(ValueError):
    """The feed list cannot be used; the message says where."""


class NotAFeed(ValueError):
    """The fetched document is not RSS or Atom."""


@dataclass(frozen=True)
class FeedSource:
    """One configured feed."""

    url: str
    name: str | None = None
    interval_s: float = DEFAULT_INTERVAL_S


@dataclass(frozen=True)
class Validators:
    """What the server said last time, for the next conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed: ``key`` identifies it within the feed across polls; ``payload`` is None without text."""

    key: str
    url: str | None
    payload: bytes | None
    title: str | None


def load_feeds(path: Path) -> list[FeedSource]:
    """The feeds listed in a TOML file (see ``infra/ingest/feeds.example.toml``)."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FeedConfigError(f"{path}: {exc}") from exc
    return parse_feed_config(document, origin=str(path))


def parse_feed_config(document: Mapping[str, Any], *, origin: str = "feeds") -> list[FeedSource]:
    defaults = document.get("defaults", {})
    default_interval = float(defaults.get("interval_s", DEFAULT_INTERVAL_S))
    feeds: list[FeedSource] = []
    seen: set[str] = set()
    for position, entry in enumerate(document.get("feeds", [])):
        where = f"{origin}: feeds[{position}]"
        url = entry.get("url") if isinstance(entry, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise FeedConfigError(f"{where}: url must be an http(s) URL, got {url!r}")
        if url in seen:
            raise FeedConfigError(f"{where}: {url} is listed twice")
        seen.add(url)
        interval = float(entry.get("interval_s", default_interval))
        if interval < MIN_INTERVAL_S:
            raise FeedConfigError(f"{where}: interval_s must be at least {MIN_INTERVAL_S}")
        unknown = set(entry) - {"url", "name", "interval_s"}
        if unknown:
            raise FeedConfigError(f"{where}: unknown keys {sorted(unknown)}")
        feeds.append(FeedSource(url=url, name=entry.get("name"), interval_s=interval))
    return feeds


def conditional_headers(validators: Validators) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the last response, so an unchanged feed costs a 304."""
    headers: dict[str, str] = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def validators_from(headers: Mapping[str, str]) -> Validators:
    """The validators of a 200 response (header names in lower case); a server that sends none clears them."""
    return Validators(etag=headers.get("etag"), last_modified=headers.get("last-modified"))


def parse_feed(data: bytes, feed: FeedSource, *, content_type: str | None = None) -> list[FeedItem]:
    """The items of an RSS or Atom document, in document order."""
    parsed = feedparser.parse(data, response_headers={"content-type": content_type} if content_type else None)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise NotAFeed(f"not RSS or Atom{f': {problem}' if problem else ''}")
    source = feed.name or _text(parsed.feed.get("title"))
    return [_item(entry, source) for entry in parsed.entries]


def _item(entry: Mapping[str, Any], source: str | None) -> FeedItem:
    title = _text(entry.get("title"))
    url = _text(entry.get("link"))
    published = entry.get("published_parsed") or entry.get("updated_parsed")
    published_at = to_rfc3339(datetime.fromtimestamp(calendar.timegm(published), UTC)) if published else None
    guid = _text(entry.get("id")) or url or f"{title}|{published_at}"
    body, body_type = _body(entry)
    payload: bytes | None = None
    if body:
        document: dict[str, Any] = {
            "title": title,
            "published_at": published_at or _text(entry.get("published") or entry.get("updated")),
            "source": source,
            "url": url,
            "byline": _text(entry.get("author")),
            "guid": guid,
        }
        document["body_html" if body_type in _HTML_TYPES else "body"] = body
        payload = orjson.dumps({k: v for k, v in document.items() if v}, option=orjson.OPT_SORT_KEYS)
    return FeedItem(key=item_key(guid), url=url, payload=payload, title=title)


def _body(entry: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The fullest text the item carries: content (content:encoded, atom:content), else the summary."""
    contents = [c for c in entry.get("content") or [] if _text(c.get("value"))]
    if contents:
        best = max(contents, key=lambda c: len(c.get("value") or ""))
        return best["value"].strip(), best.get("type")
    detail = entry.get("summary_detail") or {}
    summary = _text(entry.get("summary"))
    return summary, detail.get("type", "text/html") if summary else None


def item_key(guid: str) -> str:
    return hashlib.sha256(guid.encode("utf-8")).hexdigest()[:32]


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
