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
    return Elasticsearch(elasticsearch_hosts(settings), **options)


def elasticsearch_hosts(settings: CommonSettings) -> list[str]:
    """The nodes in ``ELASTICSEARCH_URL``, comma-separated: the client spreads requests over them and leaves out a
    node that stops answering, so a cluster keeps serving while one node restarts."""
    return [url.strip() for url in settings.elasticsearch_url.split(",") if url.strip()]


def index_template(settings: CommonSettings) -> dict[str, Any]:
    """The template body from ``infra/elasticsearch/articles.template.json`` for this prefix."""
    path = settings.infra_dir / "elasticsearch" / "articles.template.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document.pop("_comment", None)
    body = copy.deepcopy(document)
    body["index_patterns"] = [f"{settings.index_prefix}-*"]
    body["template"]["aliases"] = {settings.index_prefix: {}}
    body["template"]["settings"]["number_of_shards"] = settings.index_shards
    body["template"]["settings"]["number_of_replicas"] = settings.index_replicas
    return body


def index_sizing(index_settings: dict[str, Any]) -> tuple[int | None, int | None]:
    """(shards, replicas) in index settings as we write them (``number_of_shards``) or as Elasticsearch returns them
    (``{"index": {"number_of_shards": "1"}}``); None where a value is not set."""
    nested = index_settings.get("index", {})

    def value(name: str) -> int | None:
        found = index_settings.get(name, index_settings.get(f"index.{name}", nested.get(name)))
        return None if found is None else int(found)

    return value("number_of_shards"), value("number_of_replicas")


def template_is_current(installed: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether an installed template has the wanted version and sizing; a new shard or replica setting rewrites
    the template at the same mapping version."""
    if installed.get("version") != wanted["version"]:
        return False
    return index_sizing(installed.get("template", {}).get("settings", {})) == index_sizing(
        wanted["template"]["settings"]
    )


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
        if template_is_current(current, body):
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
    existing = client.indices.get(index=f"{settings.index_prefix}-*", allow_no_indices=True)
    for index, state in existing.body.items():
        try:
            client.indices.put_mapping(index=index, properties=body["template"]["mappings"]["properties"])
        except BadRequestError as exc:
            log.error("index cannot take the new mapping; replay it", extra={"index": index, "error": str(exc)})
        shards, replicas = index_sizing(state.get("settings", {}))
        if replicas != settings.index_replicas:
            # number_of_replicas is a dynamic setting: Elasticsearch adds or drops the copies in the background.
            client.indices.put_settings(
                index=index, settings={"index": {"number_of_replicas": settings.index_replicas}}
            )
            log.info("changed replicas", extra={"index": index, "replicas": settings.index_replicas})
        if shards != settings.index_shards:
            # number_of_shards is fixed when an index is created: new months get the new count, this one keeps its.
            log.warning(
                "index keeps its shard count; replay (or _split/_shrink) to change it",
                extra={"index": index, "shards": shards, "configured": settings.index_shards},
            )
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
