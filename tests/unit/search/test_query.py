from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.search.query import (
    MAX_RESULT_WINDOW,
    Cursor,
    InvalidCursor,
    SearchRequest,
    UnknownFacet,
    build_query,
    build_search_body,
    parse_search_page,
    parse_search_response,
)


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
        "quotes": [],
    }
    assert result["facets"] == {"countries": [{"value": "JP", "count": 1}]}


def test_phrases_use_the_exact_sub_field_and_stories_collapse_by_default() -> None:
    body = build_search_body(SearchRequest(query='"talks" AND tariff'))
    assert body["query"]["bool"]["must"][0]["query_string"]["quote_field_suffix"] == ".exact"
    assert body["collapse"] == {"field": "story_id"}
    assert body["aggs"]["stories"] == {"cardinality": {"field": "story_id"}}
    assert "collapse" not in build_search_body(SearchRequest(query="x", collapse=False))


def test_histogram_and_pages_inside_a_point_in_time() -> None:
    after = Cursor(pit_id="pit-1", search_after=(1.0, 1700000000000, 42), offset=10)
    body = build_search_body(SearchRequest(query="x", histogram="month", collapse=False, cursor=after))
    assert body["aggs"]["histogram"]["date_histogram"] == {
        "field": "published_at",
        "calendar_interval": "month",
        "min_doc_count": 1,
    }
    assert body["pit"]["id"] == "pit-1"
    assert body["search_after"] == [1.0, 1700000000000, 42]
    assert "from" not in body
    # Elasticsearch refuses search_after with collapse on a relevance sort, so collapsed pages use from.
    collapsed = build_search_body(SearchRequest(query="x", cursor=after))
    assert collapsed["from"] == 10
    assert "search_after" not in collapsed


def test_cursor_round_trips_and_refuses_garbage() -> None:
    cursor = Cursor(pit_id="abc==", search_after=("x", 3), offset=20)
    assert Cursor.decode(cursor.encode()) == cursor
    for garbage in ("", "not-base64!", "e30="):
        with pytest.raises(InvalidCursor):
            Cursor.decode(garbage)


def _page_response(hits: int, total: int, pit: str | None = "pit-2") -> dict:
    response: dict = {
        "hits": {
            "total": {"value": total},
            "hits": [
                {"_id": f"{n:032x}", "_score": 1.0, "_source": {"story_id": "s"}, "sort": [1.0, n]} for n in range(hits)
            ],
        },
        "aggregations": {
            "stories": {"value": total},
            "histogram": {"buckets": [{"key_as_string": "2025-06-01T00:00:00.000Z", "doc_count": total}]},
        },
    }
    if pit:
        response["pit_id"] = pit
    return response


def test_page_gives_a_next_cursor_only_while_hits_remain() -> None:
    request = SearchRequest(query="x", size=2, collapse=False, histogram="month")
    page = parse_search_page(_page_response(2, 5), request)
    assert page["histogram"] == [{"date": "2025-06-01T00:00:00.000Z", "count": 5}]
    assert page["hits"][0]["story_id"] == "s"
    following = Cursor.decode(page["next"])
    assert following.pit_id == "pit-2"
    assert following.search_after == (1.0, 1)
    last = SearchRequest(query="x", size=2, collapse=False, cursor=Cursor("pit-2", (1.0, 1), offset=4))
    assert parse_search_page(_page_response(1, 5), last)["next"] is None
    assert parse_search_page(_page_response(2, 5, pit=None), request)["next"] is None


def test_collapsed_pages_stop_at_the_result_window() -> None:
    near_end = SearchRequest(query="x", size=10, cursor=Cursor("p", offset=MAX_RESULT_WINDOW - 10))
    assert parse_search_page(_page_response(10, 50_000), near_end)["next"] is None


def test_speaker_search_matches_words_within_one_quotation_by_that_speaker() -> None:
    body = build_search_body(
        SearchRequest(query="meet frequently", speaker="Lee Jae-myung", filters=(("countries", "KR"),))
    )
    bool_query = body["query"]["bool"]
    (nested,) = [clause["nested"] for clause in bool_query["must"]]
    assert nested["path"] == "quotes"
    inner = nested["query"]["bool"]
    assert inner["must"][0]["query_string"]["query"] == "meet frequently"
    assert inner["must"][0]["query_string"]["fields"] == ["quotes.text"]
    assert inner["filter"] == [{"term": {"quotes.speaker": {"value": "Lee Jae-myung", "case_insensitive": True}}}]
    assert nested["inner_hits"]["highlight"]["fields"] == {"quotes.text": {"number_of_fragments": 0}}
    # Filters stay outside the quotation: they are about the article.
    assert {"term": {"countries": "KR"}} in bool_query["filter"]
    # Counting and aggregating need no inner hits.
    assert (
        "inner_hits" not in build_query(SearchRequest(query="x", speaker="Lee Jae-myung"))["bool"]["must"][0]["nested"]
    )


def test_speaker_alone_lists_every_article_quoting_them() -> None:
    (clause,) = build_query(SearchRequest(query="*", speaker="Lee Jae-myung"))["bool"]["must"]
    assert clause["nested"]["query"]["bool"]["must"] == [{"match_all": {}}]


def test_without_a_speaker_the_text_searches_title_and_body() -> None:
    (clause,) = build_query(SearchRequest(query="meet"))["bool"]["must"]
    assert clause["query_string"]["fields"] == ["title^2", "body"]


def test_speakers_facet_counts_articles_and_filters_within_quotations() -> None:
    request = SearchRequest(query="*", facets=("speakers",), filters=(("speakers", "Shigeru Ishiba"),))
    body = build_search_body(request)
    speakers = body["aggs"]["speakers"]
    assert speakers["nested"] == {"path": "quotes"}
    assert speakers["aggs"]["speakers"]["terms"]["field"] == "quotes.speaker"
    assert speakers["aggs"]["speakers"]["aggs"] == {"articles": {"reverse_nested": {}}}
    assert {
        "nested": {
            "path": "quotes",
            "query": {"term": {"quotes.speaker": {"value": "Shigeru Ishiba", "case_insensitive": True}}},
        }
    } in body["query"]["bool"]["filter"]
    response = {
        "hits": {"total": {"value": 0}, "hits": []},
        "aggregations": {
            "speakers": {
                "doc_count": 5,
                "speakers": {"buckets": [{"key": "Shigeru Ishiba", "doc_count": 3, "articles": {"doc_count": 2}}]},
            }
        },
    }
    assert parse_search_response(response, ("speakers",))["facets"] == {
        "speakers": [{"value": "Shigeru Ishiba", "count": 2}]
    }


def test_matched_quotations_come_back_with_each_hit() -> None:
    response = {
        "hits": {
            "total": {"value": 1},
            "hits": [
                {
                    "_id": "b" * 32,
                    "_score": 2.0,
                    "_source": {"title": "T"},
                    "inner_hits": {
                        "quotes": {
                            "hits": {
                                "hits": [
                                    {
                                        "_source": {"text": "Let's meet", "speaker": "Lee", "speaker_type": "PERSON"},
                                        "highlight": {"quotes.text": ["Let's <em>meet</em>"]},
                                    }
                                ]
                            }
                        }
                    },
                }
            ],
        }
    }
    (hit,) = parse_search_response(response, ())["hits"]
    assert hit["quotes"] == [
        {"text": "Let's meet", "speaker": "Lee", "speaker_type": "PERSON", "highlight": "Let's <em>meet</em>"}
    ]
