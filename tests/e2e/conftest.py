"""What the end-to-end tests share: the ``dateline`` CLI as a subprocess and the services as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.kafka import consumer_lag
from services.common.settings import CommonSettings

DATELINE = str(Path(sys.executable).parent / "dateline")


def dateline(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([DATELINE, *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"dateline {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def search_json(*args: str, env: dict[str, str]) -> dict:
    return json.loads(dateline("search", *args, "--json", env=env).stdout)


@pytest.fixture
def pipeline(isolated_env: dict[str, str], settings: CommonSettings, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The enrichment worker and the indexer running as real processes on this test's topics and index."""
    env = {**os.environ, **isolated_env}
    processes = []
    for service in ("enrich", "indexer"):
        log = (tmp_path / f"{service}.log").open("w")
        processes.append(
            (
                service,
                subprocess.Popen([sys.executable, "-m", f"services.{service}"], env=env, stdout=log, stderr=log),
            )
        )
    yield env
    for _, process in processes:
        process.terminate()
    for service, process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"{service} did not stop within 30 s of SIGTERM")


def wait_until_drained(settings: CommonSettings, env: dict[str, str], min_docs: int) -> None:
    dateline("wait-searchable", "--min-docs", str(min_docs), "--timeout", "240", env=env, timeout=260)
    deadline = time.monotonic() + 60
    groups = [env["DATELINE_APP_ID"], env["DATELINE_GROUP_ID"]]
    while any(consumer_lag(settings, groups).values()):
        assert time.monotonic() < deadline, f"consumers still lagging: {consumer_lag(settings, groups)}"
        time.sleep(0.5)


def ingest_article(env: dict[str, str], directory: Path, title: str, body: str) -> None:
    """Writes one plain-text article (title line, blank line, body) and publishes it with ``dateline ingest``."""
    path = directory / "live.txt"
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    dateline("ingest", str(path), env=env)
