"""The whole pipeline through the CLI: ingest -> Kafka -> enrichment worker -> Kafka -> indexer -> search."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import dateline, ingest_article, search_json, wait_until_drained

SEED_ARTICLES = 8  # seed 000 carries four articles, the other four seeds one each


def test_seeds_become_searchable_by_text_and_facet(pipeline, settings, seeds_dir: Path) -> None:
    seeds = sorted(seeds_dir.glob("*.txt"))
    ingested = dateline("ingest", *map(str, seeds), env=pipeline)
    assert f"published {len(seeds)}, duplicates 0, rejected 0" in ingested.stdout

    wait_until_drained(settings, pipeline, SEED_ARTICLES)
    everything = search_json("*", "--facet", "countries", "--facet", "persons", "--size", "50", env=pipeline)
    assert everything["total"] == SEED_ARTICLES

    for word in ("Ishiba", "tariff", "visa-free"):
        found = search_json(word, env=pipeline)
        assert found["total"] >= 1, word
        assert any(hit["highlight"] for hit in found["hits"]), word

    countries = {bucket["value"] for bucket in everything["facets"]["countries"]}
    assert {"JP", "KR", "RU", "CN", "US"} <= countries
    persons = {bucket["value"] for bucket in everything["facets"]["persons"]}
    assert {"Lee Jae-myung", "Shigeru Ishiba", "Sergei Lavrov"} <= persons
    assert not {"Lee", "Sergey Lavrov", "Lee Jae Myung", "Ishiba"} & persons
    topics = {bucket["value"] for bucket in search_json("*", "--facet", "topics", env=pipeline)["facets"]["topics"]}
    politics, diplomacy, economy, trade = "medtop:11000000", "medtop:20000639", "medtop:04000000", "medtop:20000373"
    assert {politics, diplomacy, economy, trade} <= topics

    # Lee's words, found only as something Lee said
    said = search_json("meet frequently", "--speaker", "Lee Jae-myung", env=pipeline)
    assert said["total"] >= 1
    assert any("meet frequently" in quote["text"] for hit in said["hits"] for quote in hit["quotes"])
    assert search_json("meet frequently", "--speaker", "Shigeru Ishiba", env=pipeline)["total"] == 0

    tariff = search_json("tariff", "--facet", "countries", "--filter", "countries=JP", env=pipeline)
    assert tariff["total"] >= 1
    assert all(bucket["count"] <= tariff["total"] for bucket in tariff["facets"]["countries"])


def test_re_ingesting_the_same_files_adds_no_documents(pipeline, settings, seeds_dir: Path, tmp_path: Path) -> None:
    seeds = [str(p) for p in sorted(seeds_dir.glob("*.txt"))]
    dateline("ingest", *seeds, env=pipeline)
    wait_until_drained(settings, pipeline, SEED_ARTICLES)

    again = dateline("ingest", *seeds, env=pipeline)
    assert f"published 0, duplicates {len(seeds)}, rejected 0" in again.stdout

    # An ingest that forgot what it published (new state) republishes; the index must still not grow.
    forgetful = {**pipeline, "DATELINE_STATE_DIR": str(tmp_path / "fresh-state")}
    assert f"published {len(seeds)}," in dateline("ingest", *seeds, env=forgetful).stdout
    wait_until_drained(settings, pipeline, SEED_ARTICLES)
    status = json.loads(dateline("status", "--json", env=pipeline).stdout)
    assert status["index_docs"] == SEED_ARTICLES
    assert status["topics"][settings.topic_raw] == 2 * len(seeds)
    assert status["lag"] == {pipeline["DATELINE_APP_ID"]: 0, pipeline["DATELINE_GROUP_ID"]: 0}
    assert status["kafka"]["ok"] and status["elasticsearch"]["ok"]


def test_poison_messages_go_to_the_dlq_and_the_worker_carries_on(pipeline, settings) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    for value in (b"{not json", b'{"schema": "something.else"}', b"\xff\xfe\x00binary", b""):
        producer.send(settings.topic_raw, key=b"poison", value=value)
    producer.flush()
    producer.close()
    good = Path(__file__).resolve().parents[2] / "samples" / "feed"
    dateline("ingest", str(good), env=pipeline)
    published = len([p for p in good.iterdir() if p.suffix in {".txt", ".html", ".json"}])
    wait_until_drained(settings, pipeline, published)
    status = json.loads(dateline("status", "--json", env=pipeline).stdout)
    assert status["dlq"] == 4
    assert status["index_docs"] >= published


def test_a_backfill_is_enriched_in_its_own_lane_next_to_live_articles(pipeline, settings, tmp_path: Path) -> None:
    archive = Path(__file__).resolve().parents[2] / "samples" / "feed"
    archived = len([p for p in archive.iterdir() if p.suffix in {".txt", ".html", ".json"}])
    backfilled = dateline("ingest", "--backfill", str(archive), env=pipeline)
    assert f"published {archived}," in backfilled.stdout
    ingest_article(
        pipeline,
        tmp_path,
        "Harbour pilots end strike in Rotterdam",
        "ROTTERDAM (Dateline) - Harbour pilots in Rotterdam ended a two-day strike on Tuesday after the port "
        "authority agreed to review their rosters, the union said.",
    )

    wait_until_drained(settings, pipeline, archived + 1)
    status = json.loads(dateline("status", "--json", env=pipeline).stdout)
    assert status["topics"][settings.topic_backfill] == archived
    assert status["topics"][settings.topic_raw] == 1
    assert search_json("Rotterdam", env=pipeline)["total"] == 1
    audit = json.loads(dateline("audit", "--json", env=pipeline).stdout)
    assert audit["accepted"] == archived + 1 and audit["lost"] == 0 and audit["duplicated"] == 0
