"""Articles out of whatever was delivered: scraped text, HTML, ninjs/simple JSON, RSS/Atom.

HTML goes through trafilatura, JSON and feeds are read field by field. Scraped *plain text* gets our own splitter:
no library handles it, because the markup that boilerplate detectors rely on (tags, link density, DOM position)
is gone by the time a page has been copied as text. What is left are line-level cues, which the rules below use:

- one page can carry several articles: a teaser block starts with ``<source>`` / ``<date>`` / ``- <source>``;
- boilerplate is recognised by line patterns (``BOILERPLATE``), and some lines end the article (``TERMINATORS``);
- runs of short lines without sentence punctuation are link lists ("GaijinPot Blog", "Savvy Tokyo", ...);
- a line of capitals only ("ISTANBUL") is the dateline, which we return in title case ("Istanbul");
- copyright and credit lines name the wire agency (``data/agencies.json``) and are not body text.

The patterns are data: extend the lists, not the code.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from services.enrich.steps.countries import has_article, is_place
from services.enrich.steps.wire import (
    Dateline,
    is_furniture,
    is_table_row,
    logical_lines,
    parse_dateline,
    parse_dateline_line,
    sign_off_agency,
    title_case,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


class ExtractionError(ValueError):
    """The delivered content is empty or unusable; the message says why, ``reason`` is the DLQ's short code."""

    def __init__(self, message: str, *, reason: str = "extraction_failed") -> None:
        super().__init__(message)
        self.reason = reason


# Bounds that keep one delivery from stalling the worker or eating its memory. Ingest rejects larger files
# already (DATELINE_MAX_ARTICLE_BYTES, 5 MiB); these hold whatever reaches the topic another way.
MAX_CONTENT_CHARS = 8_000_000
MAX_ARTICLES_PER_DOCUMENT = 1_000


@dataclass(frozen=True)
class ExtractedArticle:
    """One article found in a delivered document. ``dateline`` is the city in title case ("Tokyo")."""

    title: str | None
    title_derived: bool
    body: str
    byline: str | None
    dateline: str | None
    source_name: str | None
    source_agency: str | None
    url: str | None
    published_text: str | None
    item: int


# Lines that are never article text, wherever they occur (matched against the stripped line, case-insensitive).
BOILERPLATE: tuple[str, ...] = (
    r"try our ai features",
    r"explore what .{1,40} can do for you:?",
    r"\d* ?comments?",
    r"no comments? yet\.*",
    r"no comment",
    r"be the first to comment",
    r"login to (?:leave a )?comment",
    r"(?:newsletter signup|sign up for our newsletter).*",
    r"register ?/ ?login",
    r"take our (?:\w+ )?survey.*",
    r"get the .{1,40} app\b.*",
    r"latest in [\w ]{1,30}",
    r"facebook users",
    r"facebook connect",
    r"use your facebook account.*",
    r"login with your .{1,40} account",
    r"forgot password\??",
    r"user registration",
    r"join now",
    r"join the giveaway.*",
    r".{0,60}\bgiveaway",
    r"articles, offers & useful resources",
    r"a mix of what's trending on our other sites",
    r"(?:file )?photo:.*",
    r".*\b(?:image|photo|picture|photograph): [\w .]+(?:/[\w .]+)*",
    r"wikimedia commons",
    r"(?:getty images|afp via getty images)",
    r"advertisement",
    r"share (?:this|on) .{0,30}",
    r"read more:?",
    r"related: .{1,200}",
    r"continue reading\W*",
    r"click here.*",
    r"we value your privacy.*",
    r"cookie notice:.*",
    r"cookies help us.*",
    r".*\b(?:use of cookies|we use cookies)\b.*",
    r"sign up for .{0,60}newsletter.*",
    r".*\bin your inbox\b.*",
    r"\[ ?[\w ]{1,20} ?\]",
    r"share this:?.*",
    r"tags?:.*",
    r"email address:.*",
    r"(?:[\w ]{1,30} > )+[\w ]{1,30}",
    r"font size.*",
    r"\d+ min(?:ute)?s? read",
    r"suscr[ií]bete.*",
    r"recibe cada ma[ñn]ana.*",
)

