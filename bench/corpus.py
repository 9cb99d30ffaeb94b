"""The benchmark corpus: ~2,000 plain-text wire articles of 300-1,500 words, built from our own sample feed.

Paragraphs come from ``samples/feed/`` and, when present, ``../shared/seeds/`` (each source is run through the
real extractor, so only article text is reused). Every corpus article is a title and a random draw of those
paragraphs, with numbers and paragraph order varied, so that no two articles are the same (ingest would drop
exact duplicates) while the text stays real wire prose for the NER model. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from services.enrich.steps.extract import extract_articles
from services.ingest.reader import decode_input

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FEED = REPO_ROOT / "samples" / "feed"
SEEDS = REPO_ROOT.parent / "shared" / "seeds"
CORPUS_ROOT = REPO_ROOT / "infra" / "local" / ".cache" / "bench"
MIN_WORDS, MAX_WORDS = 300, 1500
_DIGITS = re.compile(r"\d")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October")


@dataclass(frozen=True)
class CorpusArticle:
    name: str
    text: str
    words: int


@dataclass(frozen=True)
class Corpus:
    directory: Path
    articles: tuple[CorpusArticle, ...]
    sources: tuple[str, ...]

    @property
    def words(self) -> int:
        return sum(article.words for article in self.articles)

    def paths(self, start: int = 0, stop: int | None = None) -> list[Path]:
        return [self.directory / article.name for article in self.articles[start:stop]]


def source_material(dirs: tuple[Path, ...] = (SAMPLE_FEED, SEEDS)) -> tuple[list[str], list[str], list[str]]:
    """Titles and paragraphs of every article in the source directories, and the names of the files used."""
    titles: list[str] = []
    paragraphs: list[str] = []
    used: list[str] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")):
            decoded = decode_input(path.read_bytes(), name=path.name, max_bytes=5 * 1024 * 1024)
            for article in extract_articles(decoded.text, content_type=decoded.content_type):
                if article.title:
                    titles.append(article.title)
                paragraphs.extend(p for p in article.body.split("\n\n") if len(p.split()) >= 12)
            used.append(f"{directory.name}/{path.name}")
    if not paragraphs:
        raise RuntimeError(f"no source paragraphs found in {', '.join(map(str, dirs))}")
    return titles, paragraphs, used


def generate(count: int, *, seed: int = 7, start: int = 0) -> Iterator[CorpusArticle]:
    """``count`` articles (numbered from ``start``) of 300-1,500 words, most of them short like real wire copy
    (``300 * 5 ** (u * u)`` words for uniform ``u``: median ~450, mean ~560, one in five over 800)."""
    titles, paragraphs, _ = source_material()
    for number in range(start, start + count):
        rng = random.Random(f"{seed}-{number}")
        target = round(MIN_WORDS * (MAX_WORDS / MIN_WORDS) ** (rng.random() ** 2))
        chosen: list[str] = []
        words = 0
        while words < target:
            paragraph = _vary_numbers(rng.choice(paragraphs), rng)
            if words >= MIN_WORDS and words + len(paragraph.split()) > target + 40:
                break  # one long paragraph would overshoot the draw; the article is long enough
            chosen.append(paragraph)
            words += len(paragraph.split())
        title = f"{rng.choice(titles)} ({rng.choice(_MONTHS)} {rng.randint(1, 28)}, item {number})"
        text = f"{title}\n\n" + "\n\n".join(chosen) + "\n"
        yield CorpusArticle(name=f"{number:06d}.txt", text=text, words=words)


def build(count: int, *, seed: int = 7, directory: Path | None = None) -> Corpus:
    """Writes the corpus as files (once per size and seed) and returns it."""
    directory = directory or CORPUS_ROOT / f"corpus-{count}-{seed}"
    directory.mkdir(parents=True, exist_ok=True)
    articles = tuple(generate(count, seed=seed))
    for article in articles:
        path = directory / article.name
        if not path.exists() or path.stat().st_size != len(article.text.encode()):
            path.write_text(article.text, encoding="utf-8")
    return Corpus(directory=directory, articles=articles, sources=tuple(source_material()[2]))


def _vary_numbers(paragraph: str, rng: random.Random) -> str:
    """Replaces each digit by another one: the prose stays, the article becomes unique."""
    return _DIGITS.sub(lambda _: str(rng.randint(0, 9)), paragraph)
