"""docker-compose.yml cannot run here (no Docker engine), so it is checked statically."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.settings import CommonSettings
from services.dlq.settings import DlqSettings
from services.enrich.settings import EnrichSettings
from services.indexer.settings import IndexerSettings
from services.ingest.settings import IngestSettings
from services.replay.settings import ReplaySettings
from services.search.settings import SearchSettings

ROOT = Path(__file__).resolve().parents[2]
# Compose service -> the settings classes its commands read.
PYTHON_SERVICES: dict[str, tuple[type[CommonSettings], ...]] = {
    "enrich": (EnrichSettings,),
    "indexer": (IndexerSettings,),
    "ingest": (IngestSettings,),
    "search": (SearchSettings,),
    # audit, status, search, wait-searchable read CommonSettings; replay and dlq replay their own.
    "ops": (ReplaySettings, DlqSettings),
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


def _env_names(settings_class: type[CommonSettings]) -> set[str]:
    names = set()
    for field_name, field in settings_class.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            names.add(f"DATELINE_{field_name.upper()}")
        else:
            names.update(str(choice) for choice in getattr(alias, "choices", [alias]))
    return names


def test_all_services_are_there_with_healthchecks_or_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"kafka", "elasticsearch", "kibana", "enrich", "indexer", "ingest"} <= services.keys()
    for name in ("kafka", "elasticsearch", "kibana"):
        assert "healthcheck" in services[name], name
    for name in ("enrich", "indexer", "ingest"):
        conditions = {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}
        assert conditions.get("kafka") == "service_healthy", name
    assert services["indexer"]["depends_on"]["es-setup"]["condition"] == "service_completed_successfully"


def test_official_images_and_one_stack_version(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:3.9.")
    for name in ("elasticsearch", "kibana", "es-setup"):
        assert services[name]["image"].startswith("docker.elastic.co/"), name
        assert "${STACK_VERSION" in services[name]["image"], name


def test_kafka_version_matches_the_local_broker(compose: dict[str, Any]) -> None:
    pom = (ROOT / "infra/local/kafka/pom.xml").read_text()
    local_version = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom)
    assert local_version
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{local_version.group(1)}"


def test_stack_version_matches_the_local_node() -> None:
    example = (ROOT / ".env.example").read_text()
    stack_version = re.search(r"^STACK_VERSION=(\S+)$", example, re.M)
    pom = (ROOT / "infra/local/elasticsearch/pom.xml").read_text()
    local_version = re.search(r"<elasticsearch\.version>([^<]+)</elasticsearch\.version>", pom)
    assert stack_version and local_version
    assert stack_version.group(1) == local_version.group(1)


def test_security_is_on_and_secrets_come_from_env(compose: dict[str, Any]) -> None:
    es_env = compose["services"]["elasticsearch"]["environment"]
    assert es_env["xpack.security.enabled"] == "true"
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("ELASTIC_PASSWORD", "KIBANA_PASSWORD", "INDEXER_PASSWORD", "SEARCH_PASSWORD"):
        assert f"${{{secret}:?" in text
        assert re.search(rf"^{secret}=", (ROOT / ".env.example").read_text(), re.M)
    assert not (ROOT / ".env").exists() or ".env" in (ROOT / ".gitignore").read_text().split()


def test_ports_are_bound_to_loopback(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on all interfaces"


def test_referenced_files_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_dockerfile_copies_only_existing_paths() -> None:
    dockerfile = (ROOT / "infra/docker/Dockerfile").read_text()
    for sources in re.findall(r"^COPY (.+) \S+$", dockerfile, re.M):
        for source in sources.split():
            assert (ROOT / source).exists(), source


@pytest.mark.parametrize("service", sorted(PYTHON_SERVICES))
def test_service_environment_is_read_by_its_settings(compose: dict[str, Any], service: str) -> None:
    environment = compose["services"][service]["environment"]
    known = set().union(*(_env_names(cls) for cls in PYTHON_SERVICES[service]))
    assert set(environment) <= known, set(environment) - known
    assert {"KAFKA_BOOTSTRAP_SERVERS", "ELASTICSEARCH_URL"} <= set(environment)


def test_each_elasticsearch_user_of_compose_has_a_role_file_and_a_password(compose: dict[str, Any]) -> None:
    """The services and the operators' commands log in as the users setup-security.sh makes from roles/*.json."""
    roles = {path.stem for path in (ROOT / "infra/elasticsearch/roles").glob("*.json")}
    setup_env = compose["services"]["es-setup"]["environment"]
    users = {}
    for name, service in compose["services"].items():
        user = service.get("environment", {}).get("ELASTICSEARCH_USERNAME")
        if user and name != "kibana":
            users[name] = user
    assert users == {"indexer": "dateline_indexer", "search": "dateline_search", "ops": "dateline_operator"}
    for user in users.values():
        assert user in roles
        assert f"{user.upper()}_PASSWORD" in setup_env, user
    ops = compose["services"]["ops"]
    assert ops["entrypoint"] == ["dateline"] and ops["profiles"] == ["ops"]
    assert ops["depends_on"]["es-setup"]["condition"] == "service_completed_successfully"
    assert any(str(volume).endswith(":/var/lib/dateline") for volume in ops["volumes"])
