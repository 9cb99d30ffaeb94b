from datetime import UTC, datetime

from spacy.language import Language

from schemas import ArticleIngested, Origin
from services.enrich.pipeline import enrich_batch
from services.enrich.steps.stories import StoryIndex, StoryMember, words_of
from tests.builders import WIRE_STORY, WIRE_STORY_EXTENSION
from tests.unit.enrich.conftest import DELIVERED_AT, MODEL_NAME

WIRE, EXTRA = WIRE_STORY, WIRE_STORY_EXTENSION
OTHER = (
    "Scientists counting humpback whales along Australia's east coast recorded more than 40,000 animals during "
    "this year's migration, the highest number since counts began in the 1980s, and said the recovery continues."
)


def test_extension_and_cut_share_a_story_and_the_agency_copy_is_the_original() -> None:
    index = StoryIndex()
    short, original, other = index.assign(
        [
            StoryMember(id="a" * 32, body=WIRE[:250]),
            StoryMember(id="b" * 32, body=WIRE + EXTRA, agency="Yonhap"),
            StoryMember(id="c" * 32, body=OTHER),
        ]
    )
    assert short.story_id == original.story_id == "a" * 32
    assert other.story_id == "c" * 32
    assert original.lineage.original and original.lineage.original_id is None
    assert not short.lineage.original and short.lineage.original_id == "b" * 32
    assert short.lineage.added_words <= 1 and short.lineage.cut_words > 20


def test_grouping_spans_calls_and_the_same_article_keeps_its_story() -> None:
    index = StoryIndex()
    (first,) = index.assign([StoryMember(id="a" * 32, body=WIRE)])
    (later,) = index.assign([StoryMember(id="d" * 32, body=WIRE + EXTRA)])
    (again,) = index.assign([StoryMember(id="a" * 32, body=WIRE)])
    assert first.story_id == later.story_id == again.story_id == "a" * 32
    assert later.lineage.added_words == len(words_of(EXTRA)) and later.lineage.cut_words == 0


def test_capacity_bounds_memory() -> None:
    index = StoryIndex(capacity=10)
    for n in range(50):
        index.assign([StoryMember(id=f"{n:032x}", body=f"story number {n} " + OTHER.replace("whales", f"w{n}"))])
    assert len(index) == 10


def test_short_teasers_are_not_grouped_on_one_shared_phrase() -> None:
    index = StoryIndex()
    a, b = index.assign(
        [
            StoryMember(id="a" * 32, body="Prime Minister Shigeru Ishiba said on Thursday the talks went well."),
            StoryMember(id="b" * 32, body="Prime Minister Shigeru Ishiba said on Thursday he would not resign."),
        ]
    )
    assert a.story_id != b.story_id


def test_seed_000_two_lee_stories_share_a_story_id(nlp: Language, seed_text) -> None:
    raw = ArticleIngested(
        id="0" * 32,
        content=seed_text("000"),
        content_type="text/plain",
        origin=Origin(uri="seeds/000.txt"),
        received_at=DELIVERED_AT,
    )
    (outcome,) = enrich_batch([raw], nlp, model_name=MODEL_NAME)
    articles = outcome.articles
    assert len(articles) == 4
    assert len({a.id for a in articles}) == 4
    assert articles[0].story_id == articles[2].story_id
    assert len({articles[0].story_id, articles[1].story_id, articles[3].story_id}) == 3
    short, kyodo = articles[0], articles[2]
    assert kyodo.lineage is not None and kyodo.lineage.original and kyodo.source.agency == "Kyodo"
    assert short.lineage is not None and not short.lineage.original and short.lineage.original_id == kyodo.id
    assert short.lineage.cut_words > 100 and short.lineage.added_words == 0
    assert all(a.lineage and a.lineage.original for a in (articles[1], articles[3]))


def test_worker_style_index_groups_across_batches(nlp: Language, seed_text) -> None:
    stories = StoryIndex()
    text = seed_text("000")
    first, second = (
        ArticleIngested(
            id=f"{n:032x}",
            content=content,
            content_type="text/plain",
            origin=Origin(uri=f"page-{n}.txt"),
            received_at=datetime(2025, 7, 3, 10, n, tzinfo=UTC),
        )
        for n, content in enumerate([text.split("Try Our AI Features")[0], text])
    )
    (one,) = enrich_batch([first], nlp, model_name=MODEL_NAME, stories=stories)
    (two,) = enrich_batch([second], nlp, model_name=MODEL_NAME, stories=stories)
    assert two.articles[2].story_id == one.articles[0].story_id
