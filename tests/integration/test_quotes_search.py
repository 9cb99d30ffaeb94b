"""Quote search on a real index: a speaker's words are found with a speaker filter, and only with the right one."""

from __future__ import annotations

import copy

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient

from schemas import ArticleEnriched
from services.common.elastic import index_template, install_template
from services.common.settings import CommonSettings
from services.search.api import create_app
from services.search.settings import SearchSettings
from tests.search_corpus import SEEDS, cli_search

LEE = "Lee Jae-myung"


@pytest.fixture
def api(settings: CommonSettings, es: Elasticsearch) -> TestClient:
    return TestClient(create_app(SearchSettings(), es))


def quoting(corpus: tuple[ArticleEnriched, ...], speaker: str, words: str) -> set[str]:
    """Ids of the articles with a quotation by ``speaker`` holding ``words``, straight from the enriched corpus."""
    return {a.id for a in corpus if any(q.speaker == speaker and words in q.text.lower() for q in a.quotes)}


def test_lee_is_found_by_his_words_with_his_name_and_not_with_another(corpus, api: TestClient, isolated_env) -> None:
    # samples/feed/01: "Our peoples already travel back and forth in record numbers. ...," Lee told reporters.
    words = ["travel back and forth"] + (["meet frequently"] if SEEDS.is_dir() else [])
    for phrase in words:
        expected = quoting(corpus, LEE, phrase)
        assert expected, f"the enrichment attributed no quotation with {phrase!r} to {LEE}"

        page = api.get("/api/search", params={"q": phrase, "speaker": LEE, "collapse": "false"}).json()
        assert {hit["id"] for hit in page["hits"]} == expected
        for hit in page["hits"]:
            assert hit["quotes"], hit
            assert all(quote["speaker"] == LEE for quote in hit["quotes"])
            assert any(phrase.split()[0] in (quote["highlight"] or "") for quote in hit["quotes"])
            assert "<em>" in hit["quotes"][0]["highlight"]

        cli = cli_search(isolated_env, phrase, "--speaker", LEE, "--no-collapse")
        assert {hit["id"] for hit in cli["hits"]} == expected
        assert cli["hits"][0]["quotes"][0]["speaker"] == LEE

        # The same words by somebody else, or Lee's name with somebody else's words: nothing.
        assert api.get("/api/search", params={"q": phrase, "speaker": "Shigeru Ishiba"}).json()["total"] == 0
        assert cli_search(isolated_env, phrase, "--speaker", "Shigeru Ishiba")["total"] == 0
        # Without the speaker filter the words are still found in the body.
        assert api.get("/api/search", params={"q": f'"{phrase}"'}).json()["total"] >= 1


def test_words_must_be_in_one_quotation_by_that_speaker(corpus, api: TestClient) -> None:
    # Lee's articles also quote nobody else saying "record numbers"; Ishiba's words are not Lee's.
    ishiba = {a.id for a in corpus if any(q.speaker == "Shigeru Ishiba" for q in a.quotes)}
    assert ishiba
    assert api.get("/api/search", params={"q": "record numbers", "speaker": "Shigeru Ishiba"}).json()["total"] == 0
    # Case is forgiven in the speaker's name; '*' lists every article quoting them.
    everything = api.get("/api/search", params={"q": "*", "speaker": "lee jae-myung", "collapse": "false"}).json()
    assert {hit["id"] for hit in everything["hits"]} == {
        a.id for a in corpus if any(q.speaker == LEE for q in a.quotes)
    }


def test_speakers_facet_counts_articles(corpus, api: TestClient) -> None:
    page = api.get("/api/search", params={"q": "*", "facet": "speakers", "collapse": "false"}).json()
    counts = {bucket["value"]: bucket["count"] for bucket in page["facets"]["speakers"]}
    expected: dict[str, int] = {}
    for article in corpus:
        for speaker in {q.speaker for q in article.quotes if q.speaker}:
            expected[speaker] = expected.get(speaker, 0) + 1
    assert counts[LEE] == expected[LEE] >= 1
    assert counts == {name: n for name, n in expected.items() if name in counts}
    filtered = api.get("/api/search", params={"q": "*", "filter": f"speakers:{LEE}", "collapse": "false"}).json()
    assert filtered["total"] == expected[LEE]


def test_an_index_made_before_quotes_takes_the_nested_mapping(settings: CommonSettings, es: Elasticsearch) -> None:
    older = copy.deepcopy(index_template(settings)["template"]["mappings"])
    del older["properties"]["quotes"]
    index = f"{settings.index_prefix}-2021.01"
    es.indices.create(index=index, mappings=older)
    assert install_template(es, settings) is True
    quotes = es.indices.get_mapping(index=index)[index]["mappings"]["properties"]["quotes"]
    assert quotes["type"] == "nested"
    assert quotes["properties"]["speaker"]["type"] == "keyword"
