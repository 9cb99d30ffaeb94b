"""A realistic search corpus without Kafka: the sample feed and the seeds through `dateline enrich`, bulk-indexed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from schemas import ArticleEnriched, decode
from services.common.elastic import install_template
from services.common.settings import CommonSettings
from services.indexer.documents import bulk_action

DATELINE = str(Path(sys.executable).parent / "dateline")
REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FEED = REPO_ROOT / "samples" / "feed"
SEEDS = REPO_ROOT.parent / "shared" / "seeds"


@lru_cache(maxsize=1)
def enriched_corpus() -> tuple[ArticleEnriched, ...]:
    """The sample feed and the seeds, enriched once per test session (the enrichment steps are pure)."""
    paths = [str(SAMPLE_FEED)] + ([str(SEEDS)] if SEEDS.is_dir() else [])
    result = subprocess.run([DATELINE, "enrich", *paths], capture_output=True, timeout=300, check=True)
    return tuple(decode(line, ArticleEnriched) for line in result.stdout.splitlines() if line.strip())


def index_articles(es: Elasticsearch, settings: CommonSettings, articles: list[ArticleEnriched]) -> None:
    """Installs the template (as the indexer does at start) and indexes the articles, searchable on return."""
    install_template(es, settings)
    indexed_at = datetime.now(UTC)
    bulk(es, (bulk_action(settings.index_prefix, article, indexed_at=indexed_at) for article in articles))
    es.indices.refresh(index=settings.index_prefix)


def cli_search(isolated_env: dict[str, str], *args: str) -> dict[str, Any]:
    """``dateline search ... --json`` on the test's prefix, parsed."""
    result = subprocess.run(
        [DATELINE, "search", *args, "--json"],
        env={**os.environ, **isolated_env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)
