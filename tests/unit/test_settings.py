from __future__ import annotations

import pytest

from services.common.settings import CommonSettings


def test_connection_variables_keep_their_conventional_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    monkeypatch.setenv("ELASTICSEARCH_URL", "http://127.0.0.1:19200")
    monkeypatch.setenv("DATELINE_TOPIC_PREFIX", "t1.")
    settings = CommonSettings()
    assert settings.kafka_bootstrap_servers == "127.0.0.1:19092"
    assert settings.elasticsearch_url == "http://127.0.0.1:19200"
    assert settings.topic_raw == "t1.articles.raw"
    assert settings.topic_dlq == "t1.articles.dlq"


def test_settings_are_frozen_and_secrets_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELASTICSEARCH_PASSWORD", "hunter2")
    settings = CommonSettings()
    assert "hunter2" not in repr(settings)
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError for frozen models
        settings.index_prefix = "other"  # type: ignore[misc]


def test_index_prefix_must_be_a_valid_index_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATELINE_INDEX_PREFIX", "Bad Name")
    with pytest.raises(ValueError):
        CommonSettings()
