"""The Kibana saved objects against a real index made from the template, as Elasticsearch itself reports it."""

from __future__ import annotations

from elasticsearch import Elasticsearch

from services.common.settings import CommonSettings
from tests.search_corpus import enriched_corpus, index_articles
from tests.unit.test_kibana_objects import ARTICLES_VIEW, check_field_use, field_uses, load_objects, on_view


def test_every_kibana_field_is_in_the_live_index_and_aggregatable_where_aggregated(
    settings: CommonSettings, es: Elasticsearch
) -> None:
    index_articles(es, settings, list(enriched_corpus()))
    capabilities = es.field_caps(index=settings.index_prefix, fields="*")["fields"]

    def describe(field: str) -> tuple[str | None, bool]:
        caps = capabilities.get(field)
        if not caps:
            return None, False
        (field_type, detail), *others = caps.items()
        assert not others, f"{field} has conflicting types across indices: {list(caps)}"
        return field_type, bool(detail["aggregatable"])

    problems = []
    # The metrics dashboard reads Metricbeat's indices, not the articles (tests/unit/test_kibana_objects.py).
    for title, field, use in field_uses(on_view(load_objects(), ARTICLES_VIEW)):
        field_type, aggregatable = describe(field)
        if why := check_field_use(field_type, use, aggregatable):
            problems.append(f"{title}: {field} {why}")
    assert problems == []
    geo = es.search(index=settings.index_prefix, size=0, aggs={"g": {"geotile_grid": {"field": "countries_geo"}}})
    assert geo["aggregations"]["g"]["buckets"], "no article has a country point to draw"
