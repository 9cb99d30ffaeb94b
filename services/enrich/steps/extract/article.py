"""What extraction returns, its error, and the bounds that keep one delivery from stalling a worker."""

from __future__ import annotations

from dataclasses import dataclass


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
