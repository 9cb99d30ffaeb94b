"""The audit's accounting rules, on hand-made records."""

from __future__ import annotations

from services.audit.reconcile import DeadLetter, IndexedDocs, TopicRecord, reconcile

RAW, ENRICHED = "articles.raw", "articles.enriched"
A, B, C = "a" * 32, "b" * 32, "c" * 32
EA, EB = "e" * 32, "f" * 32


def raw(offset: int, article_id: str | None) -> TopicRecord:
    return TopicRecord(RAW, 0, offset, article_id)


def enriched(offset: int, article_id: str | None, raw_id: str | None) -> TopicRecord:
    return TopicRecord(ENRICHED, 0, offset, article_id, raw_id)


def docs(counts: dict[str, int], raw_ids: set[str]) -> IndexedDocs:
    return IndexedDocs(id_counts=counts, raw_ids=frozenset(raw_ids))


def test_everything_indexed_once_is_clean() -> None:
    report = reconcile([raw(0, A), raw(1, A)], [enriched(0, EA, A)], [], docs({EA: 1}, {A}))
    assert (report.accepted, report.indexed, report.dlq, report.lost, report.duplicated) == (1, 1, 0, 0, 0)
    assert report.ok


def test_an_accepted_article_neither_indexed_nor_dead_lettered_is_lost() -> None:
    report = reconcile([raw(0, A), raw(1, B)], [enriched(0, EA, A)], [], docs({EA: 1}, {A}))
    assert report.lost == 1
    assert report.lost_ids == [B]
    assert not report.ok


def test_a_dead_letter_accounts_by_article_id_or_by_source_offset() -> None:
    letters = [
        DeadLetter("enrich", "no_article", B, (RAW, 0, 1)),
        DeadLetter("enrich", "no_article", None, (RAW, 0, 2)),
    ]
    report = reconcile([raw(0, A), raw(1, B), raw(2, C)], [enriched(0, EA, A)], letters, docs({EA: 1}, {A}))
    assert report.lost == 0
    assert report.dlq == 2
    assert report.dlq_by_reason == {"enrich/no_article": 2}


def test_poison_counts_under_dlq_not_accepted_and_is_lost_without_a_dead_letter() -> None:
    records = [raw(0, A), raw(1, None), raw(2, None)]
    letters = [DeadLetter("enrich", "invalid_json", None, (RAW, 0, 1))]
    report = reconcile(records, [enriched(0, EA, A)], letters, docs({EA: 1}, {A}))
    assert report.accepted == 1
    assert report.poison == 2
    assert report.lost_ids == [f"{RAW}@0:2"]


def test_an_enriched_article_refused_by_elasticsearch_accounts_for_its_raw_article() -> None:
    letters = [DeadLetter("index", "es_rejected", EB, (ENRICHED, 0, 1))]
    report = reconcile([raw(0, A), raw(1, B)], [enriched(0, EA, A), enriched(1, EB, B)], letters, docs({EA: 1}, {A}))
    assert report.lost == 0


def test_an_enriched_article_missing_from_the_index_is_lost_even_when_its_raw_article_is_indexed() -> None:
    # one raw page split into two articles; only one reached the index
    report = reconcile([raw(0, A)], [enriched(0, EA, A), enriched(1, EB, A)], [], docs({EA: 1}, {A}))
    assert report.lost_ids == [f"enriched:{EB}"]


def test_an_id_held_by_two_documents_is_duplicated() -> None:
    report = reconcile([raw(0, A)], [enriched(0, EA, A)], [], docs({EA: 2}, {A}))
    assert report.duplicated == 1
    assert report.duplicated_ids == [EA]
    assert set(report.as_dict()) >= {"accepted", "indexed", "dlq", "lost", "duplicated"}


def test_a_raw_article_whose_extracted_article_was_overwritten_by_a_later_copy_is_accounted() -> None:
    # two raw messages yield the same article; the document names the later one as raw_id
    report = reconcile([raw(0, A), raw(1, B)], [enriched(0, EA, A), enriched(1, EA, B)], [], docs({EA: 1}, {B}))
    assert report.lost == 0
