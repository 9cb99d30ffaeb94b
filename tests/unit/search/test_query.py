from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.search.query import SearchRequest, UnknownFacet, build_search_body, parse_search_response


def test_query_filters_facets_and_dates_become_one_bool_query() -> None:
    body = build_search_body(
        SearchRequest(
            query="tariff AND Japan",
            facets=("countries", "topics"),
            filters=(("countries", "JP"), ("source", "Kyodo")),
            since=datetime(2025, 1, 1, tzinfo=UTC),
            size=5,
        )
    )
    bool_query = body["query"]["bool"]
    assert bool_query["must"][0]["query_string"]["query"] == "tariff AND Japan"
    assert {"term": {"countries": "JP"}} in bool_query["filter"]
    assert {"term": {"source.name": "Kyodo"}} in bool_query["filter"]
    assert {"range": {"published_at": {"gte": "2025-01-01T00:00:00Z"}}} in bool_query["filter"]
    assert body["aggs"]["topics"]["terms"]["field"] == "topics.code"
    assert body["size"] == 5


def test_star_matches_everything() -> None:
    assert build_search_body(SearchRequest(query="*"))["query"]["bool"]["must"] == [{"match_all": {}}]


def test_unknown_facet_is_refused() -> None:
    with pytest.raises(UnknownFacet):
        SearchRequest(query="x", facets=("colour",))
    with pytest.raises(UnknownFacet):
        SearchRequest(query="x", filters=(("colour", "red"),))


def test_response_is_turned_into_the_cli_contract() -> None:
    response = {
        "hits": {
            "total": {"value": 1},
            "hits": [
                {
                    "_id": "a" * 32,
                    "_score": 1.5,
                    "_source": {"title": "T", "source": {"name": "S"}, "published_at": None, "url": None},
                    "highlight": {"body": ["a <em>tariff</em>"]},
                }
            ],
        },
        "aggregations": {"countries": {"buckets": [{"key": "JP", "doc_count": 1}]}},
    }
    result = parse_search_response(response, ("countries",))
    assert result["total"] == 1
    assert result["hits"][0] == {
        "id": "a" * 32,
        "title": "T",
        "source": {"name": "S"},
        "published_at": None,
        "url": None,
        "score": 1.5,
        "highlight": {"body": ["a <em>tariff</em>"]},
    }
    assert result["facets"] == {"countries": [{"value": "JP", "count": 1}]}
