"""Topic coverage and top-level accuracy of the classifier beside plain keyword topics (the old lexicon alone), on
``../shared/eval/topics_dev.jsonl`` (AG News items; measured on, never trained on) and on our own labelled set.

The dev-set metric is ``../shared/eval/score.py topics``'s: the first topic (by score) that maps to an AG class gives
the prediction; no mapped topic counts as wrong and as not covered. On our set an article is right when all its
expected top-level topics are among the predicted ones, and covered when it has any top-level topic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from quality.entities.dataset import LabelledArticle
from quality.labels import SHARED
from services.enrich.steps.topics import TopicScore, keyword_topics_for, topics_for

DEV_SET = SHARED / "eval" / "topics_dev.jsonl"
AG_CLASSES = {
    "World": {"medtop:11000000", "medtop:16000000", "medtop:02000000", "medtop:03000000", "medtop:14000000"},
    "Business": {"medtop:04000000", "medtop:09000000"},
    "Sports": {"medtop:15000000"},
    "Sci/Tech": {"medtop:13000000"},
}
Tagger = Callable[[str | None, str], list[TopicScore]]


@dataclass(frozen=True)
class TopicFigures:
    """One tagger's accuracy and coverage on one set."""

    items: int
    accuracy: float
    coverage: float


def ag_class(topics: Sequence[TopicScore]) -> str | None:
    """The AG class of the best-scored topic that has one (its own code or its top-level ancestor)."""
    for topic in sorted(topics, key=lambda t: -t.score):
        top = topic.code[:9] + "000000"
        for name, codes in AG_CLASSES.items():
            if topic.code in codes or top in codes:
                return name
    return None


def dev_figures(tagger: Tagger, path: Path = DEV_SET) -> TopicFigures | None:
    """``tagger`` on the AG dev items, None when ``../shared`` is absent."""
    if not path.exists():
        return None
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    predicted = [ag_class(tagger(item.get("title") or "", item["text"])) for item in items]
    right = sum(p == item["label"] for p, item in zip(predicted, items, strict=True))
    return TopicFigures(len(items), right / len(items), sum(p is not None for p in predicted) / len(items))


def own_figures(tagger: Tagger, articles: Sequence[LabelledArticle]) -> TopicFigures:
    """``tagger`` on our labelled articles: all expected top-level topics found, and any top-level topic at all."""
    right = covered = 0
    for article in articles:
        top = {t.code[:9] + "000000" for t in tagger(article.title, article.body)}
        right += article.top_topics <= top
        covered += bool(top)
    return TopicFigures(len(articles), right / len(articles), covered / len(articles))


def render(articles: Sequence[LabelledArticle]) -> list[str]:
    """The side-by-side table: the classifier and plain keyword topics, on the dev set and on our own set."""
    rows = []
    for name, ours, plain in (
        ("AG dev set (short items)", dev_figures(topics_for), dev_figures(keyword_topics_for)),
        (
            "our labelled set (full articles)",
            own_figures(topics_for, articles),
            own_figures(keyword_topics_for, articles),
        ),
    ):
        if ours is None or plain is None:
            rows.append(f"{name:<34}skipped: {DEV_SET} is absent")
            continue
        rows.append(
            f"{name + f' ({ours.items})':<40}{ours.accuracy:.3f}    {ours.coverage:.3f}      "
            f"{plain.accuracy:.3f}    {plain.coverage:.3f}"
        )
    return [
        "Topics: classifier + keywords vs plain keyword topics (top-level accuracy, coverage)",
        f"{'set':<40}{'ours acc  coverage':<22}{'keywords acc  coverage'}",
        *rows,
    ]
