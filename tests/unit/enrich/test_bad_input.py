"""Bad deliveries: each is rejected with a clear reason, quickly, with bounded memory, and never crashes a batch.

Time bounds are loose (a loaded 2-core machine); they catch a stall or a blow-up, not a slowdown.
"""

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from spacy.language import Language

from schemas import ArticleIngested, Origin
from services.common.stage import Rejection
from services.enrich.pipeline import enrich_batch
from services.enrich.steps.extract import MAX_ARTICLES_PER_DOCUMENT, ExtractionError, extract_articles
from services.ingest.reader import decode_input
from tests.unit.enrich.conftest import DELIVERED_AT, MODEL_NAME

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10))
    + "]><rss><channel><item><title>t</title><description>&lol9;</description></item></channel></rss>"
)


def _feed(items: int) -> str:
    entry = "<item><title>Story {n}</title><description>&lt;p&gt;Body of story {n} here.&lt;/p&gt;</description></item>"
    return "<rss><channel><title>Big</title>" + "".join(entry.format(n=n) for n in range(items)) + "</channel></rss>"


def _measure(call: Callable[[], Any]) -> tuple[Any, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result: Any = call()
    except ExtractionError as exc:
        result = exc
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def test_xml_bomb_is_not_expanded() -> None:
    result, elapsed, peak = _measure(lambda: extract_articles(BOMB, content_type="application/rss+xml"))
    assert elapsed < 5 and peak < 50_000_000
    bodies = "" if isinstance(result, ExtractionError) else " ".join(a.body for a in result)
    assert "lollollol" not in bodies


def test_feed_with_10000_items_is_refused_with_a_reason() -> None:
    content = _feed(10_000)
    result, elapsed, peak = _measure(lambda: extract_articles(content, content_type="application/rss+xml"))
    assert isinstance(result, ExtractionError) and result.reason == "too_many_articles"
    assert "10000" in str(result)
    assert elapsed < 20 and peak < 200_000_000


def test_feed_at_the_limit_is_extracted() -> None:
    articles = extract_articles(_feed(MAX_ARTICLES_PER_DOCUMENT), content_type="application/rss+xml")
    assert len(articles) == MAX_ARTICLES_PER_DOCUMENT


def test_20_mb_page_is_refused_at_ingest_and_at_extraction() -> None:
    page = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n" * 360_000)[:20_000_000]
    with pytest.raises(Rejection) as rejected:
        decode_input(page.encode(), name="huge.txt", max_bytes=5 * 1024 * 1024)
    assert rejected.value.reason == "too_large"
    result, elapsed, peak = _measure(lambda: extract_articles(page, content_type="text/plain"))
    assert isinstance(result, ExtractionError) and result.reason == "too_large"
    assert elapsed < 2 and peak < 10_000_000


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("<html><body><article><h1>Trade talks</h1><p>Officials met on Tuesday to dis", "text/html"),
        ("<rss><channel><title>Feed</title><item><title>One</title><description>&lt;p&gt;Text", "application/rss+xml"),
        ("<newsItem><contentSet><inlineXML><nitf><body><body.content><p>Half a sent", "application/xml"),
        ('{"headline": "Cut off", "body_text": "The minis', "application/json"),
    ],
)
def test_truncated_documents_give_an_article_or_a_reason(content: str, content_type: str) -> None:
    result, elapsed, _ = _measure(lambda: extract_articles(content, content_type=content_type))
    assert elapsed < 10
    assert isinstance(result, ExtractionError) or all(a.body for a in result)


def test_binary_junk_and_empty_files_are_rejected_at_ingest() -> None:
    with pytest.raises(Rejection) as binary:
        decode_input(bytes(range(256)) * 64, name="junk.bin", max_bytes=1 << 20)
    assert binary.value.reason == "binary"
    with pytest.raises(Rejection) as empty:
        decode_input(b"  \n ", name="empty.txt", max_bytes=1 << 20)
    assert empty.value.reason == "empty"


def test_invalid_utf8_is_decoded_not_crashed() -> None:
    text = "Aranceles: reunión en Madrid\nLos ministros se reúnen en Madrid para hablar de aranceles.\n"
    data = text.encode("latin-1") + b"\xff\x81 fin.\n"
    decoded = decode_input(data, name="latin.txt", max_bytes=1 << 20)
    (article,) = extract_articles(decoded.text, content_type=decoded.content_type)
    assert "Madrid" in article.body


def _raw(n: int, content: str, content_type: str) -> ArticleIngested:
    return ArticleIngested(
        id=f"{n:032x}",
        content=content,
        content_type=content_type,  # type: ignore[arg-type]
        origin=Origin(uri=f"bad-{n}"),
        received_at=DELIVERED_AT,
    )


def test_one_batch_of_bad_inputs_gives_reasons_and_keeps_the_good_article(nlp: Language) -> None:
    good = "Ministers meet on fisheries\nOSLO (Reuters) - Norway and Russia agreed on Tuesday on next year's quota."
    raws = [
        _raw(0, " ", "text/plain"),
        _raw(1, "\x00\x01\x02 junk \x03\x04", "text/plain"),
        _raw(2, "{not json", "application/json"),
        _raw(3, BOMB, "application/rss+xml"),
        _raw(4, _feed(10_000), "application/rss+xml"),
        _raw(5, "<rss><channel><item><title>x", "application/rss+xml"),
        _raw(6, good, "text/plain"),
    ]
    started = time.perf_counter()
    outcomes = enrich_batch(raws, nlp, model_name=MODEL_NAME)
    assert time.perf_counter() - started < 60
    reasons = [o.reason for o in outcomes]
    assert reasons[:5] == ["empty", "no_article", "invalid_json", "no_article", "too_many_articles"]
    assert reasons[5] in ("no_article", "invalid_xml")
    assert reasons[6] is None and outcomes[6].articles[0].dateline == "Oslo"
    assert all(o.error for o in outcomes[:6])
