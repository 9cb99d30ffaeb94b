"""Plain text: scraped pages (one paragraph per line, teaser blocks, boilerplate) and agency wires.

- one page can carry several articles: a teaser block starts with ``<source>`` / ``<date>`` / ``- <source>``;
- hard-wrapped wire copy is first made into paragraphs and table rows (``wire.logical_lines``);
- the headline is what stands above the dateline, or a line in capitals, or the first title-like line; a
  dateline opens the first paragraph ("TOKYO, Dec 1 (Reuters) -") or stands on its own line ("ISTANBUL",
  "LONDON 1996-08-30"), and its date is the article's when nothing else states one;
- slug lines, ``(MORE)``, transmission stamps and sign-offs ("Reuter") are metadata, not body.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from services.enrich.steps.countries import has_article, is_place
from services.enrich.steps.extract.article import ExtractedArticle
from services.enrich.steps.extract.rules import (
    BYLINE,
    COPYRIGHT,
    LEADING_DATE,
    MAX_TITLE_CHARS,
    PHOTO_CREDIT,
    agency_line,
    boilerplate,
    canonical_agency,
    clean_holder,
    derive_title,
    drop_link_lists,
    is_date_line,
    is_sentence,
    is_title,
    notice_agency,
    strip_trailing_credit,
    terminator,
)
from services.enrich.steps.extract.wire import (
    Dateline,
    is_furniture,
    is_table_row,
    logical_lines,
    parse_dateline,
    parse_dateline_line,
    sign_off_agency,
)

_TEASER_DASH = re.compile(r"^-\s+(?P<source>.+)$")

# A name alone on a line: "Nadim Ladki", "Jane M. Doe".
_NAME_LINE = re.compile(r"[A-Z][a-z'\-]+(?: [A-Z]\.)?(?: (?:[A-Z][a-z'\-]+|[A-Z]\.)){1,2}")

# The dateline comes within this many lines of the top: headline, byline, a slug or a date before it.
_HEADER_LINES = 5


def from_plain_text(content: str) -> list[ExtractedArticle]:
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
        if match and lines[i] == match["source"] and is_date_line(lines[i + 1]):
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
            footer_credit = COPYRIGHT.match(line)
            if is_date_line(line):
                published_text = published_text or line
            elif footer_credit:
                holder = clean_holder(footer_credit["holder"])
                agency = agency or canonical_agency(holder)
                if source_name is None and holder and not canonical_agency(holder):
                    source_name = holder
            continue
        leading = LEADING_DATE.match(line)
        if leading:
            published_text = published_text or leading[1]
            line = line[leading.end() :].strip()
            if not line:
                continue
        if is_furniture(line):
            continue
        notice = notice_agency(line)
        if notice:  # "<agency> website contains ...": the page is the agency's own site
            agency = agency or notice
            source_name = source_name or notice
            continue
        if terminator.fullmatch(line) and (paragraphs or title):
            in_footer = True
            continue
        copyright_match = COPYRIGHT.match(line)
        if copyright_match:
            holder = clean_holder(copyright_match["holder"])
            known = canonical_agency(holder)
            if known:
                agency = agency or known
            elif holder and paragraphs and source_name is None:
                source_name = holder
            if paragraphs:
                in_footer = True  # the credit closes the article; what follows is the site's footer
            continue
        photo = PHOTO_CREDIT.match(line)
        if photo:
            photo_credits.add(photo["credit"].strip())
            continue
        if line in photo_credits or boilerplate.fullmatch(line):
            continue
        dated = next((part for part in line.split(" | ") if is_date_line(part)), None)
        if dated:  # "Monday, August 18, 2025 at 06:05 UTC | Defence | 4 min read"
            published_text = published_text or dated
            continue
        if paragraphs and _sign_off(line):  # "Reuter", "-- AFP": the copy ends with its agency's name
            agency = agency or _sign_off(line)
            continue
        if len(paragraphs) <= 1 and agency_line(line):
            agency = agency or agency_line(line)
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
            agency = agency or canonical_agency(standalone.agency or "")
            if standalone.date_text is not None:
                paragraphs.append(line)  # a wire's dated dateline line is part of its copy, like an inline one
            continue  # a page's place label ("ISTANBUL") is not
        byline_match = BYLINE.match(line) if len(line.split()) <= 10 and not is_sentence(line) else None
        if byline_match and len(paragraphs) <= 1:
            byline = byline_match["name"]
            known = canonical_agency(byline_match["rest"] or "")
            agency = agency or known
            continue
        # In a teaser block the line after "- <source>" is the headline, whatever its punctuation.
        if not paragraphs and title is None and dateline is None and (is_title(line) or teaser):
            title = line
            continue
        if not paragraphs and not is_sentence(line) and len(line.split()) < 3 and not is_table_row(line):
            continue  # section labels ("politics") and credits above the body
        paragraphs.append(line)

    if paragraphs and dateline is None:
        inline = parse_dateline(paragraphs[0])
        if inline:
            dateline, dateline_date = inline.place, inline.date_text
            agency = agency or canonical_agency(inline.agency or "")
    # Dated agency copy carries no site navigation: its lists are fixtures, fact boxes and results.
    if dateline_date is None:
        paragraphs = drop_link_lists(paragraphs)
    if paragraphs:
        paragraphs[-1], credit = strip_trailing_credit(paragraphs[-1])
        agency = agency or credit
        paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return None
    title_derived = False
    if title is None:
        title, title_derived = derive_title(paragraphs[0]), True
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
        and len(line) <= MAX_TITLE_CHARS
        and len(letters) >= 6
        and sum(c.isupper() for c in letters) >= 0.8 * len(letters)
        and parse_dateline(line) is None
    )


def _sign_off(line: str) -> str | None:
    word = sign_off_agency(line)
    return canonical_agency(word) if word and len(line) <= 24 else None
