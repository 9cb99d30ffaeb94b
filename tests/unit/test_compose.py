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
    for name in ("elasticsearch", "kibana", "es-setup", "metricbeat", "metricbeat-setup"):
        assert services[name]["image"].startswith("docker.elastic.co/"), name
        assert "${STACK_VERSION" in services[name]["image"], name
    # Metricbeat at exactly the Elasticsearch / Kibana version: the same variable, the same tag.
    tag = services["elasticsearch"]["image"].split(":", 1)[1]
    for name in ("metricbeat", "metricbeat-setup"):
        assert services[name]["image"] == f"docker.elastic.co/beats/metricbeat:{tag}", name


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
    assert users == {
        "enrich": "dateline_enrich",
        "indexer": "dateline_indexer",
        "search": "dateline_search",
        "ops": "dateline_operator",
    }
    for user in users.values():
        assert user in roles
        assert f"{user.upper()}_PASSWORD" in setup_env, user
    ops = compose["services"]["ops"]
    assert ops["entrypoint"] == ["dateline"] and ops["profiles"] == ["ops"]
    assert ops["depends_on"]["es-setup"]["condition"] == "service_completed_successfully"
    assert any(str(volume).endswith(":/var/lib/dateline") for volume in ops["volumes"])


LONG_RUNNING = ("kafka", "elasticsearch", "kibana", "enrich", "indexer", "search", "ingest", "prometheus", "metricbeat")
ONE_SHOT = ("certs", "kafka-setup", "es-setup", "kibana-setup", "metricbeat-setup")


