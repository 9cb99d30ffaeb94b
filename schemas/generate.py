"""Writes the JSON Schema files from the models: ``python -m schemas.generate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.models import MESSAGE_MODELS

SCHEMA_DIR = Path(__file__).resolve().parent


def generated_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) a consumer validates ``name`` messages against."""
    model = MESSAGE_MODELS[name]
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://dateline.example/schemas/{name}.json",
        **schema,
    }


def render(name: str) -> str:
    return json.dumps(generated_schema(name), indent=2, sort_keys=True) + "\n"


def main() -> None:
    for name in MESSAGE_MODELS:
        (SCHEMA_DIR / f"{name}.json").write_text(render(name), encoding="utf-8")
        print(f"wrote schemas/{name}.json")


if __name__ == "__main__":
    main()
