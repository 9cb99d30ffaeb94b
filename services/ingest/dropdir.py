"""A watched drop directory: each file that appears is published once, then moved to ``published/`` (or to
``rejected/`` beside a ``.reason`` file). Files still being written are left for the next scan: writers should
write elsewhere (or to a dot-file) and rename into the directory."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from services.ingest.backpressure import DeliveryGate
from services.ingest.publisher import Outcome, Publisher
from services.ingest.reader import Delivery

log = logging.getLogger(__name__)

PUBLISHED = "published"
REJECTED = "rejected"
# Files changed more recently than this may still be growing.
SETTLE_S = 1.0
BATCH = 100


def ready_files(directory: Path, *, now: float, settle_s: float = SETTLE_S) -> list[Path]:
    """Top-level regular files that are not hidden, not partial and have not changed for ``settle_s``."""
    files = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.suffix in (".part", ".tmp") or not path.is_file():
            continue
        try:
            if now - path.stat().st_mtime < settle_s:
                continue
        except FileNotFoundError:
            continue
        files.append(path)
    return files


def _free_name(directory: Path, name: str) -> Path:
    target = directory / name
    counter = 1
    while target.exists():
        target = directory / f"{name}.{counter}"
        counter += 1
    return target


class DropDirWatcher:
    def __init__(
        self,
        directory: Path,
        publisher: Publisher,
        gate: DeliveryGate,
        *,
        topic: str | None = None,
        settle_s: float = SETTLE_S,
    ) -> None:
        self.directory = directory
        self._publisher = publisher
        self._gate = gate
        self._topic = topic
        self._settle_s = settle_s
        for name in (PUBLISHED, REJECTED):
            (directory / name).mkdir(parents=True, exist_ok=True)

    def scan(self, stop: threading.Event | None = None) -> list[Outcome]:
        """Publishes the files ready now; returns one outcome per file handled (unavailable ones stay put)."""
        files = ready_files(self.directory, now=time.time(), settle_s=self._settle_s)
        results: list[Outcome] = []
        for start in range(0, len(files), BATCH):
            chunk = files[start : start + BATCH]
            deliveries = []
            for path in chunk:
                try:
                    deliveries.append(Delivery(uri=str(path.resolve()), data=path.read_bytes()))
                except OSError as exc:
                    log.warning("cannot read dropped file", extra={"path": str(path), "error": str(exc)})
                    deliveries.append(Delivery(uri=str(path.resolve()), data=b""))
            if not self._gate.acquire(len(deliveries), stop):
                break
            outcomes: list[Outcome] = []
            try:
                outcomes = self._publisher.publish_batch(deliveries, topic=self._topic, lane="dropdir")
            finally:
                self._gate.release(len(deliveries), broker_ok=all(o.status != "unavailable" for o in outcomes))
            for path, outcome in zip(chunk, outcomes, strict=True):
                self._file_away(path, outcome)
            results.extend(outcomes)
            if any(o.status == "unavailable" for o in outcomes):
                break  # the broker is down: the rest waits for the next scan
        return results

    def _file_away(self, path: Path, outcome: Outcome) -> None:
        if outcome.status == "unavailable":
            return
        folder = self.directory / (REJECTED if outcome.status == "rejected" else PUBLISHED)
        target = _free_name(folder, path.name)
        path.replace(target)
        if outcome.status == "rejected":
            target.with_name(target.name + ".reason").write_text(f"{outcome.reason}: {outcome.detail}\n")

    def run(self, stop: threading.Event, interval_s: float) -> None:
        while not stop.is_set():
            try:
                self.scan(stop)
            except Exception:  # a vanished or unreadable directory must not end the service
                log.exception("drop directory scan failed", extra={"path": str(self.directory)})
            stop.wait(interval_s)
