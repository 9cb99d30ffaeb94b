"""The spaCy pipeline for enrichment: the packaged model's NER plus our gazetteer, loaded once per process."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.pipeline import SpanRuler
from spacy.tokens import Doc

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


# spaCy refuses texts past ``nlp.max_length`` (1,000,000 characters); a long results dump goes through in pieces.
NER_CHUNK_CHARS = 100_000


def pipe_texts(
    nlp: Language, texts: Sequence[str], *, batch_size: int, chunk_chars: int = NER_CHUNK_CHARS
) -> Iterator[Doc]:
    """``nlp.pipe`` over ``texts``, one ``Doc`` per text whatever its length; offsets are into the whole text.

    A text longer than ``chunk_chars`` is cut after a paragraph (or line) break into pieces that each keep
    their separator, run with the rest, and joined back with ``Doc.from_docs``: the joined text is the original.
    """
    pieces: list[str] = []
    owners: list[int] = []
    for position, text in enumerate(texts):
        for piece in _chunks(text, chunk_chars):
            pieces.append(piece)
            owners.append(position)
    docs = nlp.pipe(pieces, batch_size=batch_size)
    pending: list[Doc] = []
    for index, doc in enumerate(docs):
        pending.append(doc)
        if index + 1 == len(owners) or owners[index + 1] != owners[index]:
            yield pending[0] if len(pending) == 1 else Doc.from_docs(pending, ensure_whitespace=False)
            pending = []


def _chunks(text: str, size: int) -> list[str]:
    if len(text) <= size:
        return [text]
    chunks = []
    start = 0
    while len(text) - start > size:
        window = text[start : start + size]
        cut = next((at for at in (window.rfind("\n\n"), window.rfind("\n"), window.rfind(" ")) if at > 0), -1)
        end = start + (cut + 1 if cut > 0 else size)
        chunks.append(text[start:end])
        start = end
    chunks.append(text[start:])
    return chunks
