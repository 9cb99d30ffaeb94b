"""The labelled set of ``labels.yaml``: each article's title and body, expected names, countries, topics, mentions.

Seed articles are read from ../shared through ``quality/labels.yaml``; feed articles are extracted from
``samples/feed``; our own articles live in ``articles/`` with their entity mentions marked inline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from quality.labels import LABELS as SEED_LABELS
from quality.labels import SHARED, labelled_cases
from services.enrich.steps.extract import extract_articles

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels.yaml"
ARTICLES = HERE / "articles"
FEED = HERE.parents[1] / "samples" / "feed"
MENTION_TYPES = ("PER", "ORG", "LOC")
_CONTENT_TYPES = {".txt": "text/plain", ".html": "text/html", ".json": "application/json"}
_MARK = re.compile(r"\[\[([^\[\]|]+)\|([A-Z]+)\]\]")


@dataclass(frozen=True)
class Mention:
    """An entity mention: character offsets into the body and its CoNLL type (PER, ORG or LOC)."""

    start: int
    end: int
    type: str


@dataclass(frozen=True)
class LabelledArticle:
    """One article with what an analyst expects the pipeline to find in it.

    ``persons`` and ``organizations`` hold one set of accepted spellings per real-world entity.
    ``mentions`` is None for articles whose mentions are not annotated (seeds and feed). ``held_out`` marks articles
    written after the pipeline was tuned on the rest, and never tuned on.
    """

    id: str
    kind: str
    title: str | None
    body: str
    persons: tuple[frozenset[str], ...]
    optional_persons: frozenset[str]
    organizations: tuple[frozenset[str], ...]
    optional_organizations: frozenset[str]
    countries: frozenset[str]
    top_topics: frozenset[str]
    second_topics: frozenset[str]
    optional_topics: frozenset[str]
    mentions: tuple[Mention, ...] | None
    held_out: bool = False


def parse_marked(text: str) -> tuple[str, tuple[Mention, ...]]:
    """Removes ``[[text|TYPE]]`` marks: the plain text and the marked mentions with offsets into it."""
    plain: list[str] = []
    mentions = []
    length = 0
    position = 0
    for match in _MARK.finditer(text):
        if match.group(2) not in MENTION_TYPES:
            raise ValueError(f"unknown mention type {match.group(2)!r} in {match.group(0)!r}")
        before = text[position : match.start()]
        plain.append(before)
        length += len(before)
        plain.append(match.group(1))
        mentions.append(Mention(start=length, end=length + len(match.group(1)), type=match.group(2)))
        length += len(match.group(1))
        position = match.end()
    plain.append(text[position:])
    result = "".join(plain)
    if "[[" in result or "]]" in result:
        raise ValueError(f"malformed mention mark near {result[result.find('[[') :][:60]!r}")
    return result, tuple(mentions)


def load_articles(labels: Path = LABELS, *, shared: Path = SHARED) -> Iterator[LabelledArticle]:
    """Every labelled article; seed articles only when ``shared`` (../shared) exists."""
    data = yaml.safe_load(labels.read_text(encoding="utf-8"))
    seeds = {case.name: case for case in labelled_cases(SEED_LABELS, shared)} if shared.exists() else {}
    for entry in data["articles"]:
        mentions: tuple[Mention, ...] | None = None
        if "seed" in entry:
            case = seeds.get(entry["seed"]["document"])
            if case is None:
                continue
            expected = case.expected[entry["seed"]["article"]]
            kind, title, body = "seed", expected.title, expected.body
        elif "feed" in entry:
            path = FEED / entry["feed"]["file"]
            extracted = extract_articles(path.read_text(encoding="utf-8"), content_type=_CONTENT_TYPES[path.suffix])
            article = extracted[entry["feed"]["article"]]
            kind, title, body = "feed", article.title, article.body
        else:
            title, _, marked = (ARTICLES / entry["file"]).read_text(encoding="utf-8").partition("\n\n")
            body, mentions = parse_marked(marked.strip())
            kind = "own"
        topics = entry.get("topics", {})
        yield LabelledArticle(
            id=entry["id"],
            kind=kind,
            title=title,
            body=body,
            persons=_entities(entry.get("persons", [])),
            optional_persons=frozenset(entry.get("optional_persons", [])),
            organizations=_entities(entry.get("organizations", [])),
            optional_organizations=frozenset(entry.get("optional_organizations", [])),
            countries=frozenset(entry.get("countries", [])),
            top_topics=_codes(topics.get("top", [])),
            second_topics=_codes(topics.get("second", [])),
            optional_topics=_codes(topics.get("optional", [])),
            mentions=mentions,
            held_out=bool(entry.get("held_out")),
        )


def _entities(items: list[Any]) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(item) if isinstance(item, list) else frozenset([item]) for item in items)


def _codes(codes: list[str]) -> frozenset[str]:
    return frozenset(code if code.startswith("medtop:") else f"medtop:{code}" for code in codes)
