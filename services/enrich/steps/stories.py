"""Near-duplicates grouped into stories, and what each republication of a wire story added or cut.

One wire story reaches us many times: the agency's own copy, a publisher's copy with the credit "© KYODO", a
shortened copy on an aggregator, an extended copy with two more paragraphs. They share long runs of identical
sentences, so we compare the articles' word 5-gram *shingles*. Extensions and cuts make Jaccard similarity low
(the short copy is a small part of the long one) while *containment* -- shared shingles over the smaller set --
stays high, so containment decides.

To keep memory bounded, an article is remembered only by a deterministic sample of its shingles (those whose
hash is 0 modulo ``sample_mod``; modulo sampling keeps containment unbiased, unlike min-hash bottom-k) and only
the ``capacity`` most recently seen articles are remembered. ``StoryIndex`` keeps that state in one process's memory
(``dateline enrich``, tests); the worker's ``StoryStore`` (services/enrich/story_store.py) keeps it in Elasticsearch,
shared by every worker, and uses the same rules from here: ``best_match``, ``settle_founder`` and ``lineage_of``.

The *original* of a story is the copy an agency is credited for, else the earliest published, else the first
seen. Records already emitted are not rewritten when a better original turns up later: the new one becomes the
reference for the republications that follow.
"""

from __future__ import annotations

import re
import zlib
from array import array
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_SHINGLE_WORDS = 5
# Containment at or above this makes two articles one story: copies of one wire story score 0.8-1.0, different
# stories on the same event (which share quotes) score well below 0.3 on 5-grams.
DEFAULT_THRESHOLD = 0.5
# At least this many sampled shingles in common: short teasers must not be grouped on one shared phrase.
MIN_SHARED = 3
NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class StoryMember:
    """What story grouping needs to know about one extracted article."""

    id: str
    body: str
    agency: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class Lineage:
    """The article against its story's original: ``added_words``/``cut_words`` count words (as multisets)."""

    original: bool
    original_id: str | None
    added_words: int
    cut_words: int


@dataclass(frozen=True)
class StoryAssignment:
    story_id: str
    lineage: Lineage


class StoryAssigner(Protocol):
    """What ``enrich_batch`` needs of story state: ``StoryIndex`` in memory, ``StoryStore`` in Elasticsearch."""

    def assign(self, members: Sequence[StoryMember]) -> list[StoryAssignment]:
        """Story ids and lineage for ``members`` in arrival order, remembering them for later calls."""
        ...


@dataclass(frozen=True)
class Candidate:
    """An earlier article that shares sampled shingles with the one being grouped."""

    story_id: str
    shared: int  # sampled shingle hashes in common
    sample_size: int  # the earlier article's sampled hashes
    position: tuple[str, int, int] = ("", 0, 0)  # where it was written: (index, primary term, sequence number)


def best_match(candidates: Sequence[Candidate], sample_size: int, threshold: float) -> Candidate | None:
    """The candidate containing the most of the smaller sample, if it makes the two one story; ties go to the
    earliest written, so every worker picks the same one from the same candidates."""
    best: tuple[float, tuple[str, int, int], Candidate] | None = None
    for candidate in candidates:
        if candidate.shared < MIN_SHARED or not sample_size or not candidate.sample_size:
            continue
        containment = candidate.shared / min(sample_size, candidate.sample_size)
        if containment < threshold:
            continue
        if best is None or (-containment, candidate.position) < (-best[0], best[1]):
            best = (containment, candidate.position, candidate)
    return best[2] if best else None


def settle_founder(
    own_id: str,
    own_position: tuple[str, int, int],
    sample_size: int,
    visible: Sequence[Candidate],
    threshold: float,
) -> str:
    """The story id of an article that founded a story (nothing matched it before it was written), read back
    after the write: it joins the best match among the articles written *before* it, else keeps its own id.

    Why "written before" (by Elasticsearch's (index, primary term, sequence number) on the one shard) rather than
    "smaller (received_at, id)": of two copies written at once, only the one made visible second is sure to see
    the other on read-back. The earlier-written founder keeps its id and cannot see a later one; the later one sees
    the earlier one and joins it. A rule on (received_at, id) would have the later-written copy keep its id when
    its key is smaller, while the earlier one, not seeing it, keeps its own too: two stories.
    """
    earlier = [candidate for candidate in visible if candidate.position < own_position]
    match = best_match(earlier, sample_size, threshold)
    return match.story_id if match else own_id


def original_rank(
    agency: str | None, published_at: datetime | None, arrival: tuple[str, int, int]
) -> tuple[int, datetime, tuple[str, int, int]]:
    """Which copy is a story's original: an agency's, else the earliest published, else the first arrived."""
    return (0 if agency else 1, published_at or NEVER, arrival)


def lineage_of(member: StoryMember, original_id: str, original_body: str) -> Lineage:
    """``member`` against its story's original."""
    if member.id == original_id:
        return Lineage(original=True, original_id=None, added_words=0, cut_words=0)
    words = Counter(words_of(member.body))
    original_words = Counter(words_of(original_body))
    return Lineage(
        original=False,
        original_id=original_id,
        added_words=sum((words - original_words).values()),
        cut_words=sum((original_words - words).values()),
    )