# Lines after which the rest of the segment is page furniture, not article text.
TERMINATORS: tuple[str, ...] = (
    r"try our ai features",
    r"related articles",
    r"comments",
    r"no comments? yet\.*",
    r"login to comment",
    r"articles, offers & useful resources",
    r"related (?:news|stories|coverage)",
    r"most (?:read|popular|viewed)",
    r"subscribe to (?:our|the) newsletter",
    r"(?:noticias|art[ií]culos) relacionad[oa]s",
    r"suscr[ií]bete a nuestro bolet[ií]n",
)

# Notices that credit an agency and are themselves boilerplate: (pattern, canonical agency).
AGENCY_NOTICES: tuple[tuple[str, str], ...] = (
    (r"anadolu agency website contains only a portion of the news stories.*", "Anadolu Agency"),
)

# Sites whose names fill "trending on our other sites" link lists.
LINK_LIST_SOURCES: tuple[str, ...] = (r"gaijinpot(?: blog| travel| jobs)?", r"savvy tokyo", r"lifestyle")

_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|"
    "september|october|november|december"
)
_DATE_LINE = re.compile(
    r"^(?:date\s+|published:?\s+|posted:?\s+|updated:?\s+)?(?:"
    r"\d+\s+(?:seconds?|mins?|minutes?|hours?|hrs?|days?|weeks?)\s+ago"
    r"|just now|yesterday"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?(?:\s*(?:[A-Z]{2,5}|Z|[+-]\d{2}:?\d{2}))?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?)?(?:\s*(?:[A-Z]{2,5}|[+-]\d{2}:?\d{2}))?"
    r"|(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
    r"(?:\s*(?:-|–|,|at)?\s*\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*(?:[A-Z]{2,5}|[+-]\d{2}:?\d{2}))?)?"
    r")$",
    re.IGNORECASE,
)
_LEADING_DATE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)
_BYLINE = re.compile(r"^[Bb]y\s+(?P<name>[\w.'\-]+(?:\s+(?:[\w.'\-]+|&)){0,5}?)(?:,\s*(?P<rest>.{1,60}))?$")
_PHOTO_CREDIT = re.compile(r"^(?:file )?(?:photo|image|picture|photograph)\s*:\s*(?P<credit>.+)$", re.IGNORECASE)
_COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyrights?\s*(?:\(c\)|©)?)\s*(?P<holder>.*?)\s*$", re.IGNORECASE)
_TRAILING_CREDIT = re.compile(
    r"\s*(?:\(\s*©\s*(?P<pcopy>[A-Za-z][\w .&\-]{1,30})\)"
    r"|©\s*(?P<copy>[A-Za-z][\w .&\-]{1,40}?)\.?|\((?P<paren>[A-Za-z][\w .&\-]{1,30})\)"
    r"|(?<=[.!?\"”])\s+(?P<bare>[A-Z][A-Za-z]{1,10}))\s*$"
)
_SENTENCE_END = re.compile(r"[.!?…\"”’)]$")
_FIGURE = re.compile(r"\d")
_PAIRING = re.compile(r"\S (?:at|v|vs\.?|versus|-) \S")
_WHITESPACE = re.compile(r"[ \t\u00a0]+")
_ATTRIBUTION = re.compile(r"^(?:according to|citing|as reported by) [^,]{2,80}, ", re.IGNORECASE)
_TEASER_DASH = re.compile(r"^-\s+(?P<source>.+)$")
# A name alone on a line: "Nadim Ladki", "Jane M. Doe".
_NAME_LINE = re.compile(r"[A-Z][a-z'\-]+(?: [A-Z]\.)?(?: (?:[A-Z][a-z'\-]+|[A-Z]\.)){1,2}")

_boilerplate = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE), re.IGNORECASE)
_terminator = re.compile("|".join(f"(?:{p})" for p in TERMINATORS), re.IGNORECASE)
_link_list_source = re.compile("|".join(f"(?:{p})" for p in LINK_LIST_SOURCES), re.IGNORECASE)
_notices = [(re.compile(p, re.IGNORECASE), agency) for p, agency in AGENCY_NOTICES]

