"""The hardened search on the real local node: abusive forms refused, the operators people use still finding what
they found, and prefix* still served when the node refuses expensive queries (as compose configures it)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient

from services.common.settings import CommonSettings
from services.search.api import create_app
from services.search.settings import SearchSettings
from tests.unit.search.test_query_limits import REFUSED


@pytest.fixture
def api(settings: CommonSettings, es: Elasticsearch) -> TestClient:
    return TestClient(create_app(SearchSettings(search_rate_burst=1000), es))


@pytest.fixture
def no_expensive_queries(es: Elasticsearch) -> Iterator[None]:
    es.cluster.put_settings(transient={"search.allow_expensive_queries": False})
    try:
        yield
    finally:
        es.cluster.put_settings(transient={"search.allow_expensive_queries": None})


def test_abusive_forms_are_refused_and_normal_ones_answer(corpus, api: TestClient) -> None:
    timings = {}
    for text in REFUSED:
        started = time.perf_counter()
        response = api.get("/api/search", params={"q": text})
        timings[text[:24]] = (time.perf_counter() - started) * 1000
        assert response.status_code == 400, (text, response.text)
    for text in ("tariff", "tari*", '"visa-free"', "tariff OR visa-free", "title:tariff", "NOT tariff"):
        assert api.get("/api/search", params={"q": text}).status_code == 200, text
    print("refused in ms:", {k: round(v, 1) for k, v in timings.items()})


def test_prefix_search_is_served_where_expensive_queries_are_off(corpus, api: TestClient, no_expensive_queries) -> None:
    prefix = api.get("/api/search", params={"q": "tari*", "collapse": "false", "size": 100})
    assert prefix.status_code == 200, prefix.text
    whole = api.get("/api/search", params={"q": "tariff OR tariffs", "collapse": "false", "size": 100}).json()
    assert prefix.json()["total"] >= whole["total"] >= 1
    for text in ("tariff AND Japan", '"shuttle diplomacy" OR visa-free', "title:(summit OR talks)"):
        assert api.get("/api/search", params={"q": text}).status_code == 200, text


def test_the_node_itself_refuses_what_the_checks_would_let_through(
    corpus, es: Elasticsearch, settings: CommonSettings, no_expensive_queries
) -> None:
    """Defence in depth: a regular expression sent straight to the node is refused there too."""
    from elasticsearch import BadRequestError

    with pytest.raises(BadRequestError):
        es.search(index=settings.index_prefix, query={"query_string": {"query": "/.*/", "fields": ["body"]}})
