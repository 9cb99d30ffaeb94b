"""A tiny loopback HTTP server for feeds we generate: the integration tests and `make soak-feeds` poll it.

It answers 304 to If-None-Match / If-Modified-Since when the feed has not changed, and records the conditional
headers of every request so a test can see them. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


@dataclass
class ServedFeed:
    body: bytes
    content_type: str
    etag: str
    last_modified: str


@dataclass
class FeedRequest:
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    status: int


def rss(title: str, items: list[tuple[str, str, str]], *, start: datetime | None = None) -> bytes:
    """An RSS 2.0 document; items are (guid, title, text), one minute apart from ``start``."""
    start = start or datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    entries = "".join(
        f"<item><guid isPermaLink='false'>{escape(guid)}</guid><title>{escape(head)}</title>"
        f"<link>http://127.0.0.1/news/{escape(guid)}</link>"
        f"<pubDate>{format_datetime(start + timedelta(minutes=n))}</pubDate>"
        f"<description>{escape(text)}</description></item>"
        for n, (guid, head, text) in enumerate(items)
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{escape(title)}</title>"
        f"<link>http://127.0.0.1/</link><description>generated</description>{entries}</channel></rss>"
    ).encode()


def atom(title: str, items: list[tuple[str, str, str]], *, start: datetime | None = None) -> bytes:
    """An Atom 1.0 document; items are (id, title, html content)."""
    start = start or datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    entries = "".join(
        f"<entry><id>{escape(guid)}</id><title>{escape(head)}</title>"
        f"<link href='http://127.0.0.1/news/{escape(guid)}'/>"
        f"<updated>{(start + timedelta(minutes=n)).isoformat()}</updated>"
        f"<content type='html'>{escape(text)}</content></entry>"
        for n, (guid, head, text) in enumerate(items)
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title>{escape(title)}</title><id>urn:test:{escape(title)}</id>"
        f"<updated>{start.isoformat()}</updated>{entries}</feed>"
    ).encode()


@dataclass
class FeedServer:
    """``put(path, body, content_type)`` serves a feed at ``url(path)``; each put is a new version."""

    feeds: dict[str, ServedFeed] = field(default_factory=dict)
    requests: list[FeedRequest] = field(default_factory=list)
    keep_requests: int = 1000
    _version: int = 0

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                feed = server.feeds.get(self.path)
                none_match = self.headers.get("If-None-Match")
                modified_since = self.headers.get("If-Modified-Since")
                if feed is None:
                    status = 404
                elif none_match == feed.etag or (none_match is None and modified_since == feed.last_modified):
                    status = 304
                else:
                    status = 200
                server._note(FeedRequest(self.path, none_match, modified_since, status))
                self.send_response(status)
                if feed is not None:
                    self.send_header("ETag", feed.etag)
                    self.send_header("Last-Modified", feed.last_modified)
                if status == 200 and feed is not None:
                    self.send_header("Content-Type", feed.content_type)
                    self.send_header("Content-Length", str(len(feed.body)))
                    self.end_headers()
                    self.wfile.write(feed.body)
                else:
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="feed-server", daemon=True)
        self._thread.start()

    def _note(self, request: FeedRequest) -> None:
        self.requests.append(request)
        del self.requests[: -self.keep_requests]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def put(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> None:
        self._version += 1
        moment = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=self._version)
        self.feeds[path] = ServedFeed(body, content_type, f'"v{self._version}"', format_datetime(moment, usegmt=True))

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
