from __future__ import annotations

from pydantic import Field

from services.common.settings import CommonSettings


class IndexerSettings(CommonSettings):
    """Settings of the indexer (``DATELINE_*``)."""

    group_id: str = Field(default="dateline-indexer", description="Kafka consumer group.")
    batch_size: int = Field(default=500, ge=1, description="Most documents per bulk request.")
    bulk_concurrency: int = Field(
        default=2,
        ge=1,
        description=(
            "Bulk requests sent at once for one batch, split by document id (each needs at least 50 documents). "
            "Elasticsearch indexes one request for a shard on one thread: set it to about the node's cores."
        ),
    )
    poll_timeout_ms: int = Field(default=500, ge=10)
    max_backoff_s: float = Field(default=30.0, gt=0, description="Longest wait between retries when ES is down.")
    generation_check_s: float = Field(
        default=10.0, gt=0, description="How often the indexer asks which index generation the read alias points to."
    )
    metrics_port: int = Field(default=0, ge=0, description="Port of /health and /metrics; 0 = no server.")
    metrics_host: str = Field(default="127.0.0.1", description="Address the /health and /metrics server binds.")
    fault_exit_after_bulk: int = Field(
        default=0,
        ge=0,
        description=(
            "FAULT INJECTION, tests only: SIGKILL this process right after the Nth batch Elasticsearch acknowledged, "
            "before its offsets are committed. 0 (the default) = off."
        ),
    )
