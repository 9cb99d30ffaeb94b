"""Entity mentions on unseen newswire (``../shared/eval/ner_dev.jsonl``, CoNLL-2003 dev), ours beside plain spaCy.

The same metric as ``../shared/eval/score.py ner`` (per document, the multiset of (mention text, PER/ORG/LOC);
micro P/R/F1), twice for us: through the whole enrichment as ``dateline enrich`` runs it (extraction included, as
``score.py`` judges), and straight into our NER and entity rules, the first line as title and the rest as body,
which isolates the entity step from what extraction keeps or loses. Plain ``en_core_web_sm`` runs on the whole
text, as in ``score.py``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from spacy.language import Language

from quality.entities.scoring import Counts
from quality.labels import SHARED
from services.enrich.pipeline import enrich_batch
from services.enrich.steps.casing import case_normalised
from services.enrich.steps.entities import REMOVAL_RULES, Removal, extract_entities_counted
from services.ingest.reader import DecodedInput, build_ingested

NER_DEV = SHARED / "eval" / "ner_dev.jsonl"
MENTION_TYPES = ("PER", "ORG", "LOC")
# score.py's mapping of spaCy labels; NORP and EVENT are MISC in CoNLL, which is not scored.
SCORED_TYPES = {"PERSON": "PER", "PER": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}

MentionBag = Counter[tuple[str, str]]


@dataclass(frozen=True)
class NewswireDoc:
    """One dev document: its headline line, the rest, and the gold (text, type) mentions of the whole text."""

    id: str
    title: str
    body: str
    gold: MentionBag

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}"


@dataclass
class NewswireScores:
    """Per-type counts for one system over the set."""

    by_type: dict[str, Counts] = field(default_factory=lambda: {kind: Counts() for kind in MENTION_TYPES})

    @property
    def all(self) -> Counts:
        return sum(self.by_type.values(), Counts())


def load_newswire(path: Path = NER_DEV, limit: int | None = None) -> list[NewswireDoc]:
    """The dev documents, title split off at the first line break."""
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines()[:limit]:
        record = json.loads(line)
        title, _, body = record["text"].partition("\n")
        gold = mention_bag((e["text"], e["label"]) for e in record["entities"])
        docs.append(NewswireDoc(id=record["id"], title=title, body=body, gold=gold))
    return docs


def mention_bag(mentions: Iterable[tuple[str, str | None]]) -> MentionBag:
    """score.py's multiset: white space collapsed, only PER, ORG and LOC."""
    return Counter((re.sub(r"\s+", " ", text).strip(), kind) for text, kind in mentions if kind in MENTION_TYPES)


@dataclass(frozen=True)
class RuleCost:
    """What one removal rule did on the set: spans removed, and how many of them were gold mentions (of the type
    the model gave, or of any type) that we did not produce otherwise."""

    removed: int = 0
    gold_same_type: int = 0
    gold_any_type: int = 0


def predict_ours(docs: Sequence[NewswireDoc], nlp: Language) -> tuple[list[MentionBag], dict[str, RuleCost]]:
    """Our mentions per document, as ``services.enrich.pipeline`` computes them, and what each rule removed."""
    texts = [case_normalised(d.body) for d in docs] + [case_normalised(d.title, context=d.body) for d in docs]
    parsed = list(nlp.pipe(texts))
    costs = {rule: RuleCost() for rule in REMOVAL_RULES}
    bags = []
    for doc, body_doc, title_doc in zip(docs, parsed[: len(docs)], parsed[len(docs) :], strict=True):
        entities, removed = extract_entities_counted(body_doc, doc.body, title_doc=title_doc, title=doc.title)
        bag = mention_bag((m.text, SCORED_TYPES.get(e.type)) for e in entities for m in e.mentions)
        bags.append(bag)
        for rule, cost in _rule_costs(removed, doc.gold - bag).items():
            old = costs[rule]
            costs[rule] = RuleCost(*(a + b for a, b in zip(_fields(old), _fields(cost), strict=True)))
    return bags, costs


def _fields(cost: RuleCost) -> tuple[int, int, int]:
    return cost.removed, cost.gold_same_type, cost.gold_any_type


def _rule_costs(removed: Iterable[Removal], missed: MentionBag) -> dict[str, RuleCost]:
    missed = Counter(missed)
    missed_texts = Counter(text for text, _ in missed.elements())
    costs: dict[str, RuleCost] = {}
    for removal in removed:
        text = re.sub(r"\s+", " ", removal.text).strip()
        key = (text, SCORED_TYPES.get(removal.label, ""))
        same = missed[key] > 0
        if same:
            missed[key] -= 1
        anywhere = missed_texts[text] > 0
        if anywhere:
            missed_texts[text] -= 1
        old = costs.get(removal.rule, RuleCost())
        costs[removal.rule] = RuleCost(old.removed + 1, old.gold_same_type + same, old.gold_any_type + anywhere)
    return costs


