from __future__ import annotations

from pathlib import Path

from services.ingest.seen import SeenStore


def test_ids_are_remembered_per_scope_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    store = SeenStore(path)
    store.add("cluster-a/articles.raw", "x" * 32)
    store.close()

    reopened = SeenStore(path)
    assert reopened.contains("cluster-a/articles.raw", "x" * 32)
    # The same article on another cluster (a wiped local stack, another environment) is not a duplicate there.
    assert not reopened.contains("cluster-b/articles.raw", "x" * 32)
    reopened.add("cluster-b/articles.raw", "x" * 32)
    assert reopened.contains("cluster-b/articles.raw", "x" * 32)
