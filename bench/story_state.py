"""``python -m bench.story_state``: what story state in Elasticsearch costs beside the in-memory StoryIndex.

For each engine, in a fresh process (so resident memory is this engine's alone): the benchmark corpus
(``bench/corpus.py`` ``build(n)``, extracted the way the worker extracts it) is grouped in batches of the worker's
size, timing each ``assign``, and the process's RSS is read before and after. Only story grouping runs (no spaCy):
the figures are what the engine adds to a worker, not the worker's total. Needs the local stack's variables
(``infra/local/with-stack.sh``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.corpus import build
from services.enrich.steps.extract import extract_articles

BATCH = 32


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure(engine: str, articles: int, hits: int | None = None) -> dict[str, object]:
    """One engine in this process: per-batch latency of ``assign`` and RSS growth over ``articles`` articles."""
    from prometheus_client import REGISTRY

    from services.enrich import story_store

    if hits:  # an experiment: how many hits per lookup the grouping needs to agree with StoryIndex
        story_store.HITS_PER_ARTICLE = hits

    from services.common.elastic import make_client, story_index_prefix
    from services.common.settings import CommonSettings
    from services.common.teardown import delete_indices
    from services.enrich.pipeline import article_id
    from services.enrich.steps.stories import StoryAssigner, StoryIndex, StoryMember
    from services.enrich.story_store import StoryStore, install_story_template

    corpus = build(articles)
    members = []
    for item in corpus.articles:
        for extracted in extract_articles(item.text, content_type="text/plain"):  # the corpus is plain text
            members.append(StoryMember(id=article_id(extracted), body=extracted.body, agency=extracted.source_agency))
    settings = CommonSettings(index_prefix=f"bench-{uuid.uuid4().hex[:8]}-articles")
    stories: StoryAssigner
    if engine == "elasticsearch":
        es = make_client(settings)
        install_story_template(es, settings)
        stories = StoryStore(es, index_prefix=story_index_prefix(settings))
    else:
        stories = StoryIndex()
    before = _rss_kib()
    seconds = []
    grouped: set[str] = set()
    try:
        for start in range(0, len(members), BATCH):
            began = time.perf_counter()
            assignments = stories.assign(members[start : start + BATCH])
            seconds.append(time.perf_counter() - began)
            grouped.update(a.story_id for a in assignments)
    finally:
        if engine == "elasticsearch":
            delete_indices(settings)
    after = _rss_kib()
    steps = {
        step: (REGISTRY.get_sample_value("dateline_enrich_story_store_seconds_sum", {"step": step}) or 0.0)
        / len(seconds)
        * 1000
        for step in ("lookup", "write", "read_back", "correct")
    }
    ordered = sorted(seconds)
    return {
        "engine": engine,
        "articles": len(members),
        "batches": len(seconds),
        "stories": len(grouped),
        "batch_ms_median": round(statistics.median(seconds) * 1000, 2),
        "batch_ms_p95": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
        "step_ms_mean": {step: round(ms, 2) for step, ms in steps.items()},
        "rss_mib_before": round(before / 1024, 1),
        "rss_mib_after": round(after / 1024, 1),
        "rss_mib_growth": round((after - before) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--engine", choices=("memory", "elasticsearch"))
    parser.add_argument("--hits", type=int, default=0, help="hits per lookup (default: the store's own)")
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(measure(args.engine, args.articles, args.hits or None)))
        return
    for engine in ("memory", "elasticsearch"):
        command = [sys.executable, "-m", "bench.story_state", "--engine", engine, "--articles", str(args.articles)]
        command += ["--hits", str(args.hits)] if args.hits else []
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        print(result.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
