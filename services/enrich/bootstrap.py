"""Wiring of the enrichment worker: the spaCy pipeline (loaded once) and the faust app."""

from __future__ import annotations

import faust

from services.common.kafka import ensure_topics
from services.enrich.nlp import load_nlp
from services.enrich.settings import EnrichSettings
from services.enrich.worker import create_app


def bootstrap(settings: EnrichSettings) -> faust.App:
    ensure_topics(settings)
    return create_app(settings, load_nlp(settings.spacy_model))
