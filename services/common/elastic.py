"""Elasticsearch plumbing shared by the indexer, the CLI and the tests: client, template, index names."""

from __future__ import annotations

import copy
import json
import logging
import re
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


def story_index_prefix(settings: CommonSettings) -> str:
    """Prefix of the enrichment workers' story-state indices, ``<prefix>_stories-YYYY.MM``: outside ``<prefix>-*``,
    so the articles' template, read alias and roles never reach them."""
    return f"{settings.index_prefix}_stories"


def template_name(settings: CommonSettings) -> str:
    return f"{settings.index_prefix}-template"


def generation_template(settings: CommonSettings, generation: int, *, aliased: bool) -> tuple[str, dict[str, Any]]:
    """Name and body of the template of a replay's generation (``<prefix>-gN-*``).

    It outranks the prefix's own template (only the highest-priority match applies), so a generation being built
    gets the mapping but not the read alias; at the swap it is put again with the alias, so the months that
    generation creates later are searchable too.
    """
    body = index_template(settings)
    body["index_patterns"] = [f"{generation_prefix(settings.index_prefix, generation)}-*"]
    body["priority"] = int(body.get("priority", 100)) + generation
    body["template"]["aliases"] = {settings.index_prefix: {}} if aliased else {}
    return f"{generation_prefix(settings.index_prefix, generation)}-template", body


def install_template(client: Elasticsearch, settings: CommonSettings) -> bool:
    """Puts the index template unless the same version is already there; returns True when it wrote it."""
    body = index_template(settings)
    name = template_name(settings)
    if client.indices.exists_index_template(name=name):
        current = client.indices.get_index_template(name=name)["index_templates"][0]["index_template"]
        if current.get("version") == body["version"]:
            return False
    client.indices.put_index_template(name=name, **body)
    # The templates of replayed generations carry the same mapping (and keep their alias, or lack of one).
    found = client.options(ignore_status=404).indices.get_index_template(name=f"{settings.index_prefix}-g*-template")
    for entry in found.body.get("index_templates", []) if found.meta.status == 200 else []:
        generation = _template_generation(entry["name"], settings.index_prefix)
        if generation:
            aliased = bool(entry["index_template"].get("template", {}).get("aliases"))
            client.indices.put_index_template(
                name=entry["name"], **generation_template(settings, generation, aliased=aliased)[1]
            )
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


def index_name(prefix: str, moment: datetime, generation: int = 0) -> str:
    """The monthly index an article belongs to: same article, same index within a generation, so re-delivery
    stays idempotent. A replay writes a new generation (``dateline replay``)."""
    return f"{generation_prefix(prefix, generation)}-{moment:%Y.%m}"


_GENERATION = re.compile(r"^g(\d+)-\d{4}\.\d{2}$")


def generation_prefix(prefix: str, generation: int) -> str:
    """Index-name prefix of a generation: ``<prefix>`` for 0 (the names before any replay), else ``<prefix>-gN``."""
    return prefix if generation == 0 else f"{prefix}-g{generation}"


def generation_of(index: str, prefix: str) -> int | None:
    """The generation of one of the prefix's monthly indices (``<prefix>-YYYY.MM`` is 0), or None for other names."""
    if not index.startswith(f"{prefix}-"):
        return None
    rest = index[len(prefix) + 1 :]
    if re.fullmatch(r"\d{4}\.\d{2}", rest):
        return 0
    match = _GENERATION.match(rest)
    return int(match.group(1)) if match else None


def _template_generation(name: str, prefix: str) -> int | None:
    """The generation of a template named by ``generation_template`` (``<prefix>-gN-template``)."""
    match = re.fullmatch(rf"{re.escape(prefix)}-g(\d+)-template", name)
    return int(match.group(1)) if match else None


def aliased_indices(client: Elasticsearch, alias: str) -> list[str]:
    """The indices an alias points to; none when the alias does not exist yet."""
    found = client.options(ignore_status=404).indices.get_alias(name=alias)
    return list(found.body) if found.meta.status == 200 else []


def current_generation(client: Elasticsearch, prefix: str) -> int:
    """The generation the read alias points to: the one search sees and the indexer writes. 0 without an alias."""
    generations = {generation_of(index, prefix) for index in aliased_indices(client, prefix)}
    return max((g for g in generations if g is not None), default=0)
