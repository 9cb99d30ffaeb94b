"""Shared test helpers: where ../shared is, and skipping with a reason when it is absent."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient

from services.common.elastic import make_client, template_name
from services.common.kafka import declared_topics, ensure_topics
from services.common.settings import CommonSettings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
SAMPLE_FEED = REPO_ROOT / "samples" / "feed"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"../shared/seeds not found at {SEEDS} (a clone without shared/ beside it)")
    return SEEDS


STACK_TIERS = ("integration", "e2e")


def _needs_stack(path: Path) -> bool:
    return any(part in STACK_TIERS for part in path.relative_to(REPO_ROOT / "tests").parts[:1])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _needs_stack(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def require_stack(request: pytest.FixtureRequest) -> None:
    """Integration and end-to-end tests need the real stack: without it they fail loudly, they never skip."""
    if not _needs_stack(request.node.path):
        return
    missing = [name for name in ("KAFKA_BOOTSTRAP_SERVERS", "ELASTICSEARCH_URL") if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run these tests through `make test`", pytrace=False)


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[dict[str, str]]:
    """Environment variables giving this test its own topics, groups, index and ingest state."""
    tag = uuid.uuid4().hex[:8]
    env = {
        "DATELINE_TOPIC_PREFIX": f"test-{tag}.",
        "DATELINE_INDEX_PREFIX": f"test-{tag}-articles",
        "DATELINE_APP_ID": f"test-{tag}-enrich",
        "DATELINE_GROUP_ID": f"test-{tag}-indexer",
        "DATELINE_STATE_DIR": str(tmp_path / "state"),
        "DATELINE_LOG_FORMAT": "text",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = CommonSettings()
    yield env
    _cleanup(settings)


def _cleanup(settings: CommonSettings) -> None:
    es = make_client(settings)
    # Deleting by wildcard is refused (action.destructive_requires_name), so name each index.
    indices = list(es.indices.get(index=f"{settings.index_prefix}-*", allow_no_indices=True))
    if indices:
        es.indices.delete(index=",".join(indices))
    es.options(ignore_status=404).indices.delete_index_template(name=template_name(settings))
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        existing = set(admin.list_topics())
        names = [spec.name for spec in declared_topics(settings) if spec.name in existing]
        if names:
            admin.delete_topics(names)
    finally:
        admin.close()


@pytest.fixture
def settings(isolated_env: dict[str, str]) -> CommonSettings:
    settings = CommonSettings()
    ensure_topics(settings)
    return settings


@pytest.fixture
def es(settings: CommonSettings) -> Elasticsearch:
    return make_client(settings)
