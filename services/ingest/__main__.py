"""``python -m services.ingest serve``: the long-running service (HTTP API, feed polling, drop directory).
``python -m services.ingest PATH ...``: the same as ``dateline ingest PATH ...``."""

import sys

from services.cli import main

if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        from services.ingest.server import serve

        serve()
    else:
        main(["ingest", *sys.argv[1:]])
