from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.common.settings import CommonSettings


class IngestSettings(CommonSettings):
    """Settings of the ingest service (``DATELINE_*``)."""

    state_dir: Path = Field(
        default=Path.home() / ".local" / "state" / "dateline",
        description="Where ingest remembers which articles it already published (exact-duplicate suppression).",
    )
    source_name: str | None = Field(default=None, description="Publisher name to attach when the files lack one.")
