"""The ids ingest has already published, kept in SQLite so a restart does not publish them again."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class SeenStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One publisher, used from the API's worker threads and the pollers under its own lock.
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS published (scope TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (scope, id))"
        )

    def contains(self, scope: str, article_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM published WHERE scope = ? AND id = ?", (scope, article_id)).fetchone()
        return row is not None

    def add(self, scope: str, article_id: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO published (scope, id) VALUES (?, ?)", (scope, article_id))
        self._db.commit()

    def add_many(self, scope: str, article_ids: list[str]) -> None:
        """Records several ids in one transaction."""
        if not article_ids:
            return
        self._db.executemany(
            "INSERT OR IGNORE INTO published (scope, id) VALUES (?, ?)", [(scope, i) for i in article_ids]
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()
