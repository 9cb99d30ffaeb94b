"""Runs the ingest service under uvicorn; SIGTERM and SIGINT stop it gracefully (uvicorn's handlers end the
lifespan, which stops the pollers, flushes the producer and closes the state stores)."""

from __future__ import annotations

import uvicorn

from services.common.logs import configure_logging
from services.ingest.api import create_app
from services.ingest.bootstrap import bootstrap_service
from services.ingest.settings import IngestSettings


def serve(settings: IngestSettings | None = None) -> None:
    settings = settings or IngestSettings()
    configure_logging(settings.log_level, settings.log_format)
    service = bootstrap_service(settings)
    app = create_app(service)
    uvicorn.run(app, host=settings.ingest_host, port=settings.ingest_port, log_config=None, access_log=False)
