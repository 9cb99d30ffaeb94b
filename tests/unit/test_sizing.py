"""Partitions, replication and shards come from the settings: topics and the index template carry them."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from services.common.elastic import (
    elasticsearch_hosts,
    index_sizing,
    index_template,
    install_template,
    make_client,
    template_is_current,
)
from services.common.kafka import declared_topics, topic_drift
from services.common.settings import CommonSettings


def test_defaults_are_the_single_machine_values() -> None:
    settings = CommonSettings()
    topics = {spec.name: spec for spec in declared_topics(settings)}
    assert {name: spec.partitions for name, spec in topics.items()} == {
        "articles.raw": 4,
        "articles.backfill": 4,
        "articles.enriched": 4,
        "articles.dlq": 1,
    }
    assert {spec.replication_factor for spec in topics.values()} == {1}
    assert {spec.config["min.insync.replicas"] for spec in topics.values()} == {"1"}
    assert index_sizing(index_template(settings)["template"]["settings"]) == (1, 0)


def test_sizing_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "DATELINE_RAW_PARTITIONS": "12",
        "DATELINE_BACKFILL_PARTITIONS": "6",
        "DATELINE_ENRICHED_PARTITIONS": "8",
        "DATELINE_DLQ_PARTITIONS": "2",
        "DATELINE_TOPIC_REPLICATION_FACTOR": "3",
        "DATELINE_TOPIC_MIN_INSYNC_REPLICAS": "2",
        "DATELINE_INDEX_SHARDS": "3",
        "DATELINE_INDEX_REPLICAS": "1",
        "DATELINE_TOPIC_PREFIX": "p.",
    }.items():
        monkeypatch.setenv(name, value)
    settings = CommonSettings()
    topics = {spec.name: spec for spec in declared_topics(settings)}
    assert {name: spec.partitions for name, spec in topics.items()} == {
        "p.articles.raw": 12,
        "p.articles.backfill": 6,
        "p.articles.enriched": 8,
        "p.articles.dlq": 2,
    }
    for spec in topics.values():
        assert spec.replication_factor == 3
        assert spec.config["min.insync.replicas"] == "2"
        assert spec.config["compression.type"] == "producer"  # the file's own configs stay
    body = index_template(settings)
    assert body["template"]["settings"]["number_of_shards"] == 3
    assert body["template"]["settings"]["number_of_replicas"] == 1


def test_every_declared_topic_has_a_partition_setting_and_no_fixed_sizing_is_left_in_the_files() -> None:
    settings = CommonSettings()
    document = json.loads((settings.infra_dir / "kafka" / "topics.json").read_text())
    assert set(document["topics"]) == set(settings.topic_partitions)
    for spec in document["topics"].values():
        assert not {"partitions", "replication_factor"} & spec.keys()
        assert "min.insync.replicas" not in spec["config"]
    template = json.loads((settings.infra_dir / "elasticsearch" / "articles.template.json").read_text())
    assert index_sizing(template["template"]["settings"]) == (None, None)


@pytest.mark.parametrize(
    "values",
    [
        {"topic_replication_factor": 1, "topic_min_insync_replicas": 2},
        {"raw_partitions": 0},
        {"index_shards": 0},
        {"index_replicas": -1},
    ],
)
def test_impossible_sizing_is_refused(values: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        CommonSettings(**values)  # type: ignore[arg-type]


def test_index_sizing_reads_both_our_form_and_elasticsearch_s() -> None:
    assert index_sizing({"number_of_shards": 3, "number_of_replicas": 1}) == (3, 1)
    assert index_sizing({"index": {"number_of_shards": "3", "number_of_replicas": "1"}}) == (3, 1)
    assert index_sizing({"index.number_of_shards": "2"}) == (2, None)


def test_a_new_replica_count_makes_the_template_stale_at_the_same_version() -> None:
    wanted = index_template(CommonSettings(index_replicas=1))
    installed = {
        "version": wanted["version"],
        "template": {"settings": {"index": {"number_of_shards": "1", "number_of_replicas": "0"}}},
    }
    assert not template_is_current(installed, wanted)
    installed["template"]["settings"]["index"]["number_of_replicas"] = "1"
    assert template_is_current(installed, wanted)
    assert not template_is_current({**installed, "version": wanted["version"] - 1}, wanted)


class _Indices:
    """The index APIs install_template calls, answering as a node with one monthly index of 1 shard, 0 replicas."""

    def __init__(self, installed: dict[str, Any]) -> None:
        self.installed = installed
        self.put_templates: list[str] = []
        self.put_settings_calls: list[tuple[str, dict[str, Any]]] = []

    def exists_index_template(self, name: str) -> bool:
        return True

    def get_index_template(self, name: str) -> Any:
        if "*" in name:
            return SimpleNamespace(body={"index_templates": []}, meta=SimpleNamespace(status=200))
        return {"index_templates": [{"name": name, "index_template": self.installed}]}

    def put_index_template(self, name: str, **body: Any) -> None:
        self.put_templates.append(name)

    def get(self, index: str, allow_no_indices: bool) -> Any:
        state = {"settings": {"index": {"number_of_shards": "1", "number_of_replicas": "0"}}}
        return SimpleNamespace(body={"articles-2025.07": state})

    def put_mapping(self, index: str, properties: dict[str, Any]) -> None:
        pass

    def put_settings(self, index: str, settings: dict[str, Any]) -> None:
        self.put_settings_calls.append((index, settings))


class _Client:
    def __init__(self, installed: dict[str, Any]) -> None:
        self.indices = _Indices(installed)

    def options(self, **_: Any) -> _Client:
        return self


def _installed(settings: CommonSettings) -> dict[str, Any]:
    """The template as Elasticsearch returns it after ``settings`` installed it."""
    shards, replicas = index_sizing(index_template(settings)["template"]["settings"])
    settings_block = {"index": {"number_of_shards": str(shards), "number_of_replicas": str(replicas)}}
    return {"version": index_template(settings)["version"], "template": {"settings": settings_block}}


def test_replicas_change_on_existing_indices_and_shards_do_not() -> None:
    current = CommonSettings()
    client = _Client(_installed(current))
    assert install_template(client, current) is False  # type: ignore[arg-type]

    wider = CommonSettings(index_shards=3, index_replicas=1)
    client = _Client(_installed(current))
    assert install_template(client, wider) is True  # type: ignore[arg-type]
    assert client.indices.put_templates == ["articles-template"]
    assert client.indices.put_settings_calls == [("articles-2025.07", {"index": {"number_of_replicas": 1}})]


def test_topic_drift_names_what_to_do_and_changes_nothing() -> None:
    (raw, *_) = declared_topics(CommonSettings(raw_partitions=8, topic_replication_factor=3))
    assert topic_drift(raw, 8, 3) == []
    fewer, replication = topic_drift(raw, 4, 1)
    assert "--partitions 8" in fewer and "kafka-reassign-partitions.sh" in replication
    assert topic_drift(raw, 12, 3) == [f"{raw.name} has 12 partitions, 8 configured: partitions cannot shrink"]


def test_the_client_takes_every_node_of_a_cluster() -> None:
    urls = "https://elasticsearch:9200, https://elasticsearch-2:9200,https://elasticsearch-3:9200"
    settings = CommonSettings(ELASTICSEARCH_URL=urls)
    assert elasticsearch_hosts(settings) == [url.strip() for url in urls.split(",")]
    assert len(make_client(settings).transport.node_pool) == 3
    assert elasticsearch_hosts(CommonSettings(ELASTICSEARCH_URL="http://127.0.0.1:9200")) == ["http://127.0.0.1:9200"]
