"""Private Kafka and Elasticsearch servers for fault tests that stop and restart them.

They use the shared jars (``infra/local/.cache/{kafka,elasticsearch}/lib``) but their own data, logs and ports,
so stopping them never touches the local stack other people use. Kafka is started here directly (a KRaft
properties file and ``kafka.Kafka``); Elasticsearch through ``infra/local/es.sh`` with ``DATELINE_LOCAL_STATE``
and a fixed ``ES_PORT``, so that a restarted node answers at the same URL.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import time
import uuid
from pathlib import Path

import urllib3
from kafka import KafkaAdminClient

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL = REPO_ROOT / "infra" / "local"
KAFKA_LIB = LOCAL / ".cache" / "kafka" / "lib"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateKafka:
    """A single-node KRaft broker on loopback with its own data directory; start/stop/kill keep its ports."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port, self.controller_port = free_port(), free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        self.properties = root / "server.properties"
        self.properties.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    f"log.dirs={root / 'data'}",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=4",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "num.partitions=4",
                    "auto.create.topics.enable=false",
                    "message.max.bytes=33554432",
                    "num.network.threads=2",
                    "num.io.threads=2",
                    "",
                ]
            )
        )
        (root / "log4j.properties").write_text(
            "log4j.rootLogger=WARN, file\nlog4j.appender.file=org.apache.log4j.FileAppender\n"
            f"log4j.appender.file.File={root / 'kafka.log'}\n"
            "log4j.appender.file.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
        )
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(self.properties), check=True)

    def _java(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[bytes]:
        command = ["java", "-Xmx256m", f"-Dlog4j.configuration=file:{self.root / 'log4j.properties'}"]
        return subprocess.run([*command, "-cp", f"{KAFKA_LIB}/*", *args], capture_output=True, check=check, timeout=120)

    def start(self, timeout: float = 90) -> None:
        log = (self.root / "kafka.out").open("ab")
        self.process = subprocess.Popen(
            [
                "java",
                "-Xms256m",
                "-Xmx512m",
                "-XX:+UseG1GC",
                f"-Dlog4j.configuration=file:{self.root / 'log4j.properties'}",
                "-cp",
                f"{KAFKA_LIB}/*",
                "kafka.Kafka",
                str(self.properties),
            ],
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"private Kafka exited; see {self.root}/kafka.out"
            try:
                admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
                admin.list_topics()
                admin.close()
                return
            except Exception:
                assert time.monotonic() < deadline, "private Kafka not ready in time"
                time.sleep(1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class PrivateElasticsearch:
    """A node started by ``es.sh`` with its own state directory and a fixed port."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "KAFKA_BOOTSTRAP_SERVERS")}
        self.env = {
            **env,
            "DATELINE_LOCAL_STATE": str(root),
            "ES_PORT": str(self.port),
            "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
        }

    def _es_sh(self, command: str) -> None:
        result = subprocess.run(
            [str(LOCAL / "es.sh"), command], env=self.env, capture_output=True, text=True, timeout=240
        )
        assert result.returncode == 0, f"es.sh {command} failed:\n{result.stderr}"

    def start(self) -> None:
        self._es_sh("start")

    def stop(self) -> None:
        self._es_sh("stop")

    def answers(self) -> bool:
        try:
            return urllib3.request("GET", f"{self.url}/_cluster/health", timeout=2).status == 200
        except Exception:
            return False
