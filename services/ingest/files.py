"""Publishing files once (``dateline ingest PATH ...`` and ``python -m services.ingest PATH ...``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from services.ingest.bootstrap import bootstrap
from services.ingest.publisher import IngestReport
from services.ingest.reader import Delivery, read_deliveries
from services.ingest.settings import IngestSettings

# A one-shot command should say quickly that Kafka is not there; the long-running service waits longer.
ONE_SHOT_KAFKA_WAIT_S = 10.0


def one_shot_settings(source: str | None = None) -> IngestSettings:
    settings = IngestSettings(source_name=source) if source else IngestSettings()
    return settings.model_copy(
        update={"kafka_startup_wait_s": min(settings.kafka_startup_wait_s, ONE_SHOT_KAFKA_WAIT_S)}
    )


def deliveries_of(paths: Sequence[Path]) -> list[Delivery]:
    """The files and directories given, and standard input where a path is "-"."""
    deliveries = list(read_deliveries([p for p in paths if str(p) != "-"]))
    if any(str(p) == "-" for p in paths):
        deliveries.append(Delivery(uri="<stdin>", data=sys.stdin.buffer.read()))
    return deliveries


def publish_files(
    settings: IngestSettings,
    deliveries: Sequence[Delivery],
    *,
    backfill: bool = False,
    on_progress: Callable[[Any], None] | None = None,
) -> IngestReport:
    """Publishes the deliveries to ``articles.raw`` (or ``articles.backfill``) and returns what became of each.

    Raises ``KafkaUnavailable`` when the broker does not answer within the settings' start-up wait.
    """
    publisher = bootstrap(settings)
    try:
        return publisher.publish(
            deliveries, on_progress=on_progress, topic=settings.topic_backfill if backfill else None
        )
    finally:
        publisher.close()


def summary(report: IngestReport) -> list[str]:
    lines = [f"published {len(report.published)}, duplicates {len(report.duplicates)}, rejected {len(report.rejected)}"]
    lines += [f"  rejected {uri}: {reason} ({detail})" for uri, reason, detail in report.rejected]
    return lines
