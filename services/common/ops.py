"""``/health`` and ``/metrics`` for a long-running service: a small HTTP server on a daemon thread.

``/metrics`` is the Prometheus text format of the process's default registry (prometheus-client); ``/health``
is a JSON object whose ``ok`` decides the status code (200 or 503). Port 0 in a service's settings means no
server, so tests can run several workers on one machine without clashing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

HealthCheck = Callable[[], dict[str, Any]]


class OpsServer:
    """Serves ``/health`` (from ``health()``) and ``/metrics`` until ``close()``."""

    def __init__(self, host: str, port: int, health: HealthCheck, registry: CollectorRegistry = REGISTRY) -> None:
        handler = _handler(health, registry)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="ops-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> OpsServer:
        self._thread.start()
        log.info("ops server listening", extra={"port": self.port, "paths": ["/health", "/metrics"]})
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(health: HealthCheck, registry: CollectorRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(200, CONTENT_TYPE_LATEST, generate_latest(registry))
            elif path == "/health":
                try:
                    report = health()
                except Exception as exc:  # a failing check is an unhealthy answer, not a dead server
                    report = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                status = 200 if report.get("ok") else 503
                self._reply(status, "application/json", orjson.dumps(report, default=str))
            else:
                self._reply(404, "text/plain", b"not found: try /health or /metrics\n")

        def _reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # scrapes every few seconds are not news
            return

    return Handler
