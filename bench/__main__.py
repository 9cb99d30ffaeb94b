"""``python -m bench [run|soak|backfill|cost|sizes]``: the benchmark of issue 7 (``make bench``), the memory soak
(``make soak``), and the rest below (``sizes``: bytes per article, for the README's sizing table).

Needs the local stack's variables (``infra/local/with-stack.sh`` exports them). See BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from bench import report, runs, sizes
from bench.corpus import build
from services.common.elastic import make_client
from services.common.settings import CommonSettings
from services.enrich.settings import EnrichSettings

log = logging.getLogger("bench")
DOCS_CHART = Path(__file__).resolve().parents[1] / "docs" / "bench.png"


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    """``a`` over ``b`` in words per second (the articles/s ratio when both ran on the same articles)."""
    return float(a["words_per_s"]) / float(b["words_per_s"])


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    model = EnrichSettings().spacy_model
    corpus = build(args.articles)
    say(f"corpus: {len(corpus.articles)} articles, {corpus.words} words, from {len(corpus.sources)} source files")
    memory = runs.MemoryWatch()
    per_run: list[dict[str, Any]] = []
    documents: list[bytes] = []
    size = len(corpus.articles) // args.runs
    for number in range(args.runs):
        lo, hi = number * size, (number + 1) * size
        say(f"run {number + 1}/{args.runs}: articles {lo}-{hi - 1} ({runs.words_of(corpus, lo, hi)} words)")
        figures: dict[str, Any] = {}
        # The limit is measured in two halves around the pipeline scenarios, so that its rate and theirs come from
        # the same minutes: this machine's speed drifts by a fifth from one minute to the next.
        middle = (lo + hi) // 2
        first_half = runs.measure_limit(corpus, lo, middle, model)
        part = lo + max(20, size // args.enrich_batch_fraction)
        in_process = runs.enrich_in_process(corpus, lo, part, model)
        enrich, values = runs.measure_enrich(corpus, lo, hi, memory)
        documents.extend(values)
        e2e, fresh = runs.measure_e2e(corpus, lo, hi, memory, freshness_s=args.freshness_s)
        assert fresh is not None
        limit = runs.combined(first_half, runs.measure_limit(corpus, middle, hi, model))
        figures.update(limit=limit, limit_first_half=first_half, enrich_batch=in_process, enrich=enrich, e2e=e2e)
        figures["freshness"] = fresh
        say(f"  limit        {limit['articles_per_s']:7.2f} articles/s  {limit['words_per_s']:8.0f} words/s")
        cost = ratio(first_half, in_process)
        say(
            f"  enrich_batch {in_process['articles_per_s']:7.2f} articles/s  costs x{cost:.2f} nlp.pipe "
            f"({part - lo} articles, against the limit's first half)"
        )
        say(f"  enrich       {enrich['articles_per_s']:7.2f} articles/s  ratio {ratio(enrich, limit):.2f}")
        say(f"  end to end   {e2e['articles_per_s']:7.2f} articles/s  ratio {ratio(e2e, limit):.2f}")
        say(
            f"  freshness    p50 {fresh['p50_s']:.2f}  p95 {fresh['p95_s']:.2f}  p99 {fresh['p99_s']:.2f} s "
            f"({len(fresh['latencies'])} articles at {fresh['rate']:.1f}/s)"
        )
        for name, times in fresh["stages"].items():
            say(f"    {name:11} p50 {times['p50_s']:.2f}  p99 {times['p99_s']:.2f} s")
        part = lo + max(40, size // args.two_workers_fraction)
        e2e2, _ = runs.measure_e2e(corpus, lo, part, memory, workers=2)
        # Issue 18: two workers against what two cores can do, two plain nlp.pipe processes side by side.
        limit2 = runs.measure_limit_processes(corpus, lo, part, model, processes=2)
        figures.update(e2e2=e2e2, limit2=limit2)
        say(f"  2 workers    {e2e2['articles_per_s']:7.2f} articles/s  x{ratio(e2e2, e2e):.2f} ({part - lo} articles)")
        say(f"  2 nlp.pipe   {limit2['articles_per_s']:7.2f} articles/s  2 workers / it {ratio(e2e2, limit2):.2f}")
        part = lo + max(20, size // args.naive_fraction)
        figures["naive"] = naive = runs.measure_naive(corpus, lo, part, memory)
        say(
            f"  naive        {naive['articles_per_s']:7.2f} articles/s; 2 workers x{ratio(e2e2, naive):.2f} faster, "
            f"1 worker x{ratio(e2e, naive):.2f} ({part - lo} articles)"
        )
        per_run.append(figures)
    indexer_runs = []
    for number in range(args.runs):
        result = runs.measure_indexer(documents, memory)
        indexer_runs.append(result)
        say(
            f"indexer run {number + 1}: {result['docs_per_s']:.0f} docs/s, plain bulk "
            f"{result['plain_docs_per_s']:.0f} docs/s, ratio {result['ratio']:.2f}; parallel_bulk "
            f"({result['bulk_concurrency']} threads) {result['parallel_bulk_docs_per_s']:.0f} docs/s"
        )
    memory.close()

    def over(fn: Any) -> dict[str, Any]:
        return runs.summary([fn(r) for r in per_run])

    def indexer(key: str) -> dict[str, Any]:
        return runs.summary([r[key] for r in indexer_runs])

    figures = {
        "limit_articles_per_s": over(lambda r: r["limit"]["articles_per_s"]),
        "limit_words_per_s": over(lambda r: r["limit"]["words_per_s"]),
        "enrich_batch_articles_per_s": over(lambda r: r["enrich_batch"]["articles_per_s"]),
        # Issue 4: the whole enrichment of an article (extraction to topics) against nlp.pipe alone.
        "enrich_batch_cost": over(lambda r: ratio(r["limit_first_half"], r["enrich_batch"])),
        "enrich_articles_per_s": over(lambda r: r["enrich"]["articles_per_s"]),
        "enrich_ratio": over(lambda r: ratio(r["enrich"], r["limit"])),
        "e2e_articles_per_s": over(lambda r: r["e2e"]["articles_per_s"]),
        "e2e_ratio": over(lambda r: ratio(r["e2e"], r["limit"])),
        "e2e_two_workers_articles_per_s": over(lambda r: r["e2e2"]["articles_per_s"]),
        "two_workers_scaling": over(lambda r: ratio(r["e2e2"], r["e2e"])),
        "limit_two_processes_articles_per_s": over(lambda r: r["limit2"]["articles_per_s"]),
        "e2e_two_workers_ratio": over(lambda r: ratio(r["e2e2"], r["limit2"])),
        "freshness_rate": over(lambda r: r["freshness"]["rate"]),
        "freshness_p50_s": over(lambda r: r["freshness"]["p50_s"]),
        "freshness_p95_s": over(lambda r: r["freshness"]["p95_s"]),
        "freshness_p99_s": over(lambda r: r["freshness"]["p99_s"]),
        # Where the freshness time goes (runs.FRESHNESS_STAGES): each stage's p50 and p99, medians over the runs.
        **{
            f"freshness_{name}_{p}": over(lambda r, name=name, p=p: r["freshness"]["stages"][name][p])
            for name, _ in runs.FRESHNESS_STAGES
            for p in ("p50_s", "p99_s")
        },
        "indexer_docs_per_s": indexer("docs_per_s"),
        "plain_bulk_docs_per_s": indexer("plain_docs_per_s"),
        "indexer_ratio": indexer("ratio"),
        "parallel_bulk_docs_per_s": indexer("parallel_bulk_docs_per_s"),
        "indexer_parallel_ratio": indexer("parallel_ratio"),
        "naive_articles_per_s": over(lambda r: r["naive"]["articles_per_s"]),
        # On the 2-core machine our pipeline runs two worker processes; the naive one is one process by definition.
        "speedup_vs_naive": over(lambda r: ratio(r["e2e2"], r["naive"])),
        "speedup_vs_naive_one_worker": over(lambda r: ratio(r["e2e"], r["naive"])),
    }
    es_info = dict(make_client(CommonSettings()).info())
    results: dict[str, Any] = {
        **{key: figures[key]["median"] for key in figures},
        "figures": figures,
        "peak_rss_mb": {name: round(mb, 1) for name, mb in memory.peak_mb.items()},
        "corpus": {
            "articles": len(corpus.articles),
            "words": corpus.words,
            "articles_per_run": size,
            "sources": list(corpus.sources),
        },
        "runs": args.runs,
        "per_run": [{k: {m: v for m, v in f.items() if m != "latencies"} for k, f in r.items()} for r in per_run],
        "freshness_stages": {name: label for name, label in runs.FRESHNESS_STAGES},
        "freshness_latencies_s": [r["freshness"]["latencies"] for r in per_run],
        "indexer_runs": indexer_runs,
        "versions": report.versions(es_info),
        "machine": report.machine(),
        "command": "make bench",
        "wall_s": round(time.monotonic() - started, 1),
    }
    path = report.write(results)
    chart = report.chart(results)
    if args.docs_chart:
        DOCS_CHART.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(chart, DOCS_CHART)
    print()
    print(report.table(results))
    say(f"wrote {path} and {chart}; wall time {results['wall_s']:.0f} s")
    return 0


def soak(args: argparse.Namespace) -> int:
    """Streams ``--articles`` generated articles through one worker and the indexer, sampling RSS every few
    seconds; RSS is flat when the last quarter's median is within 10% of the second quarter's (after warm-up)."""
    memory = runs.MemoryWatch(interval_s=args.interval)
    with runs.staged("soak") as stage, runs.services(stage, memory, runs.ENRICH, runs.INDEXER) as running:
        es = make_client(stage.settings)
        command = [runs.PYTHON, "-m", "bench.paced", "--generate", str(args.articles)]
        publisher = runs.subprocess.Popen(command, env=stage.env)
        memory.add("ingest", publisher.pid)
        runs.wait_for(
            "soak searchable", lambda: runs.searchable_count(es, stage) >= args.articles, running, args.timeout
        )
        publisher.wait()
    memory.close()
    series: dict[str, list[tuple[float, float]]] = {}
    for ts, service, mb in memory.series:
        series.setdefault(service, []).append((ts, mb))
    verdicts = {}
    for service in ("enrich", "indexer"):
        points = [mb for _, mb in series.get(service, [])]
        quarter = max(1, len(points) // 4)
        warm, last = statistics.median(points[quarter : 2 * quarter]), statistics.median(points[-quarter:])
        verdicts[service] = {"after_warmup_mb": warm, "last_quarter_mb": last, "growth": last / warm - 1}
        say(f"{service}: {warm:.0f} MiB after warm-up, {last:.0f} MiB in the last quarter ({last / warm - 1:+.1%})")
    out = report.RESULTS / "soak.json"
    out.write_bytes(orjson.dumps({"articles": args.articles, "verdicts": verdicts, "series": series}))
    flat = all(v["growth"] < 0.10 for v in verdicts.values())
    say(f"RSS {'flat' if flat else 'NOT flat'} after warm-up; series in {out}")
    return 0 if flat else 1


def backfill(args: argparse.Namespace) -> int:
    """Live freshness while a ``--backfill``-article archive import waits on ``articles.backfill``, next to the
    same live feed with no backfill, in one run (issue 6: a backfill never delays live wires)."""
    corpus = build(args.live_articles * 2)
    memory = runs.MemoryWatch()
    n = args.live_articles
    say(f"live feed alone: {n} articles at {args.rate}/s")
    alone = runs.measure_freshness(corpus, 0, n, memory, rate=args.rate)
    say(f"  p50 {alone['p50_s']:.2f}  p95 {alone['p95_s']:.2f}  p99 {alone['p99_s']:.2f} s")
    say(f"live feed during a {args.backfill}-article backfill: {n} other articles at {args.rate}/s")
    during = runs.measure_freshness_during_backfill(corpus, n, 2 * n, memory, rate=args.rate, backfill=args.backfill)
    say(f"  p50 {during['p50_s']:.2f}  p95 {during['p95_s']:.2f}  p99 {during['p99_s']:.2f} s")
    say(
        f"  backfill meanwhile: {during['backfill_done_in_window']} articles, "
        f"{during['backfill_articles_per_s']:.1f}/s with the live feed; {during['backfill_left']} still queued"
    )
    memory.close()
    results = {
        "live_rate": args.rate,
        "live_articles": n,
        "backfill_articles": args.backfill,
        "alone": {k: v for k, v in alone.items() if k != "latencies"},
        "during_backfill": {k: v for k, v in during.items() if k != "latencies"},
        "peak_rss_mb": {name: round(mb, 1) for name, mb in memory.peak_mb.items()},
        "command": f"make bench-backfill (python -m bench backfill --backfill {args.backfill} --rate {args.rate})",
    }
    out = report.RESULTS / "backfill.json"
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    say(f"wrote {out}")
    return 0


def cost(args: argparse.Namespace) -> int:
    """The whole enrichment (``enrich_batch``) against plain ``nlp.pipe`` on the same articles, in this process, no
    broker: the two alternate ``--rounds`` times so a slow minute spoils both sides alike; the median ratio is the
    figure (``make bench`` measures the same within its run; this is the quick check after a change to a step)."""
    corpus = build(args.articles)
    model = EnrichSettings().spacy_model
    ratios, limits, enriched = [], [], []
    for round_ in range(args.rounds):
        limit = runs.measure_limit(corpus, 0, args.articles, model)
        whole = runs.enrich_in_process(corpus, 0, args.articles, model)
        limits.append(limit["articles_per_s"])
        enriched.append(whole["articles_per_s"])
        ratios.append(ratio(limit, whole))
        say(
            f"round {round_ + 1}: nlp.pipe {limit['articles_per_s']:.2f} articles/s, enrich_batch "
            f"{whole['articles_per_s']:.2f} articles/s: costs x{ratios[-1]:.2f}"
        )
    median = statistics.median(ratios)
    say(f"{report.machine_line({'machine': report.machine(), 'figures': {}})}")
    say(
        f"enrich_batch / nlp.pipe: x{median:.2f} (min {min(ratios):.2f}, max {max(ratios):.2f}) on {args.articles} "
        f"articles, {args.rounds} rounds (target <= 1.5)"
    )
    return 0 if median <= 1.5 else 1


def measure_sizes(args: argparse.Namespace) -> int:
    """Bytes per article on Kafka and in Elasticsearch, on the demo feed and ``--articles`` corpus articles."""
    results = sizes.sizes(args.articles)
    results["command"] = f"make bench-sizes (python -m bench sizes --articles {args.articles})"
    results["versions"] = report.versions(dict(make_client(CommonSettings()).info()))
    out = report.RESULTS / "sizes.json"
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(sizes.table(results))
    say(f"wrote {out}")
    return 0


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    # A node "failed" for a moment while a new index's shard starts (a 503 the counts retry): not worth a warning.
    logging.getLogger("elastic_transport.node_pool").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    bench = sub.add_parser("run", help="The benchmark (make bench).")
    bench.add_argument("--articles", type=int, default=2000)
    bench.add_argument("--runs", type=int, default=3)
    bench.add_argument("--freshness-s", type=float, default=10.0, help="Seconds of paced ingest per freshness run.")
    bench.add_argument("--enrich-batch-fraction", type=int, default=8, help="enrich_batch runs 1/N of each slice.")
    bench.add_argument("--two-workers-fraction", type=int, default=2, help="Two workers run 1/N of each slice.")
    bench.add_argument("--naive-fraction", type=int, default=12, help="The naive baseline runs 1/N of each slice.")
    bench.add_argument("--docs-chart", action="store_true", help="Also copy the chart to docs/bench.png.")
    soaking = sub.add_parser("soak", help="The memory soak (make soak).")
    soaking.add_argument("--articles", type=int, default=50_000)
    soaking.add_argument("--interval", type=float, default=5.0)
    soaking.add_argument("--timeout", type=float, default=6 * 3600)
    backfilling = sub.add_parser("backfill", help="Live freshness during a backfill (make bench-backfill).")
    backfilling.add_argument("--backfill", type=int, default=10_000, help="Articles in the archive import.")
    backfilling.add_argument("--rate", type=float, default=5.0, help="Live articles per second.")
    backfilling.add_argument("--live-articles", type=int, default=300)
    costing = sub.add_parser("cost", help="enrich_batch against nlp.pipe alone, in process (make bench-cost).")
    costing.add_argument("--articles", type=int, default=120)
    costing.add_argument("--rounds", type=int, default=3)
    sizing = sub.add_parser("sizes", help="Bytes per article on Kafka and in Elasticsearch (make bench-sizes).")
    sizing.add_argument("--articles", type=int, default=1500)
    args = parser.parse_args(sys.argv[1:] or ["run"])
    commands = {None: run, "run": run, "soak": soak, "backfill": backfill, "cost": cost, "sizes": measure_sizes}
    sys.exit(commands[args.command](args))


if __name__ == "__main__":
    main()
