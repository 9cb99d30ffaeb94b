"""The measurements: each scenario runs the real services as processes on its own topics, groups and index.

Throughput scenarios start their processes first and warm them up (model loaded, consumer group joined, a few
articles through), then publish a slice of the corpus with the real publisher and time from the start of
publishing until the last output exists (a record on ``articles.enriched``, or a document visible to search).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import psutil
from elasticsearch import ApiError, Elasticsearch
from elasticsearch.helpers import bulk, parallel_bulk
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from bench.corpus import CORPUS_ROOT, Corpus, generate
from schemas import ArticleEnriched, decode
from services.common.elastic import install_template, make_client, template_name
from services.common.kafka import end_offsets, ensure_topics
from services.common.settings import CommonSettings
from services.common.teardown import delete_indices, delete_topics
from services.enrich.nlp import load_nlp
from services.enrich.pipeline import enrich_batch
from services.enrich.steps.extract import extract_articles
from services.indexer.documents import bulk_action
from services.indexer.settings import IndexerSettings

log = logging.getLogger(__name__)
PYTHON = sys.executable
DATELINE = str(Path(sys.executable).parent / "dateline")
WARMUP_ARTICLES = 16
INDEXER_DOCUMENTS = 4000  # seven bulks of 500 after the first: long enough for a steady rate
POLL_S = 0.05


# --- isolation --------------------------------------------------------------------------------------------------


@dataclass
class Stage:
    """One scenario's own topics, consumer groups, index and ingest state; cleaned up on exit."""

    name: str
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dateline-bench-")))

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATELINE_TOPIC_PREFIX": f"bench-{self.tag}.",
            "DATELINE_INDEX_PREFIX": f"bench-{self.tag}-articles",
            "DATELINE_APP_ID": f"bench-{self.tag}-enrich",
            "DATELINE_GROUP_ID": f"bench-{self.tag}-indexer",
            "DATELINE_STATE_DIR": str(self.workdir / "state"),
            "DATELINE_LOG_FORMAT": "json",
            "DATELINE_LOG_LEVEL": "INFO",
        }

    @property
    def settings(self) -> CommonSettings:
        return CommonSettings(topic_prefix=f"bench-{self.tag}.", index_prefix=f"bench-{self.tag}-articles")

    def cleanup(self) -> None:
        delete_indices(self.settings)
        delete_topics(self.settings)


@contextlib.contextmanager
def staged(name: str) -> Iterator[Stage]:
    stage = Stage(name)
    ensure_topics(stage.settings)
    try:
        yield stage
    finally:
        try:
            stage.cleanup()
        except Exception:  # a failed cleanup must not hide the measurement's own error
            log.exception("cleanup failed", extra={"stage": stage.name})


# --- processes and their memory ----------------------------------------------------------------------------------


