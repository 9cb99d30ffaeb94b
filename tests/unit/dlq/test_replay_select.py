"""Which dead letters ``dateline dlq replay`` picks, and why it skips the others."""

from __future__ import annotations

import base64

from schemas import ArticleRejected
from services.dlq.replay import select


def letter(stage: str, reason: str, **fields: object) -> ArticleRejected:
    base: dict[str, object] = {"error": "x", "original": "{}", "source_topic": "articles.raw"}
    return ArticleRejected(stage=stage, reason=reason, **{**base, **fields})  # type: ignore[arg-type]


def test_filters_by_stage_and_reason() -> None:
    letters = list(enumerate([letter("enrich", "no_article"), letter("index", "es_rejected"), letter("enrich", "x")]))
    chosen = select(letters, stages=["enrich"], reasons=["no_article"])
    assert [c.dlq_offset for c in chosen] == [0]
    assert len(select(letters)) == 3


def test_skips_what_was_replayed_what_has_no_topic_and_what_was_truncated() -> None:
    done = letter("index", "es_rejected", source_topic="articles.enriched")
    letters = list(
        enumerate(
            [
                done,
                letter("ingest", "too_large", source_topic=None),
                letter("enrich", "no_article", original_truncated=True),
                letter("enrich", "no_article"),
            ]
        )
    )
    skips = [c.skip for c in select(letters, replayed=frozenset({done.event_id}))]
    assert skips == ["already_replayed", "no_source_topic", "original_truncated", None]


def test_payload_is_the_original_bytes() -> None:
    binary = b"\xff\xfe\x00"
    chosen = select(
        [(0, letter("enrich", "invalid_json", original=base64.b64encode(binary).decode(), original_encoding="base64"))]
    )
    assert chosen[0].payload == binary


def test_a_replayed_payload_that_failed_again_is_not_replayed_again() -> None:
    first = letter("index", "es_rejected", source_topic="articles.enriched", original='{"id": 1}')
    again = letter("index", "es_rejected", source_topic="articles.enriched", original='{"id": 1}')
    fingerprint = select([(0, first)])[0].fingerprint
    assert [c.skip for c in select([(1, again)], replayed=frozenset({fingerprint}))] == ["already_replayed"]
