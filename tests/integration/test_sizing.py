"""Sizing settings on the real broker and node: topics are created with the configured partitions and
min.insync.replicas, and a changed replica count reaches the template and the existing monthly indices.

The local stack is one broker and one node, so a replication factor above 1 cannot be created here, and an index
with a replica stays yellow; what the settings do on a cluster is checked statically (test_compose.py)."""

from __future__ import annotations

import logging

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from services.common.elastic import index_sizing, install_template, template_name
from services.common.kafka import ensure_topics, kafka_client_options
from services.common.settings import CommonSettings


def test_topics_are_created_with_the_configured_partitions_and_min_insync(
    isolated_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DATELINE_RAW_PARTITIONS", "6")
    monkeypatch.setenv("DATELINE_DLQ_PARTITIONS", "2")
    settings = CommonSettings()
    ensure_topics(settings)
    admin = KafkaAdminClient(**kafka_client_options(settings))
    try:
        described = {t["name"]: t for t in admin.describe_topics([settings.topic_raw, settings.topic_dlq])}
        assert len(described[settings.topic_raw]["partitions"]) == 6
        assert len(described[settings.topic_dlq]["partitions"]) == 2
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, settings.topic_raw)])
        min_insync = configs["topic"][settings.topic_raw]["min.insync.replicas"]
        # Set on the topic itself (the only value one broker allows), not inherited from the broker's default.
        assert (min_insync["value"], min_insync["config_source"]) == ("1", "DYNAMIC_TOPIC_CONFIG")

        # More partitions configured for a topic that exists: reported with the command, the topic left alone.
        monkeypatch.setenv("DATELINE_RAW_PARTITIONS", "8")
        with caplog.at_level(logging.WARNING, logger="services.common.kafka"):
            assert ensure_topics(CommonSettings()) == []
        assert any("--partitions 8" in str(getattr(r, "drift", "")) for r in caplog.records)
        assert len(admin.describe_topics([settings.topic_raw])[0]["partitions"]) == 6
    finally:
        admin.close()


def test_a_replica_setting_rewrites_the_template_and_reaches_existing_indices(
    settings: CommonSettings, es: Elasticsearch
) -> None:
    assert install_template(es, settings) is True
    index = f"{settings.index_prefix}-2025.07"
    es.indices.create(index=index)
    assert index_sizing(es.indices.get_settings(index=index)[index]["settings"]) == (1, 0)

    wider = settings.model_copy(update={"index_replicas": 1, "index_shards": 2})
    assert install_template(es, wider) is True
    assert install_template(es, wider) is False
    installed = es.indices.get_index_template(name=template_name(settings))["index_templates"][0]["index_template"]
    assert index_sizing(installed["template"]["settings"]) == (2, 1)
    assert index_sizing(es.indices.get_settings(index=index)[index]["settings"]) == (1, 1)
    later = f"{settings.index_prefix}-2025.08"
    es.indices.create(index=later)
    assert index_sizing(es.indices.get_settings(index=later)[later]["settings"]) == (2, 1)
