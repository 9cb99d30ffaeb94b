"""XML deliveries: RSS 2.0 and Atom feeds, NewsML-G2 news items and NITF documents."""

from __future__ import annotations

from lxml import etree

from services.enrich.steps.extract.article import MAX_ARTICLES_PER_DOCUMENT, ExtractedArticle, ExtractionError
from services.enrich.steps.extract.fields import dateline_from_located, first_text, html_paragraphs, structured
from services.enrich.steps.extract.rules import WHITESPACE


def from_xml(content: str) -> list[ExtractedArticle]:
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content.lstrip().encode("utf-8"), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ExtractionError(f"unparseable XML: {exc}", reason="invalid_xml") from exc
    if root is None:
        raise ExtractionError("unparseable XML", reason="invalid_xml")
    name = etree.QName(root).localname.lower()
    if name in ("rss", "rdf", "feed"):
        return _from_feed(root)
    return _from_newsml(root)


def _local(root: etree._Element, *names: str) -> list[etree._Element]:
    wanted = " or ".join(f"local-name()='{n}'" for n in names)
    return root.xpath(f".//*[{wanted}]")


_MEDIA_NAMESPACES = frozenset({"http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss"})


def _child_text(element: etree._Element, *names: str) -> str | None:
    for name in names:
        found = element.xpath(f"./*[local-name()='{name}']")
        for node in found:
            if etree.QName(node).namespace in _MEDIA_NAMESPACES:
                continue  # <media:content> is a picture with its credit, not the article's content
            text = node.get("href") if name == "link" and node.get("href") else "".join(node.itertext())
            if text and text.strip():
                return text.strip()
    return None


def _from_feed(root: etree._Element) -> list[ExtractedArticle]:
    channel_title = None
    channel = root.xpath("./*[local-name()='channel']")
    channel_title = _child_text(channel[0] if channel else root, "title")
    articles = []
    entries = _local(root, "item", "entry")
    if len(entries) > MAX_ARTICLES_PER_DOCUMENT:  # refuse before paying for thousands of items
        raise ExtractionError(
            f"{len(entries)} feed items, the limit is {MAX_ARTICLES_PER_DOCUMENT}; split the feed",
            reason="too_many_articles",
        )
    for entry in entries:
        body_html = _child_text(entry, "encoded", "content") or _child_text(entry, "description", "summary") or ""
        paragraphs = html_paragraphs(body_html) if body_html else []
        if not paragraphs:
            continue
        articles.append(
            structured(
                title=_child_text(entry, "title"),
                paragraphs=paragraphs,
                byline=_child_text(entry, "creator", "author"),
                source_name=channel_title,
                url=_child_text(entry, "link", "guid", "id"),
                published_text=_child_text(entry, "pubDate", "published", "updated", "date"),
            )
        )
    return articles


def _from_newsml(root: etree._Element) -> list[ExtractedArticle]:
    """NewsML-G2 news items and NITF documents: headline, byline, dateline and body paragraphs."""
    articles = []
    holders = _local(root, "newsItem", "NewsItem") or _local(root, "nitf") or [root]
    for holder in holders:
        bodies = _local(holder, "body.content") or _local(holder, "inlineXML")
        paragraphs = [WHITESPACE.sub(" ", "".join(p.itertext())).strip() for body in bodies for p in _local(body, "p")]
        paragraphs = [p for p in paragraphs if p]
        if not paragraphs:
            continue
        headline = _local(holder, "headline", "hl1", "HeadLine")
        byline = _local(holder, "by", "byline")
        dateline = _local(holder, "dateline", "located", "DateLine")
        dates = _local(holder, "firstCreated", "versionCreated", "date.issue", "FirstCreated")
        articles.append(
            structured(
                title=" ".join("".join(headline[0].itertext()).split()) if headline else None,
                paragraphs=paragraphs,
                byline=" ".join("".join(byline[0].itertext()).split()) if byline else None,
                dateline=dateline_from_located(" ".join("".join(dateline[0].itertext()).split()) or None)
                if dateline
                else None,
                published_text=(dates[0].text or dates[0].get("norm")) if dates else None,
                credit=first_text(
                    [n.text for n in _local(holder, "creditline", "copyrightHolder") if n.text]
                    + [p.get("FormalName") for p in holder.xpath(".//*[local-name()='Provider']/*[@FormalName]")]
                ),
            )
        )
    return articles
