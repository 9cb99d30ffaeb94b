"""Wiring of the search service: the Elasticsearch client and the FastAPI app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.common.elastic import make_client
from services.search.api import create_app
from services.search.settings import SearchSettings


def bootstrap(settings: SearchSettings, **overrides: Any) -> FastAPI:
    es = overrides.get("es") or make_client(settings)
    return create_app(settings, es)
