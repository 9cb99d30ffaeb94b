"""The spaCy pipeline for enrichment: the packaged model's NER plus our gazetteer, loaded once per process."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.pipeline import SpanRuler

DATA_DIR = Path(__file__).resolve().parent / "data"
GAZETTEER_PATH = DATA_DIR / "gazetteer.json"
# spaCy forbids "." in factory names, so the version goes after an underscore ("name.v1" is for registry functions).
GAZETTEER_FACTORY = "dateline_gazetteer_v1"

# NER needs only ner: in en_core_web_sm the ner pipe embeds its own tok2vec, and the shared "tok2vec" pipe feeds
# only the tagger and parser (no listener is left once they are excluded), so running it is pure cost (about 30%
# of the time per document, measured by `make bench`). The rest changes nothing we use either.
EXCLUDED_PIPES = ("tok2vec", "parser", "tagger", "lemmatizer", "attribute_ruler", "senter", "morphologizer")


def load_nlp(model_name: str) -> Language:
    """Loads ``model_name`` with only the pipes NER needs and adds our gazetteer ruler before "ner".

    The model must be an installed package (nothing is downloaded). Entities the ruler sets are kept by the
    statistical NER, and carry the canonical name in ``ent.ent_id_``.
    """
    nlp = spacy.load(model_name, exclude=list(EXCLUDED_PIPES))
    before = "ner" if "ner" in nlp.pipe_names else None
    nlp.add_pipe(GAZETTEER_FACTORY, name="dateline_gazetteer", before=before)
    return nlp


@cache
def gazetteer_entries(path: Path = GAZETTEER_PATH) -> tuple[dict[str, Any], ...]:
    """The gazetteer entries (name, label, aliases) from ``services/enrich/data/gazetteer.json``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(data["entries"])


def gazetteer_patterns(path: Path = GAZETTEER_PATH) -> list[dict[str, Any]]:
    """Span-ruler patterns: every spelling of every entry, with the canonical name as pattern id."""
    patterns = []
    for entry in gazetteer_entries(path):
        for spelling in dict.fromkeys([entry["name"], *entry.get("aliases", [])]):
            patterns.append({"label": entry["label"], "pattern": spelling, "id": entry["name"]})
    return patterns


@Language.factory(
    GAZETTEER_FACTORY,
    default_config={"patterns_path": None},
    assigns=["doc.ents", "token.ent_type", "token.ent_iob", "token.ent_id"],
)
def make_gazetteer(nlp: Language, name: str, patterns_path: str | None) -> SpanRuler:
    """A span ruler writing to ``doc.ents`` from our gazetteer: countries' capitals, parties, office holders."""
    ruler = SpanRuler(
        nlp,
        name,
        spans_key=None,
        annotate_ents=True,
        overwrite=False,
        phrase_matcher_attr="ORTH",
        validate=False,
    )
    ruler.add_patterns(gazetteer_patterns(Path(patterns_path) if patterns_path else GAZETTEER_PATH))
    return ruler
