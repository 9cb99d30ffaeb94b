"""Story state in Elasticsearch, shared by every enrichment worker and kept across restarts.

``StoryStore`` has ``StoryIndex``'s interface and its rules (services/enrich/steps/stories.py); only where the
remembered articles live differs. Each article is one document of ``<prefix>_stories-YYYY.MM`` (the month it was
written), id = the article id, holding its sampled shingle hashes. Per batch, three requests:

1. ``_msearch``, one query per article: earlier articles sharing at least ``MIN_SHARED`` sampled hashes, scored by
   how many (each hash a constant-score clause), with what containment and the original's choice need;
2. ``_bulk`` of the batch's new documents (``create``: a re-delivered article keeps its first story id) with
   ``refresh=wait_for``, so what a worker wrote is visible to every worker's next search when the call returns;
3. ``_msearch`` read-back for the articles that founded a story (nothing matched them): a copy written at the same
   time by another worker is visible now, and ``settle_founder`` decides which of the two keeps its id.

A founder that joins another story is corrected in its document by a fourth request, only then. Transient failures
(no answer, 429, 5xx) are retried with backoff, forever: the batch waits and its offsets stay uncommitted.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from elasticsearch import Elasticsearch
from prometheus_client import Counter, Histogram

from services.common.bulk import REQUEST_ERRORS, BulkRetryPolicy, Stopping, is_permanent, is_transient
from services.common.elastic import story_index_prefix
from services.common.settings import CommonSettings
from services.enrich.steps.stories import (
    DEFAULT_THRESHOLD,
    MIN_SHARED,
    Candidate,
    StoryAssigner,
    StoryAssignment,
    StoryMember,
    best_match,
    lineage_of,
    original_rank,
    settle_founder,
    shingle_sample,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

REQUEST_SECONDS = Histogram(
    "dateline_enrich_story_store_seconds",
    "Story-store requests per batch, by step (lookup, write, read_back, correct), retries included.",
    ["step"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30),
)
RETRIES = Counter("dateline_enrich_story_store_retries_total", "Story-store requests retried (unreachable, 429, 5xx).")
SETTLED = Counter("dateline_enrich_stories_settled_total", "Founders that joined a story written just before them.")

# More terms than this in one query meets Elasticsearch's clause limit on a small heap; an article with a larger
# sample (about 4,000 words at sample_mod 4) is looked up by its smallest hashes, which only lowers its containment.
MAX_QUERY_HASHES = 1000
# Hits per looked-up article: the copies of one story, best first (shared hashes); more is never needed to choose.
HITS_PER_ARTICLE = 10
# The position of a document this batch found written already (409): the read-back tells where it is.
_WRITTEN_BY_ANOTHER = ("", -1, -1)
_SOURCE = ["story_id", "sample_size", "agency", "published_at", "body_zlib"]


class StoryStoreFailed(Exception):
    """Elasticsearch refused a story-store request for good (a 4xx such as a missing privilege)."""


def story_index_name(prefix: str, moment: datetime) -> str:
    return f"{prefix}-{moment:%Y.%m}"


def story_template(settings: CommonSettings) -> dict[str, Any]:
    """The template body from ``infra/elasticsearch/stories.template.json`` for this prefix."""
    path = settings.infra_dir / "elasticsearch" / "stories.template.json"
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    body.pop("_comment", None)
    body["index_patterns"] = [f"{story_index_prefix(settings)}-*"]
    return body


def install_story_template(es: Elasticsearch, settings: CommonSettings) -> bool:
    """Puts the stories template unless the same version is already there; returns True when it wrote it."""
    body = story_template(settings)
    name = f"{story_index_prefix(settings)}-template"
    if es.indices.exists_index_template(name=name):
        current = es.indices.get_index_template(name=name)["index_templates"][0]["index_template"]
        if current.get("version") == body["version"]:
            return False
    es.indices.put_index_template(name=name, **body)
    log.info("installed stories template", extra={"template": name, "version": body["version"]})
    return True


@dataclass
class _Hit:
    """One earlier article a query returned."""

    id: str
    candidate: Candidate
    agency: str | None
    published_at: datetime | None
    body_zlib: str | None


@dataclass
class _Pending:
    """One member of the batch while the store assigns it."""

    member: StoryMember
    sample: frozenset[int]
    story_id: str = ""
    founder: bool = False
    position: tuple[str, int, int] | None = None  # where its document is, once known
    write: bool = True  # False when its document existed already (a re-delivery, or the same article again)
    duplicate: bool = False  # the same article earlier in this batch: that one's document is its document
    hits: list[_Hit] = field(default_factory=list)


class StoryStore(StoryAssigner):
    """``StoryIndex``'s ``assign`` over the ``<prefix>_stories-*`` indices (see the module docstring)."""

    def __init__(
        self,
        es: Elasticsearch,
        *,
        index_prefix: str,
        threshold: float = DEFAULT_THRESHOLD,
        sample_mod: int = 4,
        policy: BulkRetryPolicy | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._es = es
        self.index_prefix = index_prefix
        self.threshold = threshold
        self.sample_mod = sample_mod
        self.policy = policy or BulkRetryPolicy()
        self.stop = stop or threading.Event()
        self.clock = clock

    def assign(self, members: Sequence[StoryMember]) -> list[StoryAssignment]:
        """Story ids and lineage for ``members`` (in arrival order), remembered in Elasticsearch."""
        if not members:
            return []
        now = self.clock()
        write_index = story_index_name(self.index_prefix, now)
        read_indices = f"{story_index_name(self.index_prefix, now.replace(day=1) - timedelta(days=1))},{write_index}"
        pending = [_Pending(m, shingle_sample(m.body, sample_mod=self.sample_mod)) for m in members]
        found = self._retried("lookup", lambda: self._search(read_indices, pending))
        first_of: dict[str, _Pending] = {}
        adopted: dict[str, str] = {}
        for item, hits in zip(pending, found, strict=True):
            item.hits = hits
            self._group(item, first_of, adopted)
        self._retried("write", lambda: self._write(write_index, now, [p for p in pending if p.write]))
        self._read_back(read_indices, pending, adopted)
        return self._assignments(pending)

    # --- the three requests ---------------------------------------------------------------------------------------

    def _search(self, indices: str, pending: Sequence[_Pending]) -> list[list[_Hit]]:
        searched = [item for item in pending if len(item.sample) >= MIN_SHARED]
        if not searched:
            return [[] for _ in pending]
        lines: list[dict[str, Any]] = []
        for item in searched:
            # One preference for every worker: with replicas, all searches go to the same copy of the shard, so a
            # write visible to one worker's search is visible to the others'.
            lines.append(
                {"index": indices, "ignore_unavailable": True, "allow_no_indices": True, "preference": "stories"}
            )
            lines.append(self._query(item.sample))
        response = self._es.msearch(searches=lines)
        by_item: dict[int, list[_Hit]] = {}
        for item, answer in zip(searched, response["responses"], strict=True):
            if "error" in answer:
                raise _refusal(answer)
            by_item[id(item)] = [_hit(raw) for raw in answer["hits"]["hits"]]
        return [by_item.get(id(item), []) for item in pending]

    @staticmethod
    def _query(sample: frozenset[int]) -> dict[str, Any]:
        hashes = sorted(sample)[:MAX_QUERY_HASHES]
        return {
            "size": HITS_PER_ARTICLE,
            "track_total_hits": False,
            "seq_no_primary_term": True,
            "_source": _SOURCE,
            "query": {
                "bool": {
                    # Constant-score clauses: a hit's score is exactly the number of hashes it shares.
                    "should": [{"constant_score": {"filter": {"term": {"hashes": str(h)}}}} for h in hashes],
                    "minimum_should_match": MIN_SHARED,
                }
            },
        }

    def _write(self, index: str, now: datetime, writes: Sequence[_Pending]) -> None:
        todo = [item for item in writes if item.position is None]
        if not todo:
            return
        operations: list[dict[str, Any]] = []
        for item in todo:
            member = item.member
            operations.append({"create": {"_index": index, "_id": member.id}})
            operations.append(
                {
                    "hashes": [str(h) for h in sorted(item.sample)],
                    "sample_size": len(item.sample),
                    "story_id": item.story_id,
                    "founder": item.founder,
                    "agency": member.agency,
                    "published_at": member.published_at.isoformat() if member.published_at else None,
                    "written_at": now.isoformat(),
                    "body_zlib": base64.b64encode(zlib.compress(member.body.encode("utf-8"))).decode("ascii"),
                }
            )
        response = self._es.bulk(operations=operations, refresh="wait_for")
        retry = False
        for item, result in zip(todo, response["items"], strict=True):
            outcome = result["create"]
            status = int(outcome.get("status", 500))
            if status in (200, 201):
                item.position = (outcome["_index"], int(outcome["_primary_term"]), int(outcome["_seq_no"]))
            elif status == 409:
                # Written already: by this batch's earlier attempt, or by a worker handling the same article.
                # The read-back finds the document and its story id.
                item.position = _WRITTEN_BY_ANOTHER
            elif is_permanent(status):
                raise StoryStoreFailed(f"story document {item.member.id} refused: {outcome.get('error')}")
            else:
                retry = True
        if retry:
            raise _ItemsToRetry

    def _read_back(self, indices: str, pending: Sequence[_Pending], adopted: dict[str, str]) -> None:
        unsure = [item for item in pending if item.write and (item.founder or item.position == _WRITTEN_BY_ANOTHER)]
        found = self._retried("read_back", lambda: self._search(indices, unsure)) if unsure else []
        for item, hits in zip(unsure, found, strict=True):
            item.hits = _merge(item.hits, hits)
            if item.position == _WRITTEN_BY_ANOTHER:
                own = next((hit for hit in hits if hit.id == item.member.id), None)
                if own is not None:  # its document's story id stands, whoever wrote it
                    item.position, item.story_id = own.candidate.position, own.candidate.story_id
                continue
            assert item.position is not None
            self._settle(item, adopted)
        if not adopted:
            return
        # Members grouped under a founder that joined another story follow it, and their documents say so.
        corrections = []
        for item in pending:
            if item.story_id in adopted:
                item.story_id = adopted[item.story_id]
                if not item.duplicate and item.position and item.position[1] >= 0:
                    corrections.append(item)
        if corrections:
            self._retried("correct", lambda: self._correct(corrections))

    def _settle(self, item: _Pending, adopted: dict[str, str]) -> None:
        assert item.position is not None
        others = [hit.candidate for hit in item.hits if hit.id != item.member.id]
        settled = settle_founder(item.member.id, item.position, len(item.sample), others, self.threshold)
        if settled != item.story_id:
            adopted[item.story_id] = settled
            SETTLED.inc()

    def _correct(self, corrections: Sequence[_Pending]) -> None:
        operations: list[dict[str, Any]] = []
        for item in corrections:
            assert item.position is not None
            operations.append({"update": {"_index": item.position[0], "_id": item.member.id}})
            operations.append({"doc": {"story_id": item.story_id, "founder": False}})
        response = self._es.bulk(operations=operations, refresh="wait_for")
        if response["errors"]:
            statuses = [int(result["update"].get("status", 500)) for result in response["items"]]
            if any(is_permanent(status) for status in statuses):
                raise StoryStoreFailed(f"story correction refused: {response['items']}")
            raise _ItemsToRetry

    # --- grouping, in Python ------------------------------------------------------------------------------------

    def _group(self, item: _Pending, first_of: dict[str, _Pending], adopted: dict[str, str]) -> None:
        member = item.member
        earlier = first_of.get(member.id)
        if earlier is not None:  # the same article twice in one batch
            item.story_id, item.hits, item.position = earlier.story_id, earlier.hits, earlier.position
            item.write, item.duplicate = False, True
            return
        first_of[member.id] = item
        own = next((hit for hit in item.hits if hit.id == member.id), None)
        if own is not None:  # the same article again, or this batch re-delivered: its document stands
            item.story_id, item.write, item.position = own.candidate.story_id, False, own.candidate.position
            if item.story_id == member.id:
                # A founder whose settling may not have reached its document (a crash before the correction):
                # this lookup is a read after its write, so it settles now.
                self._settle(item, adopted)
            return
        in_batch = [
            Candidate(other.story_id, len(item.sample & other.sample), len(other.sample), ("~", 0, position))
            for position, other in enumerate(first_of.values())
            if other is not item
        ]
        match = best_match([hit.candidate for hit in item.hits] + in_batch, len(item.sample), self.threshold)
        item.story_id = match.story_id if match else member.id
        item.founder = match is None

    def _assignments(self, pending: Sequence[_Pending]) -> list[StoryAssignment]:
        # The original of each story among what the batch knows of it: its members here and the earlier articles
        # the lookups returned. The story's best-ranked copy overall matches every other copy, so it is among them.
        originals: dict[str, _OriginalCopy] = {}
        for arrival, item in enumerate(pending):
            for hit in item.hits:
                if hit.candidate.story_id == item.story_id and hit.body_zlib is not None:
                    rank = original_rank(hit.agency, hit.published_at, hit.candidate.position)
                    _keep_best(originals, item.story_id, _OriginalCopy(rank, hit.id, body_zlib=hit.body_zlib))
            position = item.position if item.position and item.position[1] >= 0 else ("~", 0, arrival)
            rank = original_rank(item.member.agency, item.member.published_at, position)
            _keep_best(originals, item.story_id, _OriginalCopy(rank, item.member.id, body=item.member.body))
        return [
            StoryAssignment(
                story_id=item.story_id,
                lineage=lineage_of(item.member, originals[item.story_id].id, originals[item.story_id].text()),
            )
            for item in pending
        ]

    # --- retries ------------------------------------------------------------------------------------------------

    def _retried(self, step: str, request: Callable[[], T]) -> T:
        """``request()`` until it succeeds, waiting ``policy.backoffs()`` after each transient failure."""
        backoffs = self.policy.backoffs()
        with REQUEST_SECONDS.labels(step=step).time():
            while True:
                try:
                    return request()
                except _ItemsToRetry:
                    cause = "some documents were refused for now (429 or 5xx)"
                except REQUEST_ERRORS as exc:
                    if not is_transient(exc):
                        raise StoryStoreFailed(f"{step}: {type(exc).__name__}: {exc}") from exc
                    cause = f"{type(exc).__name__}: {exc}"
                wait_s = next(backoffs)
                RETRIES.inc()
                log.warning(
                    "story store unavailable; the batch waits", extra={"step": step, "error": cause, "wait_s": wait_s}
                )
                if self.stop.wait(wait_s):
                    raise Stopping


class _ItemsToRetry(Exception):
    """Some documents of a bulk were refused for now (429, 5xx): the request goes again."""


def _refusal(answer: dict[str, Any]) -> Exception:
    status = int(answer.get("status", 500))
    if is_permanent(status):
        return StoryStoreFailed(f"story lookup refused: {answer['error']}")
    return _ItemsToRetry()


def _hit(raw: dict[str, Any]) -> _Hit:
    source = raw["_source"]
    published = source.get("published_at")
    return _Hit(
        id=raw["_id"],
        candidate=Candidate(
            story_id=source["story_id"],
            shared=round(raw["_score"]),
            sample_size=int(source["sample_size"]),
            position=(raw["_index"], int(raw["_primary_term"]), int(raw["_seq_no"])),
        ),
        agency=source.get("agency"),
        published_at=datetime.fromisoformat(published) if published else None,
        body_zlib=source.get("body_zlib"),
    )


def _merge(first: list[_Hit], second: list[_Hit]) -> list[_Hit]:
    """Hits of two searches, the later one's version of a document winning (its story id may have been corrected)."""
    by_id = {hit.id: hit for hit in first}
    by_id.update({hit.id: hit for hit in second})
    return list(by_id.values())


def _unzip(body_zlib: str) -> str:
    return zlib.decompress(base64.b64decode(body_zlib)).decode("utf-8")


@dataclass(frozen=True)
class _OriginalCopy:
    rank: tuple[int, datetime, tuple[str, int, int]]
    id: str
    body: str | None = None
    body_zlib: str | None = None

    def text(self) -> str:
        return self.body if self.body is not None else _unzip(self.body_zlib or "")


def _keep_best(originals: dict[str, _OriginalCopy], story_id: str, copy: _OriginalCopy) -> None:
    current = originals.get(story_id)
    if current is None or copy.rank < current.rank:
        originals[story_id] = copy
