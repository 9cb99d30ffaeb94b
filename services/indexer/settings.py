from __future__ import annotations

from pydantic import Field

from services.common.settings import CommonSettings


class IndexerSettings(CommonSettings):
    """Settings of the indexer (``DATELINE_*``)."""

    group_id: str = Field(default="dateline-indexer", description="Kafka consumer group.")
    batch_size: int = Field(default=500, ge=1, description="Most documents per bulk request.")
    poll_timeout_ms: int = Field(default=500, ge=10)
    max_backoff_s: float = Field(default=30.0, gt=0, description="Longest wait between retries when ES is down.")
