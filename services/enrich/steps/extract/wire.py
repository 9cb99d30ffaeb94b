"""Plain-text agency copy: hard-wrapped lines made into paragraphs, datelines read, wire furniture recognised.

Agency wires (ANPA 1312 / IPTC 7901 and their descendants) reach us as plain text wrapped at 60-80 columns, with
paragraphs marked by an indent or a blank line, results tables set as lines ("agate"), a dateline that opens the
first paragraph (``TOKYO, Dec 1 (Reuters) -``) and furniture around the story: slug lines, ``(MORE)``, a
transmission stamp, a ``Reuter`` sign-off. Scraped web text looks different: one paragraph per line, of any
length. ``logical_lines`` tells the two apart by the shape of the lines and returns what the text means line by
line: a paragraph per entry, a table row per entry, ``""`` for a break.

Month names are listed per language (English, French, Spanish, Portuguese, Italian, German): extend the lists,
not the code.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

_MONTHS_BY_NUMBER: tuple[tuple[str, ...], ...] = (
    ("jan", "january", "janv", "janvier", "ene", "enero", "janeiro", "gen", "gennaio", "januar", "jän", "jänner"),
    ("feb", "february", "févr", "fevr", "février", "fevrier", "febrero", "fev", "fevereiro", "febbraio", "februar"),
    ("mar", "march", "mars", "marzo", "março", "marco", "mär", "märz", "maerz"),
    ("apr", "april", "avr", "avril", "abr", "abril", "aprile"),
    ("may", "mai", "mayo", "maio", "mag", "maggio"),
    ("jun", "june", "juin", "junio", "junho", "giu", "giugno", "juni"),
    ("jul", "july", "juil", "juillet", "julio", "julho", "lug", "luglio", "juli"),
    ("aug", "august", "août", "aout", "ago", "agosto"),
    ("sep", "sept", "september", "septembre", "septiembre", "set", "setembro", "settembre"),
    ("oct", "october", "octobre", "octubre", "out", "outubro", "ott", "ottobre", "okt", "oktober"),
    ("nov", "november", "novembre", "noviembre", "novembro"),
    ("dec", "december", "déc", "decembre", "décembre", "dic", "diciembre", "dez", "dezembro", "dicembre", "dezember"),
)
MONTH_NUMBERS: dict[str, int] = {name: n for n, names in enumerate(_MONTHS_BY_NUMBER, 1) for name in names}
_ENGLISH_MONTHS = tuple(
    "January February March April May June July August September October November December".split()  # noqa: SIM905
)

_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_MONTH = "(?i:" + "|".join(sorted((re.escape(m) for m in MONTH_NUMBERS), key=len, reverse=True)) + ")"
# A place in capitals ("HONG KONG", "ST. LOUIS", "AL-AIN") or in reading case ("Hong Kong", "Rio de Janeiro").
_CAPS_PLACE = rf"[{_UPPER}][{_UPPER}.'’\-]*(?: [{_UPPER}][{_UPPER}.'’\-]*){{0,3}}"
_PARTICLE = r"(?:de|da|do|del|des|di|du|la|le|el|al|am|an|es|upon|on|sur|im)"
_CASED_WORD = rf"[{_UPPER}][{_LOWER}'’.\-]*[{_LOWER}.]"
_CASED_PLACE = rf"{_CASED_WORD}(?:[ \-](?:{_PARTICLE} )?{_CASED_WORD}){{0,3}}"
_REGION = rf"(?!(?:{_MONTH})\.?\b)(?:[{_UPPER}][\w.'’\-]*)(?: (?!(?:{_MONTH})\.?\b)[{_UPPER}][\w.'’\-]*){{0,2}}"
_DATE = (
    rf"(?:(?:{_MONTH})\.? \d{{1,2}}(?:st|nd|rd|th)?"  # Feb 26, March 2, Dec. 1
    rf"|\d{{1,2}}(?:er)?\.? (?:{_MONTH})\.?"  # 1 déc, 29 juin, 1er janvier, 3. März
    r"|\d{4}-\d{2}-\d{2}"  # 1996-08-30
    r"|\d{1,2}[/.]\d{1,2}(?:[/.](?:\d{4}|\d{2}))?)"  # 12/01, 01.12.2026
)
_DASH = r"(?:-{1,3}|–|—|:)"
_AGENCY = r"\((?P<agency>[^()\n]{1,40})\)"


def _opening(place: str) -> str:
    return (
        rf"^(?P<place>{place}(?:\s?/\s?{place})*)"
        rf"(?:\s*,\s*(?P<region>{_REGION}))?"
        rf"(?:\s*,?\s*(?P<date>{_DATE})(?![\w/]))?"
        rf"(?:,?\s*{_AGENCY})?"
    )


_CAPS_OPENING = re.compile(_opening(_CAPS_PLACE) + rf"\s*(?P<dash>{_DASH})?\s+(?=\S)")
_CASED_OPENING = re.compile(_opening(_CASED_PLACE) + rf"\s*(?P<dash>{_DASH})\s+(?=\S)")
_CASED_LINE = re.compile(_opening(_CASED_PLACE) + rf"\s*(?:\.|{_DASH})?$")
# The dateline on a line of its own: "LONDON 1996-08-30", "ISTANBUL", "AL-AIN , United Arab Emirates 1996-12-06".
_CAPS_LINE = re.compile(_opening(_CAPS_PLACE) + rf"\s*(?:\.|{_DASH})?$")


@dataclass(frozen=True)
class Dateline:
    """A dateline: ``place`` as written (title case when set in capitals), its date and agency, where it ends."""

    place: str
    date_text: str | None
    agency: str | None
    end: int


def parse_dateline(text: str) -> Dateline | None:
    """The dateline that opens ``text`` ("TOKYO, Dec 1 (Reuters) - ..."), or None.

    A place in capitals needs a date, an agency or a dash after it; one in reading case needs a date or an agency
    and the dash, so an ordinary sentence ("Apple - the company ...") is not taken for one.
    """
    caps = _CAPS_OPENING.match(text)
    if caps and (caps["dash"] or caps["date"] or caps["agency"]) and _plausible_place(caps["place"]):
        # "CRICKET - LEICESTERSHIRE TAKE OVER AT TOP": a sports slug and a headline, not a dateline and a story.
        return None if _is_capitals(text[caps.end() : caps.end() + 60]) else _dateline(caps)
    cased = _CASED_OPENING.match(text)
    if cased and (cased["date"] or cased["agency"]):
        return _dateline(cased)
    return None


def parse_dateline_line(line: str) -> Dateline | None:
    """A line that is only a dateline in capitals ("LONDON 1996-08-30", "SEOUL"), or None."""
    match = _CAPS_LINE.match(line.strip())
    if match and len(match["place"].split()) <= 4 and _plausible_place(match["place"]):
        return _dateline(match)
    cased = _CASED_LINE.match(line.strip())  # "Toronto, Feb 26 -": in reading case only with its date
    return _dateline(cased) if cased and cased["date"] else None


def _is_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 6 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _plausible_place(place: str) -> bool:
    # "U.S." or "A" alone opens sentences and headlines more often than it names a dateline.
    letters = [c for c in place if c.isalpha()]
    return len(letters) >= 3 and not place.endswith("-")


def _dateline(match: re.Match[str]) -> Dateline:
    # As written, but a place set in capitals reads in title case: "GROSSETO, Italy" -> "Grosseto, Italy".
    place = title_case(match["place"]) if match["place"].isupper() else match["place"]
    if match["region"]:
        place += match.string[match.end("place") : match.end("region")]
    return Dateline(
        place=place,
        date_text=english_date(match["date"]) if match["date"] else None,
        agency=match["agency"].strip() if match["agency"] else None,
        end=match.end(),
    )


def english_date(text: str) -> str:
    """ "1 déc" -> "December 1", "Feb. 26" -> "February 26"; numeric and ISO dates come back as they are."""
    words = re.findall(rf"[{_LOWER}{_UPPER}]+|\d+", text)
    month = next((MONTH_NUMBERS[w.lower()] for w in words if w.lower() in MONTH_NUMBERS), None)
    day = next((w for w in words if w.isdigit()), None)
    if month is None or day is None:
        return text
    return f"{_ENGLISH_MONTHS[month - 1]} {int(day)}"


def title_case(text: str) -> str:
    """ "ROCHESTER, N.Y." -> "Rochester, N.Y.", "ISTANBUL/TOKYO" -> "Istanbul/Tokyo", "AL-AIN" -> "Al-Ain"."""

    def word(match: re.Match[str]) -> str:
        part = match[0]
        if "." in part and len(part) <= 5:
            return part  # abbreviations: N.Y., D.C., U.S.
        if match.start() > 0 and re.fullmatch(_PARTICLE, part.lower()):
            return part.lower()  # "RIO DE JANEIRO" -> "Rio de Janeiro"
        return "-".join(p[:1].upper() + p[1:].lower() for p in part.split("-"))

    return re.sub(r"[^\s/,]+", word, text)


# --- wire furniture --------------------------------------------------------------------------------------------

# Lines that are transmission furniture, never story text (matched against the whole stripped line).
_FURNITURE = re.compile(
    r"(?:\(?more\)?|\(?end\)?|-0-|#{3,}|-{3,}|={3,}|\(?(?:end|fin) (?:of )?(?:story|item|text)\)?"
    r"|\^?[abr]?\d{3,4}\s+[a-z]\s+[a-z]\s+.*"  # ANPA header "a0123 r i BC-Japan-Economy ..."
    r"|\^?(?:BC|AP|AM|PM)-[\w\-]+(?:[ ,].{0,80})?<?"  # slug line "BC-Japan-Economy,1st Ld-Writethru,650"
    r"|[A-Z]{2,4}-[A-Z]{2}-\d{2}-\d{2}-\d{2,4}\s+\d{4}\s?[A-Z]{2,4}"  # "AP-NY-12-01-26 1530EST"
    r"|\d{2}-\d{2}-\d{2,4}\s+\d{4}\s?[A-Z]{3}"  # "12-01-26 1530EST"
    r"|--?\s*[A-Z][\w.&' ]{1,40} (?:news ?desk|desk|bureau)\b[\d\-+() ,./]*\.?"  # "-- New York Newsdesk 212-859-1610"
    r")",
    re.IGNORECASE,
)
# A sign-off naming the agency that ends the copy: "Reuter", "REUTERS", "AP", "(dpa)", "-- AFP".
_SIGN_OFF = re.compile(r"(?:--?\s*)?\(?(?P<agency>[A-Za-z][A-Za-z\-]{1,20})\)?\s*\.?")


def is_furniture(line: str) -> bool:
    """Slug lines, ``(MORE)``, transmission stamps, desk sign-offs: metadata, not story text."""
    return bool(_FURNITURE.fullmatch(line.strip()))


def sign_off_agency(line: str) -> str | None:
    """The word of a sign-off line ("Reuter", "-- AFP"), for the caller to look up among the agencies."""
    match = _SIGN_OFF.fullmatch(line.strip())
    return match["agency"] if match else None


# --- hard-wrapped text ------------------------------------------------------------------------------------------

# Wires wrap at 60-80 columns; scraped paragraphs run to hundreds of characters, so a longer typical line is not a wrap.
_MAX_WRAP_WIDTH = 100
_MIN_WRAPPED_LINES = 4
_SENTENCE_END = re.compile(r"[.!?…:\"”’)]$")
_COLUMN_GAP = re.compile(r"\S(?: {2,}|\t)\S")
_NUMBER = re.compile(r"\d")


def is_table_row(raw: str) -> bool:
    """A row of agate: columns set apart by runs of spaces, or a line that is mostly figures and names.

    "Wheat   2.55   2.40       IV", "1. Jesper Ronnback ( Sweden ) 25.76 points", "Bradford 1 Tranmere 0".
    """
    text = raw.strip()
    if not text:
        return False
    if len(_COLUMN_GAP.findall(text)) >= 2:
        return True
    tokens = text.split()
    figures = sum(1 for t in tokens if _NUMBER.search(t))
    return figures >= 2 and figures / len(tokens) >= 0.25 and len(tokens) <= 16 and not _ends_sentence_run(text)


def _ends_sentence_run(text: str) -> bool:
    # Prose with figures ("Net profit rose 5.2 pct to 1.2 billion dlrs in 1986.") has many words between them.
    words = [t for t in text.split() if t.isalpha()]
    return len(words) >= 8 and text.endswith(".")


def logical_lines(content: str) -> list[str]:
    """The text's lines as it means them: one paragraph per entry, one table row per entry, "" between blocks.

    Hard-wrapped copy is joined back into paragraphs; anything else keeps its lines (one paragraph each).
    White space inside an entry is collapsed.
    """
    raw_lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rows = [is_table_row(line) for line in raw_lines]  # once per line: both passes below ask
    width = _wrap_width(raw_lines, rows)
    if width is None:
        return [_collapse(line) for line in raw_lines]
    return _reflow(raw_lines, rows, width)


def _wrap_width(lines: Sequence[str], rows: Sequence[bool]) -> int | None:
    """The column the text is wrapped at, or None when it is not hard-wrapped. ``rows[i]``: line i is a table row."""
    # Prose lines only: table rows, headings and fragments ("Baltimore/") say nothing about the wrap.
    prose = [line.rstrip() for line, row in zip(lines, rows, strict=True) if not row and len(line.split()) >= 5]
    if len(prose) < _MIN_WRAPPED_LINES:
        return None
    lengths = sorted(len(line) for line in prose)
    width = lengths[-1]  # a wrap never lets a line run past its column
    if width > _MAX_WRAP_WIDTH or width < 30:
        return None
    # Wrapped text: most lines run close to the width and many stop mid-sentence.
    near_width = sum(1 for n in lengths if n >= 0.6 * width) / len(lengths)
    mid_sentence = sum(1 for line in prose if not _SENTENCE_END.search(line)) / len(prose)
    if near_width < 0.5 or mid_sentence < 0.3 or statistics.median(lengths) < 0.5 * width:
        return None
    return width


def _reflow(lines: Sequence[str], rows: Sequence[bool], width: int) -> list[str]:
    indents = [
        len(line) - len(line.lstrip(" \t")) for line, row in zip(lines, rows, strict=True) if line.strip() and not row
    ]
    # Paragraphs marked by an indent: some lines start further in than the others (the wrapped ones).
    indented_paragraphs = bool(indents) and max(indents) >= min(indents) + 2
    margin = min(indents, default=0)
    entries: list[str] = []
    paragraph: list[str] = []

    def close() -> None:
        if paragraph:
            entries.append(_join(paragraph))
            paragraph.clear()

    previous = ""
    for raw, row in zip(lines, rows, strict=True):
        text = raw.strip()
        if not text:
            close()
            entries.append("")
            previous = ""
            continue
        if row:
            close()
            entries.append(_collapse(text))
            previous = ""
            continue
        indent = len(raw) - len(raw.lstrip(" \t"))
        # A line that stopped before the column although the next word would have fitted was ended on purpose:
        # a paragraph's last line, a headline, a byline, a list item. A wrapped line had no room left.
        ended_on_purpose = bool(previous) and len(previous) + 1 + len(text.split()[0]) <= width
        near_top = len(entries) + bool(paragraph) <= 2
        starts_paragraph = (
            (indented_paragraphs and indent >= margin + 2)
            or ended_on_purpose
            # The dateline opens the story even where the copy did not indent it.
            or (near_top and parse_dateline(text) is not None)
        )
        if starts_paragraph:
            close()
        paragraph.append(text)
        previous = raw.rstrip()
    close()
    return entries


def _join(parts: Sequence[str]) -> str:
    joined = parts[0]
    for part in parts[1:]:
        # "trade-" + "related" was a word broken at its own hyphen: keep the hyphen, drop the break.
        if re.search(r"[A-Za-z]-$", joined) and part[:1].islower():
            joined += part
        else:
            joined += " " + part
    return _collapse(joined)


_WHITESPACE = re.compile(r"[ \t\u00a0]+")


def _collapse(line: str) -> str:
    return _WHITESPACE.sub(" ", line).strip()
