"""Search input is words, AND/OR/NOT, +/-, (groups), "phrases", prefix* and title:/body:, nothing that makes every
shard walk its term dictionary. The API's refusals, rate limit and health are checked against a client whose node is
not there: a refused query never reaches Elasticsearch, and /health must say 503 when it cannot."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient

from services.search.api import create_app
from services.search.query import (
    MAX_PREFIX_CHARS,
    MIN_PREFIX_CHARS,
    SEARCH_TIMEOUT,
    InvalidQuery,
    SearchRequest,
    build_search_body,
    check_query_text,
)
from services.search.settings import SearchSettings

ROOT = Path(__file__).resolve().parents[3]

ACCEPTED = [
    "tariff",
    "tariff AND Japan",
    '"shuttle diplomacy" OR visa-free',
    "Ishiba AND visit",
    "NOT tariff",
    "-tariff +japan",
    "(steel OR aluminium) AND tariff",
    "tari*",
    "diplomat*",
    "title:tariff",
    'body:"visa-free travel"',
    "title:(summit OR talks)",
    "US-Japan",
    "*",
    "",
    r"10\:30",
]
# Each abusive form and a word its refusal must contain, so the person who typed it learns why.
REFUSED = {
    "/.*/": "regular expressions",
    "/joh?n(ath[oa]n)/": "regular expressions",
    "*ation": "leading wildcards",
    "tariff AND *ation": "leading wildcards",
    "?ariff": "wildcards",
    "ta*ff": "only end a word",
    "t*": "3 to 10 characters",
    "internation*": "3 to 10 characters",
    "_id:*": "'_id' cannot be searched",
    "*:*": "'*' cannot be searched",
    "countries:JP": "'countries' cannot be searched",
    "_exists_:title": "'_exists_' cannot be searched",
    "quotes.speaker:Lee": "cannot be searched",
    "tarif~2": "fuzzy",
    '"shuttle diplomacy"~5': "nothing may follow a closing quote",
    "published_at:[2020 TO 2030]": "ranges",
    "title:>a": "ranges",
    '"unbalanced': "unbalanced quotes",
    "(tariff OR steel": "unbalanced parentheses",
    "tariff AND *": "whole query",
    "x" * 501: "longer than 500",
    " OR ".join(f"w{i}" for i in range(41)): "more than 40 terms",
}


@pytest.mark.parametrize("text", ACCEPTED)
def test_the_operators_people_use_are_accepted_and_reach_query_string_unchanged(text: str) -> None:
    check_query_text(text)
    must = build_search_body(SearchRequest(query=text))["query"]["bool"]["must"][0]
    if text.strip() in ("", "*"):
        assert must == {"match_all": {}}
    else:
        assert must["query_string"]["query"] == text
        assert must["query_string"]["allow_leading_wildcard"] is False


@pytest.mark.parametrize(("text", "why"), REFUSED.items(), ids=[t[:30] for t in REFUSED])
def test_abusive_forms_are_refused_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(InvalidQuery, match=None) as refused:
        SearchRequest(query=text)
    assert why in str(refused.value)


def test_a_speaker_search_is_checked_the_same_way() -> None:
    with pytest.raises(InvalidQuery):
        SearchRequest(query="/.*/", speaker="Lee Jae-myung")


def test_every_search_carries_a_timeout() -> None:
    assert build_search_body(SearchRequest(query="tariff"))["timeout"] == SEARCH_TIMEOUT
    assert build_search_body(SearchRequest(query="*"), timeout="750ms")["timeout"] == "750ms"
    assert SearchSettings(search_timeout_s=2.5).search_timeout == "2500ms"


def test_prefix_limits_are_the_template_s_index_prefixes() -> None:
    """A prefix outside index_prefixes would be a term-dictionary walk, refused where expensive queries are off."""
    template = json.loads((ROOT / "infra/elasticsearch/articles.template.json").read_text())
    properties = template["template"]["mappings"]["properties"]
    for name in ("title", "body"):
        assert properties[name]["index_prefixes"] == {"min_chars": MIN_PREFIX_CHARS, "max_chars": MAX_PREFIX_CHARS}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def api_without_node() -> TestClient:
    """The real app and client, pointed at a port nobody listens on."""
    es = Elasticsearch(f"http://127.0.0.1:{_closed_port()}", max_retries=0, request_timeout=2)
    settings = SearchSettings(search_rate_per_s=0.01, search_rate_burst=len(REFUSED) + 2)
    return TestClient(create_app(settings, es))


def test_api_refuses_abusive_queries_with_400_before_asking_elasticsearch(api_without_node: TestClient) -> None:
    for text, why in REFUSED.items():
        response = api_without_node.get("/api/search", params={"q": text})
        assert response.status_code == 400, text
        assert why in response.json()["detail"], (text, response.json())


def test_api_limits_each_client_to_its_rate(api_without_node: TestClient) -> None:
    statuses = [api_without_node.get("/api/search", params={"q": "/x/"}).status_code for _ in range(len(REFUSED) + 4)]
    assert statuses[: len(REFUSED) + 2] == [400] * (len(REFUSED) + 2)
    assert statuses[-1] == 429
    assert int(api_without_node.get("/api/search", params={"q": "/x/"}).headers["Retry-After"]) >= 1


def test_health_is_503_while_elasticsearch_does_not_answer(api_without_node: TestClient) -> None:
    for path in ("/health", "/api/health"):
        response = api_without_node.get(path)
        assert response.status_code == 503
        assert response.json()["elasticsearch_available"] is False
    assert b"dateline_search_requests_total" in api_without_node.get("/metrics").content