def test_elasticsearch_speaks_tls_on_http_and_transport_with_certificates_from_the_certs_service(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    es_env = services["elasticsearch"]["environment"]
    for layer in ("http", "transport"):
        assert es_env[f"xpack.security.{layer}.ssl.enabled"] == "true"
        for key in ("key", "certificate", "certificate_authorities"):
            assert es_env[f"xpack.security.{layer}.ssl.{key}"].startswith("certs/"), (layer, key)
    assert "certs:/usr/share/elasticsearch/config/certs:ro" in services["elasticsearch"]["volumes"]
    certs = services["certs"]
    assert certs["image"].startswith("docker.elastic.co/elasticsearch/elasticsearch:")
    script = (ROOT / "infra/elasticsearch/make-certs.sh").read_text()
    assert "elasticsearch-certutil ca" in script and "elasticsearch-certutil cert" in script
    # One certificate per node: by default the one Elasticsearch node, Kibana and the one broker.
    assert '"${ES_NODES:-elasticsearch}"' in script and '"${KAFKA_BROKERS:-kafka}"' in script
    assert 'for name in "${es_nodes[@]}" kibana; do' in script
    assert 'for name in "${kafka_brokers[@]}"; do' in script
    for name in ("kafka", "elasticsearch"):
        assert services[name]["depends_on"]["certs"]["condition"] == "service_completed_successfully"
    assert "https://localhost:9200" in services["elasticsearch"]["healthcheck"]["test"][1]


def test_kibana_serves_tls_and_trusts_the_ca(compose: dict[str, Any]) -> None:
    kibana = compose["services"]["kibana"]["environment"]
    assert kibana["SERVER_SSL_ENABLED"] == "true"
    assert kibana["SERVER_SSL_CERTIFICATE"].endswith("kibana/kibana.crt")
    assert kibana["SERVER_SSL_KEY"].endswith("kibana/kibana.key")
    assert kibana["ELASTICSEARCH_SSL_CERTIFICATEAUTHORITIES"].endswith("ca/ca.crt")
    assert "https://elasticsearch:9200" in kibana["ELASTICSEARCH_HOSTS"]


@pytest.mark.parametrize("service", sorted(PYTHON_SERVICES))
def test_every_python_client_gets_the_ca_and_https(compose: dict[str, Any], service: str) -> None:
    spec = compose["services"][service]
    environment = spec["environment"]
    assert environment["ELASTICSEARCH_URL"].startswith("https://")
    assert environment["ELASTICSEARCH_CA_CERTS"] == "/certs/ca/ca.crt"
    assert "certs:/certs:ro" in spec["volumes"]


def test_kafka_outside_listener_takes_tls_and_scram(compose: dict[str, Any]) -> None:
    services = compose["services"]
    kafka = services["kafka"]["environment"]
    protocols = dict(item.split(":") for item in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert protocols["OUTSIDE"] == "SASL_SSL"
    assert "OUTSIDE://127.0.0.1:9092" in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert kafka["KAFKA_LISTENER_NAME_OUTSIDE_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert "ScramLoginModule" in kafka["KAFKA_LISTENER_NAME_OUTSIDE_SCRAM__SHA__512_SASL_JAAS_CONFIG"]
    assert kafka["KAFKA_SSL_KEYSTORE_LOCATION"] == "/etc/kafka/certs/kafka/kafka.p12"
    assert "${KAFKA_KEYSTORE_PASSWORD:?" in kafka["KAFKA_SSL_KEYSTORE_PASSWORD"]
    setup = " ".join(services["kafka-setup"]["command"])
    assert "SCRAM-SHA-512=[password=" in setup and "--entity-type users" in setup
    # The clients can speak it: the settings every service reads carry the protocol, mechanism and CA.
    names = _env_names(CommonSettings)
    assert {"KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_SSL_CAFILE"} <= names


def test_kafka_healthcheck_starts_no_jvm(compose: dict[str, Any]) -> None:
    test = " ".join(compose["services"]["kafka"]["healthcheck"]["test"])
    assert "/dev/tcp/" in test
    assert ".sh" not in test and "java" not in test


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_every_long_running_service_has_a_healthcheck_rotated_logs_and_a_memory_limit(
    compose: dict[str, Any], service: str
) -> None:
    spec = compose["services"][service]
    assert spec["healthcheck"]["test"], service
    assert spec["logging"]["driver"] == "json-file"
    assert spec["logging"]["options"]["max-size"] and spec["logging"]["options"]["max-file"]
    assert re.fullmatch(r"\d+[mg]", str(spec["mem_limit"])), spec.get("mem_limit")
    assert spec["restart"] == "unless-stopped"


@pytest.mark.parametrize("service", ONE_SHOT)
def test_one_shot_services_run_once_with_rotated_logs(compose: dict[str, Any], service: str) -> None:
    spec = compose["services"][service]
    assert spec["restart"] == "no"
    assert spec["logging"]["driver"] == "json-file"


def test_metrics_are_on_and_the_prometheus_profile_scrapes_each_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    ports = {
        "enrich": services["enrich"]["environment"]["DATELINE_METRICS_PORT"],
        "indexer": services["indexer"]["environment"]["DATELINE_METRICS_PORT"],
        "search": services["search"]["environment"]["DATELINE_PORT"],
        "ingest": services["ingest"]["environment"]["DATELINE_INGEST_PORT"],
    }
    for name in ("enrich", "indexer"):
        assert services[name]["environment"]["DATELINE_METRICS_HOST"] == "0.0.0.0"
    for name, port in ports.items():
        assert f"127.0.0.1:{port}/health" in " ".join(services[name]["healthcheck"]["test"]), name
    prometheus = services["prometheus"]
    assert prometheus["profiles"] == ["monitoring"]
    assert _prometheus_targets() == {name: [f"{name}:{port}"] for name, port in ports.items()}


def _prometheus_targets() -> dict[str, list[str]]:
    config = yaml.safe_load((ROOT / "infra/prometheus/prometheus.yml").read_text())
    return {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}


def test_metricbeat_is_only_in_the_monitoring_profile_and_scrapes_what_prometheus_scrapes(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in ("metricbeat", "metricbeat-setup"):
        assert services[name]["profiles"] == ["monitoring"], name
        assert "./infra/metricbeat/metricbeat.yml:/usr/share/metricbeat/metricbeat.yml:ro" in services[name]["volumes"]
    monitoring = {name for name, spec in services.items() if "monitoring" in spec.get("profiles", [])}
    assert monitoring == {"prometheus", "metricbeat", "metricbeat-setup"}
    config = yaml.safe_load((ROOT / "infra/metricbeat/metricbeat.yml").read_text())
    modules = config["metricbeat.modules"]
    assert [module["module"] for module in modules] == ["prometheus"]
    module = modules[0]
    assert module["metricsets"] == ["collector"] and module["metrics_path"] == "/metrics"
    # The typed layout the Kibana dashboard reads (prometheus.<metric>.rate / .value / .histogram).
    assert module["use_types"] is True and module["rate_counters"] is True
    expected = sorted(target for targets in _prometheus_targets().values() for target in targets)
    assert sorted(module["hosts"]) == expected
    assert len(expected) == 4


def test_metricbeat_writes_over_tls_with_the_ca_as_its_least_privilege_user(compose: dict[str, Any]) -> None:
    services = compose["services"]
    config = yaml.safe_load((ROOT / "infra/metricbeat/metricbeat.yml").read_text())
    output = config["output.elasticsearch"]
    assert output["hosts"] == ["https://elasticsearch:9200"]
    assert output["ssl.certificate_authorities"] == ["/certs/ca/ca.crt"]
    assert output.get("ssl.verification_mode", "full") == "full"
    assert (output["username"], output["password"]) == ("${ES_USERNAME}", "${ES_PASSWORD}")
    # The writer loads nothing (no template, no ILM check): its role has no privilege for either.
    assert config["setup.template.enabled"] is False and config["setup.ilm.check_exists"] is False
    writer, setup = services["metricbeat"], services["metricbeat-setup"]
    for spec in (writer, setup):
        assert "certs:/certs:ro" in spec["volumes"]
        assert "--strict.perms=false" in spec["command"]  # the config is a bind mount the beat does not own
    user = writer["environment"]["ES_USERNAME"]
    assert user == "dateline_metricbeat"
    assert (ROOT / f"infra/elasticsearch/roles/{user}.json").is_file()
    assert writer["environment"]["ES_PASSWORD"] == "${METRICBEAT_PASSWORD:?set METRICBEAT_PASSWORD in .env}"
    assert f"{user.upper()}_PASSWORD" in services["es-setup"]["environment"]
    assert re.search(r"^METRICBEAT_PASSWORD=", (ROOT / ".env.example").read_text(), re.M)
    assert writer["depends_on"]["es-setup"]["condition"] == "service_completed_successfully"
    assert writer["depends_on"]["metricbeat-setup"]["condition"] == "service_completed_successfully"
    # The one-shot loads the template and lifecycle policy as elastic, after Elasticsearch is healthy.
    assert setup["command"][:2] == ["setup", "--index-management"]
    assert "setup.template.enabled=true" in setup["command"]
    assert setup["environment"]["ES_USERNAME"] == "elastic"
    assert setup["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert writer["healthcheck"]["test"][1:4] == ["metricbeat", "test", "output"]


def test_search_refuses_expensive_queries_in_production(compose: dict[str, Any]) -> None:
    assert compose["services"]["elasticsearch"]["environment"]["search.allow_expensive_queries"] == "false"


def test_analysts_have_their_own_kibana_role_and_imports_never_overwrite(compose: dict[str, Any]) -> None:
    setup = compose["services"]["kibana-setup"]
    assert "ANALYST_PASSWORD" in setup["environment"]
    script = (ROOT / "infra/kibana/setup-kibana.sh").read_text()
    assert "/api/security/role/dateline_analyst" in script
    assert "/_security/user/dateline_analyst" in script
    assert "/s/dateline/api/saved_objects/_import?overwrite=false" in script
    assert "overwrite=true" not in script.replace("?overwrite=true (README", "")
    role = yaml.safe_load((ROOT / "infra/kibana/analyst-role.json").read_text())
    assert role["elasticsearch"]["cluster"] == []
    assert role["elasticsearch"]["indices"] == [
        {"names": ["articles", "articles-*"], "privileges": ["read", "view_index_metadata"]}
    ]
    assert [grant["spaces"] for grant in role["kibana"]] == [["dateline"]]
    assert set(role["kibana"][0]["feature"]) == {"discover", "dashboard", "visualize", "maps"}
    assert not role["kibana"][0]["base"]


def test_readme_tells_the_platform_engineer_about_vm_max_map_count() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "vm.max_map_count=262144" in readme
