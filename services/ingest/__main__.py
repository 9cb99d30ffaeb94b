"""``python -m services.ingest PATH ...``: the same as ``dateline ingest PATH ...``."""

import sys

from services.cli import main

if __name__ == "__main__":
    main(["ingest", *sys.argv[1:]])
