"""StoryStore on the real local node: two stores (two workers) sharing the story state, batches interleaved, the
same story ids and lineage as the in-memory StoryIndex gives one worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from elasticsearch import Elasticsearch

from services.common.elastic import story_index_prefix
from services.common.settings import CommonSettings
from services.common.teardown import delete_indices
from services.enrich.steps.stories import StoryIndex, StoryMember
from services.enrich.story_store import StoryStore, install_story_template
from tests.builders import WIRE_STORY, WIRE_STORY_EXTENSION

WIRE, EXTRA = WIRE_STORY, WIRE_STORY_EXTENSION
OTHER = (
    "Scientists counting humpback whales along Australia's east coast recorded more than 40,000 animals during "
    "this year's migration, the highest number since counts began in the 1980s, and said the recovery continues "
    "as the ocean warms and the krill the whales feed on moves further south each winter, researchers said."
)


@pytest.fixture
def stores(settings: CommonSettings, es: Elasticsearch) -> Iterator[tuple[StoryStore, StoryStore]]:
    assert install_story_template(es, settings)
    assert not install_story_template(es, settings), "a second install of the same version must change nothing"
    prefix = story_index_prefix(settings)
    yield StoryStore(es, index_prefix=prefix), StoryStore(es, index_prefix=prefix)
    delete_indices(settings)


def test_two_stores_interleaved_give_one_story_id_and_the_agency_original(
    stores: tuple[StoryStore, StoryStore],
) -> None:
    first, second = stores
    [short] = first.assign([StoryMember(id="a" * 32, body=WIRE[:250])])
    [original, other] = second.assign(
        [StoryMember(id="b" * 32, body=WIRE + EXTRA, agency="Yonhap"), StoryMember(id="c" * 32, body=OTHER)]
    )
    [again, copy] = first.assign([StoryMember(id="a" * 32, body=WIRE[:250]), StoryMember(id="d" * 32, body=WIRE)])
    assert short.story_id == original.story_id == again.story_id == copy.story_id == "a" * 32
    assert other.story_id == "c" * 32
    # Like StoryIndex: the agency's copy becomes the original of what follows; what was emitted stays.
    assert short.lineage.original
    assert original.lineage.original and original.lineage.original_id is None
    assert copy.lineage.original_id == "b" * 32 and copy.lineage.cut_words > 0
    memory = StoryIndex()
    expected = memory.assign([StoryMember(id="a" * 32, body=WIRE[:250])])
    expected += memory.assign([StoryMember(id="b" * 32, body=WIRE + EXTRA, agency="Yonhap")])
    expected += memory.assign([StoryMember(id="d" * 32, body=WIRE)])
    assert [a.story_id for a in expected] == [short.story_id, original.story_id, copy.story_id]
    assert expected[2].lineage == copy.lineage


def test_two_stores_founding_the_same_story_at_once_settle_on_one_id(
    stores: tuple[StoryStore, StoryStore],
) -> None:
    """Both workers look up before either wrote: both found the story; the read-back settles it."""
    first, second = stores
    for round_number in range(5):
        barrier = threading.Barrier(2)
        results: dict[str, str] = {}

        def assign(
            store: StoryStore, article_id: str, body: str, barrier: threading.Barrier = barrier, results=results
        ) -> None:
            barrier.wait()
            [assignment] = store.assign([StoryMember(id=article_id, body=body)])
            results[article_id] = assignment.story_id

        body = f"{WIRE} Round {round_number}: {OTHER}"
        threads = [
            threading.Thread(target=assign, args=(first, f"{round_number}x" + "e" * 30, body)),
            threading.Thread(target=assign, args=(second, f"{round_number}y" + "f" * 30, body + EXTRA)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(set(results.values())) == 1, results
        # A later copy, on either store, joins the settled story.
        [later] = second.assign([StoryMember(id=f"{round_number}z" + "0" * 30, body=body)])
        assert later.story_id in results.values()


def test_a_store_restarted_remembers_and_the_month_before_is_looked_up(
    settings: CommonSettings, stores: tuple[StoryStore, StoryStore], es: Elasticsearch
) -> None:
    prefix = story_index_prefix(settings)
    may = StoryStore(es, index_prefix=prefix, clock=lambda: datetime(2025, 5, 31, 23, 59, tzinfo=UTC))
    [founded] = may.assign([StoryMember(id="m" * 32, body=WIRE)])
    june = StoryStore(es, index_prefix=prefix, clock=lambda: datetime(2025, 6, 1, 0, 1, tzinfo=UTC))
    [copy] = june.assign([StoryMember(id="n" * 32, body=WIRE + EXTRA)])
    assert founded.story_id == copy.story_id == "m" * 32
    assert es.indices.exists(index=f"{prefix}-2025.05") and es.indices.exists(index=f"{prefix}-2025.06")
