"""The ``dateline`` command line. Its command names, options and ``--json`` outputs are a contract: keep them."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Dateline: news enrichment and search.")
err = Console(stderr=True)
out = Console()


def _print_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def _parse_day(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command()
def enrich(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or directories; stdin when none.")] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add topic_evidence: why each topic was chosen (features, keywords).")
    ] = False,
) -> None:
    """Enrich files locally (no Kafka or Elasticsearch) and print the enriched articles as JSON Lines."""
    from schemas import encode
    from services.common.logs import configure_logging
    from services.common.stage import Rejection
    from services.enrich.nlp import load_nlp
    from services.enrich.pipeline import enrich_batch
    from services.enrich.settings import EnrichSettings
    from services.ingest.reader import Delivery, build_ingested, decode_input, read_deliveries

    settings = EnrichSettings()
    configure_logging("WARNING", "text")
    deliveries = list(read_deliveries(paths)) if paths else [Delivery(uri="<stdin>", data=sys.stdin.buffer.read())]
    raws = []
    failures = 0
    for delivery in deliveries:
        try:
            decoded = decode_input(delivery.data, name=delivery.uri, max_bytes=settings.max_article_bytes)
        except Rejection as exc:
            err.print(f"[red]rejected[/] {delivery.uri}: {exc.reason}: {exc.detail}")
            failures += 1
            continue
        raws.append(build_ingested(decoded, uri=delivery.uri, received_at=datetime.now(UTC)))
    nlp = load_nlp(settings.spacy_model)
    for outcome in enrich_batch(raws, nlp, model_name=settings.spacy_model):
        if outcome.reason:
            err.print(f"[red]rejected[/] {outcome.raw.origin.uri}: {outcome.reason}: {outcome.error}")
            failures += 1
        for article in outcome.articles:
            if explain:
                sys.stdout.buffer.write(orjson.dumps(_with_topic_evidence(orjson.loads(encode(article)))) + b"\n")
            else:
                sys.stdout.buffer.write(encode(article) + b"\n")
    sys.stdout.flush()
    raise typer.Exit(1 if failures and not raws else 0)


def _with_topic_evidence(record: dict[str, Any]) -> dict[str, Any]:
    """The enriched record plus ``topic_evidence``: per topic code, what made the classifier or lexicon choose it."""
    from services.enrich.steps.topics import topics_for

    evidence = {t.code: list(t.evidence) for t in topics_for(record.get("title"), record.get("body") or "")}
    return {**record, "topic_evidence": {t["code"]: evidence.get(t["code"], []) for t in record.get("topics", [])}}


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Article files or directories ('-' for stdin).")],
    source: Annotated[str | None, typer.Option(help="Publisher name when the files lack one.")] = None,
    backfill: Annotated[bool, typer.Option("--backfill", help="Archive import: publish to articles.backfill.")] = False,
) -> None:
    """Publish article files to Kafka (articles.raw); ends with published, duplicate and rejected counts."""
    from services.common.kafka import KafkaUnavailable
    from services.common.logs import configure_logging
    from services.ingest.files import deliveries_of, one_shot_settings, publish_files, summary

    settings = one_shot_settings(source)
    configure_logging("WARNING", "text")
    deliveries = deliveries_of(paths)
    try:
        with Progress(
            TextColumn("ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        ) as progress:
            task = progress.add_task("ingest", total=len(deliveries))
            report = publish_files(
                settings, deliveries, backfill=backfill, on_progress=lambda _: progress.advance(task)
            )
    except KafkaUnavailable as exc:
        err.print(f"[red]not published[/]: {exc}")
        raise typer.Exit(1) from exc
    for line in summary(report):
        out.print(line)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Query string: words, AND/OR, \"phrases\"; '*' for all.")],
    facet: Annotated[
        list[str] | None, typer.Option("--facet", help="Facet to count (repeatable); all facets when none is named.")
    ] = None,
    filter_: Annotated[list[str] | None, typer.Option("--filter", help="NAME=VALUE (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before (ISO date).")] = None,
    size: Annotated[int, typer.Option(min=0, max=10000)] = 10,
    collapse: Annotated[
        bool, typer.Option("--collapse/--no-collapse", help="One hit per story (near-duplicates folded).")
    ] = True,
    speaker: Annotated[
        str | None,
        typer.Option(help="Only articles quoting this speaker (canonical name); QUERY then searches the quotes."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Full-text search with highlights and facet counts."""
    from services.common.elastic import make_client
    from services.common.settings import CommonSettings
    from services.search.query import (
        FACET_FIELDS,
        InvalidQuery,
        SearchRequest,
        UnknownFacet,
        build_search_body,
        parse_search_response,
    )

    filters = []
    for item in filter_ or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--filter wants NAME=VALUE, got {item!r}")
        filters.append((name, value))
    try:
        request = SearchRequest(
            query=query,
            facets=tuple(facet or FACET_FIELDS),
            filters=tuple(filters),
            since=_parse_day(since),
            until=_parse_day(until),
            size=size,
            collapse=collapse,
            speaker=speaker or None,
        )
    except InvalidQuery as exc:
        raise typer.BadParameter(f"query not accepted: {exc}", param_hint="QUERY") from exc
    except UnknownFacet as exc:
        raise typer.BadParameter(str(exc)) from exc
    settings = CommonSettings()
    response = make_client(settings).search(index=settings.index_prefix, **build_search_body(request))
    result = parse_search_response(response.body, request.facets)
    if as_json:
        _print_json(result)
        return
    _print_search(result)


