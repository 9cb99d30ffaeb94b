"""Kibana cannot run here, so its saved objects are checked against the index template they will read."""

from __future__ import annotations

import json
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
    board = next(obj for obj in objects if obj["type"] == "dashboard")
    assert board["attributes"]["title"] == "Dateline newsroom"
    shown = {by_id[reference["id"]]["attributes"]["title"] for reference in board["references"]}
    assert shown >= REQUIRED_PANELS
    searches = {obj["attributes"]["title"] for obj in objects if obj["type"] == "search"}
    assert {"Latest articles", "Articles per country pair"} <= searches
    view = next(obj for obj in objects if obj["type"] == "index-pattern")
    assert view["attributes"]["title"] == CommonSettings().index_prefix


def test_every_field_exists_in_the_template_with_a_type_that_fits_its_use(objects: list[dict[str, Any]]) -> None:
    types = template_field_types()
    problems = [
        f"{title}: {field} {why}"
        for title, field, use in field_uses(objects)
        if (why := check_field_use(types.get(field), use, types.get(field) in AGGREGATABLE))
    ]
    assert problems == []
    assert len(list(field_uses(objects))) > 15


def test_compose_imports_them_once_kibana_is_healthy() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    setup = compose["services"]["kibana-setup"]
    assert setup["depends_on"]["kibana"]["condition"] == "service_healthy"
    assert any("infra/kibana/dateline.ndjson" in volume for volume in setup.get("volumes", []))
    assert setup["entrypoint"] == ["bash", "/setup/setup-kibana.sh"]
    script = (ROOT / "infra/kibana/setup-kibana.sh").read_text()
    # Into the Dateline space and never over an analyst's edits (test_compose.py checks the rest).
    assert "/s/dateline/api/saved_objects/_import?overwrite=false" in script
