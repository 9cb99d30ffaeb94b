"""Fault-test helpers: each test owns its topics, groups and index, runs the services as real processes, injects
one fault, waits until the pipeline drains, and prints the audit's counts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from services.audit.collect import run_audit
from services.audit.reconcile import AuditReport
from services.common.kafka import consumer_lag, end_offsets
from services.common.settings import CommonSettings
from services.common.teardown import delete_indices, delete_topics
from tests.faults.servers import PrivateElasticsearch, PrivateKafka

REPO_ROOT = Path(__file__).resolve().parents[2]
DATELINE = str(Path(sys.executable).parent / "dateline")
# Single-article sample files: each round of variants adds exactly this many articles.
SINGLE_ARTICLE_SAMPLES = (
    "01_japan_korea_summit.txt",
    "02_us_auto_tariffs.txt",
    "03_russia_japan_visa_free.txt",
    "07_upper_house_election.txt",
    "08_lng_prices_energy.txt",
    "12_korea_us_drills.txt",
)


@pytest.fixture(autouse=True)
def require_shared_stack() -> None:
    """Like the integration tier, fault tests fail loudly (never skip) without the local stack."""
    missing = [name for name in ("KAFKA_BOOTSTRAP_SERVERS", "ELASTICSEARCH_URL") if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run these tests through `make faults`", pytrace=False)


class Pipeline:
    """The services of one fault test as processes, with this test's topics, groups, index and state."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.env = env
        self.workdir = workdir
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.started = time.monotonic()
        self.round = 0

    @property
    def settings(self) -> CommonSettings:
        with mock.patch.dict(os.environ, self.env):
            return CommonSettings()

    def start(self, service: str, label: str | None = None, **extra: str) -> subprocess.Popen[bytes]:
        label = label or service
        log = (self.workdir / f"{label}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"], env={**self.env, **extra}, stdout=log, stderr=log
        )
        self.processes.append((label, process))
        return process

    def log_lines(self, label: str) -> list[dict]:
        lines = []
        for line in (self.workdir / f"{label}.log").read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return lines

    def batches(self, label: str) -> tuple[int, int]:
        """(batches, raw records) a worker reported enriching, from its JSON log."""
        done = [entry for entry in self.log_lines(label) if entry.get("msg") == "batch enriched"]
        return len(done), sum(int(entry.get("raw", 0)) for entry in done)

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 45) -> float:
        """SIGTERM and wait; returns how long the graceful stop took. Fails when it did not stop in time."""
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"a service did not stop within {timeout} s of SIGTERM")
        return time.monotonic() - started

    def stop_all(self) -> None:
        for _, process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                process.kill()

    def variants(self, count_rounds: int = 1) -> list[Path]:
        """Fresh article files: the single-article samples with a title that makes them new articles."""
        files = []
        for _ in range(count_rounds):
            self.round += 1
            folder = self.workdir / f"feed-{self.round}"
            folder.mkdir()
            for name in SINGLE_ARTICLE_SAMPLES:
                text = (REPO_ROOT / "samples" / "feed" / name).read_text(encoding="utf-8")
                title, rest = text.split("\n", 1)  # a new title makes a new article id
                (folder / name).write_text(f"{title} ({self.name} copy {self.round})\n{rest}", encoding="utf-8")
                files.append(folder / name)
        return files

    def ingest(self, paths: list[Path], check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [DATELINE, "ingest", *map(str, paths)], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check:
            assert result.returncode == 0, f"ingest failed:\n{result.stdout}\n{result.stderr}"
        return result

    def dateline(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([DATELINE, *args], env=self.env, capture_output=True, text=True, timeout=timeout)

    def topic_counts(self) -> dict[str, int]:
        s = self.settings
        counts = end_offsets(s, [s.topic_raw, s.topic_enriched, s.topic_dlq])
        return {"raw": counts[s.topic_raw], "enriched": counts[s.topic_enriched], "dlq": counts[s.topic_dlq]}

    def wait_drained(self, min_accepted: int, timeout: float = 240) -> AuditReport:
        """Until both groups have no lag and the audit accounts for at least ``min_accepted`` articles."""
        deadline = time.monotonic() + timeout
        groups = [self.env["DATELINE_APP_ID"], self.env["DATELINE_GROUP_ID"]]
        report = None
        while time.monotonic() < deadline:
            for label, process in self.processes:
                code = process.poll()
                assert code in (None, 0, -signal.SIGKILL, -signal.SIGTERM), f"{label} died ({code}): {self.tail(label)}"
            try:
                lag = consumer_lag(self.settings, groups)
                if len(lag) == 2 and not any(lag.values()):
                    report = run_audit(self.settings)
                    if report.accepted >= min_accepted and report.lost == 0:
                        return report
            except Exception as exc:  # a broker or node being restarted by the test
                report = report or None
                print(f"  (waiting: {type(exc).__name__})")
            time.sleep(2)
        pytest.fail(f"pipeline not drained in {timeout} s; last audit {report and report.as_dict()}")

    def audit(self) -> dict:
        """``dateline audit --json`` as a user runs it, printed with this test's name and duration."""
        result = self.dateline("audit", "--json")
        report = json.loads(result.stdout)
        counts = {key: report[key] for key in ("accepted", "indexed", "dlq", "lost", "duplicated")}
        print(
            f"\n[{self.name}] {time.monotonic() - self.started:.0f} s  audit {json.dumps(counts)}"
            f"  dlq_by_reason {json.dumps(report['dlq_by_reason'])}  poison {report['poison']}"
        )
        assert result.returncode == (0 if report["ok"] else 1)
        return report

    def tail(self, label: str, lines: int = 30) -> str:
        path = self.workdir / f"{label}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _cleanup(settings: CommonSettings) -> None:
    # A fault test may leave a server down or slow: report a failed cleanup, do not fail the test on it.
    for what, delete in (("index", delete_indices), ("topics", delete_topics)):
        try:
            delete(settings)
        except Exception as exc:
            print(f"  (cleanup of the {what} failed: {exc})")


def _pipeline(request: pytest.FixtureRequest, tmp_path: Path, servers: dict[str, str]) -> Iterator[Pipeline]:
    tag = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        **servers,
        "DATELINE_TOPIC_PREFIX": f"fault-{tag}.",
        "DATELINE_INDEX_PREFIX": f"fault-{tag}-articles",
        "DATELINE_APP_ID": f"fault-{tag}-enrich",
        "DATELINE_GROUP_ID": f"fault-{tag}-indexer",
        "DATELINE_STATE_DIR": str(tmp_path / "state"),
        "DATELINE_LOG_FORMAT": "json",
        "DATELINE_BATCH_SIZE": "4",
        "DATELINE_MAX_BACKOFF_S": "4",
    }
    pipeline = Pipeline(request.node.name.removeprefix("test_"), env, tmp_path)
    yield pipeline
    pipeline.stop_all()
    _cleanup(pipeline.settings)


@pytest.fixture
def pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pipeline]:
    """A pipeline on the shared local stack (isolated topics, groups and index)."""
    servers = {name: os.environ[name] for name in ("KAFKA_BOOTSTRAP_SERVERS", "ELASTICSEARCH_URL")}
    yield from _pipeline(request, tmp_path, servers)


@pytest.fixture(scope="session")
def private_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="dateline-faults-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def private_kafka(private_root: Path) -> Iterator[PrivateKafka]:
    kafka = PrivateKafka(private_root / "kafka")
    kafka.start()
    yield kafka
    kafka.stop()


@pytest.fixture(scope="session")
def private_es(private_root: Path) -> Iterator[PrivateElasticsearch]:
    es = PrivateElasticsearch(private_root / "es")
    es.start()
    yield es
    es.stop()


@pytest.fixture
def private_pipeline(
    request: pytest.FixtureRequest, tmp_path: Path, private_kafka: PrivateKafka, private_es: PrivateElasticsearch
) -> Iterator[Pipeline]:
    """A pipeline on a private broker and node that the test may stop and restart."""
    if private_kafka.process is None or private_kafka.process.poll() is not None:
        private_kafka.start()
    if not private_es.answers():
        private_es.start()
    servers = {"KAFKA_BOOTSTRAP_SERVERS": private_kafka.bootstrap, "ELASTICSEARCH_URL": private_es.url}
    yield from _pipeline(request, tmp_path, servers)