def _print_search(result: dict[str, Any]) -> None:
    out.print(f"[bold]{result['total']}[/] articles")
    for hit in result["hits"]:
        source = hit["source"].get("name") or hit["source"].get("agency") or "unknown source"
        published = (hit["published_at"] or "undated")[:16].replace("T", " ")
        out.print(f"\n[bold]{escape(hit['title'] or '(untitled)')}[/]  [dim]{published} · {escape(source)}[/]")
        for snippet in hit["highlight"].get("body") or hit["highlight"].get("title") or []:
            # Highlights mark matches with <em>; rich markup in the article text itself is escaped.
            marked = escape(snippet).replace("<em>", "[bold yellow]").replace("</em>", "[/]")
            out.print(f"  … {marked} …")
        for quote in hit.get("quotes", []):
            marked = escape(quote["highlight"] or quote["text"] or "").replace("<em>", "[bold yellow]")
            out.print(f"  “{marked.replace('</em>', '[/]')}” — {escape(quote['speaker'] or 'unattributed')}")
    for name, buckets in result["facets"].items():
        out.print(f"\n[bold]{name}[/]: " + ", ".join(f"{escape(str(b['value']))} ({b['count']})" for b in buckets))


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Health of Kafka and Elasticsearch, topic end offsets, consumer lag, indexed documents, DLQ records."""
    from services.status import collect_status

    report = collect_status()
    if as_json:
        _print_json(report)
    else:
        for key, value in report.items():
            out.print(f"[bold]{key}[/]: {value}")
    raise typer.Exit(0 if report["kafka"]["ok"] and report["elasticsearch"]["ok"] else 1)


@app.command("wait-searchable")
def wait_searchable(
    min_docs: Annotated[int, typer.Option(help="Wait until the alias holds at least this many documents.")],
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 120.0,
) -> None:
    """Wait until the index holds at least MIN_DOCS searchable documents."""
    from elasticsearch import ApiError

    from services.common.elastic import make_client
    from services.common.settings import CommonSettings

    settings = CommonSettings()
    client = make_client(settings)
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        try:
            if client.indices.exists_alias(name=settings.index_prefix):
                count = client.count(index=settings.index_prefix)["count"]
                if count >= min_docs:
                    out.print(f"{count} articles searchable")
                    return
        except ApiError as exc:
            if exc.meta.status < 500:
                raise
            # A just-created index answers 503 until its shard is started.
        time.sleep(0.5)
    err.print(f"only {count} of {min_docs} articles searchable after {timeout:.0f} s")
    raise typer.Exit(1)


@app.command()
def audit(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Reconcile Kafka with the index: every accepted article indexed or dead-lettered, none twice.

    Exits 1 when any article is lost or duplicated."""
    from services.audit.collect import run_audit
    from services.common.settings import CommonSettings

    report = run_audit(CommonSettings())
    if as_json:
        _print_json(report.as_dict())
    else:
        for key, value in report.as_dict().items():
            out.print(f"[bold]{key}[/]: {value}")
    raise typer.Exit(0 if report.ok else 1)


