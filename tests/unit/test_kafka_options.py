"""The connection options every Kafka client gets: plain inside compose, TLS and SCRAM on the outside listener."""

from __future__ import annotations

from pathlib import Path

from services.common.kafka import kafka_client_options
from services.common.settings import CommonSettings
from services.enrich.settings import EnrichSettings
from services.enrich.worker import faust_credentials


def test_plaintext_is_only_the_bootstrap_servers() -> None:
    settings = CommonSettings(kafka_bootstrap_servers="kafka:19092")
    assert kafka_client_options(settings) == {"bootstrap_servers": "kafka:19092"}
    assert faust_credentials(EnrichSettings()) is None


def test_sasl_ssl_carries_mechanism_credentials_and_ca(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    settings = CommonSettings(
        kafka_bootstrap_servers="127.0.0.1:9092",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="dateline-ops",
        kafka_sasl_password="secret",
        kafka_ssl_cafile=ca,
    )
    assert kafka_client_options(settings) == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "SASL_SSL",
        "ssl_cafile": str(ca),
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "dateline-ops",
        "sasl_plain_password": "secret",
    }
    assert "secret" not in repr(settings)


def test_the_worker_logs_in_the_same_way() -> None:
    credentials = faust_credentials(
        EnrichSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="u", kafka_sasl_password="p")
    )
    assert credentials is not None
    assert credentials.username == "u" and credentials.password == "p"  # type: ignore[union-attr]
    assert str(credentials.mechanism.value) == "SCRAM-SHA-512"  # type: ignore[union-attr]
