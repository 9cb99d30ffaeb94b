"""Shared test helpers: where ../shared is, and skipping with a reason when it is absent."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from services.common.elastic import make_client
from services.common.kafka import ensure_topics
from services.common.settings import CommonSettings
from services.common.teardown import delete_indices, delete_topics

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
    delete_indices(settings)
    delete_topics(settings)


@pytest.fixture
def settings(isolated_env: dict[str, str]) -> CommonSettings:
    settings = CommonSettings()
    ensure_topics(settings)
    return settings


@pytest.fixture
def es(settings: CommonSettings) -> Elasticsearch:
    return make_client(settings)
