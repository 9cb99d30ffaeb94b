"""``python -m services.ingest serve``: the long-running service (HTTP API, feed polling, drop directory).
``python -m services.ingest [--backfill] [--source NAME] PATH ...``: publish files once, as ``dateline ingest``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services.common.kafka import KafkaUnavailable
from services.common.logs import configure_logging
from services.ingest.files import deliveries_of, one_shot_settings, publish_files, summary


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"]:
        from services.ingest.server import serve

        serve()
        return 0
    parser = argparse.ArgumentParser(prog="python -m services.ingest", description=__doc__)
    parser.add_argument("paths", nargs="+", type=Path, help="Article files or directories ('-' for stdin).")
    parser.add_argument("--source", help="Publisher name when the files lack one.")
    parser.add_argument("--backfill", action="store_true", help="Archive import: publish to articles.backfill.")
    options = parser.parse_args(args)
    configure_logging("WARNING", "text")
    try:
        report = publish_files(
            one_shot_settings(options.source), deliveries_of(options.paths), backfill=options.backfill
        )
    except KafkaUnavailable as exc:
        print(f"not published: {exc}", file=sys.stderr)
        return 1
    print("\n".join(summary(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