# A title longer than this is not a headline but a lead sentence.
_MAX_TITLE_CHARS = 200
_DERIVED_TITLE_CHARS = 110
# The dateline comes within this many lines of the top: headline, byline, a slug or a date before it.
_HEADER_LINES = 5
# This many short non-sentence lines in a row make a link list.
_LINK_LIST_RUN = 4


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
        articles = _from_plain_text(content)
    elif kind in ("text/html", "application/xhtml+xml"):
        articles = _from_html(content)
    elif kind == "application/json":
        articles = _from_json(content)
    elif kind in ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml"):
        articles = _from_xml(content)
    else:
        raise ExtractionError(f"unsupported content type {content_type!r}", reason="unsupported_content_type")
    if len(articles) > MAX_ARTICLES_PER_DOCUMENT:
        raise ExtractionError(
            f"{len(articles)} articles in one document, the limit is {MAX_ARTICLES_PER_DOCUMENT}; split the feed",
            reason="too_many_articles",
        )
    return [replace(article, item=position) for position, article in enumerate(articles)]


# --- plain text -------------------------------------------------------------------------------------------------


def _from_plain_text(content: str) -> list[ExtractedArticle]:
    lines = logical_lines(content)
    articles = []
    for source_name, published, segment in _segments(lines):
        article = _parse_segment(segment, source_name=source_name, published_text=published)
        if article is not None:
            articles.append(article)
    return articles


def _segments(lines: list[str]) -> Iterator[tuple[str | None, str | None, list[str]]]:
    """Splits a page at teaser blocks: ``<source>`` / ``<date>`` / ``- <source>`` on consecutive non-blank lines."""
    starts: list[tuple[int, str, str]] = []
    for i in range(len(lines) - 2):
        match = _TEASER_DASH.match(lines[i + 2])
        if match and lines[i] == match["source"] and _is_date_line(lines[i + 1]):
            starts.append((i, lines[i], lines[i + 1]))
    if not starts:
        yield None, None, lines
        return
    yield None, None, lines[: starts[0][0]]
    for n, (start, source, published) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        yield source, published, lines[start + 3 : end]


