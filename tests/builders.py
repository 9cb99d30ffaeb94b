"""One builder of enriched-article messages for every test tier: defaults for what a test does not care about."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas import ArticleEnriched, Enrichment, Origin, Source


def enriched_article(n: int = 0, **fields: Any) -> ArticleEnriched:
    """A valid ``ArticleEnriched`` numbered ``n`` (its ids are ``n`` in hex), with ``fields`` set over the defaults."""
    defaults: dict[str, Any] = {
        "id": f"{n:032x}",
        "raw_id": f"{n:032x}",
        "story_id": f"{n:032x}",
        "source": Source(name="Test Wire"),
        "title": f"Story {n}",
        "body": f"Body of story {n}.",
        "published_at": datetime(2025, 6, 29, 12, 31, tzinfo=UTC),
        "published_at_precision": "minute",
        "received_at": datetime(2025, 7, 1, tzinfo=UTC),
        "language": "en",
        "origin": Origin(uri=f"/feed/{n}.txt"),
        "entities": [],
        "persons": [],
        "organizations": [],
        "places": [],
        "countries": [],
        "country_pairs": [],
        "topics": [],
        "enrichment": Enrichment(version="test", model="none"),
    }
    return ArticleEnriched(**{**defaults, **fields})


# One wire story and a paragraph an extended copy adds: the near-duplicates story grouping is tested on.
WIRE_STORY = (
    "Dockworkers at South Korea's largest container port returned to work on Sunday after their union accepted "
    "a pay rise of 4.8 percent, ending a three-day strike that had left dozens of ships waiting offshore. The port "
    "authority said cargo handling would be back to normal by Tuesday, although shipping lines warned that the "
    "backlog of containers could take more than a week to clear."
)
WIRE_STORY_EXTENSION = (
    " Union leaders said the agreement also covers night-shift allowances and a review of safety rules."
)
