from __future__ import annotations

from pydantic import Field

from services.enrich.settings import EnrichSettings


class ReplaySettings(EnrichSettings):
    """Settings of ``dateline replay`` (``DATELINE_*``): the worker's model and batch size, plus these."""

    generation_check_s: float = Field(
        default=10.0, gt=0, description="The indexer's generation check interval; the replay waits twice it."
    )
    replay_bulk_size: int = Field(default=500, ge=1, description="Documents per bulk request of the replay.")
    max_backoff_s: float = Field(
        default=30.0, gt=0, description="Longest wait between bulk retries (the indexer's DATELINE_MAX_BACKOFF_S)."
    )
