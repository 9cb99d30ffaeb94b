from __future__ import annotations

import orjson
import pytest

from infra.ingest.feed_server import atom, rss
from services.enrich.steps.extract import extract_articles
from services.ingest.feeds import (
    FeedConfigError,
    FeedSource,
    NotAFeed,
    Validators,
    conditional_headers,
    item_key,
    parse_feed,
    parse_feed_config,
    validators_from,
)

FEED = FeedSource(url="http://127.0.0.1/feed.rss", name="Wire Test")
ITEMS = [
    ("guid-1", "Tariff talks resume", "TOKYO - Trade ministers met on Monday to resume tariff talks."),
    ("guid-2", "Port strike ends", "OSAKA - Dock workers returned to work after a week."),
]


def test_each_rss_item_becomes_the_json_object_the_extractor_reads() -> None:
    items = parse_feed(rss("Wire", ITEMS), FEED)
    assert [item.key for item in items] == [item_key("guid-1"), item_key("guid-2")]
    document = orjson.loads(items[0].payload or b"")
    assert document["title"] == "Tariff talks resume"
    assert document["published_at"] == "2025-03-01T09:00:00Z"
    assert document["source"] == "Wire Test"  # the configured name wins over the channel title
    assert document["url"] == "http://127.0.0.1/news/guid-1"
    [article] = extract_articles((items[0].payload or b"").decode(), content_type="application/json")
    assert article.title == "Tariff talks resume"
    assert "resume tariff talks" in article.body
    assert article.published_text == "2025-03-01T09:00:00Z"


def test_atom_html_content_goes_to_body_html() -> None:
    items = parse_feed(atom("Atom wire", [("urn:1", "Head", "<p>First paragraph.</p><p>Second one.</p>")]), FEED)
    document = orjson.loads(items[0].payload or b"")
    assert "body_html" in document and "body" not in document
    [article] = extract_articles((items[0].payload or b"").decode(), content_type="application/json")
    assert "Second one." in article.body


def test_the_same_item_always_gives_the_same_bytes() -> None:
    assert parse_feed(rss("Wire", ITEMS), FEED) == parse_feed(rss("Wire", ITEMS), FEED)


def test_an_item_without_text_has_no_payload() -> None:
    [item] = parse_feed(rss("Wire", [("g", "Headline only", "")]), FEED)
    assert item.payload is None and item.title == "Headline only"


def test_not_a_feed_is_refused() -> None:
    with pytest.raises(NotAFeed):
        parse_feed(b"<html><body>hello</body></html>", FEED)


def test_conditional_headers_come_from_the_last_validators() -> None:
    assert conditional_headers(Validators()) == {}
    validators = validators_from({"etag": '"v3"', "last-modified": "Wed, 01 Jan 2025 00:00:03 GMT"})
    assert conditional_headers(validators) == {
        "If-None-Match": '"v3"',
        "If-Modified-Since": "Wed, 01 Jan 2025 00:00:03 GMT",
    }
    assert validators_from({}) == Validators()


def test_feed_config_defaults_and_mistakes() -> None:
    feeds = parse_feed_config(
        {
            "defaults": {"interval_s": 60},
            "feeds": [{"url": "https://a.example/rss"}, {"url": "http://b/", "interval_s": 5}],
        }
    )
    assert [(f.url, f.interval_s) for f in feeds] == [("https://a.example/rss", 60.0), ("http://b/", 5.0)]
    for bad in (
        {"feeds": [{"url": "ftp://x"}]},
        {"feeds": [{"url": "http://x"}, {"url": "http://x"}]},
        {"feeds": [{"url": "http://x", "interval_s": 0}]},
        {"feeds": [{"url": "http://x", "intervall": 3}]},
    ):
        with pytest.raises(FeedConfigError):
            parse_feed_config(bad)


def test_the_example_feed_list_parses() -> None:
    from pathlib import Path

    from services.ingest.feeds import load_feeds

    example = Path(__file__).resolve().parents[3] / "infra" / "ingest" / "feeds.example.toml"
    assert load_feeds(example)
