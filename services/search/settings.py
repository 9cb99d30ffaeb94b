from __future__ import annotations

from pydantic import Field

from services.common.settings import CommonSettings


class SearchSettings(CommonSettings):
    """Settings of the search API and page (``DATELINE_*``)."""

    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(default=8000, ge=0, le=65535, description="0 picks a free port.")
    max_page_size: int = Field(default=100, ge=1, le=1000, description="Most hits per API page.")
    search_timeout_s: float = Field(
        default=5.0, gt=0, le=60, description="Per-shard time budget of a search; partial hits after it."
    )
    search_rate_per_s: float = Field(default=5.0, gt=0, description="API requests per second per client (429 above).")
    search_rate_burst: int = Field(default=20, ge=1, description="API requests a client may send at once.")

    @property
    def search_timeout(self) -> str:
        """The timeout as Elasticsearch writes it (``5000ms``)."""
        return f"{round(self.search_timeout_s * 1000)}ms"
