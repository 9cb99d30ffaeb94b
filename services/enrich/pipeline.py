"""Raw article in, enriched articles out: the enrichment steps composed, with no broker in sight.

``dateline enrich`` and the faust worker both call ``enrich_batch``, so what the CLI prints is exactly what the
worker produces.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from spacy.language import Language
from spacy.tokens import Doc

from schemas import ArticleEnriched, ArticleIngested, Enrichment, Lineage, Mention, Origin, Source, Topic
from schemas import Entity as EntityModel
from schemas import Quote as QuoteModel
from services.enrich.nlp import pipe_texts
from services.enrich.steps.casing import case_normalised
from services.enrich.steps.countries import countries_for, country_pairs
from services.enrich.steps.dates import resolve_published
from services.enrich.steps.entities import Entity, extract_entities, title_to_tag
from services.enrich.steps.extract import ExtractedArticle, ExtractionError, extract_articles
from services.enrich.steps.language import detect_language
from services.enrich.steps.quotes import extract_quotes
from services.enrich.steps.stories import StoryAssigner, StoryAssignment, StoryIndex, StoryMember
from services.enrich.steps.topics import topics_for

log = logging.getLogger(__name__)

# Bump on any change that alters the output for the same input; records carry it so replays can be targeted.
ENRICHMENT_VERSION = "0.5.0"

PERSON_TYPES = frozenset({"PERSON"})
ORGANIZATION_TYPES = frozenset({"ORG"})
PLACE_TYPES = frozenset({"GPE", "LOC", "FAC"})
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class EnrichOutcome:
    """What became of one raw article: its enriched articles, or why it could not be enriched."""

    raw: ArticleIngested
    articles: tuple[ArticleEnriched, ...] = ()
    reason: str | None = None
    error: str | None = None


def article_id(extracted: ExtractedArticle) -> str:
    """Same title and body (up to white space), same id, whichever page or feed carried the article."""
    normalised = _WHITESPACE.sub(" ", f"{extracted.title or ''}\n{extracted.body}").strip().lower()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]


def enrich_batch(
    raws: Sequence[ArticleIngested],
    nlp: Language,
    *,
    model_name: str,
    batch_size: int = 32,
    stories: StoryAssigner | None = None,
) -> list[EnrichOutcome]:
    """Enriches several raw articles with one pass of ``nlp.pipe`` over all their extracted articles.

    ``stories`` remembers earlier articles so that near-duplicates share a ``story_id``: the worker passes its
    ``StoryStore`` (Elasticsearch, shared by every worker), ``dateline enrich`` a ``StoryIndex`` for its run.
    Without it, grouping spans this batch only.
    """
    stories = stories if stories is not None else StoryIndex()
    extracted: list[tuple[ArticleIngested, list[ExtractedArticle]]] = []
    failed: dict[int, EnrichOutcome] = {}
    for position, raw in enumerate(raws):
        try:
            articles = extract_articles(raw.content, content_type=raw.content_type)
        except ExtractionError as exc:
            failed[position] = EnrichOutcome(raw=raw, reason=exc.reason, error=str(exc))
            articles = []
        except Exception as exc:  # a parser bug on one odd document must not take the batch down
            log.exception("extraction crashed", extra={"article_id": raw.id})
            failed[position] = EnrichOutcome(raw=raw, reason="extraction_failed", error=f"{type(exc).__name__}: {exc}")
            articles = []
        if not articles and position not in failed:
            failed[position] = EnrichOutcome(raw=raw, reason="no_article", error="no article text found")
        extracted.append((raw, articles))

    assignments = iter(_assign_stories(extracted, failed, stories))
    kept = [article for _, articles in extracted for article in articles]
    titles = [title_to_tag(article.title, article.title_derived, article.body) for article in kept]
    # One pass over bodies and the headlines to tag, each recased for the model where it is all caps.
    model_texts = [case_normalised(article.body) for article in kept] + [
        case_normalised(title, context=article.body) for article, title in zip(kept, titles, strict=True) if title
    ]
    outcomes: list[EnrichOutcome] = []
    # Strings and lexemes spaCy adds for this batch's words are freed when the zone closes: without it the
    # vocabulary of a long-running worker grows with every new name and number it ever sees. Nothing built
    # below keeps a spaCy object, only Python strings and numbers.
    with nlp.memory_zone():
        docs = list(pipe_texts(nlp, model_texts, batch_size=batch_size))
        title_docs = iter(docs[len(kept) :])
        title_inputs = iter([(title, next(title_docs)) if title else (None, None) for title in titles])
        start = 0
        for position, (raw, articles) in enumerate(extracted):
            raw_docs, start = docs[start : start + len(articles)], start + len(articles)
            if position in failed:
                outcomes.append(failed[position])
                continue
            raw_assignments = [next(assignments) for _ in articles]
            try:
                built = tuple(
                    _build(raw, article, doc, model_name, assignment, title_input)
                    for article, doc, assignment, title_input in zip(
                        articles, raw_docs, raw_assignments, [next(title_inputs) for _ in articles], strict=True
                    )
                )
            except Exception as exc:  # one bad article must not take the batch down with it
                log.exception("enrichment failed", extra={"article_id": raw.id})
                outcomes.append(EnrichOutcome(raw=raw, reason="enrich_failed", error=f"{type(exc).__name__}: {exc}"))
                continue
            outcomes.append(EnrichOutcome(raw=raw, articles=built))
    return outcomes


def _assign_stories(
    extracted: Sequence[tuple[ArticleIngested, list[ExtractedArticle]]],
    failed: dict[int, EnrichOutcome],
    stories: StoryAssigner,
) -> list[StoryAssignment]:
    """Story ids and lineage for every extracted article, in order (failed raws have none)."""
    members = [
        StoryMember(
            id=article_id(article),
            body=article.body,
            agency=article.source_agency,
            published_at=resolve_published(article.published_text, raw.received_at)[0],
        )
        for position, (raw, articles) in enumerate(extracted)
        if position not in failed
        for article in articles
    ]
    return stories.assign(members)


def _build(
    raw: ArticleIngested,
    article: ExtractedArticle,
    doc: Doc,
    model_name: str,
    story: StoryAssignment,
    title_input: tuple[str | None, Doc | None] = (None, None),
) -> ArticleEnriched:
    title, title_doc = title_input
    entities = extract_entities(doc, article.body, title_doc=title_doc, title=title)
    countries = countries_for(entities)
    published_at, precision = resolve_published(article.published_text, raw.received_at)
    identifier = article_id(article)
    return ArticleEnriched(
        id=identifier,
        raw_id=raw.id,
        story_id=story.story_id,
        lineage=Lineage(
            original=story.lineage.original,
            original_id=story.lineage.original_id,
            added_words=story.lineage.added_words,
            cut_words=story.lineage.cut_words,
        ),
        url=article.url,
        source=Source(name=article.source_name or raw.source.name, agency=article.source_agency),
        title=article.title,
        title_derived=article.title_derived,
        byline=article.byline,
        body=article.body,
        published_at=published_at,
        published_at_precision=precision,  # type: ignore[arg-type]
        received_at=raw.received_at,
        dateline=article.dateline,
        language=detect_language(article.body),
        origin=Origin(uri=raw.origin.uri, item=article.item),
        entities=[_entity_model(entity) for entity in entities],
        persons=_names(entities, PERSON_TYPES),
        organizations=_names(entities, ORGANIZATION_TYPES),
        places=_names(entities, PLACE_TYPES),
        countries=countries,
        country_pairs=country_pairs(countries),
        topics=[
            Topic(code=t.code, label=t.label, score=round(t.score, 4)) for t in topics_for(article.title, article.body)
        ],
        quotes=[QuoteModel(**asdict(quote)) for quote in extract_quotes(article.body, entities)],
        enrichment=Enrichment(version=ENRICHMENT_VERSION, model=model_name),
    )


def _entity_model(entity: Entity) -> EntityModel:
    return EntityModel(
        name=entity.name,
        type=entity.type,
        role=entity.role,
        mentions=[Mention(start=m.start, end=m.end, text=m.text, field=m.field) for m in entity.mentions],
    )


def _names(entities: Sequence[Entity], types: frozenset[str]) -> list[str]:
    return sorted({entity.name for entity in entities if entity.type in types})
