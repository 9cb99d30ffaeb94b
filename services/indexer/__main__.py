"""``python -m services.indexer``: runs the indexer until SIGTERM/Ctrl-C, then commits and closes."""

import gc
import signal

from services.common.logs import configure_logging
from services.common.ops import OpsServer
from services.indexer.bootstrap import bootstrap
from services.indexer.settings import IndexerSettings


def main() -> None:
    settings = IndexerSettings()
    configure_logging(settings.log_level, settings.log_format)
    indexer = bootstrap(settings)
    # Each batch builds thousands of short-lived, acyclic objects (decoded articles, their documents); at the
    # default thresholds the cyclic collector ran every few hundred allocations and tripled the cost of decoding.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: indexer.stop_requested.set())
    ops = None
    if settings.metrics_port:
        ops = OpsServer(settings.metrics_host, settings.metrics_port, indexer.health).start()
    try:
        indexer.run()
    finally:
        if ops:
            ops.close()


if __name__ == "__main__":
    main()
