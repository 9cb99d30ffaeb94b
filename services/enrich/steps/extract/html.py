"""HTML pages through trafilatura: precision mode, its default mode where that keeps too little, its baseline last."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from services.enrich.steps.extract.article import ExtractedArticle, ExtractionError
from services.enrich.steps.extract.fields import structured
from services.enrich.steps.extract.rules import WHITESPACE, is_date_line

# trafilatura's precision mode drops boilerplate best, but on some layouts (tables, 2000s markup, short pages)
# it keeps too little; below this many words its result is checked against the default mode's.
_PRECISE_ENOUGH_WORDS = 150

# The default mode's result replaces a precise one that has less than this share of its text.
_PRECISE_SHARE = 0.6


def from_html(content: str) -> list[ExtractedArticle]:
    meta = _trafilatura_document(content)
    text = meta.get("text") or ""
    paragraphs = [p for p in (WHITESPACE.sub(" ", line).strip() for line in text.split("\n")) if p]
    title = meta.get("title")
    if paragraphs and title and paragraphs[0] == WHITESPACE.sub(" ", title).strip():
        paragraphs = paragraphs[1:]  # trafilatura repeats the <h1> headline as the first paragraph
    paragraphs = [p for p in paragraphs if not is_date_line(p)]  # "Updated 10:05 a.m." stamps are not text
    if not paragraphs:
        raise ExtractionError("trafilatura found no article text in the HTML", reason="no_article")
    return [
        structured(
            title=title,
            paragraphs=paragraphs,
            byline=meta.get("author"),
            credit=meta.get("author"),
            source_name=meta.get("sitename") if meta.get("sitename") != title else None,
            url=meta.get("url"),
            # Only a date the page states in its markup; trafilatura would otherwise guess one from the text.
            published_text=_html_published(content),
        )
    ]


def _trafilatura_document(content: str) -> dict[str, Any]:
    """trafilatura's article: precision mode, the default mode where that keeps too little, its baseline last.

    Tables stay (results and figures are content; trafilatura leaves layout tables out); comments never do. A
    page is article-less only when all three find nothing.
    """
    import trafilatura  # heavy import (justext, htmldate, courlan): paid only by callers that get HTML

    options: dict[str, Any] = {"with_metadata": True, "include_comments": False, "include_tables": True}
    precise = _as_dict(trafilatura.bare_extraction(content, favor_precision=True, **options))
    precise_text = precise.get("text") or ""
    if len(precise_text.split()) >= _PRECISE_ENOUGH_WORDS:
        return precise
    default = _as_dict(trafilatura.bare_extraction(content, **options))
    if len(precise_text) < _PRECISE_SHARE * len(default.get("text") or ""):
        return default
    if precise_text.strip():
        return precise
    _, baseline_text, _ = trafilatura.baseline(content)
    return {**precise, **default, "text": baseline_text}


def _as_dict(document: Any) -> dict[str, Any]:
    if document is None:
        return {}
    return dict(document.as_dict() if hasattr(document, "as_dict") else document)


_HTML_DATE_XPATHS = (
    "//meta[@property='article:published_time' or @name='article:published_time']/@content",
    "//meta[@itemprop='datePublished' or @name='pubdate' or @name='publishdate' or @name='date']/@content",
    "//*[@itemprop='datePublished']/@datetime",
    "//time[@datetime][@pubdate or contains(@class, 'publish')]/@datetime",
)

_JSON_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')


def _html_published(content: str) -> str | None:
    """The publication date the HTML states in its metadata (Open Graph, schema.org, <time>), or None."""
    try:
        root = lxml_html.document_fromstring(content[:2_000_000])
    except (etree.ParserError, ValueError):
        return None
    for xpath in _HTML_DATE_XPATHS:
        values = [str(v).strip() for v in root.xpath(xpath) if str(v).strip()]
        if values:
            return values[0]
    for script in root.xpath("//script[@type='application/ld+json']/text()"):
        found = _JSON_LD_DATE.search(script)
        if found:
            return found[1]
    return None
