from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.common.settings import CommonSettings


class DlqSettings(CommonSettings):
    """Settings of ``dateline dlq`` (``DATELINE_*``)."""

    state_dir: Path = Field(
        default=Path.home() / ".local" / "state" / "dateline",
        description="Where the replay ledger (dlq-replayed.jsonl) is kept; the same directory as ingest's memory.",
    )
