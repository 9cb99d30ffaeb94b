"""Per-feed state in SQLite: the last validators (ETag, Last-Modified) and the items already handled.

Keys carry the publisher's scope (Kafka cluster and topic), like the seen-ids: a wiped cluster starts afresh.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import orjson

from services.ingest.feeds import Validators

# Items remembered per feed: far more than any feed carries at once, so old items never come back as new,
# while the table stays bounded on a feed that runs for years.
KEEP_ITEMS = 20_000


class FeedStateStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS feeds (
                feed TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, polled_at REAL, status TEXT
            );
            CREATE TABLE IF NOT EXISTS feed_items (
                feed TEXT NOT NULL, item TEXT NOT NULL, seen_at REAL NOT NULL, PRIMARY KEY (feed, item)
            );
            CREATE INDEX IF NOT EXISTS feed_items_age ON feed_items (feed, seen_at);
            """
        )

    def validators(self, feed: str) -> Validators:
        with self._lock:
            row = self._db.execute("SELECT etag, last_modified FROM feeds WHERE feed = ?", (feed,)).fetchone()
        return Validators(*row) if row else Validators()

    def record_poll(self, feed: str, status: str, validators: Validators | None = None) -> None:
        """Notes a poll; the validators change only when given (after every new item was acknowledged)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO feeds (feed, polled_at, status) VALUES (?, ?, ?) "
                "ON CONFLICT (feed) DO UPDATE SET polled_at = excluded.polled_at, status = excluded.status",
                (feed, time.time(), status),
            )
            if validators is not None:
                self._db.execute(
                    "UPDATE feeds SET etag = ?, last_modified = ? WHERE feed = ?",
                    (validators.etag, validators.last_modified, feed),
                )
            self._db.commit()

    def unseen(self, feed: str, items: Iterable[str]) -> set[str]:
        keys = set(items)
        with self._lock:
            seen = {
                row[0]
                for row in self._db.execute(
                    "SELECT item FROM feed_items WHERE feed = ? AND item IN (SELECT value FROM json_each(?))",
                    (feed, _json_list(keys)),
                )
            }
        return keys - seen

    def add_items(self, feed: str, items: Iterable[str]) -> None:
        now = time.time()
        rows = [(feed, item, now) for item in items]
        if not rows:
            return
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO feed_items (feed, item, seen_at) VALUES (?, ?, ?)", rows)
            self._db.execute(
                "DELETE FROM feed_items WHERE feed = ? AND item NOT IN "
                "(SELECT item FROM feed_items WHERE feed = ? ORDER BY seen_at DESC LIMIT ?)",
                (feed, feed, KEEP_ITEMS),
            )
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _json_list(values: Iterable[str]) -> str:
    return orjson.dumps(list(values)).decode()
