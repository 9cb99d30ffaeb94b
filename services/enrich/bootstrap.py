"""Wiring of the enrichment worker: the spaCy pipeline (loaded once) and the faust app."""

from __future__ import annotations

import faust

from services.common.kafka import ensure_topics
from services.common.ops import OpsServer
from services.enrich.nlp import load_nlp
from services.enrich.settings import EnrichSettings
from services.enrich.worker import WorkerHealth, create_app


def bootstrap(settings: EnrichSettings) -> faust.App:
    ensure_topics(settings)
    health = WorkerHealth()
    app = create_app(settings, load_nlp(settings.spacy_model), health)
    if settings.metrics_port:
        # Our own small server rather than faust's web app: the same /health and /metrics as the indexer's.
        OpsServer(settings.metrics_host, settings.metrics_port, health.report).start()
    return app
