"""Fixtures of the integration tier beyond tests/conftest.py."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from schemas import ArticleEnriched
from services.common.settings import CommonSettings
from tests.search_corpus import enriched_corpus, index_articles


@pytest.fixture
def corpus(settings: CommonSettings, es: Elasticsearch) -> tuple[ArticleEnriched, ...]:
    """The sample feed and the seeds, enriched and indexed on this test's prefix."""
    articles = enriched_corpus()
    index_articles(es, settings, list(articles))
    return articles
