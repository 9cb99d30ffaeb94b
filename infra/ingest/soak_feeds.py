"""`make soak-feeds`: the ingest service polling generated RSS feeds on loopback for N minutes, its memory
sampled. Not part of CI. Needs the local stack (`make up`); uses topics of its own and deletes them after.

    .venv/bin/python -m infra.ingest.soak_feeds --minutes 10

Each feed gains new items every interval and keeps its latest 50, as wire feeds do; the service polls each feed
every interval with If-None-Match. Prints the resident memory of the service at start, after 1 minute and at
the end, the published count, and how long the service took to stop on SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil
from kafka import KafkaAdminClient

from infra.ingest.feed_server import FeedServer, rss
from services.common.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
KEEP_ITEMS = 50


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _grow_feeds(server: FeedServer, feeds: int, per_tick: int, interval_s: float, stop: threading.Event) -> None:
    counters = [0] * feeds
    while not stop.is_set():
        for n in range(feeds):
            counters[n] += per_tick
            first = max(0, counters[n] - KEEP_ITEMS)
            items = [
                (f"soak-{n}-{i}", f"Feed {n} story {i}", f"TOKYO - Story {i} of feed {n}: talks went on. " * 5)
                for i in range(first, counters[n])
            ]
            server.put(f"/feed{n}.rss", rss(f"Soak feed {n}", items))
        stop.wait(interval_s)


def _metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--feeds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=2.0, help="Feed growth and poll interval, seconds.")
    parser.add_argument("--per-tick", type=int, default=2, help="New items per feed per interval.")
    args = parser.parse_args()

    common = CommonSettings()
    prefix = f"soak-{secrets.token_hex(4)}."
    token = secrets.token_urlsafe(24)
    port = _free_port()
    server = FeedServer()
    stop = threading.Event()
    grower = threading.Thread(
        target=_grow_feeds, args=(server, args.feeds, args.per_tick, args.interval, stop), daemon=True
    )
    grower.start()
    with tempfile.TemporaryDirectory(prefix="dateline-soak-") as tmp:
        feeds_file = Path(tmp) / "feeds.toml"
        feeds_file.write_text(
            "".join(
                f'[[feeds]]\nurl = "{server.url(f"/feed{n}.rss")}"\ninterval_s = {args.interval}\n\n'
                for n in range(args.feeds)
            )
        )
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": common.kafka_bootstrap_servers,
            "DATELINE_TOPIC_PREFIX": prefix,
            "DATELINE_STATE_DIR": str(Path(tmp) / "state"),
            "DATELINE_FEEDS_FILE": str(feeds_file),
            "DATELINE_INGEST_TOKEN": token,
            "DATELINE_INGEST_PORT": str(port),
            "DATELINE_LOG_LEVEL": "WARNING",
        }
        service = subprocess.Popen([sys.executable, "-m", "services.ingest", "serve"], cwd=ROOT, env=env)
        process = psutil.Process(service.pid)
        samples: list[tuple[float, int]] = []
        started = time.monotonic()
        deadline = started + args.minutes * 60
        try:
            while time.monotonic() < deadline and service.poll() is None:
                samples.append((time.monotonic() - started, process.memory_info().rss))
                time.sleep(5)
            metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        finally:
            stopping = time.monotonic()
            service.send_signal(signal.SIGTERM)
            code = service.wait(timeout=120)
            stop_s = time.monotonic() - stopping
            stop.set()
            server.close()
            _delete_topics(common, prefix)

    def rss_at(seconds: float) -> float:
        return min(samples, key=lambda s: abs(s[0] - seconds))[1] / 2**20

    warm = 10.0  # imports and the first polls
    print(f"soak: {args.feeds} feeds, +{args.per_tick} items each every {args.interval:g} s, {args.minutes:g} min")
    print(f"RSS at start (t={warm:.0f}s): {rss_at(warm):.1f} MiB")
    print(f"RSS after 1 min:          {rss_at(60):.1f} MiB")
    print(f"RSS at end (t={samples[-1][0]:.0f}s):   {samples[-1][1] / 2**20:.1f} MiB")
    late = [rss for t, rss in samples if t >= 60] or [samples[-1][1]]
    print(f"RSS max from 1 min on:    {max(late) / 2**20:.1f} MiB")
    print(f"published: {_metric(metrics, 'dateline_ingest_messages_out_total{'):.0f}")
    print(f"polls: {_metric(metrics, 'dateline_ingest_feed_polls_total{'):.0f}")
    print(f"duplicates: {_metric(metrics, 'dateline_ingest_duplicates_total{'):.0f}")
    # uvicorn re-raises the SIGTERM it handled once shutdown is complete, so a graceful stop exits by the signal.
    graceful = code in (0, -signal.SIGTERM)
    print(f"SIGTERM -> exit {code} ({'graceful' if graceful else 'NOT graceful'}) in {stop_s:.1f} s")
    return 0 if graceful else 1


def _delete_topics(settings: CommonSettings, prefix: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        names = [name for name in admin.list_topics() if name.startswith(prefix)]
        if names:
            admin.delete_topics(names)
    finally:
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
