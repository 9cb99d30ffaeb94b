"""The shared finish of formats that name their fields (JSON, feeds, NewsML): credits, dateline, title."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from services.enrich.steps.extract.article import ExtractedArticle
from services.enrich.steps.extract.rules import (
    WHITESPACE,
    boilerplate,
    canonical_agency,
    derive_title,
    notice_agency,
    strip_trailing_credit,
)
from services.enrich.steps.extract.wire import (
    parse_dateline,
    title_case,
)


def structured(
    *,
    title: str | None,
    paragraphs: list[str],
    byline: str | None = None,
    source_name: str | None = None,
    url: str | None = None,
    published_text: str | None = None,
    dateline: str | None = None,
    credit: str | None = None,
) -> ExtractedArticle:
    """An article from a format that names its fields; the body still gets the credit and dateline rules."""
    agency = canonical_agency(credit) if credit else None
    if agency is None and source_name:
        agency = canonical_agency(source_name)  # ninjs copyrightholder "dpa" is the agency itself
    if paragraphs:
        paragraphs[-1], trailing = strip_trailing_credit(paragraphs[-1])
        agency = agency or trailing
        paragraphs = [p for p in paragraphs if p and not notice_agency(p) and not boilerplate.fullmatch(p)]
    # The dateline opens the first paragraph, or the second when a standfirst comes first.
    for paragraph in paragraphs[:2] if dateline is None else []:
        inline = parse_dateline(paragraph)
        if inline:
            dateline = inline.place
            agency = agency or canonical_agency(inline.agency or "")
            published_text = published_text or inline.date_text
            break
    title = WHITESPACE.sub(" ", title).strip() if title else None
    derived = not title and bool(paragraphs)
    return ExtractedArticle(
        title=title or (derive_title(paragraphs[0]) if paragraphs else None),
        title_derived=derived,
        body="\n\n".join(paragraphs),
        byline=byline.strip() if byline else None,
        dateline=dateline,
        source_name=source_name or None,
        source_agency=agency,
        url=url or None,
        published_text=published_text or None,
        item=0,
    )


def html_paragraphs(fragment: str) -> list[str]:
    """Block-level text of an HTML fragment, one entry per paragraph."""
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return text_paragraphs(fragment)
    blocks = root.xpath(".//p|.//h2|.//h3|.//h4|.//li|.//blockquote[not(.//p)]|.//pre")
    texts = [b.text_content() for b in blocks] if blocks else [root.text_content()]
    return [p for p in (WHITESPACE.sub(" ", t.replace("\n", " ")).strip() for t in texts) if p]


def text_paragraphs(text: str) -> list[str]:
    chunks = re.split(r"\n\s*\n", text) if "\n\n" in text else text.split("\n")
    return [p for p in (WHITESPACE.sub(" ", c.replace("\n", " ")).strip() for c in chunks) if p]


def first_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return first_text(value.get("name") or value.get("value") or value.get("literal"))
    if isinstance(value, list) and value:
        return first_text(value[0])
    return None


def dateline_from_located(value: Any) -> str | None:
    text = first_text(value)
    if not text:
        return None
    return title_case(text.split(",")[0].strip()) if text.isupper() else text.split(",")[0].strip()
