from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from services.common.settings import CommonSettings


class IngestSettings(CommonSettings):
    """Settings of the ingest service (``DATELINE_*``)."""

    state_dir: Path = Field(
        default=Path.home() / ".local" / "state" / "dateline",
        description="Where ingest remembers what it already published and each feed's state (restart resumes).",
    )
    source_name: str | None = Field(default=None, description="Publisher name to attach when the files lack one.")
    publish_timeout_s: float = Field(
        default=30.0, gt=0, description="How long to wait for the broker's acknowledgement before giving up."
    )

    # The long-running service (`python -m services.ingest serve`).
    ingest_host: str = Field(default="127.0.0.1", description="Address the ingest HTTP server binds to.")
    ingest_port: int = Field(default=8001, ge=0, le=65535, description="0 picks a free port.")
    ingest_token: SecretStr | None = Field(
        default=None, description="Bearer token of POST /articles; the server refuses to start without one."
    )
    ingest_max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="Larger requests get 413.")
    ingest_max_items: int = Field(default=500, ge=1, description="Most articles in one POST /articles batch.")
    ingest_rate_per_s: float = Field(default=20.0, gt=0, description="Requests per second per client (429 above).")
    ingest_rate_burst: int = Field(default=40, ge=1, description="Requests a client may send at once.")
    ingest_buffer_limit: int = Field(
        default=1000, ge=1, description="Articles in flight to the broker at most; beyond it the API answers 503."
    )
    ingest_retry_after_s: int = Field(default=5, ge=1, description="Retry-After of a 503 while the broker is down.")
    feeds_file: Path | None = Field(default=None, description="TOML file listing the RSS/Atom feeds to poll.")
    drop_dir: Path | None = Field(default=None, description="Directory whose new files are published once.")
    drop_scan_s: float = Field(default=2.0, gt=0, description="How often the drop directory is looked at.")
