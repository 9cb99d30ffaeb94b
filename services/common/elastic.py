"""Elasticsearch plumbing shared by the indexer, the CLI and the tests: client, template, index names."""

from __future__ import annotations

import copy
import json
import logging
from datetime import datetime
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch, OrjsonSerializer

from services.common.settings import CommonSettings

log = logging.getLogger(__name__)


def make_client(settings: CommonSettings, **overrides: Any) -> Elasticsearch:
    """An Elasticsearch client for the configured node, with credentials when given."""
    options: dict[str, Any] = {
        "request_timeout": 30,
        "retry_on_timeout": True,
        "max_retries": 3,
        # orjson instead of the standard library's json: serialising bulk bodies was a fifth of the indexer's time.
        "serializer": OrjsonSerializer(),
    }
    if settings.elasticsearch_username and settings.elasticsearch_password:
        options["basic_auth"] = (
            settings.elasticsearch_username,
            settings.elasticsearch_password.get_secret_value(),
        )
    if settings.elasticsearch_ca_certs:
        options["ca_certs"] = str(settings.elasticsearch_ca_certs)
    options.update(overrides)
    return Elasticsearch(settings.elasticsearch_url, **options)


def index_template(settings: CommonSettings) -> dict[str, Any]:
    """The template body from ``infra/elasticsearch/articles.template.json`` for this prefix."""
    path = settings.infra_dir / "elasticsearch" / "articles.template.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document.pop("_comment", None)
    body = copy.deepcopy(document)
    body["index_patterns"] = [f"{settings.index_prefix}-*"]
    body["template"]["aliases"] = {settings.index_prefix: {}}
    return body


def template_name(settings: CommonSettings) -> str:
    return f"{settings.index_prefix}-template"


def install_template(client: Elasticsearch, settings: CommonSettings) -> bool:
    """Puts the index template unless the same version is already there; returns True when it wrote it."""
    body = index_template(settings)
    name = template_name(settings)
    if client.indices.exists_index_template(name=name):
        current = client.indices.get_index_template(name=name)["index_templates"][0]["index_template"]
        if current.get("version") == body["version"]:
            return False
    client.indices.put_index_template(name=name, **body)
    # Existing monthly indices get the new version's mapping too when it only adds fields, so their new
    # documents are not refused by the strict mapping. An index that cannot take it is reported here and its
    # documents go to the DLQ until it is replayed into a new index (README, Index lifecycle).
    for index in client.indices.get(index=f"{settings.index_prefix}-*", allow_no_indices=True):
        try:
            client.indices.put_mapping(index=index, properties=body["template"]["mappings"]["properties"])
        except BadRequestError as exc:
            log.error("index cannot take the new mapping; replay it", extra={"index": index, "error": str(exc)})
    log.info("installed index template", extra={"template": name, "version": body["version"]})
    return True


def index_name(prefix: str, moment: datetime) -> str:
    """The monthly index an article belongs to: same article, same index, so re-delivery stays idempotent."""
    return f"{prefix}-{moment:%Y.%m}"
