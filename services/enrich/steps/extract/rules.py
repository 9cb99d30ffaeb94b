"""Line-level rules shared by every format: boilerplate, credits and agencies, dates, titles, link lists.

- boilerplate is recognised by line patterns (``BOILERPLATE``), and some lines end the article (``TERMINATORS``);
- runs of short lines without sentence punctuation are link lists ("GaijinPot Blog", "Savvy Tokyo", ...), unless
  they are content: results tables, introduced lists, fixtures;
- copyright and credit lines name the wire agency (``data/agencies.json``) and are not body text.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

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

LEADING_DATE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)

BYLINE = re.compile(r"^[Bb]y\s+(?P<name>[\w.'\-]+(?:\s+(?:[\w.'\-]+|&)){0,5}?)(?:,\s*(?P<rest>.{1,60}))?$")

PHOTO_CREDIT = re.compile(r"^(?:file )?(?:photo|image|picture|photograph)\s*:\s*(?P<credit>.+)$", re.IGNORECASE)

COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyrights?\s*(?:\(c\)|©)?)\s*(?P<holder>.*?)\s*$", re.IGNORECASE)

_TRAILING_CREDIT = re.compile(
    r"\s*(?:\(\s*©\s*(?P<pcopy>[A-Za-z][\w .&\-]{1,30})\)"
    r"|©\s*(?P<copy>[A-Za-z][\w .&\-]{1,40}?)\.?|\((?P<paren>[A-Za-z][\w .&\-]{1,30})\)"
    r"|(?<=[.!?\"”])\s+(?P<bare>[A-Z][A-Za-z]{1,10}))\s*$"
)

_SENTENCE_END = re.compile(r"[.!?…\"”’)]$")

_FIGURE = re.compile(r"\d")

_PAIRING = re.compile(r"\S (?:at|v|vs\.?|versus|-) \S")

WHITESPACE = re.compile(r"[ \t\u00a0]+")

_ATTRIBUTION = re.compile(r"^(?:according to|citing|as reported by) [^,]{2,80}, ", re.IGNORECASE)

boilerplate = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE), re.IGNORECASE)

terminator = re.compile("|".join(f"(?:{p})" for p in TERMINATORS), re.IGNORECASE)

_link_list_source = re.compile("|".join(f"(?:{p})" for p in LINK_LIST_SOURCES), re.IGNORECASE)

_notices = [(re.compile(p, re.IGNORECASE), agency) for p, agency in AGENCY_NOTICES]

# A title longer than this is not a headline but a lead sentence.
MAX_TITLE_CHARS = 200

_DERIVED_TITLE_CHARS = 110

# This many short non-sentence lines in a row make a link list.
_LINK_LIST_RUN = 4


def is_date_line(line: str) -> bool:
    return len(line) <= 60 and bool(_DATE_LINE.match(line.strip()))


def agency_line(line: str) -> str | None:
    """A header line that is nothing but an agency's name ("Agencia EFE", "Reuters")."""
    if len(line.split()) > 4 or is_sentence(line):
        return None
    agency = canonical_agency(line)
    if agency is None:
        return None
    rest = re.sub(r"\b(?:agencia|agence|agenzia|agentur|news agency|agency)\b", "", line, flags=re.IGNORECASE)
    return agency if canonical_agency(rest) == agency and len(rest.split()) <= 2 else None


def is_title(line: str) -> bool:
    words = line.split()
    if len(words) < 3 or len(line) > MAX_TITLE_CHARS or line.endswith((":", ",", ";")):
        return False
    # Headlines have no closing full stop, except one belonging to an abbreviation ("... talks in U.S.").
    return not line.endswith(".") or "." in words[-1][:-1]


def is_sentence(line: str) -> bool:
    return bool(_SENTENCE_END.search(line))


def drop_link_lists(paragraphs: list[str]) -> list[str]:
    """Removes runs of short, unpunctuated lines (lists of link titles) and lines naming link-list sites.

    Lists that are content stay: results and market tables (figures on many lines), lists a line introduces
    ("... on Saturday :"), and fixtures or pairings that share one shape ("United States at Netherlands").
    """
    kept: list[str] = []
    run: list[str] = []
    for paragraph in [*paragraphs, ""]:
        short = bool(paragraph) and len(paragraph.split()) <= 10 and not is_sentence(paragraph)
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


def strip_trailing_credit(paragraph: str) -> tuple[str, str | None]:
    """ "... in the negotiations. © KYODO" -> ("... in the negotiations.", "Kyodo"); "(Reuters)" likewise."""
    match = _TRAILING_CREDIT.search(paragraph)
    if not match:
        return paragraph, None
    agency = canonical_agency(match["pcopy"] or match["copy"] or match["paren"] or match["bare"] or "")
    if agency is None:
        return paragraph, None
    return paragraph[: match.start()].rstrip(), agency


def notice_agency(line: str) -> str | None:
    for pattern, agency in _notices:
        if pattern.fullmatch(line):
            return agency
    return None


def clean_holder(holder: str) -> str:
    holder = re.split(r"\.\s+(?=[A-Z])", holder, maxsplit=1)[0]  # "Hanbit Newswire. Unauthorised reproduction ..."
    holder = re.sub(r"^\(c\)\s*|^©\s*", "", holder, flags=re.IGNORECASE)
    holder = re.sub(r"\b(?:19|20)\d{2}\b|\ball rights reserved\b|\s\d+$", "", holder, flags=re.IGNORECASE)
    return holder.strip(" .,-")


def derive_title(lead: str) -> str:
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


def canonical_agency(text: str) -> str | None:
    """The agency named by a credit ("Thomson Reuters 2024", "KYODO", "AP Photo"), or None."""
    text = clean_holder(text)
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
