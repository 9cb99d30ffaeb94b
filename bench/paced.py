"""``python -m bench.paced``: the real ingest publisher, fed at a fixed rate (freshness) or from the generator (soak).

It is ``dateline ingest`` with a clock: the same ``bootstrap(IngestSettings())`` and ``Publisher``, so
``received_at`` (ES ``ingested_at``) is stamped exactly where ``dateline ingest`` stamps it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from pathlib import Path

from bench.corpus import generate
from services.common.logs import configure_logging
from services.ingest.bootstrap import bootstrap
from services.ingest.publisher import Delivery, read_deliveries
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
    args = parser.parse_args()
    settings = IngestSettings()
    configure_logging("WARNING", settings.log_format)
    publisher = bootstrap(settings)
    if args.generate:
        source: Iterator[Delivery] = (
            Delivery(uri=f"bench://soak/{a.name}", data=a.text.encode())
            for a in generate(args.generate, seed=args.seed)
        )
    else:
        source = read_deliveries(args.paths)
    try:
        report = publisher.publish(paced(source, args.rate))
    finally:
        publisher.close()
    print(f"published {len(report.published)}, duplicates {len(report.duplicates)}, rejected {len(report.rejected)}")


if __name__ == "__main__":
    main()
