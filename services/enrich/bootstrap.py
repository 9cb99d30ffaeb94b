"""Wiring of the enrichment worker: the spaCy pipeline (loaded once), the story state and the faust app."""

from __future__ import annotations

from typing import Any

import faust

from services.common.bulk import BulkRetryPolicy
from services.common.elastic import make_client, story_index_prefix
from services.common.kafka import ensure_topics
from services.common.ops import OpsServer
from services.enrich.nlp import load_nlp
from services.enrich.settings import EnrichSettings
from services.enrich.steps.stories import StoryAssigner, StoryIndex
from services.enrich.story_store import StoryStore, install_story_template
from services.enrich.worker import WorkerHealth, create_app


def bootstrap(settings: EnrichSettings) -> faust.App:
    ensure_topics(settings)
    health = WorkerHealth()
    stories: StoryAssigner
    store: StoryStore | None = None
    if settings.story_store == "elasticsearch":
        es = make_client(settings)
        install_story_template(es, settings)
        stories = store = StoryStore(
            es,
            index_prefix=story_index_prefix(settings),
            policy=BulkRetryPolicy(max_backoff_s=settings.max_backoff_s),
        )
    else:
        stories = StoryIndex()
    app = create_app(settings, load_nlp(settings.spacy_model), health, stories)
    if store is not None:
        story_store = store

        @app.on_before_shutdown.connect
        async def stop_waiting_for_elasticsearch(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
            # A batch waiting out an Elasticsearch outage must not hold the shutdown until the node is back.
            story_store.stop.set()

    if settings.metrics_port:
        # Our own small server rather than faust's web app: the same /health and /metrics as the indexer's.
        OpsServer(settings.metrics_host, settings.metrics_port, health.report).start()
    return app
