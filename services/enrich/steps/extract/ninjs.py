"""JSON deliveries: IPTC ninjs 1.x-3.x and our simple ``{title, body, published, ...}`` shape."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from services.enrich.steps.extract.article import MAX_ARTICLES_PER_DOCUMENT, ExtractedArticle, ExtractionError
from services.enrich.steps.extract.fields import (
    dateline_from_located,
    first_text,
    html_paragraphs,
    structured,
    text_paragraphs,
)


def from_json(content: str) -> list[ExtractedArticle]:
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise ExtractionError(f"invalid JSON: {exc}", reason="invalid_json") from exc
    items: Iterable[Any]
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict) and isinstance(data.get("items"), list):
        items = data["items"]
    else:
        items = [data]
    items = list(items)
    if len(items) > MAX_ARTICLES_PER_DOCUMENT:
        raise ExtractionError(
            f"{len(items)} JSON items, the limit is {MAX_ARTICLES_PER_DOCUMENT}; split the delivery",
            reason="too_many_articles",
        )
    articles = [article for item in items if isinstance(item, dict) for article in [_json_item(item)] if article]
    if not articles and not any(isinstance(item, dict) for item in items):
        raise ExtractionError("JSON holds no object that could be an article")
    return articles


def _json_item(raw: dict[str, Any]) -> ExtractedArticle | None:
    item = {key.lower(): value for key, value in raw.items()}  # ninjs 3 is camelCase, 1.x and 2.x lower case
    if item.get("type") not in (None, "text", "composite"):
        return None  # pictures, audio, video, events: no article text
    paragraphs = _json_body(item)
    if not paragraphs:
        return None
    return structured(
        title=_json_title(item),
        paragraphs=paragraphs,
        byline=first_text(item.get("by") or item.get("byline") or item.get("author")),
        source_name=first_text(item.get("source") or item.get("copyrightholder") or item.get("sitename")),
        url=first_text(item.get("url") or item.get("link") or item.get("uri")),
        published_text=first_text(
            item.get("published")
            or item.get("published_at")
            or item.get("date")
            or item.get("firstcreated")
            or item.get("versioncreated")
        ),
        dateline=dateline_from_located(item.get("located") or item.get("dateline")),
        credit=first_text(item.get("copyrightnotice") or item.get("agency") or item.get("creditline")),
    )


def _json_title(item: dict[str, Any]) -> str | None:
    headlines = item.get("headlines")
    if isinstance(headlines, list):
        for headline in sorted(headlines, key=lambda h: h.get("role") != "main" if isinstance(h, dict) else True):
            if isinstance(headline, dict) and headline.get("value"):
                return str(headline["value"])
    return first_text(item.get("headline") or item.get("title"))


def _json_body(item: dict[str, Any]) -> list[str]:
    bodies = item.get("bodies")
    if isinstance(bodies, list):
        texts = [b for b in bodies if isinstance(b, dict) and b.get("value")]
        plain = [b for b in texts if "html" not in str(b.get("contenttype", b.get("contentType", "")))]
        for body in plain or texts:
            value = str(body["value"])
            return html_paragraphs(value) if value.lstrip().startswith("<") else text_paragraphs(value)
    if item.get("body_text") or isinstance(item.get("body"), str):
        return text_paragraphs(str(item.get("body_text") or item["body"]))
    html = item.get("body_xhtml") or item.get("body_html")
    return html_paragraphs(str(html)) if html else []
