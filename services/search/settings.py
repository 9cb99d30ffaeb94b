from __future__ import annotations

from pydantic import Field

from services.common.settings import CommonSettings


class SearchSettings(CommonSettings):
    """Settings of the search API and page (``DATELINE_*``)."""

    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(default=8000, ge=0, le=65535, description="0 picks a free port.")
    max_page_size: int = Field(default=100, ge=1, le=1000, description="Most hits per API page.")