def _parse_segment(lines: list[str], *, source_name: str | None, published_text: str | None) -> ExtractedArticle | None:
    title: str | None = None
    dateline = byline = agency = None
    dateline_date: str | None = None
    teaser = source_name is not None
    paragraphs: list[str] = []
    in_footer = False  # after a terminator only dates and credits are still read
    photo_credits: set[str] = set()
    present = [line for line in lines if line]
    # Where the story opens with its dateline, if it does within the header lines.
    header_end = next((i for i, line in enumerate(present[:_HEADER_LINES]) if _opens_with_dateline(line)), None)
    for index, line in enumerate(present):
        if in_footer:
            footer_credit = _COPYRIGHT.match(line)
            if _is_date_line(line):
                published_text = published_text or line
            elif footer_credit:
                holder = _clean_holder(footer_credit["holder"])
                agency = agency or _canonical_agency(holder)
                if source_name is None and holder and not _canonical_agency(holder):
                    source_name = holder
            continue
        leading = _LEADING_DATE.match(line)
        if leading:
            published_text = published_text or leading[1]
            line = line[leading.end() :].strip()
            if not line:
                continue
        if is_furniture(line):
            continue
        notice = _notice_agency(line)
        if notice:  # "<agency> website contains ...": the page is the agency's own site
            agency = agency or notice
            source_name = source_name or notice
            continue
        if _terminator.fullmatch(line) and (paragraphs or title):
            in_footer = True
            continue
        copyright_match = _COPYRIGHT.match(line)
        if copyright_match:
            holder = _clean_holder(copyright_match["holder"])
            known = _canonical_agency(holder)
            if known:
                agency = agency or known
            elif holder and paragraphs and source_name is None:
                source_name = holder
            if paragraphs:
                in_footer = True  # the credit closes the article; what follows is the site's footer
            continue
        photo = _PHOTO_CREDIT.match(line)
        if photo:
            photo_credits.add(photo["credit"].strip())
            continue
        if line in photo_credits or _boilerplate.fullmatch(line):
            continue
        dated = next((part for part in line.split(" | ") if _is_date_line(part)), None)
        if dated:  # "Monday, August 18, 2025 at 06:05 UTC | Defence | 4 min read"
            published_text = published_text or dated
            continue
        if paragraphs and _sign_off(line):  # "Reuter", "-- AFP": the copy ends with its agency's name
            agency = agency or _sign_off(line)
            continue
        if len(paragraphs) <= 1 and _agency_line(line):
            agency = agency or _agency_line(line)
            continue
        if header_end is not None and index < header_end and not paragraphs and dateline is None:
            if title is None:
                title = line  # whatever stands first above the dateline is the headline, whatever its punctuation
                continue
            if byline is None and index == header_end - 1 and _NAME_LINE.fullmatch(line):
                byline = line  # "Nadim Ladki" alone between the headline and the dateline
                continue
        if not paragraphs and title is None and dateline is None and _is_caps_headline(line):
            title = line
            continue
        # Header lines may include a deck/standfirst, so the dateline can follow one paragraph.
        standalone = _dateline_line(line) if len(paragraphs) <= 1 and dateline is None else None
        if standalone is not None:
            dateline, dateline_date = standalone.place, standalone.date_text
            agency = agency or _canonical_agency(standalone.agency or "")
            if standalone.date_text is None:
                continue  # a page's place label ("ISTANBUL"); a wire's dated dateline line is part of its copy
        byline_match = _BYLINE.match(line) if len(line.split()) <= 10 and not _is_sentence(line) else None
        if byline_match and len(paragraphs) <= 1:
            byline = byline_match["name"]
            known = _canonical_agency(byline_match["rest"] or "")
            agency = agency or known
            continue
        # In a teaser block the line after "- <source>" is the headline, whatever its punctuation.
        if not paragraphs and title is None and dateline is None and (_is_title(line) or teaser):
            title = line
            continue
        if not paragraphs and not _is_sentence(line) and len(line.split()) < 3 and not is_table_row(line):
            continue  # section labels ("politics") and credits above the body
        paragraphs.append(line)

    if paragraphs and dateline is None:
        inline = parse_dateline(paragraphs[0])
        if inline:
            dateline, dateline_date = inline.place, inline.date_text
            agency = agency or _canonical_agency(inline.agency or "")
    # Dated agency copy carries no site navigation: its lists are fixtures, fact boxes and results.
    if dateline_date is None:
        paragraphs = _drop_link_lists(paragraphs)
    if paragraphs:
        paragraphs[-1], credit = _strip_trailing_credit(paragraphs[-1])
        agency = agency or credit
        paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return None
    title_derived = False
    if title is None:
        title, title_derived = _derive_title(paragraphs[0]), True
    return ExtractedArticle(
        title=title,
        title_derived=title_derived,
        body=_join_paragraphs(paragraphs),
        byline=byline,
        dateline=dateline,
        source_name=source_name,
        source_agency=agency,
        url=None,
        published_text=published_text or dateline_date,
        item=0,
    )


def _join_paragraphs(paragraphs: list[str]) -> str:
    """Paragraphs apart by a blank line; the rows of one table stay on consecutive lines."""
    body = paragraphs[0]
    for previous, paragraph in itertools.pairwise(paragraphs):
        body += ("\n" if is_table_row(previous) and is_table_row(paragraph) else "\n\n") + paragraph
    return body


def _opens_with_dateline(line: str) -> bool:
    return bool(line) and (parse_dateline(line) is not None or _dateline_line(line) is not None)


def _dateline_line(line: str) -> Dateline | None:
    """A dateline on its own line: with a date ("LONDON 1996-08-30"), or a known place alone ("ISTANBUL")."""
    found = parse_dateline_line(line)
    if found is None:
        return None
    places = found.place.split(",")[0].split("/")
    if found.date_text is None and not all(is_place(place) or has_article(place) for place in places):
        return None
    return found


def _is_caps_headline(line: str) -> bool:
    """A headline set in capitals ("ASIAN EXPORTERS FEAR DAMAGE FROM U.S.-JAPAN RIFT"): never a body paragraph."""
    letters = [c for c in line if c.isalpha()]
    return (
        len(line.split()) >= 2
        and len(line) <= _MAX_TITLE_CHARS
        and len(letters) >= 6
        and sum(c.isupper() for c in letters) >= 0.8 * len(letters)
        and parse_dateline(line) is None
    )


