"""``dateline replay`` on a running pipeline: re-enrich from Kafka into a new generation and swap the alias."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from services.common.elastic import generation_of
from tests.e2e.conftest import dateline, ingest_article, search_json, wait_until_drained

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "feed"


@pytest.fixture
def quick_generation_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATELINE_GENERATION_CHECK_S", "2")  # before `pipeline` starts the indexer


def test_replay_builds_a_new_generation_and_the_live_indexer_follows(
    quick_generation_check, pipeline, settings, es, tmp_path: Path
) -> None:
    prefix = settings.index_prefix
    dateline("ingest", str(SAMPLES), env=pipeline)
    wait_until_drained(settings, pipeline, 13)
    before = {hit["_id"] for hit in es.search(index=prefix, size=100)["hits"]["hits"]}
    started = time.time()

    report = json.loads(dateline("replay", "--json", env=pipeline, timeout=300).stdout)

    assert (report["generation_from"], report["generation_to"]) == (0, 1)
    assert report["docs_before"] == report["docs_after"] == len(before) == 13
    assert report["dead_lettered"] == 0
    aliased = set(es.indices.get_alias(name=prefix))
    assert aliased and all(generation_of(index, prefix) == 1 for index in aliased)
    assert es.indices.exists(index=f"{prefix}-*")  # the old generation is kept for rollback
    replayed = es.search(index=prefix, size=100, source_includes=["indexed_at", "enrichment"])["hits"]["hits"]
    assert {hit["_id"] for hit in replayed} == before
    # every document was written again by the replay, not copied
    assert all(datetime.fromisoformat(hit["_source"]["indexed_at"]).timestamp() >= started - 1 for hit in replayed)
    assert all(hit["_index"].startswith(f"{prefix}-g1-") for hit in replayed)

    ingest_article(
        pipeline,
        tmp_path,
        "Dock workers in Antwerp vote to end strike",
        "ANTWERP (Dateline) - Dock workers in Antwerp voted on Wednesday to end a week-long strike after "
        "the port company raised its pay offer, their union said.",
    )
    wait_until_drained(settings, pipeline, 14)
    found = es.search(index=prefix, query={"match": {"body": "Antwerp"}})["hits"]["hits"]
    assert len(found) == 1 and found[0]["_index"].startswith(f"{prefix}-g1-")
    assert search_json("Antwerp", env=pipeline)["total"] == 1
    status = json.loads(dateline("status", "--json", env=pipeline).stdout)
    assert status["elasticsearch"]["generation"] == 1 and status["index_docs"] == 14
