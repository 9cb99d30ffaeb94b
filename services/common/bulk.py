"""The one bulk-retry policy of the indexer and the replay: what Elasticsearch refusals are retried, how long to
wait between passes, and one bulk pass that sorts every item into indexed, refused for good, or to retry.

A 429 (queue full) or a 5xx is transient: the item or the whole request goes again after a backoff that doubles up
to ``max_backoff_s``. A 4xx other than 429 (a document the mapping refuses) is permanent: retrying cannot fix it,
so the caller dead-letters the item. An unreachable node is transient too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from elastic_transport import TransportError as ConnectionLevelError
from elasticsearch import ApiError, Elasticsearch
from elasticsearch import TransportError as ESTransportError
from elasticsearch.helpers import streaming_bulk

T = TypeVar("T")

# Whole-request failures a pass may end with: an API error (status), or no answer at all.
REQUEST_ERRORS = (ApiError, ConnectionLevelError, ESTransportError)


def is_permanent(status: int) -> bool:
    """An item status that retrying cannot fix: client errors other than 429 (too many requests)."""
    return 400 <= status < 500 and status != 429


def is_transient(exc: Exception) -> bool:
    """A whole-request failure worth retrying: no answer, 429 after streaming_bulk's own retries, or any 5xx (a
    node that is starting, a red cluster, a proxy in between)."""
    if isinstance(exc, ApiError):
        status = int(exc.meta.status) if exc.meta is not None else 0
        return status == 429 or status >= 500
    return isinstance(exc, ConnectionLevelError | ESTransportError)


@dataclass(frozen=True)
class BulkRetryPolicy:
    """Backoff between bulk passes, and streaming_bulk's own 429 retries within one pass."""

    initial_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    retries_within_pass: int = 3

    def backoffs(self) -> Iterator[float]:
        """Waits before each further pass: 0.5, 1, 2, ... seconds, capped at ``max_backoff_s``."""
        backoff = self.initial_backoff_s
        while True:
            yield backoff
            backoff = min(backoff * 2, self.max_backoff_s)

    def streaming_bulk_options(self) -> dict[str, Any]:
        return {
            "max_retries": self.retries_within_pass,
            "initial_backoff": self.initial_backoff_s,
            "max_backoff": self.max_backoff_s,
        }


@dataclass
class PassOutcome(Generic[T]):
    """What one bulk pass did with its items."""

    indexed: list[T] = field(default_factory=list)
    refused: list[tuple[T, str]] = field(default_factory=list)  # permanent: (item, Elasticsearch's error)
    retry: list[T] = field(default_factory=list)


def bulk_pass(
    es: Elasticsearch,
    items: Sequence[T],
    action_of: Callable[[T], dict[str, Any]],
    policy: BulkRetryPolicy,
    *,
    chunk_size: int,
) -> PassOutcome[T]:
    """One ``streaming_bulk`` over ``items``. Results are matched back by index and id, not position, because
    streaming_bulk yields 429-retried items late. Raises the request's error when a request fails as a whole."""
    by_key: dict[tuple[str, str], list[T]] = {}
    for item in items:
        action = action_of(item)
        by_key.setdefault((action["_index"], action["_id"]), []).append(item)
    outcome: PassOutcome[T] = PassOutcome()
    results = streaming_bulk(
        es,
        [action_of(item) for item in items],
        chunk_size=chunk_size,
        raise_on_error=False,
        raise_on_exception=True,
        **policy.streaming_bulk_options(),
    )
    for ok, info in results:
        detail = next(iter(info.values()))
        item = by_key[(detail["_index"], detail["_id"])].pop()
        if ok:
            outcome.indexed.append(item)
        elif is_permanent(int(detail.get("status", 500))):
            outcome.refused.append((item, str(detail.get("error"))))
        else:
            outcome.retry.append(item)
    return outcome


class Stopping(Exception):
    """Raised inside a retry wait when shutdown was asked for; the work in hand is left uncommitted."""


def bulk_until_done(
    es: Elasticsearch,
    items: Sequence[T],
    action_of: Callable[[T], dict[str, Any]],
    policy: BulkRetryPolicy,
    *,
    chunk_size: int,
    stop: threading.Event | None = None,
    on_retry: Callable[[Exception | None, float], None] = lambda _exc, _wait: None,
) -> PassOutcome[T]:
    """Bulk passes until every item is indexed or refused for good, waiting ``policy.backoffs()`` between them.

    ``on_retry(cause, wait_s)`` is told of each retry (``cause`` None when only some items asked to go again).
    Raises a whole-request error that is not transient, and ``Stopping`` when ``stop`` is set during a wait.
    """
    done: PassOutcome[T] = PassOutcome()
    pending = list(items)
    backoffs = policy.backoffs()
    while pending:
        cause: Exception | None = None
        try:
            outcome = bulk_pass(es, pending, action_of, policy, chunk_size=chunk_size)
        except REQUEST_ERRORS as exc:
            if not is_transient(exc):
                raise
            cause = exc
        else:
            done.indexed += outcome.indexed
            done.refused += outcome.refused
            pending = outcome.retry
        if pending:
            wait_s = next(backoffs)
            on_retry(cause, wait_s)
            if stop is None:
                time.sleep(wait_s)
            elif stop.wait(wait_s):
                raise Stopping
    return done
