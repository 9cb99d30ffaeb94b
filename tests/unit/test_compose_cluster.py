"""infra/compose/docker-compose.cluster.yml, checked statically like docker-compose.yml: merged over the main file
as `docker compose -f docker-compose.yml -f infra/compose/docker-compose.cluster.yml` merges it, three KRaft brokers
and three Elasticsearch nodes that form one cluster each, and services that size topics and indices for it."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.elastic import elasticsearch_hosts, index_template
from services.common.kafka import declared_topics
from services.common.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
OVERRIDE = ROOT / "infra" / "compose" / "docker-compose.cluster.yml"
BROKERS = ("kafka", "kafka-2", "kafka-3")
ES_NODES = ("elasticsearch", "elasticsearch-2", "elasticsearch-3")
PYTHON_SERVICES = ("enrich", "indexer", "ingest", "search", "ops")
# What differs from one broker or node to the next; everything else in their environment is the same.
PER_BROKER = {"KAFKA_NODE_ID", "KAFKA_ADVERTISED_LISTENERS", "KAFKA_SSL_KEYSTORE_LOCATION"}
PER_ES_NODE = {
    "node.name",
    *(f"xpack.security.{layer}.ssl.{key}" for layer in ("http", "transport") for key in ("key", "certificate")),
}
# Compose replaces these lists in an override instead of adding to them.
REPLACED_LISTS = {"command", "entrypoint", "test", "profiles"}


def _mount_target(volume: Any) -> str:
    return str(volume["target"] if isinstance(volume, dict) else volume.split(":")[1])


def merge(base: Any, override: Any, key: str = "") -> Any:
    """Compose's merge for the keys our files use: mappings merge by key, service volumes by container path,
    command, entrypoint and healthcheck tests are replaced, other lists (ports) are appended without duplicates."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for name, value in override.items():
            merged[name] = merge(base[name], value, name) if name in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(override, list) and key not in REPLACED_LISTS:
        if key == "volumes":
            by_target = {_mount_target(v): v for v in base}
            by_target.update({_mount_target(v): v for v in override})
            return list(by_target.values())
        return base + [item for item in override if item not in base]
    return copy.deepcopy(override)


