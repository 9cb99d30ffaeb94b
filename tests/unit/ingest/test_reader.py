from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common.stage import Rejection
from services.ingest.reader import build_ingested, decode_input, raw_article_id, sniff_content_type

LIMIT = 1024 * 1024


def test_plain_text_is_decoded_and_typed() -> None:
    decoded = decode_input(b"TOKYO\nA story.", name="story.txt", max_bytes=LIMIT)
    assert decoded.text == "TOKYO\nA story."
    assert decoded.content_type == "text/plain"


def test_byte_order_mark_is_dropped() -> None:
    assert decode_input(b"\xef\xbb\xbfHello", name="a.txt", max_bytes=LIMIT).text == "Hello"


def test_legacy_encoding_is_detected() -> None:
    text = "São Paulo: eleições municipais começam com votação tranquila em várias cidades do estado. " * 3
    decoded = decode_input(text.encode("latin-1"), name="a.txt", max_bytes=LIMIT)
    assert "São Paulo" in decoded.text


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (bytes(range(256)) * 4, "binary"),
        (b"x" * (LIMIT + 1), "too_large"),
    ],
)
def test_unusable_input_is_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(Rejection) as info:
        decode_input(data, name="a.txt", max_bytes=LIMIT)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("<html><body>x</body></html>", "page", "text/html"),
        ("<!DOCTYPE html><html>", "", "text/html"),
        ('{"title": "x"}', "", "application/json"),
        ('<?xml version="1.0"?><rss version="2.0">', "", "application/rss+xml"),
        ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">', "", "application/atom+xml"),
        ('<?xml version="1.0"?><newsItem>', "", "application/xml"),
        ("Plain words", "", "text/plain"),
        ("<p>looks like html</p>", "story.txt", "text/plain"),
    ],
)
def test_content_type_from_extension_then_content(text: str, name: str, expected: str) -> None:
    assert sniff_content_type(text, name=name) == expected


def test_id_ignores_white_space_but_not_words() -> None:
    assert raw_article_id("A  story\n\nhere ") == raw_article_id("A story here")
    assert raw_article_id("A story here") != raw_article_id("A story there")


def test_ingested_message_carries_origin_and_delivery_time() -> None:
    decoded = decode_input(b"A story.", name="a.txt", max_bytes=LIMIT)
    received = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    message = build_ingested(decoded, uri="/feeds/a.txt", received_at=received, source_name="Wire")
    assert message.id == raw_article_id("A story.")
    assert message.origin.uri == "/feeds/a.txt"
    assert message.received_at == received
    assert message.source.name == "Wire"