def predict_enriched(docs: Sequence[NewswireDoc], nlp: Language) -> list[MentionBag]:
    """Our mentions per document from the enriched records, as ``dateline enrich`` prints them."""
    raws = [
        build_ingested(DecodedInput(text=d.text, content_type="text/plain"), uri=d.id, received_at=datetime.now(UTC))
        for d in docs
    ]
    outcomes = enrich_batch(raws, nlp, model_name="quality")
    return [
        mention_bag((m.text, SCORED_TYPES.get(e.type)) for a in o.articles for e in a.entities for m in e.mentions)
        for o in outcomes
    ]


def predict_plain(docs: Sequence[NewswireDoc], nlp: Language) -> list[MentionBag]:
    """Plain spaCy on the whole document, as score.py runs it."""
    texts = (d.text for d in docs)
    return [mention_bag((e.text, SCORED_TYPES.get(e.label_)) for e in doc.ents) for doc in nlp.pipe(texts)]


def score(docs: Sequence[NewswireDoc], predicted: Sequence[MentionBag]) -> NewswireScores:
    """Micro counts per type over the set."""
    scores = NewswireScores()
    for doc, bag in zip(docs, predicted, strict=True):
        for kind in MENTION_TYPES:
            gold = Counter({k: n for k, n in doc.gold.items() if k[1] == kind})
            got = Counter({k: n for k, n in bag.items() if k[1] == kind})
            tp = sum((gold & got).values())
            scores.by_type[kind] += Counts(tp=tp, fp=sum(got.values()) - tp, fn=sum(gold.values()) - tp)
    return scores


def misses(docs: Sequence[NewswireDoc], predicted: Sequence[MentionBag]) -> Iterator[str]:
    """Per document, what we missed and what we added (for reading the errors)."""
    for doc, bag in zip(docs, predicted, strict=True):
        missed, extra = doc.gold - bag, bag - doc.gold
        if missed or extra:
            yield f"{doc.id} missed {sorted(missed.elements())} extra {sorted(extra.elements())}"


def render(
    enriched: NewswireScores, ours: NewswireScores, plain: NewswireScores, costs: dict[str, RuleCost], n_docs: int
) -> list[str]:
    """The per-type table (ours as enriched, the entity step alone, plain) and the per-rule removal counts."""

    def row(name: str, *systems: Counts) -> str:
        return name.ljust(22) + "    ".join(f"{c.precision:.3f} {c.recall:.3f} {c.f1:.3f}" for c in systems)

    lines = [
        f"Mentions on unseen newswire: {NER_DEV.name}, {n_docs} CoNLL-2003 dev documents, exact text per type "
        "(the score.py ner metric)",
        f"{'':<22}{'enriched  P  R  F1':<22}{'entity step  P  R  F1':<22}plain spaCy  P  R  F1",
        row("all (PER, ORG, LOC)", enriched.all, ours.all, plain.all),
        *(row(f"  {k}", enriched.by_type[k], ours.by_type[k], plain.by_type[k]) for k in MENTION_TYPES),
        "enriched: through `dateline enrich` (extraction included), as score.py judges; entity step: the first line",
        "as title and the rest as body, straight into our NER and rules",
        "spans the model found that a rule removed (all labels), and how many of them were gold mentions we then",
        "missed (as the model typed them / as any type): a rule is worth it while the last columns stay small",
        f"  {'rule':<18}{'removed':>8}{'gold':>6}{'any':>5}  reason",
        *(
            f"  {rule:<18}{costs[rule].removed:>8}{costs[rule].gold_same_type:>6}{costs[rule].gold_any_type:>5}  "
            f"{reason}"
            for rule, reason in REMOVAL_RULES.items()
        ),
    ]
    return lines


def evaluate(nlp: Language, plain_nlp: Language, limit: int | None = None) -> list[str] | None:
    """The rendered newswire section, or None when ``../shared`` is not beside this clone."""
    if not NER_DEV.exists():
        return None
    docs = load_newswire(limit=limit)
    ours, costs = predict_ours(docs, nlp)
    enriched = score(docs, predict_enriched(docs, nlp))
    return render(enriched, score(docs, ours), score(docs, predict_plain(docs, plain_nlp)), costs, len(docs))