def _sign_off(line: str) -> str | None:
    word = sign_off_agency(line)
    return _canonical_agency(word) if word and len(line) <= 24 else None


def _is_date_line(line: str) -> bool:
    return len(line) <= 60 and bool(_DATE_LINE.match(line.strip()))


def _agency_line(line: str) -> str | None:
    """A header line that is nothing but an agency's name ("Agencia EFE", "Reuters")."""
    if len(line.split()) > 4 or _is_sentence(line):
        return None
    agency = _canonical_agency(line)
    if agency is None:
        return None
    rest = re.sub(r"\b(?:agencia|agence|agenzia|agentur|news agency|agency)\b", "", line, flags=re.IGNORECASE)
    return agency if _canonical_agency(rest) == agency and len(rest.split()) <= 2 else None


def _is_title(line: str) -> bool:
    words = line.split()
    if len(words) < 3 or len(line) > _MAX_TITLE_CHARS or line.endswith((":", ",", ";")):
        return False
    # Headlines have no closing full stop, except one belonging to an abbreviation ("... talks in U.S.").
    return not line.endswith(".") or "." in words[-1][:-1]


def _is_sentence(line: str) -> bool:
    return bool(_SENTENCE_END.search(line))


def _drop_link_lists(paragraphs: list[str]) -> list[str]:
    """Removes runs of short, unpunctuated lines (lists of link titles) and lines naming link-list sites.

    Lists that are content stay: results and market tables (figures on many lines), lists a line introduces
    ("... on Saturday :"), and fixtures or pairings that share one shape ("United States at Netherlands").
    """
    kept: list[str] = []
    run: list[str] = []
    for paragraph in [*paragraphs, ""]:
        short = bool(paragraph) and len(paragraph.split()) <= 10 and not _is_sentence(paragraph)
        if short or (paragraph and _link_list_source.fullmatch(paragraph)):
            run.append(paragraph)
            continue
        if _is_content_list(run, introduced=bool(kept) and kept[-1].endswith(":")):
            kept.extend(run)
        run = []
        if paragraph:
            kept.append(paragraph)
    return kept


def _is_content_list(run: list[str], *, introduced: bool) -> bool:
    if any(_link_list_source.fullmatch(line) for line in run):
        return False
    if len(run) < _LINK_LIST_RUN or introduced or any(line.endswith(":") for line in run):
        return True
    with_figures = sum(1 for line in run if _FIGURE.search(line))
    pairings = sum(1 for line in run if _PAIRING.search(line))
    return with_figures >= len(run) / 3 or pairings >= len(run) / 2


def _strip_trailing_credit(paragraph: str) -> tuple[str, str | None]:
    """ "... in the negotiations. © KYODO" -> ("... in the negotiations.", "Kyodo"); "(Reuters)" likewise."""
    match = _TRAILING_CREDIT.search(paragraph)
    if not match:
        return paragraph, None
    agency = _canonical_agency(match["pcopy"] or match["copy"] or match["paren"] or match["bare"] or "")
    if agency is None:
        return paragraph, None
    return paragraph[: match.start()].rstrip(), agency


def _notice_agency(line: str) -> str | None:
    for pattern, agency in _notices:
        if pattern.fullmatch(line):
            return agency
    return None


def _clean_holder(holder: str) -> str:
    holder = re.split(r"\.\s+(?=[A-Z])", holder, maxsplit=1)[0]  # "Hanbit Newswire. Unauthorised reproduction ..."
    holder = re.sub(r"^\(c\)\s*|^©\s*", "", holder, flags=re.IGNORECASE)
    holder = re.sub(r"\b(?:19|20)\d{2}\b|\ball rights reserved\b|\s\d+$", "", holder, flags=re.IGNORECASE)
    return holder.strip(" .,-")


