"""The long-running ingest service: the HTTP API's publisher, the feed poller and the drop-directory watcher,
started together and stopped together (flush the producer, save feed state, close)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from services.ingest.backpressure import DeliveryGate
from services.ingest.dropdir import DropDirWatcher
from services.ingest.feed_state import FeedStateStore
from services.ingest.metrics import IngestMetrics
from services.ingest.poller import FeedPoller
from services.ingest.publisher import Publisher
from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 60.0


class IngestService:
    def __init__(
        self,
        settings: IngestSettings,
        publisher: Publisher,
        gate: DeliveryGate,
        metrics: IngestMetrics,
        *,
        poller: FeedPoller | None = None,
        feed_store: FeedStateStore | None = None,
        watcher: DropDirWatcher | None = None,
    ) -> None:
        self.settings = settings
        self.publisher = publisher
        self.gate = gate
        self.metrics = metrics
        self.poller = poller
        self.watcher = watcher
        self._feed_store = feed_store
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Starts polling feeds and watching the drop directory in background threads."""
        if self.poller is not None:
            self._spawn("feed-poller", self.poller.run, self._stop)
        if self.watcher is not None:
            self._spawn("drop-dir", self.watcher.run, self._stop, self.settings.drop_scan_s)
        log.info(
            "ingest service started",
            extra={
                "feeds": len(self.poller.feeds) if self.poller else 0,
                "drop_dir": str(self.watcher.directory) if self.watcher else None,
            },
        )

    def _spawn(self, name: str, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Lets the current poll or scan finish, then flushes the producer and closes the stores."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=JOIN_TIMEOUT_S)
            if thread.is_alive():
                log.error("background thread did not stop in time", extra={"thread": thread.name})
        self.publisher.flush()
        self.publisher.close()
        if self._feed_store is not None:
            self._feed_store.close()
        log.info("ingest service stopped")
