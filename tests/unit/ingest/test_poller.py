"""One feed poll over a fake fetch: conditional headers, items once, validators saved only after the acks."""

from __future__ import annotations

from collections.abc import Mapping

from infra.ingest.feed_server import rss
from services.ingest.backpressure import DeliveryGate
from services.ingest.feed_state import FeedStateStore
from services.ingest.feeds import FeedSource
from services.ingest.poller import FeedPoller, FetchedFeed
from services.ingest.publisher import Publisher
from services.ingest.settings import IngestSettings
from tests.unit.ingest.conftest import FakeProducer

FEED = FeedSource(url="http://127.0.0.1/feed.rss", name="Wire")
ONE = ("g1", "One", "TOKYO - The first story of the day.")
TWO = ("g2", "Two", "OSAKA - The second story of the day.")


class FakeFeed:
    def __init__(self) -> None:
        self.body = rss("Wire", [ONE])
        self.etag = '"v1"'
        self.seen_headers: list[dict[str, str]] = []

    def __call__(self, url: str, headers: Mapping[str, str]) -> FetchedFeed:
        self.seen_headers.append(dict(headers))
        if headers.get("If-None-Match") == self.etag:
            return FetchedFeed(304, {"etag": self.etag}, b"")
        return FetchedFeed(200, {"etag": self.etag, "content-type": "application/rss+xml"}, self.body)


def _poller(settings: IngestSettings, publisher: Publisher, fetch: FakeFeed) -> FeedPoller:
    store = FeedStateStore(settings.state_dir / "feeds.sqlite")
    return FeedPoller([FEED], store, publisher, DeliveryGate(10, cooldown_s=1), fetch=fetch)


def test_items_once_and_conditional_requests(
    ingest_settings: IngestSettings, publisher: Publisher, producer: FakeProducer
) -> None:
    fetch = FakeFeed()
    poller = _poller(ingest_settings, publisher, fetch)
    assert len(poller.poll(FEED).published) == 1
    assert poller.poll(FEED).status == "not_modified"
    assert fetch.seen_headers == [{}, {"If-None-Match": '"v1"'}]

    fetch.body, fetch.etag = rss("Wire", [ONE, TWO]), '"v2"'
    second = poller.poll(FEED)
    assert (second.items, second.new, len(second.published)) == (2, 1, 1)
    assert len(producer.sent) == 2

    # New objects over the same state directory: a restart publishes nothing again.
    again = _poller(ingest_settings, publisher, fetch)
    fetch.etag = '"v3"'  # even a full refetch finds only items it already handled
    assert again.poll(FEED).published == []
    assert len(producer.sent) == 2


def test_broker_down_keeps_the_old_validators_so_the_next_poll_retries(
    ingest_settings: IngestSettings, publisher: Publisher, producer: FakeProducer
) -> None:
    fetch = FakeFeed()
    poller = _poller(ingest_settings, publisher, fetch)
    producer.down = True
    assert poller.poll(FEED).status == "incomplete"
    producer.down = False
    retried = poller.poll(FEED)
    assert fetch.seen_headers[1] == {}  # not conditional: the first response was never fully published
    assert len(retried.published) == 1


def test_item_without_text_goes_to_the_dlq_once(
    ingest_settings: IngestSettings, publisher: Publisher, producer: FakeProducer
) -> None:
    fetch = FakeFeed()
    fetch.body = rss("Wire", [("g0", "Headline only", "")])
    poller = _poller(ingest_settings, publisher, fetch)
    assert poller.poll(FEED).rejected == [("http://127.0.0.1/news/g0", "no_text")]
    fetch.etag = '"v9"'
    assert poller.poll(FEED).rejected == []
    assert producer.topics() == ["unit.articles.dlq"]
