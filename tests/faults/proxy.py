"""A loopback HTTP proxy in front of a real Elasticsearch node that answers 429 to the first N ``_bulk`` calls.

Everything else, and every ``_bulk`` after the first N, goes through to the node unchanged: the data still lands
in the real index. It stands in for a node whose write thread pool is full, which a single idle node cannot be
made to do on demand.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import urllib3

REJECTION = b'{"error":{"type":"es_rejected_execution_exception","reason":"rejected by the fault proxy"},"status":429}'


class RejectingProxy:
    def __init__(self, upstream: str, reject_bulks: int) -> None:
        self.upstream = upstream.rstrip("/")
        self.remaining = reject_bulks
        self.rejected = 0
        self.bulks_passed = 0
        self._lock = threading.Lock()
        self._http = urllib3.PoolManager()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _should_reject(self, path: str) -> bool:
        if "_bulk" not in path:
            return False
        with self._lock:
            if self.remaining > 0:
                self.remaining -= 1
                self.rejected += 1
                return True
            self.bulks_passed += 1
            return False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy._should_reject(self.path):
                    self._reply(429, {"Content-Type": "application/json"}, REJECTION)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                response = proxy._http.request(
                    self.command,
                    proxy.upstream + self.path,
                    body=body or None,
                    headers=headers,
                    retries=False,
                    preload_content=True,
                    decode_content=False,
                )
                passed = {k: v for k, v in response.headers.items() if k.lower() not in ("transfer-encoding",)}
                self._reply(response.status, passed, response.data)

            def _reply(self, status: int, headers: dict[str, Any], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
