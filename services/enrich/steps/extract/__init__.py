"""Articles out of whatever was delivered: scraped text and agency wires, HTML, ninjs/simple JSON, RSS/Atom, NewsML.

``extract_articles`` dispatches on the content type to one module per input format:

- ``plain``: scraped pages copied as text and plain-text agency wires (``wire`` reflows hard-wrapped copy and reads
  datelines); no library handles them, because the markup that boilerplate detectors rely on is gone;
- ``html``: trafilatura, with its fallbacks;
- ``ninjs``: IPTC ninjs 1.x-3.x and our simple ``{title, body, ...}`` shape;
- ``xml_formats``: RSS, Atom, NewsML-G2 and NITF.

``rules`` holds the line-level rules they share (boilerplate, credits and agencies, titles, link lists) and
``fields`` the shared finish of formats that name their fields. The patterns are data: extend the lists, not the
code.
"""

from __future__ import annotations

from dataclasses import replace

from services.enrich.steps.extract.article import (
    MAX_ARTICLES_PER_DOCUMENT,
    MAX_CONTENT_CHARS,
    ExtractedArticle,
    ExtractionError,
)
from services.enrich.steps.extract.html import from_html
from services.enrich.steps.extract.ninjs import from_json
from services.enrich.steps.extract.plain import from_plain_text
from services.enrich.steps.extract.xml_formats import from_xml

__all__ = ["MAX_ARTICLES_PER_DOCUMENT", "MAX_CONTENT_CHARS", "ExtractedArticle", "ExtractionError", "extract_articles"]


def extract_articles(content: str, *, content_type: str) -> list[ExtractedArticle]:
    """The articles in ``content``, in page/feed order, each with its ``item`` position.

    ``content_type`` is one of "text/plain", "text/html", "application/json" (ninjs or ``{title, body, ...}``),
    "application/rss+xml", "application/atom+xml" or "application/xml" (RSS, Atom, NewsML-G2 or NITF).
    Raises ``ExtractionError`` for empty or unusable content and unknown content types.
    """
    if not content or not content.strip():
        raise ExtractionError("empty content", reason="empty")
    if len(content) > MAX_CONTENT_CHARS:
        raise ExtractionError(f"{len(content)} characters, the limit is {MAX_CONTENT_CHARS}", reason="too_large")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "text/plain":
        articles = from_plain_text(content)
    elif kind in ("text/html", "application/xhtml+xml"):
        articles = from_html(content)
    elif kind == "application/json":
        articles = from_json(content)
    elif kind in ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml"):
        articles = from_xml(content)
    else:
        raise ExtractionError(f"unsupported content type {content_type!r}", reason="unsupported_content_type")
    if len(articles) > MAX_ARTICLES_PER_DOCUMENT:
        raise ExtractionError(
            f"{len(articles)} articles in one document, the limit is {MAX_ARTICLES_PER_DOCUMENT}; split the feed",
            reason="too_many_articles",
        )
    return [replace(article, item=position) for position, article in enumerate(articles)]
