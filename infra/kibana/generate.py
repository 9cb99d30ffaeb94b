"""Writes dateline.ndjson, the Kibana 8.19 saved objects of the "Dateline newsroom" dashboard and of the
"Dateline pipeline metrics" dashboard (the services' /metrics as Metricbeat's prometheus module writes them into
metricbeat-*, the monitoring profile of docker-compose.yml).

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
# Metricbeat's data stream (metricbeat-<version>), typed layout: prometheus.<metric>.rate / .value / .histogram.
METRICS_VIEW = "dateline-metrics"
METRICS_PATTERN = "metricbeat-*"
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


def metrics_data_view() -> dict:
    return saved_object(
        "index-pattern",
        METRICS_VIEW,
        {
            "title": METRICS_PATTERN,
            "name": "Dateline metrics (Metricbeat)",
            "timeFieldName": "@timestamp",
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


def date_column(field: str = "published_at") -> dict:
    return {
        "label": field,
        "dataType": "date",
        "operationType": "date_histogram",
        "isBucketed": True,
        "scale": "interval",
        "sourceField": field,
        "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False},
    }


def metric_column(operation: str, field: str, label: str, percentile: int | None = None) -> dict:
    """sum, max or percentile of one Metricbeat field."""
    params: dict[str, Any] = {"percentile": percentile} if operation == "percentile" else {"emptyAsNull": True}
    return {
        "label": label,
        "customLabel": True,
        "dataType": "number",
        "operationType": operation,
        "isBucketed": False,
        "scale": "ratio",
        "sourceField": field,
        "params": params,
    }


def lens(
    id_: str,
    title: str,
    visualization_type: str,
    columns: dict[str, dict],
    visualization: dict,
    data_view: str = DATA_VIEW,
) -> dict:
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
        [{"name": f"indexpattern-datasource-layer-{LAYER}", "type": "index-pattern", "id": data_view}],
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


def metrics_over_time(id_: str, title: str, series: dict[str, dict]) -> dict:
    """Lines over @timestamp, one per column of ``series`` (metric_column), on the metrics data view."""
    return lens(
        id_,
        title,
        "lnsXY",
        {"date": date_column("@timestamp"), **series},
        {
            "preferredSeriesType": "line",
            "legend": {"isVisible": True, "position": "bottom"},
            "valueLabels": "hide",
            "layers": [
                {
                    "layerId": LAYER,
                    "layerType": "data",
                    "seriesType": "line",
                    "xAccessor": "date",
                    "accessors": list(series),
                }
            ],
        },
        data_view=METRICS_VIEW,
    )


def dead_letters_by_reason() -> dict:
    reason = terms_column("prometheus.labels.reason", "Reason", 15)
    reason["params"]["orderBy"] = {"type": "column", "columnId": "enrich"}
    return lens(
        "dateline-metrics-dead-letters",
        "Dead letters by reason",
        "lnsXY",
        {
            "reason": reason,
            "enrich": metric_column("sum", "prometheus.dateline_enrich_failures_total.rate", "enrich"),
            "indexer": metric_column("sum", "prometheus.dateline_indexer_dead_letters_total.rate", "indexer"),
        },
        {
            "preferredSeriesType": "bar_horizontal_stacked",
            "legend": {"isVisible": True, "position": "bottom"},
            "valueLabels": "show",
            "layers": [
                {
                    "layerId": LAYER,
                    "layerType": "data",
                    "seriesType": "bar_horizontal_stacked",
                    "xAccessor": "reason",
                    "accessors": ["enrich", "indexer"],
                }
            ],
        },
        data_view=METRICS_VIEW,
    )


def metrics_objects() -> list[dict]:
    """The pipeline metrics dashboard: counters as Metricbeat's per-scrape increase (.rate), summed per interval."""

    def rate(metric: str, label: str) -> dict:
        return metric_column("sum", f"prometheus.{metric}.rate", label)

    def percentile(metric: str, label: str, value: int) -> dict:
        return metric_column("percentile", f"prometheus.{metric}.histogram", label, value)

    messages_in = metrics_over_time(
        "dateline-metrics-messages-in",
        "Messages in per service",
        {
            "ingest": rate("dateline_ingest_messages_in_total", "ingest (deliveries)"),
            "enrich": rate("dateline_enrich_messages_in_total", "enrich"),
            "indexer": rate("dateline_indexer_messages_in_total", "indexer"),
        },
    )
    messages_out = metrics_over_time(
        "dateline-metrics-messages-out",
        "Messages out per service",
        {
            "ingest": rate("dateline_ingest_messages_out_total", "ingest (acknowledged)"),
            "enrich": rate("dateline_enrich_messages_out_total", "enrich"),
            "indexer": rate("dateline_indexer_documents_indexed_total", "indexer (indexed)"),
        },
    )
    dead_letters = dead_letters_by_reason()
    publish = metrics_over_time(
        "dateline-metrics-publish-latency",
        "Publish latency (ingest, send to broker ack, seconds)",
        {
            "p50": percentile("dateline_ingest_publish_seconds", "median", 50),
            "p95": percentile("dateline_ingest_publish_seconds", "95th percentile", 95),
        },
    )
    batches = metrics_over_time(
        "dateline-metrics-indexer-batches",
        "Indexer batches (poll to commit, seconds)",
        {
            "p50": percentile("dateline_indexer_batch_seconds", "median", 50),
            "p95": percentile("dateline_indexer_batch_seconds", "95th percentile", 95),
        },
    )
    retries = metrics_over_time(
        "dateline-metrics-indexer-retries",
        "Indexer bulk retries",
        {"retries": rate("dateline_indexer_bulk_retries_total", "bulk passes retried")},
    )
    lag = metrics_over_time(
        "dateline-metrics-consumer-lag",
        "Consumer lag (records, worst partition)",
        {
            "enrich": metric_column("max", "prometheus.dateline_enrich_consumer_lag.value", "enrich"),
            "indexer": metric_column("max", "prometheus.dateline_indexer_consumer_lag.value", "indexer"),
        },
    )
    board = dashboard(
        [
            (messages_in, {"x": 0, "y": 0, "w": 24, "h": 14}),
            (messages_out, {"x": 24, "y": 0, "w": 24, "h": 14}),
            (dead_letters, {"x": 0, "y": 14, "w": 24, "h": 14}),
            (lag, {"x": 24, "y": 14, "w": 24, "h": 14}),
            (publish, {"x": 0, "y": 28, "w": 16, "h": 14}),
            (batches, {"x": 16, "y": 28, "w": 16, "h": 14}),
            (retries, {"x": 32, "y": 28, "w": 16, "h": 14}),
        ],
        id_="dateline-pipeline-metrics",
        title="Dateline pipeline metrics",
        description="The services' /metrics via Metricbeat (monitoring profile): throughput, dead letters, lag.",
        time_from="now-24h",
        refresh={"pause": False, "value": 60000},
    )
    return [metrics_data_view(), messages_in, messages_out, dead_letters, lag, publish, batches, retries, board]


def dashboard(
    panels: list[tuple[dict, dict[str, int]]],
    id_: str = "dateline-newsroom",
    title: str = "Dateline newsroom",
    description: str = "What the wires are about: topics over time, people, organisations, countries, sources.",
    time_from: str = "now-1y",
    refresh: dict[str, Any] | None = None,
) -> dict:
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
        id_,
        {
            "title": title,
            "description": description,
            "panelsJSON": json.dumps(panels_json),
            "optionsJSON": json.dumps({"useMargins": True, "syncColors": False, "hidePanelTitles": False}),
            "timeRestore": True,
            "timeFrom": time_from,
            "timeTo": "now",
            "refreshInterval": refresh or {"pause": True, "value": 60000},
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
    newsroom = [data_view(), latest, per_pair, over_time, persons, organisations, pairs, sources, languages, world]
    return [*newsroom, board, *metrics_objects()]


def main() -> None:
    OUT.write_text("".join(json.dumps(obj, sort_keys=True) + "\n" for obj in saved_objects()), encoding="utf-8")


if __name__ == "__main__":
    main()
