"""Turning delivered bytes into a raw-article message, or a clear reason why not. Pure: no Kafka here."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath

from charset_normalizer import from_bytes

from schemas import ArticleIngested, Origin, SourceHint
from services.common.stage import Reason, Rejection

log = logging.getLogger(__name__)

_EXTENSION_TYPES = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
}
_WHITESPACE = re.compile(r"\s+")
# Control characters other than tab, newline, carriage return and form feed: text never has many of them.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class DecodedInput:
    text: str
    content_type: str


def decode_input(data: bytes, *, name: str, max_bytes: int) -> DecodedInput:
    """Decodes delivered bytes to text and tells what kind of document they are; raises ``Rejection``."""
    if len(data) > max_bytes:
        raise Rejection(Reason.TOO_LARGE, f"{len(data)} bytes, the limit is {max_bytes}")
    if not data.strip():
        raise Rejection(Reason.EMPTY, "no content")
    if b"\x00" in data[:65536] or len(_CONTROL_BYTES.findall(data[:65536])) > 8:
        raise Rejection(Reason.BINARY, "content has control bytes; not a text document")
    text = _decode_text(data)
    if not text.strip():
        raise Rejection(Reason.EMPTY, "no content after decoding")
    return DecodedInput(text=text, content_type=sniff_content_type(text, name=name))


def _decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    western = data.decode("cp1252", errors="replace")
    if _reads_as_western(western):
        return western
    best = from_bytes(data[:1_000_000]).best()
    if best is None or best.encoding is None:
        raise Rejection(Reason.UNDECODABLE, "not UTF-8 and no other text encoding fits")
    return data.decode(best.encoding, errors="replace")


_WESTERN_MARKS = frozenset("«»‹›–—‘’‚“”„…°€£¥§·×÷¡¿ªº")


def _reads_as_western(text: str) -> bool:
    """Windows-1252 / Latin-1, the usual encoding of a wire that is not UTF-8, read as such.

    charset-normalizer guesses from statistics and, on a short German or French wire, can settle on a Korean or
    Chinese codec. Western text decoded right has its accented letters inside words ("März", "hält"); bytes of a
    multi-byte encoding decoded as 1252 come out as runs of symbols and accented letters with no ASCII beside them.
    """
    sample = text[:200_000]
    foreign = [i for i, c in enumerate(sample) if ord(c) > 127]
    if "\ufffd" in sample or not foreign:
        return not foreign
    if any(not (sample[i].isalpha() or sample[i] in _WESTERN_MARKS) for i in foreign):
        return False
    in_words = sum(
        1
        for i in foreign
        if (i > 0 and sample[i - 1].isascii() and sample[i - 1].isalpha())
        or (i + 1 < len(sample) and sample[i + 1].isascii() and sample[i + 1].isalpha())
    )
    return in_words >= 0.7 * len(foreign)


def sniff_content_type(text: str, *, name: str = "") -> str:
    """The content type from the file extension, or from the first characters when that says nothing."""
    suffix = PurePath(name).suffix.lower()
    if suffix in _EXTENSION_TYPES:
        return _EXTENSION_TYPES[suffix]
    head = text.lstrip()[:2048].lower()
    if suffix == ".xml" or head.startswith("<?xml"):
        if "<rss" in head or "<rdf:rdf" in head:
            return "application/rss+xml"
        if "<feed" in head:
            return "application/atom+xml"
        return "application/xml"
    if head.startswith(("<!doctype html", "<html")) or ("<body" in head and head[:1] == "<"):
        return "text/html"
    if head.startswith(("{", "[")):
        return "application/json"
    return "text/plain"


def raw_article_id(text: str) -> str:
    """Same content (up to white space), same id: exact duplicates are recognised by it."""
    normalised = _WHITESPACE.sub(" ", text).strip()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]


def build_ingested(
    decoded: DecodedInput, *, uri: str, received_at: datetime, source_name: str | None = None
) -> ArticleIngested:
    """The raw-article message for one delivered document."""
    return ArticleIngested(
        id=raw_article_id(decoded.text),
        content=decoded.text,
        content_type=decoded.content_type,  # type: ignore[arg-type]
        origin=Origin(uri=uri),
        source=SourceHint(name=source_name),
        received_at=received_at,
    )


@dataclass(frozen=True)
class Delivery:
    """One delivered document: where it came from and its bytes; ``content_type`` when the sender stated it."""

    uri: str
    data: bytes
    content_type: str | None = None


def iter_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, and the files below any directory given, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            yield path


def read_deliveries(paths: Iterable[Path]) -> Iterator[Delivery]:
    for path in iter_paths(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            # An unreadable path still gets a delivery so that it is reported, not skipped.
            log.warning("cannot read file", extra={"path": str(path), "error": str(exc)})
            yield Delivery(uri=str(path), data=b"")
            continue
        yield Delivery(uri=str(path.resolve()), data=data)
