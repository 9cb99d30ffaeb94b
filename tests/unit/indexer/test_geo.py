from __future__ import annotations

from services.indexer.geo import countries_geo, country_points


def test_countries_get_their_capital_as_map_point() -> None:
    tokyo, seoul = countries_geo(["JP", "KR"])
    assert abs(tokyo["lat"] - 35.69) < 0.1 and abs(tokyo["lon"] - 139.69) < 0.1
    assert abs(seoul["lat"] - 37.57) < 0.1 and abs(seoul["lon"] - 126.98) < 0.1


def test_unknown_codes_are_left_out_and_nearly_every_country_has_a_point() -> None:
    assert countries_geo(["XX"]) == []
    assert len(country_points()) > 230
    assert all(-90 <= p["lat"] <= 90 and -180 <= p["lon"] <= 180 for p in country_points().values())
