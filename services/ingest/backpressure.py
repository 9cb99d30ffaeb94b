"""Back-pressure: a bounded number of articles in flight to the broker, and a memory of the broker being down.

The HTTP API asks without waiting and answers 503 with Retry-After when there is no room or the broker failed
recently; the feed poller and the drop-directory watcher wait for room instead. Nothing is accepted that the
broker did not acknowledge, so nothing is buffered beyond this bound and nothing is dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class DeliveryGate:
    def __init__(
        self,
        capacity: int,
        *,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[int], None] | None = None,
    ) -> None:
        self.capacity = capacity
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._on_change = on_change
        self._in_flight = 0
        self._failed_at: float | None = None
        self._condition = threading.Condition()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def broker_down(self) -> bool:
        """True within ``cooldown_s`` of a failed acknowledgement with no success since."""
        failed_at = self._failed_at
        return failed_at is not None and self._clock() - failed_at < self._cooldown_s

    def try_acquire(self, count: int) -> bool:
        """Room for ``count`` articles now, or False (the caller answers 503)."""
        with self._condition:
            if self._in_flight + count > self.capacity and self._in_flight > 0:
                return False
            self._take(count)
            return True

    def acquire(self, count: int, stop: threading.Event | None = None) -> bool:
        """Waits for room; False when ``stop`` was set meanwhile. A batch larger than capacity waits until empty."""
        with self._condition:
            while self._in_flight + count > self.capacity and self._in_flight > 0:
                if stop is not None and stop.is_set():
                    return False
                self._condition.wait(timeout=0.5)
            self._take(count)
            return True

    def release(self, count: int, *, broker_ok: bool) -> None:
        with self._condition:
            self._in_flight -= count
            self._failed_at = None if broker_ok else self._clock()
            self._condition.notify_all()
            self._changed()

    def _take(self, count: int) -> None:
        self._in_flight += count
        self._changed()

    def _changed(self) -> None:
        if self._on_change:
            self._on_change(self._in_flight)
