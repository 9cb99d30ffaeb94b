from __future__ import annotations

from pathlib import Path

from schemas import ArticleIngested, ArticleRejected, decode
from services.ingest.bootstrap import bootstrap
from services.ingest.reader import read_deliveries
from services.ingest.settings import IngestSettings
from tests.conftest import SAMPLE_FEED
from tests.kafka_helpers import read_topic


def _publish(paths: list[Path]):
    publisher = bootstrap(IngestSettings())
    try:
        return publisher.publish(read_deliveries(paths))
    finally:
        publisher.close()


def test_files_are_published_once_keyed_by_article_id(settings, tmp_path: Path) -> None:
    files = sorted(p for p in SAMPLE_FEED.iterdir() if p.suffix in {".txt", ".html", ".json"})
    assert len(files) >= 10

    first = _publish(files)
    assert len(first.published) == len(files)
    assert first.rejected == []

    second = _publish(files)
    assert second.published == []
    assert len(second.duplicates) == len(files)

    records = read_topic(settings.kafka_bootstrap_servers, settings.topic_raw)
    assert len(records) == len(files)
    messages = [decode(record.value, ArticleIngested) for record in records]
    assert {record.key.decode() for record in records} == {message.id for message in messages}
    assert {message.origin.uri for message in messages} == {str(path.resolve()) for path in files}


def test_bad_files_are_rejected_into_the_dlq_with_a_reason(settings, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "junk.bin").write_bytes(bytes(range(256)) * 16)
    (inbox / "good.txt").write_text("TOKYO\nA perfectly ordinary story about trade talks.")

    report = _publish([inbox])
    assert len(report.published) == 1
    assert sorted(reason for _, reason, _ in report.rejected) == ["binary", "empty"]

    dead = [
        decode(record.value, ArticleRejected)
        for record in read_topic(settings.kafka_bootstrap_servers, settings.topic_dlq)
    ]
    assert sorted(message.reason for message in dead) == ["binary", "empty"]
    assert all(message.stage == "ingest" for message in dead)
    junk = next(message for message in dead if message.reason == "binary")
    assert junk.original_encoding == "base64"
    assert "junk.bin" in junk.error
