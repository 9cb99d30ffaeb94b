"""Continuous ingest on the real local Kafka: feeds polled from a loopback server, the drop directory, the HTTP
API (ids really on the topic; 401/413/415; 503 when the broker is unreachable), and the backfill lane."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from infra.ingest.feed_server import FeedServer, atom, rss
from schemas import ArticleIngested, decode
from services.common.kafka import make_producer
from services.common.settings import CommonSettings
from services.ingest.api import create_app
from services.ingest.backpressure import DeliveryGate
from services.ingest.bootstrap import bootstrap, bootstrap_service
from services.ingest.dropdir import DropDirWatcher
from services.ingest.feed_state import FeedStateStore
from services.ingest.feeds import FeedSource
from services.ingest.poller import FeedPoller, PollResult, http_fetch
from services.ingest.reader import read_deliveries
from services.ingest.settings import IngestSettings
from tests.conftest import SHARED
from tests.kafka_helpers import read_topic

TOKEN = "integration-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STORIES = [
    (f"wire-{n}", f"Story {n}", f"TOKYO - Story number {n} about trade talks between the two governments.")
    for n in range(5)
]


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


def _settings(**overrides: object) -> IngestSettings:
    base = IngestSettings(ingest_token=TOKEN, publish_timeout_s=10)  # type: ignore[arg-type]
    return base.model_copy(update=overrides)


def _poll_once(settings: IngestSettings, feeds: list[FeedSource]) -> list[PollResult]:
    """One poll of every feed by freshly built objects (as a restarted process would build them)."""
    publisher = bootstrap(settings)
    store = FeedStateStore(settings.state_dir / "ingest-feeds.sqlite")
    gate = bootstrap_gate(settings)
    poller = FeedPoller(feeds, store, publisher, gate, fetch=http_fetch(5, settings.max_article_bytes))
    try:
        return [poller.poll(feed) for feed in feeds]
    finally:
        publisher.close()
        store.close()


def bootstrap_gate(settings: IngestSettings) -> DeliveryGate:
    return DeliveryGate(settings.ingest_buffer_limit, cooldown_s=settings.ingest_retry_after_s)


def _raw(settings: CommonSettings, topic: str | None = None) -> list[ArticleIngested]:
    records = read_topic(settings.kafka_bootstrap_servers, topic or settings.topic_raw)
    return [decode(record.value, ArticleIngested) for record in records]


def test_feeds_polled_twice_and_restarted_publish_each_item_once(settings, feed_server: FeedServer) -> None:
    feed_server.put("/wire.rss", rss("Wire", STORIES[:3]))
    feed_server.put("/wire.atom", atom("Atom wire", STORIES[3:]), "application/atom+xml")
    feeds = [FeedSource(url=feed_server.url("/wire.rss"), name="Wire"), FeedSource(url=feed_server.url("/wire.atom"))]
    ingest = _settings()

    first = _poll_once(ingest, feeds)
    assert [len(r.published) for r in first] == [3, 2]
    second = _poll_once(ingest, feeds)
    assert [r.status for r in second] == ["not_modified", "not_modified"]
    conditional = feed_server.requests[-2:]
    assert all(r.if_none_match and r.if_modified_since and r.status == 304 for r in conditional)

    # The feed changes (a new version with one new item): only the new item goes out.
    feed_server.put("/wire.rss", rss("Wire", [*STORIES[:3], ("wire-new", "New", "OSAKA - A new story arrived.")]))
    third = _poll_once(ingest, feeds)
    assert [len(r.published) for r in third] == [1, 0]

    messages = _raw(settings)
    assert len(messages) == 6
    assert len({m.id for m in messages}) == 6
    assert all(m.content_type == "application/json" for m in messages)
    assert {orjson.loads(m.content)["title"] for m in messages} >= {"Story 0", "Story 4", "New"}


def test_shared_feed_files_served_on_loopback(settings, feed_server: FeedServer) -> None:
    folder = SHARED / "formats" / "feeds"
    if not folder.is_dir():
        pytest.skip(f"../shared/formats/feeds not found at {folder} (a clone without shared/ beside it)")
    path = sorted(folder.glob("*.rss.xml"))[0]
    feed_server.put("/shared.rss", path.read_bytes())  # read at test time, never copied into the repo
    [result] = _poll_once(_settings(), [FeedSource(url=feed_server.url("/shared.rss"))])
    assert result.status == "fetched" and result.published
    assert len(_raw(settings)) == len(result.published)


def test_drop_dir_file_published_once(settings, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "story.txt").write_text("TOKYO\nA dropped story about a port strike.")
    (drop / "empty.txt").write_text("")
    publisher = bootstrap(_settings())
    watcher = DropDirWatcher(drop, publisher, bootstrap_gate(_settings()), settle_s=0)
    try:
        first = watcher.scan()
        assert sorted(o.status for o in first) == ["published", "rejected"]
        (drop / "again.txt").write_text("TOKYO\nA dropped story about a port strike.")  # same content, new name
        assert [o.status for o in watcher.scan()] == ["duplicate"]
        assert watcher.scan() == []
    finally:
        publisher.close()
    assert sorted(p.name for p in (drop / "published").iterdir()) == ["again.txt", "story.txt"]
    assert (drop / "rejected" / "empty.txt.reason").read_text().startswith("empty")
    assert len(_raw(settings)) == 1


def test_http_api_ids_are_on_the_topic_and_bad_requests_are_refused(settings) -> None:
    service = bootstrap_service(_settings(ingest_max_body_bytes=2048))
    articles = [{"title": f"T{n}", "body": f"TOKYO - API story {n} about the tariff talks."} for n in range(3)]
    with TestClient(create_app(service)) as client:
        response = client.post("/articles", json=articles, headers=AUTH)
        assert response.status_code == 200, response.text
        ids = [a["id"] for a in response.json()["accepted"]]
        assert client.post("/articles", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 401
        wrong = {"Authorization": "Bearer wrong", "Content-Type": "text/plain"}
        assert client.post("/articles", content=b"x", headers=wrong).status_code == 401
        too_big = client.post("/articles", content=b"x" * 4096, headers={**AUTH, "Content-Type": "text/plain"})
        assert too_big.status_code == 413
        pdf = client.post("/articles", content=b"%PDF", headers={**AUTH, "Content-Type": "application/pdf"})
        assert pdf.status_code == 415
        assert client.get("/health").json()["status"] == "ok"
        assert "dateline_ingest_publish_seconds_count 3.0" in client.get("/metrics").text
    assert len(ids) == 3
    assert sorted(m.id for m in _raw(settings)) == sorted(ids)


def test_http_api_answers_503_when_kafka_is_unreachable(settings) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    ingest = _settings(publish_timeout_s=2, kafka_bootstrap_servers=f"127.0.0.1:{closed_port}")
    producer = make_producer(ingest, client_id="dateline-ingest-test", max_block_ms=1000, api_version=(3, 9))
    service = bootstrap_service(ingest, producer=producer, scope=f"dead/{ingest.topic_raw}")
    started = time.monotonic()
    with TestClient(create_app(service)) as client:
        response = client.post("/articles", json={"title": "T", "body": "TOKYO - Not deliverable."}, headers=AUTH)
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert response.json()["accepted"] == []
        assert client.get("/health").status_code == 503
        metrics = client.get("/metrics").text
        assert "dateline_ingest_messages_out_total{" not in metrics
        assert 'dateline_ingest_rejections_total{reason="broker_unavailable"} 1.0' in metrics
    assert time.monotonic() - started < 30
    assert _raw(settings) == []


def test_backfill_goes_to_its_own_topic(settings, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    for n in range(3):
        (archive / f"{n}.txt").write_text(f"TOKYO\nAn old story number {n} from the archive.")
    ingest = _settings()
    publisher = bootstrap(ingest)
    try:
        report = publisher.publish(read_deliveries([archive]), topic=ingest.topic_backfill)
    finally:
        publisher.close()
    assert len(report.published) == 3
    assert len(_raw(settings, ingest.topic_backfill)) == 3
    assert _raw(settings) == []
