"""Writes dateline.ndjson, the Kibana 8.19 saved objects of the "Dateline newsroom" dashboard.

Run `python infra/kibana/generate.py` after changing it and commit both files; tests/unit/test_kibana_objects.py
checks the NDJSON against the index template. Kibana imports it with
`POST /api/saved_objects/_import?overwrite=true` (the kibana-setup service in docker-compose.yml).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dateline.ndjson"
DATA_VIEW = "dateline-articles"
ALIAS = "articles"
LAYER = "layer1"
# The migration versions these objects are written at; Kibana 8.19 migrates them forward on import.
CORE_MIGRATION = "8.8.0"
TYPE_MIGRATION = {"index-pattern": "8.0.0", "search": "8.0.0", "lens": "8.9.0", "map": "8.4.0", "dashboard": "8.7.0"}


def saved_object(type_: str, id_: str, attributes: dict[str, Any], references: list[dict[str, str]]) -> dict:
    return {
        "id": id_,
        "type": type_,
        "managed": False,
        "coreMigrationVersion": CORE_MIGRATION,
        "typeMigrationVersion": TYPE_MIGRATION[type_],
        "attributes": attributes,
        "references": references,
    }


def data_view() -> dict:
    return saved_object(
        "index-pattern",
        DATA_VIEW,
        {
            "title": ALIAS,
            "name": "Dateline articles",
            "timeFieldName": "published_at",
            "allowNoIndex": True,
            "fieldFormatMap": "{}",
            "runtimeFieldMap": "{}",
            "sourceFilters": "[]",
        },
        [],
    )


def saved_search(id_: str, title: str, columns: list[str], query: str) -> dict:
    search_source = {
        "query": {"query": query, "language": "kuery"},
        "filter": [],
        "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
    }
    return saved_object(
        "search",
        id_,
        {
            "title": title,
            "description": "",
            "columns": columns,
            "sort": [["published_at", "desc"]],
            "grid": {},
            "hideChart": False,
            "isTextBasedQuery": False,
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(search_source)},
        },
        [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": DATA_VIEW}],
    )


def count_column() -> dict:
    return {
        "label": "Articles",
        "customLabel": True,
        "dataType": "number",
        "operationType": "count",
        "isBucketed": False,
        "scale": "ratio",
        "sourceField": "___records___",
        "params": {"emptyAsNull": True},
    }


def terms_column(field: str, label: str, size: int) -> dict:
    return {
        "label": label,
        "customLabel": True,
        "dataType": "string",
        "operationType": "terms",
        "isBucketed": True,
        "scale": "ordinal",
        "sourceField": field,
        "params": {
            "size": size,
            "orderBy": {"type": "column", "columnId": "count"},
            "orderDirection": "desc",
            "otherBucket": True,
            "missingBucket": False,
            "parentFormat": {"id": "terms"},
        },
    }


def date_column() -> dict:
    return {
        "label": "published_at",
        "dataType": "date",
        "operationType": "date_histogram",
        "isBucketed": True,
        "scale": "interval",
        "sourceField": "published_at",
        "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False},
    }


def lens(id_: str, title: str, visualization_type: str, columns: dict[str, dict], visualization: dict) -> dict:
    layer = {"columns": columns, "columnOrder": list(columns), "incompleteColumns": {}, "sampling": 1}
    return saved_object(
        "lens",
        id_,
        {
            "title": title,
            "description": "",
            "visualizationType": visualization_type,
            "state": {
                "datasourceStates": {"formBased": {"layers": {LAYER: layer}}},
                "visualization": visualization,
                "query": {"query": "", "language": "kuery"},
                "filters": [],
                "internalReferences": [],
                "adHocDataViews": {},
            },
        },
        [{"name": f"indexpattern-datasource-layer-{LAYER}", "type": "index-pattern", "id": DATA_VIEW}],
    )


def top_values_bar(id_: str, title: str, field: str, label: str) -> dict:
    return lens(
        id_,
        title,
        "lnsXY",
        {"value": terms_column(field, label, 15), "count": count_column()},
        {
            "preferredSeriesType": "bar_horizontal",
            "legend": {"isVisible": False, "position": "right"},
            "valueLabels": "show",
            "layers": [
                {
                    "layerId": LAYER,
                    "layerType": "data",
                    "seriesType": "bar_horizontal",
                    "xAccessor": "value",
                    "accessors": ["count"],
                }
            ],
        },
    )


def donut(id_: str, title: str, field: str, label: str) -> dict:
    return lens(
        id_,
        title,
        "lnsPie",
        {"value": terms_column(field, label, 10), "count": count_column()},
        {
            "shape": "donut",
            "layers": [
                {
                    "layerId": LAYER,
                    "layerType": "data",
                    "primaryGroups": ["value"],
                    "metrics": ["count"],
                    "numberDisplay": "value",
                    "categoryDisplay": "default",
                    "legendDisplay": "default",
                    "nestedLegend": False,
                }
            ],
        },
    )


def over_time_by_topic() -> dict:
    return lens(
        "dateline-articles-over-time-by-topic",
        "Articles over time by topic",
        "lnsXY",
        {"date": date_column(), "topic": terms_column("topics.label", "Topic", 8), "count": count_column()},
        {
            "preferredSeriesType": "bar_stacked",
            "legend": {"isVisible": True, "position": "right"},
            "valueLabels": "hide",
            "layers": [
                {
                    "layerId": LAYER,
                    "layerType": "data",
                    "seriesType": "bar_stacked",
                    "xAccessor": "date",
                    "splitAccessor": "topic",
                    "accessors": ["count"],
                }
            ],
        },
    )


def countries_map() -> dict:
    """Articles per country as clusters of the countries' points (`countries_geo`) on Elastic's base map."""
    layers = [
        {
            "id": "basemap",
            "label": None,
            "type": "EMS_VECTOR_TILE",
            "sourceDescriptor": {"type": "EMS_TMS", "isAutoSelect": True, "lightModeDefault": "road_map_desaturated"},
            "visible": True,
            "alpha": 1,
            "minZoom": 0,
            "maxZoom": 24,
            "style": {"type": "EMS_VECTOR_TILE"},
            "includeInFitToBounds": True,
        },
        {
            "id": "countries",
            "label": "Articles per country",
            "type": "GEOJSON_VECTOR",
            "sourceDescriptor": {
                "type": "ES_GEO_GRID",
                "id": "dateline-countries-grid",
                "geoField": "countries_geo",
                "requestType": "point",
                "resolution": "COARSE",
                "metrics": [{"type": "count", "label": "Articles"}],
                "applyGlobalQuery": True,
                "applyGlobalTime": True,
                "applyForceRefresh": True,
                "indexPatternRefName": "layer_1_source_index_pattern",
            },
            "visible": True,
            "alpha": 0.8,
            "minZoom": 0,
            "maxZoom": 24,
            "includeInFitToBounds": True,
            "joins": [],
            "style": {
                "type": "VECTOR",
                "isTimeAware": True,
                "properties": {
                    "fillColor": {
                        "type": "DYNAMIC",
                        "options": {
                            "color": "Blues",
                            "colorCategory": "palette_0",
                            "field": {"name": "doc_count", "origin": "source"},
                            "fieldMetaOptions": {"isEnabled": True, "sigma": 3},
                            "type": "ORDINAL",
                        },
                    },
                    "iconSize": {
                        "type": "DYNAMIC",
                        "options": {
                            "minSize": 7,
                            "maxSize": 32,
                            "field": {"name": "doc_count", "origin": "source"},
                            "fieldMetaOptions": {"isEnabled": True, "sigma": 3},
                        },
                    },
                    "labelText": {
                        "type": "DYNAMIC",
                        "options": {"field": {"name": "doc_count", "origin": "source"}},
                    },
                },
            },
        },
    ]
    return saved_object(
        "map",
        "dateline-countries-map",
        {
            "title": "Countries map",
            "description": "Articles per country, placed at each country's capital.",
            "layerListJSON": json.dumps(layers),
            "mapStateJSON": json.dumps(
                {
                    "zoom": 1.2,
                    "center": {"lon": 60, "lat": 25},
                    "timeFilters": {"from": "now-1y", "to": "now"},
                    "refreshConfig": {"isPaused": True, "interval": 0},
                    "query": {"query": "", "language": "kuery"},
                    "filters": [],
                    "settings": {"autoFitToDataBounds": False},
                }
            ),
            "uiStateJSON": json.dumps({"isLayerTOCOpen": True, "openTOCDetails": []}),
        },
        [{"name": "layer_1_source_index_pattern", "type": "index-pattern", "id": DATA_VIEW}],
    )


def dashboard(panels: list[tuple[dict, dict[str, int]]]) -> dict:
    panels_json = []
    references = []
    for number, (target, grid) in enumerate(panels, start=1):
        index = str(number)
        panels_json.append(
            {
                "type": target["type"],
                "panelIndex": index,
                "gridData": {**grid, "i": index},
                "embeddableConfig": {"enhancements": {}},
                "panelRefName": f"panel_{index}",
            }
        )
        references.append({"name": f"{index}:panel_{index}", "type": target["type"], "id": target["id"]})
    return saved_object(
        "dashboard",
        "dateline-newsroom",
        {
            "title": "Dateline newsroom",
            "description": "What the wires are about: topics over time, people, organisations, countries, sources.",
            "panelsJSON": json.dumps(panels_json),
            "optionsJSON": json.dumps({"useMargins": True, "syncColors": False, "hidePanelTitles": False}),
            "timeRestore": True,
            "timeFrom": "now-1y",
            "timeTo": "now",
            "refreshInterval": {"pause": True, "value": 60000},
            "kibanaSavedObjectMeta": {
                "searchSourceJSON": json.dumps({"query": {"query": "", "language": "kuery"}, "filter": []})
            },
        },
        references,
    )


def saved_objects() -> list[dict]:
    latest = saved_search(
        "dateline-latest-articles",
        "Latest articles",
        ["title", "source.name", "source.agency", "countries", "persons"],
        "",
    )
    per_pair = saved_search(
        "dateline-articles-per-country-pair",
        "Articles per country pair",
        ["country_pairs", "title", "source.name"],
        "country_pairs:*",
    )
    over_time = over_time_by_topic()
    persons = top_values_bar("dateline-top-persons", "Top persons", "persons", "Person")
    organisations = top_values_bar("dateline-top-organisations", "Top organisations", "organizations", "Organisation")
    pairs = top_values_bar("dateline-top-country-pairs", "Top country pairs", "country_pairs", "Country pair")
    sources = donut("dateline-sources", "Sources", "source.name", "Source")
    languages = donut("dateline-languages", "Languages", "language", "Language")
    world = countries_map()
    board = dashboard(
        [
            (over_time, {"x": 0, "y": 0, "w": 48, "h": 14}),
            (persons, {"x": 0, "y": 14, "w": 16, "h": 15}),
            (organisations, {"x": 16, "y": 14, "w": 16, "h": 15}),
            (pairs, {"x": 32, "y": 14, "w": 16, "h": 15}),
            (world, {"x": 0, "y": 29, "w": 24, "h": 18}),
            (sources, {"x": 24, "y": 29, "w": 12, "h": 18}),
            (languages, {"x": 36, "y": 29, "w": 12, "h": 18}),
            (latest, {"x": 0, "y": 47, "w": 48, "h": 18}),
        ]
    )
    return [data_view(), latest, per_pair, over_time, persons, organisations, pairs, sources, languages, world, board]


def main() -> None:
    OUT.write_text("".join(json.dumps(obj, sort_keys=True) + "\n" for obj in saved_objects()), encoding="utf-8")


if __name__ == "__main__":
    main()
