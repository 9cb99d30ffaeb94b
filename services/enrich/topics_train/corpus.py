"""The training items: the news items we wrote (``corpus/*.txt``) and the IPTC Media Topic definitions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"


@dataclass(frozen=True)
class Item:
    """One training text with the Media Topic codes it is about (any level) and its weight in training."""

    text: str
    codes: tuple[str, ...]
    source: str
    weight: float = 1.0


def written_items(directory: Path = CORPUS_DIR) -> Iterator[Item]:
    """``codes | headline | text`` lines of ``corpus/*.txt`` (codes without "medtop:", comma-separated)."""
    for path in sorted(directory.glob("*.txt")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            codes, headline, text = (part.strip() for part in line.split("|", 2))
            yield Item(
                text=f"{headline}\n\n{text}",
                codes=tuple(f"medtop:{code.strip()}" for code in codes.split(",")),
                source=f"{path.name}:{number}",
            )


def definition_items(taxonomy: Path, weight: float = 0.5) -> Iterator[Item]:
    """One item per active Media Topic: its label and definition, about the topic itself (CC BY 4.0, IPTC)."""
    for concept in json.loads(taxonomy.read_text(encoding="utf-8")):
        yield Item(
            text=f"{concept['label']}. {concept['definition']}",
            codes=(concept["qcode"],),
            source=f"iptc:{concept['qcode']}",
            weight=weight,
        )