@pytest.fixture(scope="module")
def main_file() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def override() -> dict[str, Any]:
    document = yaml.safe_load(OVERRIDE.read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def cluster(main_file: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = merge(main_file, override)
    assert isinstance(merged, dict)
    return merged


def test_the_merge_follows_compose_rules() -> None:
    base = {"s": {"environment": {"A": "1", "B": "1"}, "ports": ["1:1"], "volumes": ["d:/data", "c:/certs:ro"]}}
    top = {"s": {"environment": {"B": "2"}, "ports": ["2:2"], "volumes": ["d2:/data"], "command": ["x"]}}
    assert merge(base, top) == {
        "s": {
            "environment": {"A": "1", "B": "2"},
            "ports": ["1:1", "2:2"],
            "volumes": ["d2:/data", "c:/certs:ro"],
            "command": ["x"],
        }
    }


def test_the_override_adds_only_nodes_and_changes_only_known_services(
    main_file: dict[str, Any], override: dict[str, Any], cluster: dict[str, Any]
) -> None:
    added = set(override["services"]) - set(main_file["services"])
    assert added == {"kafka-2", "kafka-3", "elasticsearch-2", "elasticsearch-3"}
    assert set(cluster["services"]) == set(main_file["services"]) | added
    declared = set(cluster["volumes"])
    for name, service in cluster["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in declared, f"{name} mounts undeclared volume {source}"


@pytest.mark.parametrize("node", BROKERS + ES_NODES)
def test_every_node_has_a_healthcheck_a_memory_limit_rotated_logs_and_its_own_data(
    cluster: dict[str, Any], node: str
) -> None:
    spec = cluster["services"][node]
    assert spec["healthcheck"]["test"], node
    assert re.fullmatch(r"\d+[mg]", str(spec["mem_limit"])), node
    assert spec["logging"]["driver"] == "json-file" and spec["logging"]["options"]["max-size"]
    assert spec["restart"] == "unless-stopped"
    assert spec["depends_on"]["certs"]["condition"] == "service_completed_successfully"
    assert spec["hostname"] == node
    data = "/var/lib/kafka/data" if node in BROKERS else "/usr/share/elasticsearch/data"
    certs = "/etc/kafka/certs" if node in BROKERS else "/usr/share/elasticsearch/config/certs"
    mounts = {_mount_target(v): v.split(":")[0] for v in spec["volumes"]}
    assert mounts[certs] == "certs"
    others = BROKERS if node in BROKERS else ES_NODES
    data_volumes = [
        next(v.split(":")[0] for v in cluster["services"][n]["volumes"] if _mount_target(v) == data) for n in others
    ]
    assert data_volumes.count(mounts[data]) == 1, data_volumes


def test_three_brokers_form_one_kraft_quorum(cluster: dict[str, Any]) -> None:
    envs = {name: cluster["services"][name]["environment"] for name in BROKERS}
    ids = {name: int(env["KAFKA_NODE_ID"]) for name, env in envs.items()}
    assert sorted(ids.values()) == [1, 2, 3]
    for name, env in envs.items():
        voters = dict(voter.split("@") for voter in env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","))
        assert voters == {str(i): f"{n}:9093" for n, i in ids.items()}, name
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert f"INSIDE://{name}:19092" in env["KAFKA_ADVERTISED_LISTENERS"]
        assert env["KAFKA_SSL_KEYSTORE_LOCATION"] == f"/etc/kafka/certs/{name}/{name}.p12"
        assert env["CLUSTER_ID"].startswith("${KAFKA_CLUSTER_ID:?")
        assert int(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == 3
        assert int(env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"]) == 2
        assert int(env["KAFKA_MIN_INSYNC_REPLICAS"]) == 2
    outside = [re.search(r"OUTSIDE://([^,]+)", env["KAFKA_ADVERTISED_LISTENERS"]).group(1) for env in envs.values()]  # type: ignore[union-attr]
    assert len(set(outside)) == 3 and all(address.startswith("127.0.0.1:") for address in outside)
    first = envs["kafka"]
    for name in BROKERS[1:]:
        same = {k: v for k, v in envs[name].items() if k not in PER_BROKER}
        assert same == {k: v for k, v in first.items() if k not in PER_BROKER}, name
    assert "KAFKA_CLUSTER_ID=" in (ROOT / ".env.example").read_text()


def test_three_elasticsearch_nodes_discover_each_other_with_a_certificate_each(cluster: dict[str, Any]) -> None:
    envs = {name: cluster["services"][name]["environment"] for name in ES_NODES}
    for name, env in envs.items():
        assert env["node.name"] == name
        assert env["discovery.type"] != "single-node"
        assert set(env["discovery.seed_hosts"].split(",")) == set(ES_NODES)
        assert set(env["cluster.initial_master_nodes"].split(",")) == set(ES_NODES)
        for layer in ("http", "transport"):
            assert env[f"xpack.security.{layer}.ssl.enabled"] == "true"
            assert env[f"xpack.security.{layer}.ssl.key"] == f"certs/{name}/{name}.key"
            assert env[f"xpack.security.{layer}.ssl.certificate"] == f"certs/{name}/{name}.crt"
            assert env[f"xpack.security.{layer}.ssl.certificate_authorities"] == "certs/ca/ca.crt"
        assert env["search.allow_expensive_queries"] == "false"
    first = envs["elasticsearch"]
    for name in ES_NODES[1:]:
        same = {k: v for k, v in envs[name].items() if k not in PER_ES_NODE}
        assert same == {k: v for k, v in first.items() if k not in PER_ES_NODE}, name
    kibana_hosts = yaml.safe_load(cluster["services"]["kibana"]["environment"]["ELASTICSEARCH_HOSTS"])
    assert kibana_hosts == [f"https://{name}:9200" for name in ES_NODES]


def test_the_certs_service_makes_a_certificate_for_every_node(cluster: dict[str, Any]) -> None:
    env = cluster["services"]["certs"]["environment"]
    assert env["ES_NODES"].split() == list(ES_NODES)
    assert env["KAFKA_BROKERS"].split() == list(BROKERS)
    script = (ROOT / "infra/elasticsearch/make-certs.sh").read_text()
    assert "${ES_NODES:-elasticsearch}" in script and "${KAFKA_BROKERS:-kafka}" in script
    assert '--out "$out/$name/$name.p12"' in script and "  - name: %s" in script


@pytest.mark.parametrize("service", PYTHON_SERVICES)
def test_the_services_size_for_the_cluster(
    cluster: dict[str, Any], override: dict[str, Any], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = cluster["services"][service]
    known = set()
    for field_name, field in CommonSettings.model_fields.items():
        alias = field.validation_alias
        known.update(getattr(alias, "choices", [f"DATELINE_{field_name.upper()}"]))
    assert set(override["services"][service]["environment"]) <= known
    for name, value in spec["environment"].items():
        monkeypatch.setenv(name, str(value))
    settings = CommonSettings()
    assert settings.kafka_bootstrap_servers.split(",") == [f"{name}:19092" for name in BROKERS]
    assert elasticsearch_hosts(settings) == [f"https://{name}:9200" for name in ES_NODES]
    for topic in declared_topics(settings):
        assert topic.replication_factor == 3, topic.name
        assert topic.config["min.insync.replicas"] == "2", topic.name
    assert settings.raw_partitions % 3 == 0  # spread evenly over the brokers
    assert index_template(settings)["template"]["settings"]["number_of_replicas"] == 1
    if service != "search":  # search reads; the others produce to Kafka and wait for every broker
        assert {name: spec["depends_on"][name]["condition"] for name in BROKERS} == dict.fromkeys(
            BROKERS, "service_healthy"
        )


def test_ports_are_bound_to_loopback_and_none_twice(cluster: dict[str, Any]) -> None:
    published = []
    for name, service in cluster["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on all interfaces"
            published.append(str(port).rsplit(":", 1)[0])
    assert len(published) == len(set(published)), published