@dataclass
class _Original:
    id: str
    rank: tuple[int, datetime, int]
    body: bytes  # zlib-compressed: a third of the text's size, and its word counts are needed only on a match


@dataclass
class _Seen:
    story_id: str
    sample: array[int]  # 4 bytes a hash, where a frozenset of ints costs ~60: the index holds tens of thousands


def words_of(text: str) -> list[str]:
    """Lower-cased words, punctuation dropped: the unit of shingles and of added/cut counts."""
    return [w.lower() for w in _WORD.findall(text)]


def shingle_sample(text: str, *, sample_mod: int) -> frozenset[int]:
    """Hashes (CRC-32: stable across processes) of the word 5-grams of ``text`` that are 0 modulo ``sample_mod``."""
    words = words_of(text)
    hashes = (
        zlib.crc32(" ".join(words[i : i + _SHINGLE_WORDS]).encode("utf-8"))
        for i in range(max(len(words) - _SHINGLE_WORDS + 1, 0))
    )
    return frozenset(h for h in hashes if h % sample_mod == 0)


class StoryIndex(StoryAssigner):
    """Remembers recent articles (bounded) and assigns each new one a ``story_id`` and its ``Lineage``."""

    def __init__(self, *, capacity: int = 20_000, threshold: float = DEFAULT_THRESHOLD, sample_mod: int = 4) -> None:
        if capacity < 1 or not 0 < threshold <= 1 or sample_mod < 1:
            raise ValueError("capacity >= 1, 0 < threshold <= 1 and sample_mod >= 1 are required")
        self.capacity = capacity
        self.threshold = threshold
        self.sample_mod = sample_mod
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        # shingle hash -> the article holding it, or a set when several do (most hashes belong to one article)
        self._postings: dict[int, str | set[str]] = {}
        self._originals: OrderedDict[str, _Original] = OrderedDict()
        self._arrivals = 0

    def __len__(self) -> int:
        return len(self._seen)

    def assign(self, members: Sequence[StoryMember]) -> list[StoryAssignment]:
        """Story ids and lineage for ``members`` (in arrival order), remembering them for later calls.

        All members of one call are grouped first and the originals chosen after, so a page that carries both
        a shortened copy and the agency's copy marks the agency's copy as the original whatever their order.
        """
        story_ids = [self._group(member) for member in members]
        for member, story_id in zip(members, story_ids, strict=True):
            rank = (0 if member.agency else 1, member.published_at or NEVER, self._arrivals)
            self._arrivals += 1
            current = self._originals.get(story_id)
            if current is None or rank < current.rank:
                body = zlib.compress(member.body.encode("utf-8"))
                self._originals[story_id] = _Original(id=member.id, rank=rank, body=body)
            self._originals.move_to_end(story_id)
        while len(self._originals) > self.capacity:
            self._originals.popitem(last=False)
        return [
            StoryAssignment(story_id=story_id, lineage=self._lineage(member, self._originals[story_id]))
            for member, story_id in zip(members, story_ids, strict=True)
        ]

    def _group(self, member: StoryMember) -> str:
        known = self._seen.get(member.id)
        if known is not None:  # the same article again (another page or feed carried it)
            self._seen.move_to_end(member.id)
            return known.story_id
        sample = shingle_sample(member.body, sample_mod=self.sample_mod)
        story_id = self._best_match(sample) or member.id
        self._remember(member.id, _Seen(story_id=story_id, sample=array("I", sorted(sample))))
        return story_id

    def _best_match(self, sample: frozenset[int]) -> str | None:
        if len(sample) < MIN_SHARED:
            return None
        shared: Counter[str] = Counter()
        for value in sample:
            holders = self._postings.get(value)
            if isinstance(holders, str):
                shared[holders] += 1
            elif holders:
                shared.update(holders)
        candidates = [
            Candidate(self._seen[other_id].story_id, count, len(self._seen[other_id].sample))
            for other_id, count in shared.items()
        ]
        match = best_match(candidates, len(sample), self.threshold)
        return match.story_id if match else None

    def _remember(self, article_id: str, seen: _Seen) -> None:
        self._seen[article_id] = seen
        for value in seen.sample:
            holders = self._postings.get(value)
            if holders is None:
                self._postings[value] = article_id
            elif isinstance(holders, str):
                if holders != article_id:
                    self._postings[value] = {holders, article_id}
            else:
                holders.add(article_id)
        while len(self._seen) > self.capacity:
            old_id, old = self._seen.popitem(last=False)
            for value in old.sample:
                holders = self._postings.get(value)
                if holders == old_id:
                    del self._postings[value]
                elif isinstance(holders, set):
                    holders.discard(old_id)
                    if len(holders) == 1:
                        self._postings[value] = holders.pop()
                    elif not holders:
                        del self._postings[value]

    @staticmethod
    def _lineage(member: StoryMember, original: _Original) -> Lineage:
        if member.id == original.id:
            return Lineage(original=True, original_id=None, added_words=0, cut_words=0)
        return lineage_of(member, original.id, zlib.decompress(original.body).decode("utf-8"))
