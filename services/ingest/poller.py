"""Polling the configured feeds: conditional GET, new items published once, validators saved after the acks."""

from __future__ import annotations

import heapq
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from services.common.stage import Reason
from services.ingest.backpressure import DeliveryGate
from services.ingest.feed_state import FeedStateStore
from services.ingest.feeds import FeedSource, NotAFeed, conditional_headers, parse_feed, validators_from
from services.ingest.metrics import IngestMetrics
from services.ingest.publisher import Publisher
from services.ingest.reader import Delivery

log = logging.getLogger(__name__)

USER_AGENT = "Dateline-ingest/0.1 (+https://github.com/dateline)"


@dataclass(frozen=True)
class FetchedFeed:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class FetchError(RuntimeError):
    """The feed could not be fetched; ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


Fetch = Callable[[str, Mapping[str, str]], FetchedFeed]


def http_fetch(timeout_s: float, max_bytes: int) -> Fetch:
    """A fetcher over urllib: 200 and 304 are answers, anything else is a ``FetchError``."""

    def fetch(url: str, headers: Mapping[str, str]) -> FetchedFeed:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                body = response.read(max_bytes + 1)
                if len(body) > max_bytes:
                    raise FetchError("too_large", f"more than {max_bytes} bytes")
                return FetchedFeed(response.status, {k.lower(): v for k, v in response.headers.items()}, body)
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return FetchedFeed(304, {k.lower(): v for k, v in exc.headers.items()}, b"")
            raise FetchError(f"http_{exc.code}", str(exc.reason)) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise FetchError("unreachable", str(exc)) from exc

    return fetch


@dataclass
class PollResult:
    status: str  # not_modified | fetched | failed | incomplete
    items: int = 0
    new: int = 0
    published: list[str] = field(default_factory=list)
    duplicates: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (item url or key, reason)


class FeedPoller:
    """Polls each feed on its interval. ``poll(feed)`` is one poll; ``run(stop)`` loops until ``stop`` is set."""

    def __init__(
        self,
        feeds: list[FeedSource],
        store: FeedStateStore,
        publisher: Publisher,
        gate: DeliveryGate,
        *,
        fetch: Fetch,
        topic: str | None = None,
        metrics: IngestMetrics | None = None,
    ) -> None:
        self.feeds = feeds
        self._store = store
        self._publisher = publisher
        self._gate = gate
        self._fetch = fetch
        self._topic = topic
        self._metrics = metrics

    def _key(self, feed: FeedSource) -> str:
        return f"{self._publisher.scope}|{feed.url}"

    def poll(self, feed: FeedSource, stop: threading.Event | None = None) -> PollResult:
        key = self._key(feed)
        headers = conditional_headers(self._store.validators(key))
        try:
            fetched = self._fetch(feed.url, headers)
        except FetchError as exc:
            return self._failed(feed, key, exc.reason, str(exc))
        if fetched.status == 304:
            self._store.record_poll(key, "not_modified")
            self._count("not_modified")
            return PollResult("not_modified")
        try:
            items = parse_feed(fetched.body, feed, content_type=fetched.headers.get("content-type"))
        except NotAFeed as exc:
            return self._failed(feed, key, "not_a_feed", str(exc))
        unseen = self._store.unseen(key, (item.key for item in items))
        new = [item for item in items if item.key in unseen]
        new = list({item.key: item for item in new}.values())  # a feed listing one item twice
        result = PollResult("fetched", items=len(items), new=len(new))
        handled: list[str] = []
        with_text = [item for item in new if item.payload is not None]
        for item in new:
            if item.payload is None:
                delivery = Delivery(uri=item.url or feed.url, data=(item.title or "").encode())
                outcome = self._publisher.reject(delivery, Reason.NO_TEXT, f"{feed.url}: item has no text", lane="feed")
                if outcome.status != "unavailable":
                    handled.append(item.key)
                    result.rejected.append((item.url or item.key, "no_text"))
        if with_text:
            if not self._gate.acquire(len(with_text), stop):
                return self._incomplete(key, result, handled)
            outcomes = []
            try:
                deliveries = [Delivery(uri=item.url or feed.url, data=item.payload or b"") for item in with_text]
                outcomes = self._publisher.publish_batch(deliveries, topic=self._topic, lane="feed")
            finally:
                self._gate.release(len(with_text), broker_ok=all(o.status != "unavailable" for o in outcomes))
            for item, outcome in zip(with_text, outcomes, strict=True):
                if outcome.status == "unavailable":
                    continue
                handled.append(item.key)
                if outcome.status == "published":
                    result.published.append(outcome.article_id or "")
                elif outcome.status == "duplicate":
                    result.duplicates += 1
                else:
                    result.rejected.append((item.url or item.key, outcome.reason or ""))
        self._store.add_items(key, handled)
        if len(handled) < len(new):
            return self._incomplete(key, result, [])
        # Only now, with every new item acknowledged, may the next poll be conditional on this response.
        self._store.record_poll(key, "fetched", validators_from(fetched.headers))
        self._count("fetched")
        log.info(
            "feed polled",
            extra={"feed": feed.url, "items": result.items, "new": result.new, "published": len(result.published)},
        )
        return result

    def _incomplete(self, key: str, result: PollResult, handled: list[str]) -> PollResult:
        # The validators stay as they were, so the next poll fetches the feed in full and retries what is left.
        self._store.add_items(key, handled)
        self._store.record_poll(key, "incomplete")
        self._count("incomplete")
        result.status = "incomplete"
        log.warning("feed poll incomplete: broker unavailable", extra={"feed": key, "new": result.new})
        return result

    def _failed(self, feed: FeedSource, key: str, reason: str, detail: str) -> PollResult:
        self._store.record_poll(key, f"failed:{reason}")
        self._count("failed")
        if self._metrics:
            self._metrics.rejected(f"feed_{reason}")
        log.warning("feed poll failed", extra={"feed": feed.url, "reason": reason, "detail": detail})
        return PollResult("failed", rejected=[(feed.url, reason)])

    def _count(self, outcome: str) -> None:
        if self._metrics:
            self._metrics.polled(outcome)

    def run(self, stop: threading.Event) -> None:
        """Polls every feed when due, earliest first, until ``stop`` is set."""
        due = [(time.monotonic(), position) for position in range(len(self.feeds))]
        heapq.heapify(due)
        while due and not stop.is_set():
            when, position = heapq.heappop(due)
            if stop.wait(max(0.0, when - time.monotonic())):
                break
            feed = self.feeds[position]
            try:
                self.poll(feed, stop)
            except Exception:  # one broken feed must not stop the others
                log.exception("feed poll crashed", extra={"feed": feed.url})
            heapq.heappush(due, (time.monotonic() + feed.interval_s, position))
