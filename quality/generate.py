"""Our own clean articles (``corpus.yaml``) rendered into the kinds of pages wire feeds deliver.

Every rendering adds what real pages carry -- navigation, cookie banners, bylines, datelines, agency credits,
comment and related-article blocks, link lists, dates in many formats -- and keeps the clean fields, so each
case carries its expected articles by construction.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).resolve().parent / "corpus.yaml"
DELIVERED_AT = datetime(2025, 8, 20, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Expected:
    title: str | None
    title_derived: bool
    body: str
    published: datetime | None
    date_only: bool
    dateline: str | None
    source_name: str | None
    source_agency: str | None


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    content: str
    content_type: str
    expected: tuple[Expected, ...]
    delivered_at: datetime = DELIVERED_AT


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    articles: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))["articles"]
    for article in articles:
        if article.get("published"):
            article["published"] = datetime.fromisoformat(str(article["published"]).replace("Z", "+00:00"))
    return articles


def _zone(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


# (label, render(datetime) -> text, date_only) -- the shapes seen in the seeds and on real sites.
DATE_FORMATS: list[tuple[str, Callable[[datetime], str], bool]] = [
    ("kst", lambda d: d.astimezone(_zone(9)).strftime("%Y/%m/%d %H:%M") + " KST", False),
    (
        "us-jst",
        lambda d: (
            lambda j: f"{j:%B} {j.day}, {j.year} {j.hour % 12 or 12}:{j:%M} {'a.m.' if j.hour < 12 else 'p.m.'} JST"
        )(d.astimezone(_zone(9))),
        False,
    ),
    ("weekday-minute", lambda d: f"{d:%A}, {d.day} {d:%B}, {d.year} - {d:%H:%M}", False),
    ("cet-pipe", lambda d: d.astimezone(_zone(1)).strftime("%d/%m/%Y %H:%M") + " CET | World | 3 min read", False),
    ("iso", lambda d: f"Published: {d:%Y-%m-%dT%H:%M:%SZ}", False),
    ("rfc822", lambda d: format_datetime(d.astimezone(_zone(2))), False),
]
DAY_FORMAT = ("day", lambda d: f"date {d:%Y-%m-%d}", True)

HEADER_JUNK = [
    ["Home > World > Asia", "Font size A- A+ Print Share"],
    ["We value your privacy. We use cookies to store information on your device. [Accept all]"],
    ["Newsletter Signup Register / Login", "Take our user survey and make your voice heard."],
    ["Advertisement"],
]
FOOTER_JUNK = [
    ["Comments", "No comments yet...", "Related Articles", "Login to comment"],
    [
        "Related news",
        "Port handles record volume",
        "Prices of fish rise again",
        "Ministers meet in the capital",
        "Weather warning for the coast",
    ],
    ["Share this:", "Tags: world, economy", "Most read", "Markets close higher on Friday"],
    ["Sign up for our newsletter", "Read more:", "Click here to subscribe"],
]
CREDIT_STYLES = ["©", "line", "paren"]


def _dateline_title(city: str) -> str:
    return " ".join(part.capitalize() for part in city.split())


def _expected(article: dict[str, Any], body: list[str], *, published: bool = True, name: str | None = None) -> Expected:
    return Expected(
        title=article["title"],
        title_derived=False,
        body="\n\n".join(body),
        published=article["published"] if published else None,
        date_only=bool(article.get("date_only")),
        dateline=_dateline_title(article["dateline"]) if article["dateline"] else None,
        source_name=name if name is not None else article["publisher"],
        source_agency=article["agency"],
    )


def _date_text(article: dict[str, Any], n: int) -> str | None:
    if article["published"] is None:
        return None
    _, render, _ = DAY_FORMAT if article.get("date_only") else DATE_FORMATS[n % len(DATE_FORMATS)]
    return render(article["published"])


def _agency_short(agency: str) -> str:
    return {"Associated Press": "AP", "Anadolu Agency": "AA"}.get(agency, agency)


def render_text(article: dict[str, Any], n: int) -> Case:
    """A page copied as plain text: header junk, title, byline, date, DATELINE, body, credit, footer junk."""
    lines: list[str] = [*HEADER_JUNK[n % len(HEADER_JUNK)], "", article["title"]]
    if article["byline"]:
        lines.append(f"By {article['byline']}")
    date = _date_text(article, n)
    if date:
        lines.append(date)
    lines += ["", article["dateline"], ""]
    paragraphs = list(article["paragraphs"])
    lines += [f"{p}\n" for p in paragraphs]
    agency = article["agency"]
    style = CREDIT_STYLES[n % len(CREDIT_STYLES)]
    if agency and style == "©":
        lines[-1] = lines[-1].rstrip("\n") + f" © {agency.upper()}\n"
    elif agency and style == "paren":
        lines[-1] = lines[-1].rstrip("\n") + f" ({_agency_short(agency)})\n"
    elif agency:
        lines.append(f"© {agency} {article['published'].year if article['published'] else 2025}. All rights reserved.")
    lines += ["", *FOOTER_JUNK[n % len(FOOTER_JUNK)], "", f"© 2025 {article['publisher']}"]
    return Case(
        name=f"text/{article['slug']}",
        kind="text",
        content="\n".join(lines) + "\n",
        content_type="text/plain",
        expected=(_expected(article, paragraphs),),
    )


def _inline(article: dict[str, Any]) -> list[str]:
    """The paragraphs with the wire dateline opening the first: "BUSAN (Yonhap) -- Dockworkers ..."."""
    paragraphs = list(article["paragraphs"])
    credit = f" ({_agency_short(article['agency'])})" if article["agency"] else ""
    paragraphs[0] = f"{article['dateline']}{credit} -- {paragraphs[0]}"
    return paragraphs


def render_html(article: dict[str, Any], n: int) -> Case:
    paragraphs = _inline(article)
    published = article["published"]
    meta = f'<meta property="article:published_time" content="{published:%Y-%m-%dT%H:%M:%SZ}">' if published else ""
    byline = f'<p class="byline">By {html.escape(article["byline"])}</p>' if article["byline"] else ""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    related = "".join(f'<li><a href="/n/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(FOOTER_JUNK[1][1:]))
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(article['title'])} | {html.escape(article['publisher'])}</title>"
        f'<meta property="og:site_name" content="{html.escape(article["publisher"])}">{meta}</head><body>'
        '<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a></nav>'
        '<div class="cookie">We value your privacy. We use cookies.</div></header>'
        f"<main><article><h1>{html.escape(article['title'])}</h1>{byline}{body}</article>"
        f"<aside><h2>Related stories</h2><ul>{related}</ul></aside></main>"
        f"<footer><p>Subscribe to our newsletter</p><p>© 2025 {html.escape(article['publisher'])}</p></footer>"
        "</body></html>"
    )
    return Case(
        name=f"html/{article['slug']}",
        kind="html",
        content=page,
        content_type="text/html",
        expected=(_expected(article, paragraphs),),
    )


def render_ninjs(article: dict[str, Any], n: int) -> Case:
    paragraphs = _inline(article)
    item: dict[str, Any] = {
        "uri": f"urn:dateline:quality:{article['slug']}",
        "type": "text",
        "headlines": [{"role": "main", "value": article["title"]}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "\n\n".join(paragraphs)}],
        "located": article["dateline"],
        "copyrightholder": article["publisher"],
    }
    if article["agency"]:
        item["copyrightnotice"] = f"(c) 2025 {article['agency']}"
    if article["byline"]:
        item["by"] = article["byline"]
    if article["published"]:
        item["versioncreated"] = f"{article['published']:%Y-%m-%dT%H:%M:%SZ}"
    return Case(
        name=f"ninjs/{article['slug']}",
        kind="json",
        content=json.dumps(item, ensure_ascii=False, indent=2),
        content_type="application/json",
        expected=(_expected(article, paragraphs),),
    )


def render_rss(articles: list[dict[str, Any]]) -> Case:
    """One aggregator feed carrying every article: the channel is the publisher, the text credits the agency."""
    items = []
    for article in articles:
        paragraphs = _inline(article)
        description = html.escape("".join(f"<p>{html.escape(p)}</p>" for p in paragraphs))
        date = f"<pubDate>{format_datetime(article['published'])}</pubDate>" if article["published"] else ""
        creator = f"<dc:creator>{html.escape(article['byline'])}</dc:creator>" if article["byline"] else ""
        items.append(
            f"<item><title>{html.escape(article['title'])}</title>"
            f"<link>https://wire.example.org/{article['slug']}</link>"
            f"<description>{description}</description>{date}{creator}</item>"
        )
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>World Wire Digest</title><link>https://wire.example.org/</link>"
        f"<description>Wire stories</description>{''.join(items)}</channel></rss>"
    )
    expected = tuple(replace_date_only(_expected(a, _inline(a), name="World Wire Digest"), a) for a in articles)
    return Case(
        name="rss/world-wire-digest", kind="rss", content=feed, content_type="application/rss+xml", expected=expected
    )


def replace_date_only(expected: Expected, article: dict[str, Any]) -> Expected:
    """RSS carries a full timestamp even for stories our corpus dates by day only."""
    return Expected(**{**expected.__dict__, "date_only": False}) if article.get("date_only") else expected


def render_teaser_page(articles: list[dict[str, Any]], n: int) -> Case:
    """A Japan-Today-style page: a lead story, then teaser blocks "<site> / <n> minutes ago / - <site>"."""
    lead, *teasers = articles
    site = "Japan Today"
    lines = [lead["title"], *lead["paragraphs"], "", "Try Our AI Features", "Comments", "Related Articles", ""]
    expected = [
        Expected(
            title=lead["title"],
            title_derived=False,
            body="\n\n".join(lead["paragraphs"]),
            published=None,
            date_only=False,
            dateline=None,
            source_name=None,
            source_agency=None,
        )
    ]
    for k, article in enumerate(teasers):
        minutes = 12 + 15 * k + n
        credit = f" © {article['agency'].upper()}" if article["agency"] else ""
        lines += ["", site, f"{minutes} minutes ago", f"- {site}", article["title"]]
        lines.append(" ".join(article["paragraphs"]) + credit)
        expected.append(
            Expected(
                title=article["title"],
                title_derived=False,
                body=" ".join(article["paragraphs"]),
                published=DELIVERED_AT - timedelta(minutes=minutes),
                date_only=False,
                dateline=None,
                source_name=site,
                source_agency=article["agency"],
            )
        )
    return Case(
        name=f"teasers/{lead['slug']}",
        kind="text-multi",
        content="\n".join(lines) + "\n",
        content_type="text/plain",
        expected=tuple(expected),
    )


def generated_cases(corpus: list[dict[str, Any]] | None = None) -> Iterator[Case]:
    """Every rendering of every corpus article, one feed of them all, and multi-article teaser pages."""
    articles = corpus if corpus is not None else load_corpus()
    for n, article in enumerate(articles):
        yield render_text(article, n)
        yield render_html(article, n)
        yield render_ninjs(article, n)
    yield render_rss(articles)
    for n in range(0, len(articles) - 2, 3):
        yield render_teaser_page(articles[n : n + 3], n)
