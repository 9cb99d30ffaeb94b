"""Removing what one topic/index prefix owns: used by tests and benchmarks that isolate themselves by prefix."""

from __future__ import annotations

from kafka import KafkaAdminClient

from services.common.elastic import make_client, story_index_prefix, template_name
from services.common.kafka import declared_topics, kafka_client_options
from services.common.settings import CommonSettings


def delete_indices(settings: CommonSettings) -> None:
    """Deletes the prefix's monthly indices and its templates, replayed generations' and the story state's too (by
    name: wildcard deletes are refused)."""
    es = make_client(settings)
    stories = story_index_prefix(settings)
    for pattern in (f"{settings.index_prefix}-*", f"{stories}-*"):
        indices = list(es.indices.get(index=pattern, allow_no_indices=True))
        if indices:
            es.indices.delete(index=",".join(indices))
    es.options(ignore_status=404).indices.delete_index_template(name=template_name(settings))
    es.options(ignore_status=404).indices.delete_index_template(name=f"{stories}-template")
    replayed = es.options(ignore_status=404).indices.get_index_template(name=f"{settings.index_prefix}-g*-template")
    for entry in replayed.body.get("index_templates", []) if replayed.meta.status == 200 else []:
        es.indices.delete_index_template(name=entry["name"])


def delete_topics(settings: CommonSettings) -> None:
    """Deletes the prefix's declared topics that exist."""
    admin = KafkaAdminClient(**kafka_client_options(settings), request_timeout_ms=10000)
    try:
        existing = set(admin.list_topics())
        names = [spec.name for spec in declared_topics(settings) if spec.name in existing]
        if names:
            admin.delete_topics(names)
    finally:
        admin.close()
