"""``python -m services.indexer``: runs the indexer until SIGTERM/Ctrl-C, then commits and closes."""

import signal

from services.common.logs import configure_logging
from services.indexer.bootstrap import bootstrap
from services.indexer.settings import IndexerSettings


def main() -> None:
    settings = IndexerSettings()
    configure_logging(settings.log_level, settings.log_format)
    indexer = bootstrap(settings)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: indexer.stop_requested.set())
    indexer.run()


if __name__ == "__main__":
    main()