dlq_app = typer.Typer(no_args_is_help=True, help="The dead-letter queue (articles.dlq).")
app.add_typer(dlq_app, name="dlq")


@dlq_app.command("reasons")
def dlq_reasons(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """The reason codes a dead letter may carry, each with what it means."""
    from services.common.stage import Reason

    if as_json:
        _print_json({reason.value: reason.description for reason in Reason})
        return
    width = max(len(reason.value) for reason in Reason)
    for reason in Reason:
        typer.echo(f"{reason.value:<{width}}  {reason.description}")


@dlq_app.command("replay")
def dlq_replay(
    stage: Annotated[list[str] | None, typer.Option("--stage", help="ingest, enrich or index (repeatable).")] = None,
    reason: Annotated[list[str] | None, typer.Option("--reason", help="e.g. es_rejected (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be replayed; send nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Re-publish dead letters to the topic they came from, each at most once (a ledger remembers them)."""
    from services.common.logs import configure_logging
    from services.dlq.replay import ledger_for, read_dead_letters, replay, select
    from services.dlq.settings import DlqSettings

    configure_logging("WARNING", "text")
    settings = DlqSettings()
    ledger = ledger_for(settings, settings.state_dir)
    candidates = select(
        read_dead_letters(settings), stages=stage or (), reasons=reason or (), replayed=ledger.replayed()
    )
    sent = 0 if dry_run else replay(settings, candidates, ledger)
    skipped: dict[str, int] = {}
    for candidate in candidates:
        if candidate.skip:
            skipped[candidate.skip] = skipped.get(candidate.skip, 0) + 1
    summary = {
        "matched": len(candidates),
        "replayed": sent,
        "would_replay": sum(1 for c in candidates if c.skip is None) if dry_run else 0,
        "skipped": skipped,
        "dry_run": dry_run,
    }
    if as_json:
        _print_json(summary)
        return
    for candidate in candidates:
        letter = candidate.letter
        action = candidate.skip or ("would replay" if dry_run else "replayed")
        out.print(
            f"  dlq@{candidate.dlq_offset} {letter.stage}/{letter.reason} {letter.article_id or '-'} "
            f"-> {letter.source_topic or '-'}: {action}"
        )
    out.print(
        f"matched {summary['matched']}, replayed {sent}, would replay {summary['would_replay']}, skipped {skipped}"
    )


@app.command()
def replay(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be replayed; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Re-enrich every raw article kept on Kafka into a new index generation, then move the read alias to it."""
    from services.common.elastic import generation_prefix, make_client
    from services.common.kafka import make_producer
    from services.common.logs import configure_logging
    from services.enrich.nlp import load_nlp
    from services.replay.runner import Replay
    from services.replay.settings import ReplaySettings

    settings = ReplaySettings()
    configure_logging("WARNING", "text")
    es = make_client(settings)
    producer = make_producer(settings, client_id="dateline-replay")
    with Progress(
        TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=False
    ) as progress:
        task = progress.add_task("replay", total=None)
        runner = Replay(settings, es, producer, load_nlp(settings.spacy_model), lambda n: progress.advance(task, n))
        report, consumer, ends = runner.plan()
        progress.update(task, total=report.raw_records)
        if dry_run:
            consumer.close()
            report.dry_run = True
        else:
            report = runner.run(report, consumer, ends)
    producer.close(timeout=30)
    if as_json:
        _print_json(vars(report))
        return
    old = generation_prefix(settings.index_prefix, report.generation_from)
    new = generation_prefix(settings.index_prefix, report.generation_to)
    if dry_run:
        out.print(f"would re-enrich {report.raw_records} raw records into {new}-* ({report.docs_before} documents now)")
        return
    out.print(
        f"replayed {report.raw_records} raw records into {new}-*: {report.indexed} documents indexed, "
        f"{report.dead_lettered} dead-lettered, {report.poison} poison skipped"
    )
    out.print(f"alias {settings.index_prefix}: {report.docs_before} documents before, {report.docs_after} now")
    out.print(f"the old generation {old}-* is kept for rollback; delete its indices by name when satisfied")


def main(argv: list[str] | None = None) -> None:
    app(args=argv)


if __name__ == "__main__":
    main()