def _derive_title(lead: str) -> str:
    """The lead's first sentence, cut at a word boundary when it is too long for a headline."""
    sentence = re.split(r"(?<=[a-z0-9][.!?])\s+(?=[A-Z\"“])", lead, maxsplit=1)[0].rstrip(".")
    # Attribution is not news: "According to Kyodo News, X did Y" -> "X did Y".
    attribution = _ATTRIBUTION.match(sentence)
    if attribution and len(sentence) - attribution.end() > 20:
        rest = sentence[attribution.end() :]
        sentence = rest[0].upper() + rest[1:]
    if len(sentence) <= _DERIVED_TITLE_CHARS:
        return sentence
    cut = sentence[:_DERIVED_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return f"{cut}…"


@cache
def _agency_table() -> dict[str, str]:
    data = json.loads((DATA_DIR / "agencies.json").read_text(encoding="utf-8"))
    return {alias.casefold(): name for name, aliases in data["agencies"].items() for alias in [name, *aliases]}


def _canonical_agency(text: str) -> str | None:
    """The agency named by a credit ("Thomson Reuters 2024", "KYODO", "AP Photo"), or None."""
    text = _clean_holder(text)
    if not text:
        return None
    table = _agency_table()
    folded = text.casefold()
    if folded in table:
        return table[folded]
    # Longest alias first, so "Kyodo News" wins over "Kyodo"; short all-caps aliases must match exactly in case.
    for alias in sorted(table, key=len, reverse=True):
        if len(alias) <= 3:
            if re.search(rf"\b{re.escape(alias.upper())}\b", text):
                return table[alias]
        elif re.search(rf"\b{re.escape(alias)}\b", folded):
            return table[alias]
    return None


# --- HTML -------------------------------------------------------------------------------------------------------


# trafilatura's precision mode drops boilerplate best, but on some layouts (tables, 2000s markup, short pages)
# it keeps too little; below this many words its result is checked against the default mode's.
_PRECISE_ENOUGH_WORDS = 150
# The default mode's result replaces a precise one that has less than this share of its text.
_PRECISE_SHARE = 0.6


def _from_html(content: str) -> list[ExtractedArticle]:
    meta = _trafilatura_document(content)
    text = meta.get("text") or ""
    paragraphs = [p for p in (_WHITESPACE.sub(" ", line).strip() for line in text.split("\n")) if p]
    title = meta.get("title")
    if paragraphs and title and paragraphs[0] == _WHITESPACE.sub(" ", title).strip():
        paragraphs = paragraphs[1:]  # trafilatura repeats the <h1> headline as the first paragraph
    paragraphs = [p for p in paragraphs if not _is_date_line(p)]  # "Updated 10:05 a.m." stamps are not text
    if not paragraphs:
        raise ExtractionError("trafilatura found no article text in the HTML", reason="no_article")
    return [
        _structured(
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


def _structured(
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
    agency = _canonical_agency(credit) if credit else None
    if agency is None and source_name:
        agency = _canonical_agency(source_name)  # ninjs copyrightholder "dpa" is the agency itself
    if paragraphs:
        paragraphs[-1], trailing = _strip_trailing_credit(paragraphs[-1])
        agency = agency or trailing
        paragraphs = [p for p in paragraphs if p and not _notice_agency(p) and not _boilerplate.fullmatch(p)]
    # The dateline opens the first paragraph, or the second when a standfirst comes first.
    for paragraph in paragraphs[:2] if dateline is None else []:
        inline = parse_dateline(paragraph)
        if inline:
            dateline = inline.place
            agency = agency or _canonical_agency(inline.agency or "")
            published_text = published_text or inline.date_text
            break
    title = _WHITESPACE.sub(" ", title).strip() if title else None
    derived = not title and bool(paragraphs)
    return ExtractedArticle(
        title=title or (_derive_title(paragraphs[0]) if paragraphs else None),
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


def _html_paragraphs(fragment: str) -> list[str]:
    """Block-level text of an HTML fragment, one entry per paragraph."""
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _text_paragraphs(fragment)
    blocks = root.xpath(".//p|.//h2|.//h3|.//h4|.//li|.//blockquote[not(.//p)]|.//pre")
    texts = [b.text_content() for b in blocks] if blocks else [root.text_content()]
    return [p for p in (_WHITESPACE.sub(" ", t.replace("\n", " ")).strip() for t in texts) if p]


def _text_paragraphs(text: str) -> list[str]:
    chunks = re.split(r"\n\s*\n", text) if "\n\n" in text else text.split("\n")
    return [p for p in (_WHITESPACE.sub(" ", c.replace("\n", " ")).strip() for c in chunks) if p]


# --- JSON (ninjs 1.x-3.x and our simple shape) -------------------------------------------------------------------


def _from_json(content: str) -> list[ExtractedArticle]:
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
    return _structured(
        title=_json_title(item),
        paragraphs=paragraphs,
        byline=_first_text(item.get("by") or item.get("byline") or item.get("author")),
        source_name=_first_text(item.get("source") or item.get("copyrightholder") or item.get("sitename")),
        url=_first_text(item.get("url") or item.get("link") or item.get("uri")),
        published_text=_first_text(
            item.get("published")
            or item.get("published_at")
            or item.get("date")
            or item.get("firstcreated")
            or item.get("versioncreated")
        ),
        dateline=_dateline_from_located(item.get("located") or item.get("dateline")),
        credit=_first_text(item.get("copyrightnotice") or item.get("agency") or item.get("creditline")),
    )


def _json_title(item: dict[str, Any]) -> str | None:
    headlines = item.get("headlines")
    if isinstance(headlines, list):
        for headline in sorted(headlines, key=lambda h: h.get("role") != "main" if isinstance(h, dict) else True):
            if isinstance(headline, dict) and headline.get("value"):
                return str(headline["value"])
    return _first_text(item.get("headline") or item.get("title"))


def _json_body(item: dict[str, Any]) -> list[str]:
    bodies = item.get("bodies")
    if isinstance(bodies, list):
        texts = [b for b in bodies if isinstance(b, dict) and b.get("value")]
        plain = [b for b in texts if "html" not in str(b.get("contenttype", b.get("contentType", "")))]
        for body in plain or texts:
            value = str(body["value"])
            return _html_paragraphs(value) if value.lstrip().startswith("<") else _text_paragraphs(value)
    if item.get("body_text") or isinstance(item.get("body"), str):
        return _text_paragraphs(str(item.get("body_text") or item["body"]))
    html = item.get("body_xhtml") or item.get("body_html")
    return _html_paragraphs(str(html)) if html else []


def _first_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return _first_text(value.get("name") or value.get("value") or value.get("literal"))
    if isinstance(value, list) and value:
        return _first_text(value[0])
    return None


def _dateline_from_located(value: Any) -> str | None:
    text = _first_text(value)
    if not text:
        return None
    return title_case(text.split(",")[0].strip()) if text.isupper() else text.split(",")[0].strip()


# --- XML: RSS, Atom, NewsML-G2, NITF -----------------------------------------------------------------------------


def _from_xml(content: str) -> list[ExtractedArticle]:
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
        paragraphs = _html_paragraphs(body_html) if body_html else []
        if not paragraphs:
            continue
        articles.append(
            _structured(
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
        paragraphs = [_WHITESPACE.sub(" ", "".join(p.itertext())).strip() for body in bodies for p in _local(body, "p")]
        paragraphs = [p for p in paragraphs if p]
        if not paragraphs:
            continue
        headline = _local(holder, "headline", "hl1", "HeadLine")
        byline = _local(holder, "by", "byline")
        dateline = _local(holder, "dateline", "located", "DateLine")
        dates = _local(holder, "firstCreated", "versionCreated", "date.issue", "FirstCreated")
        articles.append(
            _structured(
                title=" ".join("".join(headline[0].itertext()).split()) if headline else None,
                paragraphs=paragraphs,
                byline=" ".join("".join(byline[0].itertext()).split()) if byline else None,
                dateline=_dateline_from_located(" ".join("".join(dateline[0].itertext()).split()) or None)
                if dateline
                else None,
                published_text=(dates[0].text or dates[0].get("norm")) if dates else None,
                credit=_first_text(
                    [n.text for n in _local(holder, "creditline", "copyrightHolder") if n.text]
                    + [p.get("FormalName") for p in holder.xpath(".//*[local-name()='Provider']/*[@FormalName]")]
                ),
            )
        )
    return articles
