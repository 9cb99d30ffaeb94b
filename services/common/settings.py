"""Settings every service shares: where Kafka and Elasticsearch are, and how topics and indices are named.

Each service's own settings class extends ``CommonSettings``; nothing else in the code reads the environment.
Connection variables keep their conventional names (``KAFKA_BOOTSTRAP_SERVERS``, ``ELASTICSEARCH_URL``);
everything else is ``DATELINE_*``. When the local stack is up, ``infra/local/.cache/run/stack.env`` supplies the
connection variables, so ``dateline`` commands work from any shell; real environment variables win.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_STACK_ENV = REPO_ROOT / "infra" / "local" / ".cache" / "run" / "stack.env"
# infra/kafka and infra/elasticsearch as package data: links to the repository's in a checkout, copies in a wheel.
PACKAGED_INFRA = Path(__file__).resolve().parent / "infra"


def _alias(name: str) -> AliasChoices:
    return AliasChoices(name, f"DATELINE_{name}")


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATELINE_", env_file=LOCAL_STACK_ENV, extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", validation_alias=_alias("KAFKA_BOOTSTRAP_SERVERS"))
    # One URL, or a node's URL per cluster node separated by commas.
    elasticsearch_url: str = Field(default="http://127.0.0.1:9200", validation_alias=_alias("ELASTICSEARCH_URL"))
    elasticsearch_username: str | None = Field(default=None, validation_alias=_alias("ELASTICSEARCH_USERNAME"))
    elasticsearch_password: SecretStr | None = Field(default=None, validation_alias=_alias("ELASTICSEARCH_PASSWORD"))
    elasticsearch_ca_certs: Path | None = Field(default=None, validation_alias=_alias("ELASTICSEARCH_CA_CERTS"))
    # Inside compose the services use the broker's PLAINTEXT inside listener; tools on the host reach the outside
    # listener, which takes SASL_SSL with SCRAM-SHA-512 (docker-compose.yml).
    kafka_security_protocol: str = Field(
        default="PLAINTEXT",
        pattern="^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)$",
        validation_alias=_alias("KAFKA_SECURITY_PROTOCOL"),
    )
    kafka_sasl_mechanism: str = Field(
        default="SCRAM-SHA-512",
        pattern="^(SCRAM-SHA-256|SCRAM-SHA-512|PLAIN)$",
        validation_alias=_alias("KAFKA_SASL_MECHANISM"),
    )
    kafka_sasl_username: str | None = Field(default=None, validation_alias=_alias("KAFKA_SASL_USERNAME"))
    kafka_sasl_password: SecretStr | None = Field(default=None, validation_alias=_alias("KAFKA_SASL_PASSWORD"))
    kafka_ssl_cafile: Path | None = Field(default=None, validation_alias=_alias("KAFKA_SSL_CAFILE"))

    kafka_startup_wait_s: float = Field(
        default=300.0, ge=0, description="How long a service waits at start for Kafka before giving up."
    )
    topic_prefix: str = Field(default="", description="Prepended to every topic name; tests isolate with it.")
    index_prefix: str = Field(
        default="articles",
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        description="Read alias; indices are <prefix>-YYYY.MM.",
    )
    max_article_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, description="Larger deliveries are rejected.")
    # Sizing (README, Sizing past one machine). The defaults fit the one-broker, one-node local stack; a cluster sets
    # them per environment. Topics get them when they are created, monthly indices through the template.
    raw_partitions: int = Field(
        default=4, ge=1, le=1024, description="Partitions of articles.raw: at most this many enrichment workers busy."
    )
    backfill_partitions: int = Field(
        default=4, ge=1, le=1024, description="Partitions of articles.backfill (the same workers' archive lane)."
    )
    enriched_partitions: int = Field(
        default=4, ge=1, le=1024, description="Partitions of articles.enriched: at most this many indexers busy."
    )
    dlq_partitions: int = Field(default=1, ge=1, le=1024, description="Partitions of articles.dlq.")
    topic_replication_factor: int = Field(
        default=1, ge=1, le=16, description="Brokers holding a copy of each partition."
    )
    topic_min_insync_replicas: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Copies that must have a record before a producer's acks=all write succeeds.",
    )
    index_shards: int = Field(
        default=1, ge=1, le=1024, description="Primary shards of each monthly index; fixed when the index is created."
    )
    index_replicas: int = Field(
        default=0, ge=0, le=16, description="Copies of each shard; changed on existing indices too (it is dynamic)."
    )
    infra_dir: Path = PACKAGED_INFRA
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|text)$")

    @model_validator(mode="after")
    def _min_insync_within_replication(self) -> Self:
        # More than the copies there are would refuse every acks=all write with NOT_ENOUGH_REPLICAS.
        if self.topic_min_insync_replicas > self.topic_replication_factor:
            raise ValueError(
                f"topic_min_insync_replicas ({self.topic_min_insync_replicas}) exceeds "
                f"topic_replication_factor ({self.topic_replication_factor})"
            )
        return self

    @property
    def topic_partitions(self) -> dict[str, int]:
        """Partitions of each topic in ``infra/kafka/topics.json``, by its name without the prefix."""
        return {
            "articles.raw": self.raw_partitions,
            "articles.backfill": self.backfill_partitions,
            "articles.enriched": self.enriched_partitions,
            "articles.dlq": self.dlq_partitions,
        }

    @property
    def topic_raw(self) -> str:
        return f"{self.topic_prefix}articles.raw"

    @property
    def topic_backfill(self) -> str:
        """Archive imports: the enrichment worker serves this lane only with spare capacity."""
        return f"{self.topic_prefix}articles.backfill"

    @property
    def topic_enriched(self) -> str:
        return f"{self.topic_prefix}articles.enriched"

    @property
    def topic_dlq(self) -> str:
        return f"{self.topic_prefix}articles.dlq"
