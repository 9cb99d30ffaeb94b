"""The reconciliation itself, pure: records and index contents in, counts and the unaccounted ids out.

accepted   distinct ids of valid ``ArticleIngested`` messages on ``articles.raw``
accounted  an accepted id with at least one indexed document whose ``raw_id`` is it or that was extracted from it
           (an enriched record with that ``raw_id`` whose ``id`` is indexed), or a DLQ record naming it
           (``article_id``, or ``source_topic/partition/offset`` of one of its raw records), or a DLQ record of
           stage ``index`` for an enriched article made from it
enriched   distinct ids on ``articles.enriched``; each must be indexed or have a DLQ record of stage ``index``
lost       accepted ids not accounted, enriched ids neither indexed nor dead-lettered, and poison raw records
           (not valid messages) without a DLQ record
duplicated ids held by more than one document across the alias's indices
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Offset = tuple[str, int, int]  # topic, partition, offset


@dataclass(frozen=True)
class TopicRecord:
    """One record of a topic as the audit needs it: where it is and, when it is a valid message, its id."""

    topic: str
    partition: int
    offset: int
    article_id: str | None  # None: not a valid message of the topic's kind (poison)
    raw_id: str | None = None  # enriched records: the raw article they came from

    @property
    def where(self) -> Offset:
        return (self.topic, self.partition, self.offset)


@dataclass(frozen=True)
class DeadLetter:
    """The fields of an ``ArticleRejected`` record that say what it accounts for."""

    stage: str
    reason: str
    article_id: str | None
    source: Offset | None


@dataclass(frozen=True)
class IndexedDocs:
    """Per document id, how many documents hold it; and the raw ids the documents came from."""

    id_counts: Mapping[str, int]
    raw_ids: frozenset[str]


@dataclass
class AuditReport:
    accepted: int
    indexed: int
    dlq: int
    lost: int
    duplicated: int
    enriched: int = 0
    poison: int = 0
    dlq_by_reason: dict[str, int] = field(default_factory=dict)
    lost_ids: list[str] = field(default_factory=list)
    duplicated_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0

    def as_dict(self, max_ids: int = 50) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "indexed": self.indexed,
            "dlq": self.dlq,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "enriched": self.enriched,
            "poison": self.poison,
            "dlq_by_reason": self.dlq_by_reason,
            "lost_ids": self.lost_ids[:max_ids],
            "duplicated_ids": self.duplicated_ids[:max_ids],
            "ok": self.ok,
        }


def reconcile(
    raw: Iterable[TopicRecord],
    enriched: Iterable[TopicRecord],
    dead_letters: Iterable[DeadLetter],
    indexed: IndexedDocs,
) -> AuditReport:
    """Accounts for every accepted raw id and every enriched id; see the module docstring for the rules."""
    raw = list(raw)
    enriched = list(enriched)
    dead_letters = list(dead_letters)
    raw_id_at = {record.where: record.article_id for record in raw}
    enriched_id_at = {record.where: record.article_id for record in enriched}

    accepted = {record.article_id for record in raw if record.article_id}
    poison = [record for record in raw if not record.article_id]
    dead_lettered_raw: set[str] = set()
    dead_lettered_enriched: set[str] = set()
    dead_lettered_at: set[Offset] = set()
    for letter in dead_letters:
        if letter.source is not None:
            dead_lettered_at.add(letter.source)
        raw_id = letter.article_id if letter.article_id in accepted else raw_id_at.get(letter.source or ("", -1, -1))
        if raw_id:
            dead_lettered_raw.add(raw_id)
        if letter.stage == "index":
            enriched_id = letter.article_id or enriched_id_at.get(letter.source or ("", -1, -1))
            if enriched_id:
                dead_lettered_enriched.add(enriched_id)
    # An article Elasticsearch refused accounts for the raw article it came from.
    for record in enriched:
        if record.article_id in dead_lettered_enriched and record.raw_id:
            dead_lettered_raw.add(record.raw_id)

    indexed_ids = set(indexed.id_counts)
    # The same article extracted from two raw messages (a re-delivered page, a feed repeating an item) is one
    # document whose raw_id names the last writer; the earlier raw message is accounted for through it too.
    indexed_raw = set(indexed.raw_ids) | {r.raw_id for r in enriched if r.raw_id and r.article_id in indexed_ids}
    lost_raw = accepted - indexed_raw - dead_lettered_raw
    enriched_ids = {record.article_id for record in enriched if record.article_id}
    lost_enriched = enriched_ids - indexed_ids - dead_lettered_enriched
    # A record on articles.enriched that is not even a valid message must have gone to the DLQ too.
    lost_poison = [r for r in [*poison, *(e for e in enriched if not e.article_id)] if r.where not in dead_lettered_at]

    lost_ids = sorted(lost_raw) + sorted(f"enriched:{i}" for i in lost_enriched - lost_raw)
    lost_ids += [f"{r.topic}@{r.partition}:{r.offset}" for r in lost_poison]
    duplicated_ids = sorted(doc_id for doc_id, count in indexed.id_counts.items() if count > 1)
    reasons = Counter(f"{letter.stage}/{letter.reason}" for letter in dead_letters)
    return AuditReport(
        accepted=len(accepted),
        indexed=len(indexed_ids),
        dlq=len(dead_letters),
        lost=len(lost_ids),
        duplicated=len(duplicated_ids),
        enriched=len(enriched_ids),
        poison=len(poison),
        dlq_by_reason=dict(sorted(reasons.items())),
        lost_ids=lost_ids,
        duplicated_ids=duplicated_ids,
    )
