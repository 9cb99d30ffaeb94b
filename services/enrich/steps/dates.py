"""When an article was published, from the date string the extractor found.

Precision says how much of the returned instant the source actually stated:

- ``exact``: date, clock time and time zone (or UTC offset) were all given;
- ``minute``: date and clock time without a zone; the time is read as UTC, which may be off by the source's offset;
- ``day``: a date without a clock time; midnight UTC of that day is returned;
- ``relative``: "27 minutes ago", "yesterday": resolved against the delivery time;
- ``inferred_year``: day and month without a year (a wire dateline's "Dec 1"), midnight UTC of that day; the year
  is the latest one that puts the date no more than a day after the delivery time (the source's day may already
  have begun east of UTC). A numeric "12/01" is read whichever way (month/day or day/month) lands nearer the
  delivery time.

Nothing else is guessed: an unparseable string gives ``(None, None)``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import dateparser

# Prefixes that scraped pages put before the date itself ("date 2024-05-22", "Published: ...").
_PREFIX = re.compile(
    r"^\s*(?:date|dated|published(?:\s+on)?|posted(?:\s+on)?|updated(?:\s+on)?|last\s+updated|first\s+published)"
    r"\s*[:\-–]?\s*",
    re.IGNORECASE,
)
_RELATIVE = re.compile(r"\b(?:ago|just\s+now|yesterday|today|this\s+(?:morning|afternoon|evening))\b", re.IGNORECASE)
_CLOCK = re.compile(r"\b\d{1,2}[:.h]\d{2}\b|\b\d{1,2}\s*(?:a\.?m\.?|p\.?m\.?)(?![a-z])", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d{2}(?!\d)")
# A zone stated as an offset, "Z", or an upper-case abbreviation (KST, JST, GMT, UTC, CEST, ...).
_ZONE = re.compile(r"(?:[+-]\d{2}:?\d{2}\b|\d(?:Z)\b|\b[A-Z]{2,5}T\b|\b(?:UTC|GMT|KST|JST|Z)\b)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# NewsML 1.x and IPTC compact form: 20210516T080625+0000.
_BASIC_ISO = re.compile(r"^(\d{8}T\d{4}(?:\d{2})?)(Z|[+-]\d{4})?$")
# "02/08/2025": day first, as everywhere but the United States; month first only beside a US time zone.
_NUMERIC_DMY = re.compile(r"^\d{1,2}[/.]\d{1,2}[/.]\d{4}\b")
_US_ZONE = re.compile(r"\b(?:[ECMP][SD]T|AK[SD]T|HST)\b")
_NUMERIC_MONTH_DAY = re.compile(r"^(\d{1,2})[/.](\d{1,2})\.?$")
# How far after the delivery time a date without a year may fall.
_AHEAD = timedelta(days=1)


def resolve_published(text: str | None, delivered_at: datetime) -> tuple[datetime | None, str | None]:
    """The publication instant in UTC and its precision (see the module docstring), or ``(None, None)``.

    ``delivered_at`` anchors relative dates and missing years; a naive value is taken as UTC.
    """
    if text is None:
        return None, None
    cleaned = _PREFIX.sub("", " ".join(text.split())).strip(" ,;|-–")
    if not cleaned:
        return None, None
    base = delivered_at if delivered_at.tzinfo else delivered_at.replace(tzinfo=UTC)

    iso = _parse_iso(cleaned)
    if iso is not None:
        return iso

    if _RELATIVE.search(cleaned):
        parsed = _parse(cleaned, base)
        return (parsed, "relative") if parsed is not None else (None, None)

    if not _YEAR.search(cleaned):
        numeric = _NUMERIC_MONTH_DAY.match(cleaned)
        # dateparser picks the year from RELATIVE_BASE with PREFER_DATES_FROM=past.
        parsed = _nearest_month_day(numeric, base) if numeric else _parse(cleaned, base + _AHEAD)
        if parsed is None:
            return None, None
        return datetime.combine(parsed.date(), time(), tzinfo=UTC), "inferred_year"
    parsed = _parse(cleaned, base, day_first=bool(_NUMERIC_DMY.match(cleaned)) and not _US_ZONE.search(cleaned))
    if parsed is None:
        return None, None
    if not _CLOCK.search(cleaned):
        return datetime.combine(parsed.date(), time(), tzinfo=UTC), "day"
    return parsed, "exact" if _ZONE.search(cleaned) else "minute"


def _nearest_month_day(numeric: re.Match[str], base: datetime) -> datetime | None:
    """ "12/01" as December 1 or 12 January, whichever falls nearer before ``base`` (plus a day)."""
    first, second = int(numeric[1]), int(numeric[2])
    candidates = []
    for month, day in {(first, second), (second, first)}:
        for year in (base.year + 1, base.year, base.year - 1):
            try:
                candidate = datetime(year, month, day, tzinfo=UTC)
            except ValueError:
                break
            if candidate <= base + _AHEAD:
                candidates.append(candidate)
                break
    return min(candidates, key=lambda c: abs(base - c), default=None)


def _parse_iso(text: str) -> tuple[datetime, str] | None:
    """The fast path: ISO 8601 strings need no dateparser (which is slow to try languages and formats)."""
    if _ISO_DATE.match(text):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=UTC), "day"
        except ValueError:
            return None
    basic = _BASIC_ISO.match(text)
    if basic:
        digits = basic[1] if len(basic[1]) == 15 else basic[1] + "00"
        stamp = datetime.strptime(digits, "%Y%m%dT%H%M%S")
        if basic[2] is None:
            return stamp.replace(tzinfo=UTC), "minute"
        zone = "+0000" if basic[2] == "Z" else basic[2]
        return datetime.strptime(digits + zone, "%Y%m%dT%H%M%S%z").astimezone(UTC), "exact"
    if len(text) < 16 or text[4] != "-" or text[10] not in "T ":
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC), "minute"
    return parsed.astimezone(UTC), "exact"


def _parse(text: str, base: datetime, *, day_first: bool = False) -> datetime | None:
    settings: dict[str, object] = {
        "RELATIVE_BASE": base.astimezone(UTC).replace(tzinfo=None),
        "TIMEZONE": "UTC",  # a string without a zone is read as UTC, whatever the machine's zone
        "TO_TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
    }
    if day_first:
        settings["DATE_ORDER"] = "DMY"
    parsed = dateparser.parse(text, languages=["en"], settings=settings)
    if parsed is None:
        # Non-English pages: let dateparser detect the language (slower, so only as a fallback).
        parsed = dateparser.parse(text, settings=settings)
    return parsed.astimezone(UTC) if parsed is not None else None
