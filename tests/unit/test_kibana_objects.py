"""Kibana cannot run here, so its saved objects are checked against the index template they will read."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
NDJSON = ROOT / "infra" / "kibana" / "dateline.ndjson"
TYPES = {"index-pattern", "search", "lens", "map", "dashboard"}
AGGREGATABLE = {"keyword", "date", "long", "integer", "short", "byte", "float", "double", "boolean", "geo_point"}
BUCKET_OPERATIONS = {"terms", "date_histogram", "range", "unique_count", "last_value"}
ARTICLES_VIEW = "dateline-articles"
METRICS_VIEW = "dateline-metrics"
# What the pipeline metrics dashboard must show (issue 17).
REQUIRED_METRICS_PANELS = {
    "Messages in per service",
    "Messages out per service",
    "Dead letters by reason",
    "Publish latency (ingest, send to broker ack, seconds)",
    "Indexer batches (poll to commit, seconds)",
    "Consumer lag (records, worst partition)",
}
# Metricbeat's typed layout (use_types, rate_counters): which suffix each Prometheus type is stored under, and the Lens
# operations that make sense on it.
METRICBEAT_SUFFIX = {"Counter": {"rate", "counter"}, "Gauge": {"value"}, "Histogram": {"histogram"}}
OPERATIONS_ON = {"rate": {"sum"}, "counter": {"max", "last_value"}, "value": {"max", "min", "average", "sum"}}
OPERATIONS_ON["histogram"] = {"percentile", "median"}
REQUIRED_PANELS = {
    "Articles over time by topic",
    "Top persons",
    "Top organisations",
    "Countries map",
    "Sources",
    "Languages",
    "Latest articles",
}


def load_objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in NDJSON.read_text(encoding="utf-8").splitlines() if line.strip()]


def template_field_types() -> dict[str, str]:
    """Every field path the template maps (multi-fields included) -> its type."""
    template = json.loads((CommonSettings().infra_dir / "elasticsearch" / "articles.template.json").read_text())
    types: dict[str, str] = {}

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, spec in properties.items():
            path = prefix + name
            if "properties" in spec:
                walk(spec["properties"], path + ".")
                continue
            types[path] = spec.get("type", "object")
            for sub, sub_spec in spec.get("fields", {}).items():
                types[f"{path}.{sub}"] = sub_spec["type"]

    walk(template["template"]["mappings"]["properties"], "")
    return types


def field_uses(objects: list[dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    """(object title, field, how it is used: "aggregated", "date", "geo" or "shown") for every referenced field."""
    for obj in objects:
        attributes = obj["attributes"]
        title = attributes["title"]
        if obj["type"] == "index-pattern":
            yield title, attributes["timeFieldName"], "date"
        elif obj["type"] == "search":
            for column in attributes["columns"]:
                yield title, column, "shown"
            for field, _direction in attributes["sort"]:
                yield title, field, "aggregated"
        elif obj["type"] == "lens":
            for layer in attributes["state"]["datasourceStates"]["formBased"]["layers"].values():
                for column in layer["columns"].values():
                    field = column.get("sourceField")
                    if field and field != "___records___":
                        use = "date" if column["operationType"] == "date_histogram" else "aggregated"
                        yield title, field, use
        elif obj["type"] == "map":
            for layer in json.loads(attributes["layerListJSON"]):
                geo_field = layer["sourceDescriptor"].get("geoField")
                if geo_field:
                    yield title, geo_field, "geo"


def on_view(objects: list[dict[str, Any]], view: str) -> list[dict[str, Any]]:
    """The data view ``view`` and the searches, Lens panels and maps that read it."""
    return [
        obj
        for obj in objects
        if (obj["type"] == "index-pattern" and obj["id"] == view)
        or (obj["type"] != "dashboard" and any(ref["id"] == view for ref in obj["references"]))
    ]


def exported_metrics() -> dict[str, tuple[str, set[str]]]:
    """Every Prometheus metric the services define: its exposed name -> (type, label names).

    prometheus_client exposes a Counter as NAME_total whether or not NAME already ends so.
    """
    metrics: dict[str, tuple[str, set[str]]] = {}
    for path in sorted((ROOT / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in METRICBEAT_SUFFIX or not node.args:
                continue
            name = node.args[0]
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                continue
            labels_node = node.args[2] if len(node.args) > 2 else None
            labels_node = next((kw.value for kw in node.keywords if kw.arg == "labelnames"), labels_node)
            labels = set(ast.literal_eval(labels_node)) if isinstance(labels_node, ast.List) else set()
            exposed = name.value
            if node.func.id == "Counter" and not exposed.endswith("_total"):
                exposed += "_total"
            metrics[exposed] = (node.func.id, labels)
    return metrics


def check_field_use(field_type: str | None, use: str, aggregatable: bool) -> str | None:
    """Why a field cannot serve its use, or None when it can."""
    if field_type is None:
        return "not mapped"
    if use == "aggregated" and not aggregatable:
        return f"{field_type} is not aggregatable"
    if use == "date" and field_type != "date":
        return f"{field_type} is not a date"
    if use == "geo" and field_type not in {"geo_point", "geo_shape"}:
        return f"{field_type} is not geo"
    return None


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    return load_objects()


def test_every_line_is_a_kibana_8_saved_object(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        assert obj["type"] in TYPES, obj["id"]
        assert isinstance(obj["id"], str) and obj["id"]
        assert isinstance(obj["attributes"], dict) and obj["attributes"]["title"]
        assert obj["coreMigrationVersion"].startswith("8.")
        assert obj["typeMigrationVersion"]
        for reference in obj["references"]:
            assert set(reference) == {"id", "name", "type"}, obj["id"]
    assert len({(obj["type"], obj["id"]) for obj in objects}) == len(objects)


def test_references_resolve_within_the_file(objects: list[dict[str, Any]]) -> None:
    known = {(obj["type"], obj["id"]) for obj in objects}
    for obj in objects:
        names = [reference["name"] for reference in obj["references"]]
        assert len(names) == len(set(names)), obj["id"]
        for reference in obj["references"]:
            assert (reference["type"], reference["id"]) in known, (obj["id"], reference)


def test_each_object_type_has_its_kibana_structure(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        attributes, names = obj["attributes"], {reference["name"] for reference in obj["references"]}
        if obj["type"] == "search":
            source = json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert source["indexRefName"] in names
            assert source["query"]["language"] == "kuery"
        elif obj["type"] == "lens":
            state = attributes["state"]
            assert attributes["visualizationType"] in {"lnsXY", "lnsPie", "lnsDatatable", "lnsMetric"}
            for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
                assert f"indexpattern-datasource-layer-{layer_id}" in names
                assert sorted(layer["columnOrder"]) == sorted(layer["columns"])
            columns = {
                c for layer in state["datasourceStates"]["formBased"]["layers"].values() for c in layer["columns"]
            }
            for layer in state["visualization"]["layers"]:
                accessors = [layer.get("xAccessor"), layer.get("splitAccessor"), *layer.get("accessors", [])]
                accessors += [*layer.get("primaryGroups", []), *layer.get("metrics", [])]
                assert {a for a in accessors if a} <= columns, obj["id"]
        elif obj["type"] == "map":
            for layer in json.loads(attributes["layerListJSON"]):
                ref = layer["sourceDescriptor"].get("indexPatternRefName")
                assert ref is None or ref in names
            json.loads(attributes["mapStateJSON"])
        elif obj["type"] == "dashboard":
            json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
            for panel in json.loads(attributes["panelsJSON"]):
                assert f"{panel['panelIndex']}:{panel['panelRefName']}" in names
                assert panel["gridData"]["i"] == panel["panelIndex"]
                assert panel["gridData"]["x"] + panel["gridData"]["w"] <= 48


def test_the_dashboard_shows_what_the_newsroom_asked_for(objects: list[dict[str, Any]]) -> None:
    by_id = {obj["id"]: obj for obj in objects}
    board = by_id["dateline-newsroom"]
    assert board["attributes"]["title"] == "Dateline newsroom"
    shown = {by_id[reference["id"]]["attributes"]["title"] for reference in board["references"]}
    assert shown >= REQUIRED_PANELS
    searches = {obj["attributes"]["title"] for obj in objects if obj["type"] == "search"}
    assert {"Latest articles", "Articles per country pair"} <= searches
    view = by_id[ARTICLES_VIEW]
    assert view["attributes"]["title"] == CommonSettings().index_prefix
    for reference in board["references"]:
        assert {ref["id"] for ref in by_id[reference["id"]]["references"]} == {ARTICLES_VIEW}, reference["id"]


def test_every_field_exists_in_the_template_with_a_type_that_fits_its_use(objects: list[dict[str, Any]]) -> None:
    articles = on_view(objects, ARTICLES_VIEW)
    types = template_field_types()
    problems = [
        f"{title}: {field} {why}"
        for title, field, use in field_uses(articles)
        if (why := check_field_use(types.get(field), use, types.get(field) in AGGREGATABLE))
    ]
    assert problems == []
    assert len(list(field_uses(articles))) > 15


def test_every_object_reads_one_of_the_two_data_views(objects: list[dict[str, Any]]) -> None:
    articles, metrics = on_view(objects, ARTICLES_VIEW), on_view(objects, METRICS_VIEW)
    assert not {obj["id"] for obj in articles} & {obj["id"] for obj in metrics}
    dashboards = [obj for obj in objects if obj["type"] == "dashboard"]
    assert len(articles) + len(metrics) + len(dashboards) == len(objects)


def test_the_metrics_dashboard_reads_metricbeat_and_shows_the_pipeline(objects: list[dict[str, Any]]) -> None:
    by_id = {obj["id"]: obj for obj in objects}
    view = by_id[METRICS_VIEW]
    assert view["type"] == "index-pattern"
    assert view["attributes"]["title"] == "metricbeat-*"
    assert view["attributes"]["timeFieldName"] == "@timestamp"
    board = by_id["dateline-pipeline-metrics"]
    assert board["type"] == "dashboard" and board["attributes"]["title"] == "Dateline pipeline metrics"
    panels = [by_id[reference["id"]] for reference in board["references"]]
    assert {panel["attributes"]["title"] for panel in panels} >= REQUIRED_METRICS_PANELS
    for panel in panels:
        assert panel["type"] == "lens", panel["id"]
        assert {ref["id"] for ref in panel["references"]} == {METRICS_VIEW}, panel["id"]


def test_every_metrics_field_is_a_metric_the_services_export_as_metricbeat_stores_it(
    objects: list[dict[str, Any]],
) -> None:
    """prometheus.<exported name>.<suffix of its type>, or prometheus.labels.<a label of a metric in the panel>."""
    exported = exported_metrics()
    assert {"dateline_ingest_messages_in_total", "dateline_indexer_batch_seconds"} <= exported.keys()
    used_services = set()
    for obj in on_view(objects, METRICS_VIEW):
        if obj["type"] != "lens":
            continue
        title = obj["attributes"]["title"]
        columns = [
            column
            for layer in obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].values()
            for column in layer["columns"].values()
        ]
        labels: set[str] = set()
        for column in columns:
            match = re.fullmatch(
                r"prometheus\.(dateline_[a-z_]+)\.(rate|counter|value|histogram)", column["sourceField"]
            )
            if not match:
                continue
            metric, suffix = match.groups()
            assert metric in exported, f"{title}: {metric} is not a metric the services export"
            kind, metric_labels = exported[metric]
            assert suffix in METRICBEAT_SUFFIX[kind], f"{title}: a {kind} is not stored as .{suffix}"
            assert column["operationType"] in OPERATIONS_ON[suffix], (title, column["operationType"], suffix)
            labels |= metric_labels
            used_services.add(metric.split("_")[1])
        for column in columns:
            field = column["sourceField"]
            if column["operationType"] == "date_histogram":
                assert field == "@timestamp", title
            elif field.startswith("prometheus.labels."):
                assert field.removeprefix("prometheus.labels.") in labels, f"{title}: no metric here has {field}"
            else:
                assert re.fullmatch(r"prometheus\.dateline_[a-z_]+\.[a-z]+", field), (title, field)
    # Every service whose metrics the dashboard reads is a host Metricbeat scrapes.
    metricbeat = yaml.safe_load((ROOT / "infra/metricbeat/metricbeat.yml").read_text())
    hosts = {host.split(":")[0] for module in metricbeat["metricbeat.modules"] for host in module["hosts"]}
    assert used_services == {"ingest", "enrich", "indexer"}
    assert used_services <= hosts


def test_compose_imports_them_once_kibana_is_healthy() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    setup = compose["services"]["kibana-setup"]
    assert setup["depends_on"]["kibana"]["condition"] == "service_healthy"
    assert any("infra/kibana/dateline.ndjson" in volume for volume in setup.get("volumes", []))
    assert setup["entrypoint"] == ["bash", "/setup/setup-kibana.sh"]
    script = (ROOT / "infra/kibana/setup-kibana.sh").read_text()
    # Into the Dateline space and never over an analyst's edits (test_compose.py checks the rest).
    assert "/s/dateline/api/saved_objects/_import?overwrite=false" in script