class MemoryWatch:
    """Samples the resident set size of every registered process (and its children) and keeps each one's peak."""

    def __init__(self, interval_s: float = 0.25) -> None:
        self.peak_mb: dict[str, float] = {}
        self.series: list[tuple[float, str, float]] = []
        self._processes: dict[int, tuple[str, psutil.Process]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._interval_s = interval_s
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss")
        self._thread.start()

    def add(self, service: str, pid: int) -> None:
        with self._lock:
            self._processes[pid] = (service, psutil.Process(pid))

    def sample(self) -> dict[str, float]:
        """The current RSS per service (MiB), summed over its processes; also updates the peaks."""
        now: dict[str, float] = {}
        with self._lock:
            items = list(self._processes.items())
        for pid, (service, process) in items:
            try:
                rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
            except psutil.Error:
                with self._lock:
                    self._processes.pop(pid, None)
                continue
            mb = rss / 2**20
            # Two worker processes are one service at twice the memory; the peak is per process.
            self.peak_mb[service] = max(self.peak_mb.get(service, 0.0), mb)
            now[service] = now.get(service, 0.0) + mb
        return now

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            for service, mb in self.sample().items():
                self.series.append((time.time(), service, mb))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class Service:
    """A service started as ``python -m MODULE`` with a stage's environment, its output in the stage's workdir."""

    def __init__(self, name: str, args: Sequence[str], stage: Stage, memory: MemoryWatch) -> None:
        self.name = name
        self.log_path = stage.workdir / f"{name}-{uuid.uuid4().hex[:4]}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [PYTHON, *args], env=stage.env, stdout=self._log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1]
        )
        memory.add(name, self.process.pid)

    def check(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_records(self) -> list[dict[str, Any]]:
        records = []
        for line in self.log_path.read_bytes().splitlines():
            with contextlib.suppress(orjson.JSONDecodeError):
                records.append(orjson.loads(line))
        return records

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()

    def stop(self) -> None:
        self.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


@contextlib.contextmanager
def services(stage: Stage, memory: MemoryWatch, *specs: tuple[str, list[str]]) -> Iterator[list[Service]]:
    started: list[Service] = []
    try:
        for name, args in specs:
            started.append(Service(name, args, stage, memory))
        yield started
    finally:
        for service in started:  # all at once: each takes a second or two to leave its group and close
            service.terminate()
        for service in started:
            service.stop()


ENRICH = ("enrich", ["-m", "services.enrich"])
INDEXER = ("indexer", ["-m", "services.indexer"])
NAIVE_ENRICH = ("naive-enrich", ["-m", "bench.naive", "enrich"])
NAIVE_INDEX = ("naive-index", ["-m", "bench.naive", "index"])


def ingest(stage: Stage, memory: MemoryWatch, paths: Sequence[Path], *, rate: float = 0.0) -> subprocess.Popen[bytes]:
    """Starts the real publisher on ``paths`` (``dateline ingest``; paced through ``bench.paced`` when ``rate``)."""
    args = [DATELINE, "ingest", *map(str, paths)] if not rate else [PYTHON, "-m", "bench.paced", "--rate", str(rate)]
    if rate:
        args.extend(map(str, paths))
    log_file = (stage.workdir / f"ingest-{uuid.uuid4().hex[:4]}.log").open("wb")
    process = subprocess.Popen(args, env=stage.env, stdout=log_file, stderr=subprocess.STDOUT)
    memory.add("ingest", process.pid)
    return process


def finish(process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    if process.wait(timeout=timeout) != 0:
        raise RuntimeError(f"ingest failed with {process.returncode}: {process.args!r}")


# --- waiting for outputs ------------------------------------------------------------------------------------------


def wait_for(what: str, done: Any, services_: Sequence[Service], timeout: float) -> float:
    """Polls ``done()`` until true; returns the wall time it became true. Fails fast when a service died."""
    deadline = time.monotonic() + timeout
    while True:
        if done():
            return time.time()
        for service in services_:
            service.check()
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {s.name}\n{s.tail()}" for s in services_)
            raise TimeoutError(f"timed out waiting for {what}\n{tails}")
        time.sleep(POLL_S)


def enriched_count(stage: Stage) -> int:
    return end_offsets(stage.settings, [stage.settings.topic_enriched])[stage.settings.topic_enriched]


def searchable_count(es: Elasticsearch, stage: Stage) -> int:
    """Documents a search sees (``_count`` only counts what a refresh has made visible)."""
    try:
        return int(es.count(index=f"{stage.settings.index_prefix}-*", allow_no_indices=True)["count"])
    except ApiError as exc:  # 503 while a new monthly index's shard is still starting
        if exc.status_code != 503:
            raise
        return 0


def enriched_records(stage: Stage) -> list[tuple[int, bytes]]:
    """(timestamp in ms, value) of every record on the stage's ``articles.enriched``."""
    return topic_records(stage, stage.settings.topic_enriched)


def topic_records(stage: Stage, topic: str) -> list[tuple[int, bytes]]:
    """(timestamp in ms, value) of every record on one of the stage's topics."""
    consumer = KafkaConsumer(bootstrap_servers=stage.settings.kafka_bootstrap_servers, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        out: list[tuple[int, bytes]] = []
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=500).values():
                out.extend((record.timestamp, record.value) for record in records)
        return out
    finally:
        consumer.close()


# --- scenarios ---------------------------------------------------------------------------------------------------


def rates(articles: int, words: int, seconds: float) -> dict[str, float]:
    """A throughput figure. Ratios between scenarios are taken on words/s: some run on a part of the run's slice,
    and NER time follows words, not articles (on the same articles both ratios are the same)."""
    return {
        "articles": articles,
        "words": words,
        "seconds": seconds,
        "articles_per_s": articles / seconds,
        "words_per_s": words / seconds,
    }


def combined(*parts: dict[str, float]) -> dict[str, float]:
    """One throughput figure over several measured parts: their articles and words over their summed time."""
    return rates(
        sum(int(p["articles"]) for p in parts), sum(int(p["words"]) for p in parts), sum(p["seconds"] for p in parts)
    )


def words_of(corpus: Corpus, start: int, stop: int) -> int:
    return sum(article.words for article in corpus.articles[start:stop])


def bodies_of(corpus: Corpus, start: int, stop: int) -> list[str]:
    """The article bodies NER sees, extracted outside the timing (the limit runs spaCy only)."""
    return [
        article.body
        for item in corpus.articles[start:stop]
        for article in extract_articles(item.text, content_type="text/plain")
    ]


def measure_limit(corpus: Corpus, start: int, stop: int, model: str) -> dict[str, float]:
    """Plain ``nlp.pipe`` with the worker's model and pipes, in this process, nothing else running."""
    bodies = bodies_of(corpus, start, stop)
    nlp = load_nlp(model)
    list(nlp.pipe(bodies[:8]))
    began = time.perf_counter()
    for _ in nlp.pipe(bodies):
        pass
    return rates(stop - start, words_of(corpus, start, stop), time.perf_counter() - began)


_PIPE_PROCESS = """
import json, sys, time
from services.enrich.nlp import load_nlp
nlp = load_nlp(sys.argv[1])
bodies = json.load(open(sys.argv[2], encoding="utf-8"))
list(nlp.pipe(bodies[:8]))
print("ready", flush=True)
sys.stdin.readline()
began = time.perf_counter()
for _ in nlp.pipe(bodies):
    pass
print(time.perf_counter() - began, flush=True)
"""


def measure_limit_processes(corpus: Corpus, start: int, stop: int, model: str, processes: int = 2) -> dict[str, float]:
    """Plain ``nlp.pipe`` in ``processes`` independent processes side by side, each on its share of the slice:
    the real limit of the machine's cores, against which several workers are judged. All start together once
    every one has loaded its model; the rate is all the words over the slowest one's time."""
    bodies = bodies_of(corpus, start, stop)
    shares = [bodies[n::processes] for n in range(processes)]
    with tempfile.TemporaryDirectory(prefix="bench-limit-") as folder:
        children = []
        for n, share in enumerate(shares):
            path = Path(folder) / f"share-{n}.json"
            path.write_text(json.dumps(share), encoding="utf-8")
            children.append(
                subprocess.Popen(
                    [PYTHON, "-c", _PIPE_PROCESS, model, str(path)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        elapsed = [float(child.communicate(timeout=900)[0].strip()) for child in children]
    return rates(stop - start, words_of(corpus, start, stop), max(elapsed))


def generated_files(name: str, count: int, *, seed: int = 7, start: int = 0) -> list[Path]:
    """``count`` generated articles written to ``CORPUS_ROOT/name``, numbered from ``start``."""
    directory = CORPUS_ROOT / name
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for article in generate(count, seed=seed, start=start):
        path = directory / article.name
        path.write_text(article.text, encoding="utf-8")
        paths.append(path)
    return paths


def warmup_dir(count: int = WARMUP_ARTICLES) -> list[Path]:
    return generated_files("warmup", count, seed=99, start=900_000)


def _warm(stage: Stage, memory: MemoryWatch, running: Sequence[Service], *, searchable: bool) -> None:
    finish(ingest(stage, memory, warmup_dir()))
    es = make_client(stage.settings, max_retries=0)
    if searchable:
        wait_for("warm-up searchable", lambda: searchable_count(es, stage) >= WARMUP_ARTICLES, running, 240)
    else:
        wait_for("warm-up enriched", lambda: enriched_count(stage) >= WARMUP_ARTICLES, running, 240)
    time.sleep(1.0)  # let a rebalance that the warm-up triggered settle


def measure_enrich(
    corpus: Corpus, start: int, stop: int, memory: MemoryWatch, *, workers: int = 1
) -> tuple[dict[str, float], list[bytes]]:
    """The worker(s) alone: raw in, enriched out. Returns the rate and the enriched records (for the indexer)."""
    n = stop - start
    with staged(f"enrich-{workers}") as stage, services(stage, memory, *[ENRICH] * workers) as running:
        _warm(stage, memory, running, searchable=False)
        t0 = time.time()
        finish(ingest(stage, memory, corpus.paths(start, stop)))
        wait_for("enriched", lambda: enriched_count(stage) >= WARMUP_ARTICLES + n, running, 900)
        records = enriched_records(stage)
        last = max(ts for ts, _ in records) / 1000
        values = [value for ts, value in records if ts / 1000 >= t0]
    return rates(n, words_of(corpus, start, stop), last - t0), values


def measure_e2e(
    corpus: Corpus, start: int, stop: int, memory: MemoryWatch, *, workers: int = 1, freshness_s: float = 0.0
) -> tuple[dict[str, float], dict[str, Any] | None]:
    """Ingest -> searchable: from the start of ``dateline ingest`` until a search counts every article.

    With ``freshness_s``, the same services then take a paced feed for that long at half the rate just measured
    (as ``measure_freshness``), of articles they have not seen (``unseen_paths``).
    """
    n = stop - start
    specs = [*[ENRICH] * workers, INDEXER]
    with staged(f"e2e-{workers}") as stage, services(stage, memory, *specs) as running:
        _warm(stage, memory, running, searchable=True)
        es = make_client(stage.settings, max_retries=0)
        t0 = time.time()
        publisher = ingest(stage, memory, corpus.paths(start, stop))
        end = wait_for("searchable", lambda: searchable_count(es, stage) >= WARMUP_ARTICLES + n, running, 900)
        finish(publisher)
        e2e = rates(n, words_of(corpus, start, stop), end - t0)
        if not freshness_s:
            return e2e, None
        rate = e2e["articles_per_s"] / 2
        count = max(40, round(rate * freshness_s))
        return e2e, _track_freshness(stage, memory, running, unseen_paths(corpus, start, stop, count), rate=rate)


def unseen_paths(corpus: Corpus, start: int, stop: int, count: int) -> list[Path]:
    """``count`` corpus articles outside ``start:stop`` (the ones after it, else before it); generated ones with
    numbers past the corpus when it has too few (a one-run benchmark of a small corpus)."""
    if stop + count <= len(corpus.articles):
        return corpus.paths(stop, stop + count)
    if start >= count:
        return corpus.paths(start - count, start)
    return generated_files("unseen", count, start=len(corpus.articles))


def measure_naive(corpus: Corpus, start: int, stop: int, memory: MemoryWatch) -> dict[str, float]:
    n = stop - start
    with staged("naive") as stage, services(stage, memory, NAIVE_ENRICH, NAIVE_INDEX) as running:
        _warm(stage, memory, running, searchable=True)
        es = make_client(stage.settings, max_retries=0)
        t0 = time.time()
        publisher = ingest(stage, memory, corpus.paths(start, stop))
        end = wait_for("searchable", lambda: searchable_count(es, stage) >= WARMUP_ARTICLES + n, running, 900)
        finish(publisher)
    return rates(n, words_of(corpus, start, stop), end - t0)


def measure_freshness(
    corpus: Corpus, start: int, stop: int, memory: MemoryWatch, *, rate: float
) -> dict[str, float | list[float]]:
    """Publishes at ``rate`` and records, per article, first-visible-to-search minus ``ingested_at``."""
    with staged("freshness") as stage, services(stage, memory, ENRICH, INDEXER) as running:
        _warm(stage, memory, running, searchable=True)
        return _track_freshness(stage, memory, running, corpus.paths(start, stop), rate=rate)


def measure_freshness_during_backfill(
    corpus: Corpus, start: int, stop: int, memory: MemoryWatch, *, rate: float, backfill: int
) -> dict[str, Any]:
    """Live freshness (as ``measure_freshness``) while ``backfill`` generated articles wait on
    ``articles.backfill``: the archive is published first and the live feed starts once the worker is busy with it.
    Also reports how much of the backfill went through during the live window, and at what rate."""
    with staged("backfill") as stage, services(stage, memory, ENRICH, INDEXER) as running:
        _warm(stage, memory, running, searchable=True)
        es = make_client(stage.settings, max_retries=0)
        command = [PYTHON, "-m", "bench.paced", "--generate", str(backfill), "--backfill", "--seed", "77"]
        importer = subprocess.Popen([*command, "--start", "500000"], env=stage.env, stdout=subprocess.DEVNULL)
        memory.add("ingest", importer.pid)
        finish(importer, timeout=900)  # the whole archive is queued before the live feed starts
        backlog_start = searchable_count(es, stage)
        wait_for("backfill under way", lambda: searchable_count(es, stage) >= backlog_start + 50, running, 300)
        before, t0 = searchable_count(es, stage), time.time()
        live = _track_freshness(stage, memory, running, corpus.paths(start, stop), rate=rate)
        after, t1 = searchable_count(es, stage), time.time()
    backfilled = after - before - (stop - start)
    return {
        **live,
        "backfill_articles": backfill,
        "backfill_done_in_window": backfilled,
        "backfill_articles_per_s": backfilled / (t1 - t0),
        "backfill_left": backfill + WARMUP_ARTICLES - after,
    }


def _track_freshness(
    stage: Stage, memory: MemoryWatch, running: Sequence[Service], paths: Sequence[Path], *, rate: float
) -> dict[str, Any]:
    """Publishes ``paths`` at ``rate`` through ``bench.paced`` and returns the latency percentiles of those articles.

    A search for the articles ingested from these paths since the start runs every 50 ms; an article's latency is
    the start time of the first search that returned it minus its ``ingested_at``, so each figure is late by at
    most one poll interval.
    """
    es = make_client(stage.settings)
    index = f"{stage.settings.index_prefix}-*"
    since = datetime.now().astimezone().isoformat()
    uris = [str(path.resolve()) for path in paths]
    publisher = ingest(stage, memory, paths, rate=rate)
    seen: dict[str, float] = {}
    sources: dict[str, dict[str, Any]] = {}
    latencies: list[float] = []
    deadline = time.monotonic() + len(paths) / rate + 120
    while len(seen) < len(paths):
        asked = time.time()
        found = es.search(
            index=index,
            size=10_000,
            query={"bool": {"filter": [{"range": {"ingested_at": {"gte": since}}}, {"terms": {"origin.uri": uris}}]}},
            source_includes=["ingested_at", "indexed_at", "raw_id"],
            allow_no_indices=True,
        )
        for hit in found["hits"]["hits"]:
            if hit["_id"] not in seen:
                seen[hit["_id"]] = asked
                sources[hit["_id"]] = hit["_source"]
                ingested = datetime.fromisoformat(hit["_source"]["ingested_at"]).timestamp()
                latencies.append(asked - ingested)
        for service in running:
            service.check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"freshness: {len(seen)} of {len(paths)} articles searchable")
        time.sleep(max(0.0, POLL_S - (time.time() - asked)))
    finish(publisher)
    return {
        "rate": rate,
        "p50_s": percentile(latencies, 50),
        "p95_s": percentile(latencies, 95),
        "p99_s": percentile(latencies, 99),
        "max_s": max(latencies),
        "latencies": latencies,
        "stages": freshness_stages(stage, seen, sources),
    }


# Where an article's freshness goes, stage by stage, from the times each hop records.
FRESHNESS_STAGES = (
    ("ingest", "ingest accepted -> on articles.raw"),
    ("worker", "on articles.raw -> on articles.enriched (batch window, extraction, NER, produce)"),
    ("indexer", "on articles.enriched -> bulk action built (poll, decode)"),
    ("searchable", "bulk action built -> first search that finds it (bulk, refresh, 50 ms poll)"),
)


def freshness_stages(
    stage: Stage, seen: dict[str, float], sources: dict[str, dict[str, Any]]
) -> dict[str, dict[str, float]]:
    """p50 and p99 of each stage's share of the latency (``FRESHNESS_STAGES``), over the articles seen.

    Times: ``ingested_at`` (ingest accepted), the raw record's and the enriched record's Kafka timestamps (the
    producer's send time), ``indexed_at`` (the indexer built the action) and the search that first returned it.
    """
    raw_sent = {orjson.loads(value)["id"]: ts / 1000 for ts, value in topic_records(stage, stage.settings.topic_raw)}
    enriched_sent = {orjson.loads(value)["id"]: ts / 1000 for ts, value in enriched_records(stage)}
    shares: dict[str, list[float]] = {name: [] for name, _ in FRESHNESS_STAGES}
    for article_id, found_at in seen.items():
        source = sources[article_id]
        hops = (
            datetime.fromisoformat(source["ingested_at"]).timestamp(),
            raw_sent.get(source.get("raw_id", "")),
            enriched_sent.get(article_id),
            datetime.fromisoformat(source["indexed_at"]).timestamp() if source.get("indexed_at") else None,
            found_at,
        )
        stamps = [hop for hop in hops if hop is not None]
        if len(stamps) < len(hops):
            continue
        for (name, _), begin, end in zip(FRESHNESS_STAGES, stamps, stamps[1:], strict=False):
            shares[name].append(end - begin)
    return {
        name: {"p50_s": percentile(values, 50), "p99_s": percentile(values, 99)}
        for name, values in shares.items()
        if values
    }


def enough_documents(documents: Sequence[bytes], count: int = INDEXER_DOCUMENTS) -> list[bytes]:
    """``documents`` repeated under new article ids until there are ``count``: enough bulks for a steady rate."""
    out = list(documents)
    originals = [orjson.loads(document) for document in documents]
    copy = 0
    while len(out) < count and originals:
        copy += 1
        for article in originals[: count - len(out)]:
            renamed = hashlib.sha256(f"{copy}/{article['id']}".encode()).hexdigest()[:32]
            out.append(orjson.dumps({**article, "id": renamed}))
    return out


def measure_indexer(documents: Sequence[bytes], memory: MemoryWatch) -> dict[str, float]:
    """The real indexer against a plain ``helpers.bulk`` loop over the same documents, each into a fresh index;
    also, for reference, ``helpers.parallel_bulk`` with as many threads as the indexer sends requests at once.

    The indexer starts on a topic that already holds every document; its rate is the documents after its first
    batch over the time from the first to the last ``batch indexed`` log line (its start-up is not indexing).
    """
    documents = enough_documents(documents)
    with staged("indexer") as stage:
        base = IndexerSettings(topic_prefix=stage.settings.topic_prefix, index_prefix=stage.settings.index_prefix)
        # Outside the indexer's "<prefix>-*" pattern, whose template may already be installed. Every plain loop
        # starts from fresh indices: each deletes its own before the next one.
        plain_settings = base.model_copy(update={"index_prefix": f"bench-{stage.tag}-plain"})
        now = _now()
        actions = [
            bulk_action(plain_settings.index_prefix, decode(doc, ArticleEnriched), indexed_at=now) for doc in documents
        ]
        es = make_client(plain_settings)

        def plain_loop(send: Any) -> float:
            install_template(es, plain_settings)
            began = time.perf_counter()
            send(es, actions)
            rate = len(actions) / (time.perf_counter() - began)
            for index in es.indices.get(index=f"{plain_settings.index_prefix}-*"):
                es.indices.delete(index=index)
            es.indices.delete_index_template(name=template_name(plain_settings))
            return rate

        def plain_bulk(es: Elasticsearch, into: list[dict[str, Any]]) -> None:
            bulk(es, into, chunk_size=base.batch_size)

        def plain_parallel_bulk(es: Elasticsearch, into: list[dict[str, Any]]) -> None:
            for _ in parallel_bulk(es, into, chunk_size=base.batch_size, thread_count=base.bulk_concurrency):
                pass

        plain_before = plain_loop(plain_bulk)
        parallel = plain_loop(plain_parallel_bulk)

        producer = KafkaProducer(bootstrap_servers=base.kafka_bootstrap_servers, linger_ms=20, acks=1)
        for doc in documents:
            producer.send(stage.settings.topic_enriched, value=doc)
        producer.flush()
        producer.close()
        with services(stage, memory, INDEXER) as running:
            wait_for(
                "indexed",
                lambda: (
                    sum(r.get("records", 0) for r in running[0].log_records() if r.get("msg") == "batch indexed")
                    >= len(documents)
                ),
                running,
                600,
            )
            batches = [r for r in running[0].log_records() if r.get("msg") == "batch indexed"]
        if len(batches) == 1:  # one batch: time it from the indexer's start (includes joining the group)
            batches.insert(0, next(r for r in running[0].log_records() if r.get("msg") == "indexer started"))
            batches[0]["records"] = 0
        first, last = (datetime.fromisoformat(b["ts"]).timestamp() for b in (batches[0], batches[-1]))
        indexed = sum(b["records"] for b in batches[1:])
        rate = indexed / (last - first) if last > first else float("nan")
        # Plain bulk again after the indexer, averaged with the first: the ratio then spans the same minutes.
        plain_after = plain_loop(plain_bulk)
        plain = 2 / (1 / plain_before + 1 / plain_after)
    return {
        "docs_per_s": rate,
        "plain_docs_per_s": plain,
        "ratio": rate / plain,
        "parallel_bulk_docs_per_s": parallel,
        "parallel_ratio": rate / parallel,
        "bulk_concurrency": base.bulk_concurrency,
        "batches": len(batches),
    }


def _now() -> datetime:
    return datetime.now().astimezone()


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": list(values)}  # type: ignore[dict-item]


def enrich_in_process(corpus: Corpus, start: int, stop: int, model: str) -> dict[str, float]:
    """``enrich_batch`` in this process (no broker): what the worker's pure work costs, for profiling."""
    from schemas import ArticleIngested, Origin, SourceHint

    nlp = load_nlp(model)
    raws = [
        ArticleIngested(
            id=f"{n:032x}",
            content=item.text,
            content_type="text/plain",
            origin=Origin(uri=item.name),
            source=SourceHint(),
            received_at=_now(),
        )
        for n, item in enumerate(corpus.articles[start:stop])
    ]
    began = time.perf_counter()
    for i in range(0, len(raws), 32):
        enrich_batch(raws[i : i + 32], nlp, model_name=model, batch_size=32)
    return rates(len(raws), words_of(corpus, start, stop), time.perf_counter() - began)
