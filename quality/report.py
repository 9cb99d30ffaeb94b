"""The extraction-quality report: per-field accuracy and body precision/recall/F1 on the labelled set.

Body scores compare word 4-gram shingles of the expected and extracted body per article, counted as multisets
(a shingle repeated twice must be found twice), and are averaged over articles. Extracted articles are matched
to expected ones by best body F1, so a page whose articles come out in another order is not penalised, while a
lost article (no extracted match) or a merge (two expected articles matched to one extracted) is counted.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from quality.generate import Case, Expected, generated_cases
from quality.labels import labelled_cases
from services.enrich.steps.dates import resolve_published
from services.enrich.steps.extract import ExtractedArticle, ExtractionError, extract_articles

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_MATCH_F1 = 0.5
TARGETS = {"body_f1": 0.96, "date": 0.95, "title": 0.95, "source": 0.95}


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < n:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def body_scores(expected: str, got: str) -> tuple[float, float, float]:
    want, have = shingles(expected), shingles(got)
    common = sum((want & have).values())
    precision = common / sum(have.values()) if have else 0.0
    recall = common / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _norm(text: str | None) -> str | None:
    return " ".join(text.split()).casefold() if text else None


def title_ok(expected: Expected, got: ExtractedArticle) -> bool:
    if expected.title_derived:  # a made-up headline: it must say so and come from the lead
        lead = _norm(expected.body.split("\n\n")[0]) or ""
        title = (got.title or "").rstrip("…")
        return got.title_derived and bool(title) and (_norm(title) or "") in lead
    return not got.title_derived and _norm(got.title) == _norm(expected.title)


def date_ok(expected: Expected, got: datetime | None) -> bool:
    if expected.published is None or got is None:
        return expected.published is None and got is None  # no date stated: null, never a guess
    if expected.date_only:
        return got.date() == expected.published.date()
    return got.replace(second=0, microsecond=0) == expected.published.replace(second=0, microsecond=0)


@dataclass
class Tally:
    articles: int = 0
    lost: int = 0
    merged: int = 0
    extra: int = 0
    failed_documents: list[str] = field(default_factory=list)
    fields: dict[str, list[bool]] = field(
        default_factory=lambda: {k: [] for k in ("title", "date", "dateline", "source")}
    )
    dated: list[bool] = field(default_factory=list)
    body: list[tuple[float, float, float]] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)


def evaluate(cases: list[Case]) -> Tally:
    tally = Tally()
    for case in cases:
        try:
            got = extract_articles(case.content, content_type=case.content_type)
        except ExtractionError as exc:
            got = []
            tally.failed_documents.append(f"{case.name}: {exc}")
        scores = [[body_scores(e.body, g.body)[2] for g in got] for e in case.expected]
        used: Counter[int] = Counter()
        for position, expected in enumerate(case.expected):
            tally.articles += 1
            best = max(range(len(got)), key=lambda j: scores[position][j], default=None)
            if best is None or scores[position][best] < _MATCH_F1:
                tally.lost += 1
                tally.body.append((0.0, 0.0, 0.0))
                tally.by_kind.setdefault(case.kind, []).append(0.0)
                for name in tally.fields:
                    tally.fields[name].append(False)
                tally.misses.append(f"{case.name}#{position}: lost")
                continue
            used[best] += 1
            article = got[best]
            p, r, f1 = body_scores(expected.body, article.body)
            tally.body.append((p, r, f1))
            tally.by_kind.setdefault(case.kind, []).append(f1)
            published, _ = resolve_published(article.published_text, case.delivered_at)
            checks = {
                "title": title_ok(expected, article),
                "date": date_ok(expected, published),
                "dateline": _norm(article.dateline) == _norm(expected.dateline),
                "source": (_norm(article.source_name), _norm(article.source_agency))
                == (_norm(expected.source_name), _norm(expected.source_agency)),
            }
            if expected.published is not None:
                tally.dated.append(checks["date"])
            for name, ok in checks.items():
                tally.fields[name].append(ok)
                if not ok:
                    value = {
                        "title": article.title,
                        "date": published,
                        "dateline": article.dateline,
                        "source": (article.source_name, article.source_agency),
                    }[name]
                    tally.misses.append(f"{case.name}#{position}: {name} = {value!r}")
            if f1 < 0.96:
                tally.misses.append(f"{case.name}#{position}: body P={p:.2f} R={r:.2f}")
        tally.merged += sum(count - 1 for count in used.values() if count > 1)
        if case.kind != "feeds":  # only a few items of the real feeds are labelled
            tally.extra += max(len(got) - len(used), 0)
    return tally


def _mean(values: list[float] | list[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def render(tally: Tally, *, verbose: bool = False) -> tuple[str, bool]:
    precision = _mean([p for p, _, _ in tally.body])
    recall = _mean([r for _, r, _ in tally.body])
    f1 = _mean([f for _, _, f in tally.body])
    results = {
        "body_f1": f1,
        "date": _mean(tally.dated),
        "title": _mean(tally.fields["title"]),
        "source": _mean(tally.fields["source"]),
    }
    lines = [
        f"Extraction quality on {tally.articles} labelled articles",
        f"  body      precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}"
        "   (word 4-gram shingles, multisets, mean over articles)",
        f"  title     {results['title']:.3f}",
        f"  date      {results['date']:.3f} to the minute where the page states one ({len(tally.dated)} articles); "
        f"null where none: {_mean(tally.fields['date']):.3f} overall",
        f"  dateline  {_mean(tally.fields['dateline']):.3f}",
        f"  source    {results['source']:.3f}  (publisher and agency both right)",
        f"  multi-article pages: {tally.lost} lost, {tally.merged} merged, {tally.extra} extra",
        "  body F1 by input kind: "
        + ", ".join(f"{kind} {_mean(values):.3f} ({len(values)})" for kind, values in sorted(tally.by_kind.items())),
    ]
    if tally.failed_documents:
        lines.append("  documents that failed: " + "; ".join(tally.failed_documents))
    passed = all(results[k] >= target for k, target in TARGETS.items()) and tally.lost == 0 and tally.merged == 0
    lines.append(
        "targets: "
        + ", ".join(f"{k} >= {t}" for k, t in TARGETS.items())
        + ", none lost or merged -> "
        + ("MET" if passed else "NOT MET")
    )
    if verbose or not passed:
        lines += ["misses:", *(f"  {m}" for m in tally.misses)]
    return "\n".join(lines), passed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    cases = [*labelled_cases(), *generated_cases()]
    text, passed = render(evaluate(cases), verbose="-v" in args)
    print(text)
    if "--no-dev" not in args:
        from quality import devsets

        if devsets.available():
            dev_text, dev_passed = devsets.render()
            print(f"\n{dev_text}")
            passed = passed and dev_passed
        else:
            print(f"\n{devsets.EVAL_DIR} not found: the development sets were not scored")
    return 0 if passed else 1
