"""The hand-labelled seeds and format examples (``labels.yaml``), read against the files in ../shared."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from lxml import etree
from lxml import html as lxml_html

from quality.generate import Case, Expected

LABELS = Path(__file__).resolve().parent / "labels.yaml"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _paragraphs_of_markup(markup: str) -> list[str]:
    root = lxml_html.fragment_fromstring(markup, create_parent="div")
    blocks = root.xpath(".//p") or [root]
    return [" ".join(b.text_content().split()) for b in blocks]


def _body(spec: dict[str, Any], path: Path, text: str) -> str:
    if "lines" in spec:
        first, last = spec["lines"]
        paragraphs = text.splitlines()[first - 1 : last]
    elif "json" in spec:
        node: Any = json.loads(text)
        for part in spec["json"].strip("/").split("/"):
            node = node[int(part)] if isinstance(node, list) else node[part]
        value = str(node)
        paragraphs = _paragraphs_of_markup(value) if value.lstrip().startswith("<") else value.splitlines()
    else:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
        root = etree.fromstring(text.lstrip().encode("utf-8"), parser=parser)
        (match,) = root.xpath(f"({spec['xpath']})[1]")
        paragraphs = [" ".join("".join(p.itertext()).split()) for p in match.xpath(".//*[local-name()='p']")]
        if not paragraphs:  # escaped HTML inside the element (RSS description, content:encoded)
            paragraphs = _paragraphs_of_markup("".join(match.itertext()))
    for old in spec.get("strip", []):
        paragraphs = [p.replace(old, "") for p in paragraphs]
    dropped = set(spec.get("drop", []))
    kept = [" ".join(p.split()) for p in paragraphs]
    return "\n\n".join(p for p in kept if p and p not in dropped and not re.fullmatch(r"\W*", p))


def labelled_cases(labels: Path = LABELS, shared: Path = SHARED) -> Iterator[Case]:
    """One case per labelled document; nothing when ../shared is absent (the report says how many it read)."""
    data = yaml.safe_load(labels.read_text(encoding="utf-8"))
    delivered_at = _when(data["delivered_at"])
    assert delivered_at is not None
    for document in data["documents"]:
        path = shared / document["path"]
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        expected = tuple(
            Expected(
                title=article.get("title"),
                title_derived=bool(article.get("title_derived")),
                body=_body(article["body"], path, text),
                published=_when(article.get("published")),
                date_only=bool(article.get("date_only")),
                dateline=article.get("dateline"),
                source_name=article["source"]["name"],
                source_agency=article["source"]["agency"],
            )
            for article in document["articles"]
        )
        kind = "seed" if document["path"].startswith("seeds/") else document["path"].split("/")[1]
        yield Case(
            name=document["path"],
            kind=kind,
            content=text,
            content_type=document["content_type"],
            expected=expected,
            delivered_at=delivered_at,
        )
