"""The search API on a real index: it agrees with the CLI and with Elasticsearch, and pages past 10,000 hits."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk
from fastapi.testclient import TestClient

from services.common.elastic import index_template, install_template
from services.common.settings import CommonSettings
from services.indexer.documents import bulk_action
from services.search.api import create_app
from services.search.query import FACET_FIELDS, FACET_SIZE
from services.search.settings import SearchSettings
from tests.search_corpus import cli_search, enriched_corpus


@pytest.fixture
def api(settings: CommonSettings, es: Elasticsearch) -> TestClient:
    return TestClient(create_app(SearchSettings(max_page_size=1000), es))


def direct_facets(es: Elasticsearch, index: str, query: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Facet counts straight from a terms aggregation, written here by hand rather than by services.search."""
    response = es.search(
        index=index,
        size=0,
        query=query,
        aggs={name: {"terms": {"field": field, "size": 1000}} for name, field in FACET_FIELDS.items()},
    )
    return {
        name: {bucket["key"]: bucket["doc_count"] for bucket in agg["buckets"]}
        for name, agg in response["aggregations"].items()
    }


def assert_same_counts(reported: dict[str, list[dict[str, Any]]], direct: dict[str, dict[str, int]]) -> int:
    compared = 0
    for name in FACET_FIELDS:
        buckets = reported[name]
        assert len(buckets) == min(FACET_SIZE, len(direct[name])), name
        for bucket in buckets:
            assert bucket["count"] == direct[name][bucket["value"]], (name, bucket)
            compared += 1
    return compared


@pytest.mark.parametrize(
    ("query", "filters", "es_query"),
    [
        ("*", [], {"match_all": {}}),
        (
            "tariff",
            [("countries", "JP")],
            {
                "bool": {
                    "must": [{"query_string": {"query": "tariff", "fields": ["title^2", "body"]}}],
                    "filter": [{"term": {"countries": "JP"}}],
                }
            },
        ),
    ],
)
def test_facet_counts_agree_between_cli_api_and_elasticsearch(
    corpus, api: TestClient, es: Elasticsearch, settings: CommonSettings, isolated_env, query, filters, es_query
) -> None:
    direct = direct_facets(es, settings.index_prefix, es_query)
    total = es.count(index=settings.index_prefix, query=es_query)["count"]
    assert total >= 1

    cli = cli_search(isolated_env, query, *[f"--filter={name}={value}" for name, value in filters])
    started = time.perf_counter()
    page = api.get("/api/search", params={"q": query, "filter": [f"{n}:{v}" for n, v in filters]}).json()
    elapsed_ms = (time.perf_counter() - started) * 1000

    assert cli["total"] == page["total"] == total
    compared = assert_same_counts(cli["facets"], direct)
    assert assert_same_counts(page["facets"], direct) == compared
    assert cli["facets"] == page["facets"]
    print(f"{query!r} {filters}: {total} hits, {compared} facet counts agree; API {elapsed_ms:.0f} ms")


def test_near_duplicates_collapse_by_story_and_expand_on_request(corpus, api: TestClient) -> None:
    stories = {article.story_id for article in corpus}
    collapsed = api.get("/api/search", params={"q": "*", "size": 100}).json()
    expanded = api.get("/api/search", params={"q": "*", "size": 100, "collapse": "false"}).json()
    assert collapsed["total"] == expanded["total"] == len(corpus)
    assert collapsed["stories"] == len(stories)
    assert len(collapsed["hits"]) == len(stories)
    assert len({hit["story_id"] for hit in collapsed["hits"]}) == len(stories)
    assert len(expanded["hits"]) == len(corpus)


def test_phrases_boolean_operators_highlights_and_histogram(corpus, api: TestClient) -> None:
    either = api.get("/api/search", params={"q": "tariff OR visa-free"}).json()
    tariff = api.get("/api/search", params={"q": "tariff"}).json()
    both = api.get("/api/search", params={"q": "tariff AND visa-free"}).json()
    assert either["total"] >= tariff["total"] >= both["total"]
    assert all(any("<em>" in part for parts in hit["highlight"].values() for part in parts) for hit in tariff["hits"])
    # A phrase searches the unstemmed sub-field: the exact words in that order.
    phrase = api.get("/api/search", params={"q": '"visa-free"', "collapse": "false", "size": 100}).json()
    assert phrase["total"] >= 1
    dated = [hit for hit in phrase["hits"] if hit["published_at"]]
    assert sum(bucket["count"] for bucket in phrase["histogram"]) == len(dated)


def test_date_range_and_bad_requests(corpus, api: TestClient) -> None:
    dated = sorted(article.published_at for article in corpus if article.published_at)
    since = dated[len(dated) // 2].date()
    page = api.get("/api/search", params={"q": "*", "since": since.isoformat()}).json()
    assert page["total"] == sum(1 for moment in dated if moment.date() >= since)
    assert api.get("/api/search", params={"q": '"unbalanced'}).status_code == 400
    assert api.get("/api/search", params={"filter": "colour:red"}).status_code == 422
    assert api.get("/api/search", params={"cursor": "not-a-cursor"}).status_code == 400
    article = corpus[0]
    assert api.get(f"/api/articles/{article.id}").json()["title"] == article.title
    assert api.get(f"/api/articles/{'0' * 32}").status_code == 404
    assert "/api/search" in api.get("/openapi.json").json()["paths"]


def test_pagination_stays_correct_past_ten_thousand_hits(settings: CommonSettings, es: Elasticsearch) -> None:
    base = enriched_corpus()[0]
    count = 10_050
    install_template(es, settings)
    indexed_at = datetime.now(UTC)
    articles = (
        base.model_copy(
            update={
                "id": f"{n:032x}",
                "story_id": f"{n:032x}",
                "published_at": datetime(2025, 6, 1, tzinfo=UTC) + timedelta(minutes=n % 7),
            }
        )
        for n in range(count)
    )
    bulk(es, (bulk_action(settings.index_prefix, a, indexed_at=indexed_at) for a in articles), chunk_size=2000)
    es.indices.refresh(index=settings.index_prefix)
    api = TestClient(create_app(SearchSettings(max_page_size=1000), es))

    seen: list[str] = []
    params: dict[str, Any] = {"q": "*", "collapse": "false", "size": 1000, "sort": "newest", "facet": "language"}
    while True:
        response = api.get("/api/search", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [hit["id"] for hit in page["hits"]]
        if not page["next"]:
            break
        params["cursor"] = page["next"]
    assert len(seen) == count
    assert len(set(seen)) == count


def test_template_is_installed_once_and_additive_changes_reach_existing_indices(
    settings: CommonSettings, es: Elasticsearch
) -> None:
    body = index_template(settings)
    older = copy.deepcopy(body["template"]["mappings"])
    del older["properties"]["countries_geo"]
    es.indices.create(index=f"{settings.index_prefix}-2020.01", mappings=older)

    assert install_template(es, settings) is True
    assert install_template(es, settings) is False
    mapping = es.indices.get_mapping(index=f"{settings.index_prefix}-2020.01")
    assert mapping[f"{settings.index_prefix}-2020.01"]["mappings"]["properties"]["countries_geo"]["type"] == "geo_point"
