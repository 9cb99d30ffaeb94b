"""``python -m bench.paced``: the real ingest publisher, fed at a fixed rate (freshness) or from the generator (soak).

It is ``dateline ingest`` with a clock: the same ``bootstrap(IngestSettings())`` and ``Publisher``, so
``received_at`` (ES ``ingested_at``) is stamped exactly where ``dateline ingest`` stamps it.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from bench.corpus import generate
from services.common.logs import configure_logging
from services.ingest.bootstrap import bootstrap
from services.ingest.publisher import BrokerUnavailable
from services.ingest.reader import Delivery, read_deliveries
from services.ingest.settings import IngestSettings


def paced(deliveries: Iterator[Delivery], rate: float) -> Iterator[Delivery]:
    """Yields deliveries on a fixed schedule (``rate`` per second; 0 = as fast as the publisher takes them)."""
    start = time.monotonic()
    for number, delivery in enumerate(deliveries):
        if rate > 0:
            delay = start + number / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        yield delivery


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--rate", type=float, default=0.0, help="Articles per second (0: unpaced).")
    parser.add_argument("--generate", type=int, default=0, help="Publish this many generated articles instead.")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--start", type=int, default=0, help="Number of the first generated article.")
    parser.add_argument("--backfill", action="store_true", help="Publish to articles.backfill (an archive import).")
    args = parser.parse_args()
    settings = IngestSettings()
    configure_logging("WARNING", settings.log_format)
    publisher = bootstrap(settings)
    if args.generate:
        lane = "backfill" if args.backfill else "soak"
        source: Iterator[Delivery] = (
            Delivery(uri=f"bench://{lane}/{a.name}", data=a.text.encode())
            for a in generate(args.generate, seed=args.seed, start=args.start)
        )
    else:
        source = read_deliveries(args.paths)
    counts: Counter[str] = Counter()
    try:
        if args.rate > 0:
            # A live wire delivers one article at a time: each is published the moment it arrives, as the HTTP
            # endpoint and the feed poller do. (``Publisher.publish`` gathers files in chunks of 100, which on a
            # paced source would hold early articles back until the chunk is full.)
            for delivery in paced(source, args.rate):
                for outcome in publisher.publish_batch([delivery], lane="files"):
                    if outcome.status == "unavailable":
                        raise BrokerUnavailable(f"{outcome.uri}: {outcome.detail}")
                    counts[outcome.status] += 1
        else:
            report = publisher.publish(source, topic=settings.topic_backfill if args.backfill else None)
            counts.update(published=len(report.published), duplicate=len(report.duplicates))
            counts.update(rejected=len(report.rejected))
    finally:
        publisher.close()
    print(f"published {counts['published']}, duplicates {counts['duplicate']}, rejected {counts['rejected']}")


if __name__ == "__main__":
    main()
