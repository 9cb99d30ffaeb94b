"""Extraction on the development sets in ``../shared/eval`` (text none of us wrote), beside plain trafilatura.

The metrics are those of ``../shared/eval/score.py`` (see its README), computed here on the extraction step
directly so that a unit test can hold them; ``make quality`` also runs ``score.py`` itself, through
``dateline enrich``, which is how the project is judged.

- wire: Reuters-21578 wires; title exact, dateline place, month-day of the date, each a share of all wires;
- pages: real news pages; body F1 over word 4-gram shingles per page (precision and recall averaged over
  pages), ours and plain ``trafilatura.extract`` with its defaults on the same pages;
- coverage: CoNLL-2003 development documents; the share of each document's words after its headline line that
  the extracted title, byline, dateline and body keep, averaged.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.enrich.steps.dates import resolve_published
from services.enrich.steps.extract import ExtractedArticle, ExtractionError, extract_articles

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval"
TARGETS = {"wire": 0.95, "pages_f1": 0.97, "coverage": 0.97}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class WireScores:
    wires: int
    title: float
    dateline: float
    month_day: float


@dataclass(frozen=True)
class PageScores:
    pages: int
    precision: float
    recall: float
    rejected: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def available() -> bool:
    return EVAL_DIR.is_dir()


def _records(name: str) -> Iterator[dict[str, Any]]:
    with (EVAL_DIR / name).open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def _longest(content: str, content_type: str) -> ExtractedArticle | None:
    try:
        articles = extract_articles(content, content_type=content_type)
    except ExtractionError:
        return None
    return max(articles, key=lambda a: len(a.body), default=None)


def score_wires(delivered_at: datetime | None = None) -> WireScores:
    """Title, dateline place and month-day on ``wire_dev.jsonl``."""
    delivered_at = delivered_at or datetime.now(UTC)
    n = title = dateline = month_day = 0
    for wire in _records("wire_dev.jsonl"):
        n += 1
        gold = wire["gold"]
        article = _longest(wire["raw_text"], "text/plain")
        if article is None:
            continue
        title += (article.title or "").strip().lower() == gold["title"].strip().lower()
        place = (gold.get("dateline_location") or "").lower()
        dateline += bool(place) and (article.dateline or "").strip().lower() == place
        published, _ = resolve_published(article.published_text, delivered_at)
        words = (gold.get("dateline_month_day") or "").lower().split()
        if published is not None and len(words) == 2 and words[1].isdigit() and words[0][:3] in _MONTHS:
            month_day += (published.month, published.day) == (_MONTHS.index(words[0][:3]) + 1, int(words[1]))
    return WireScores(wires=n, title=title / n, dateline=dateline / n, month_day=month_day / n)


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text.lower())
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1))) if tokens else Counter()


def page_precision_recall(extracted: str, gold: str) -> tuple[float, float]:
    """The article-extraction-benchmark's per-page precision and recall (both empty: 1; nothing extracted: 0)."""
    have, want = shingles(extracted), shingles(gold)
    tp, fp, fn = sum((have & want).values()), sum((have - want).values()), sum((want - have).values())
    if fp == fn == 0:
        return 1.0, 1.0
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def score_pages() -> tuple[PageScores, PageScores]:
    """(ours, plain trafilatura with its defaults) on ``extraction_dev/``."""
    import trafilatura

    folder = EVAL_DIR / "extraction_dev"
    ours: list[tuple[float, float]] = []
    plain: list[tuple[float, float]] = []
    rejected = plain_rejected = 0
    for page in _records("extraction_dev/gold.jsonl"):
        raw = (folder / page["file"]).read_bytes()
        html = raw.decode("utf-8", errors="replace")
        article = _longest(html, "text/html")
        rejected += article is None
        ours.append(page_precision_recall(article.body if article else "", page["body"]))
        baseline = trafilatura.extract(raw) or ""
        plain_rejected += not baseline
        plain.append(page_precision_recall(baseline, page["body"]))

    def mean(scores: list[tuple[float, float]], rejected: int) -> PageScores:
        count = len(scores)
        return PageScores(count, sum(p for p, _ in scores) / count, sum(r for _, r in scores) / count, rejected)

    return mean(ours, rejected), mean(plain, plain_rejected)


def score_coverage() -> float:
    """The mean share of each newswire document's words (after its headline line) that extraction keeps."""
    shares = []
    for document in _records("ner_dev.jsonl"):
        wanted = Counter(_TOKEN.findall(document["text"].split("\n", 1)[-1].lower()))
        try:
            articles = extract_articles(document["text"], content_type="text/plain")
        except ExtractionError:
            articles = []
        fields = " ".join(f"{a.title or ''} {a.byline or ''} {a.dateline or ''} {a.body}" for a in articles)
        kept = Counter(_TOKEN.findall(fields.lower()))
        shares.append(sum((wanted & kept).values()) / max(1, sum(wanted.values())))
    return sum(shares) / len(shares)


def render() -> tuple[str, bool]:
    """The report printed by ``python -m quality`` after our own set, and whether every target holds."""
    wires, (ours, plain), coverage = score_wires(), score_pages(), score_coverage()
    lines = [
        f"Development sets in {EVAL_DIR} (text none of us wrote)",
        f"  wire ({wires.wires} Reuters wires): title {wires.title:.3f}  dateline {wires.dateline:.3f}"
        f"  month-day {wires.month_day:.3f}   (target >= {TARGETS['wire']} each)",
        f"  pages ({ours.pages} news pages), body P/R/F1: ours {ours.precision:.3f} / {ours.recall:.3f} / {ours.f1:.3f}"
        f" ({ours.rejected} rejected); plain trafilatura {plain.precision:.3f} / {plain.recall:.3f} / {plain.f1:.3f}"
        f" ({plain.rejected} empty)   (target >= {TARGETS['pages_f1']}, never below plain)",
        f"  coverage (CoNLL-2003 dev documents): {coverage:.3f} of the words kept   (target >= {TARGETS['coverage']})",
    ]
    passed = (
        min(wires.title, wires.dateline, wires.month_day) >= TARGETS["wire"]
        and ours.f1 >= max(TARGETS["pages_f1"], plain.f1)
        and coverage >= TARGETS["coverage"]
    )
    lines.append("dev-set targets -> " + ("MET" if passed else "MISSED"))
    return "\n".join(lines), passed
