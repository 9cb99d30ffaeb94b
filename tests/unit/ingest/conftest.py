"""A producer double for the ingest unit tests: records what was sent, or fails like a broker that is down."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError

from services.ingest.bootstrap import bootstrap
from services.ingest.publisher import Publisher
from services.ingest.settings import IngestSettings


class _Acked:
    def get(self, timeout: float | None = None) -> Any:
        return None


@dataclass
class FakeProducer:
    down: bool = False
    sent: list[tuple[str, bytes, bytes]] = field(default_factory=list)

    def send(self, topic: str, key: bytes, value: bytes) -> _Acked:
        if self.down:
            raise KafkaTimeoutError("Failed to update metadata after 0.1 secs.")
        self.sent.append((topic, key, value))
        return _Acked()

    def flush(self, timeout: float | None = None) -> None:
        pass

    def close(self, timeout: float | None = None) -> None:
        pass

    def topics(self) -> list[str]:
        return [topic for topic, _, _ in self.sent]


@pytest.fixture
def ingest_settings(tmp_path: Path) -> IngestSettings:
    return IngestSettings(
        state_dir=tmp_path / "state",
        topic_prefix="unit.",
        publish_timeout_s=0.5,
        ingest_token="s3cret-token",  # type: ignore[arg-type]
        ingest_max_body_bytes=4096,
        ingest_max_items=5,
    )


@pytest.fixture
def producer() -> FakeProducer:
    return FakeProducer()


@pytest.fixture
def publisher(ingest_settings: IngestSettings, producer: FakeProducer) -> Publisher:
    made = bootstrap(ingest_settings, producer=producer, scope="unit-cluster/unit.articles.raw")  # type: ignore[arg-type]
    yield made
    made.close()
