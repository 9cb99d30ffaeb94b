"""``dateline enrich`` runs the enrichment steps only: no broker or search client is imported for it."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import sys
from typer.testing import CliRunner
from services.cli import app
result = CliRunner().invoke(app, ["enrich", "samples/feed/01_japan_korea_summit.txt"])
assert result.exit_code == 0, result.output
print(sorted({m.split(".")[0] for m in sys.modules} & {"kafka", "faust", "aiokafka", "elasticsearch"}))
"""


def test_enrich_imports_no_kafka_or_elasticsearch_client() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert probe.stdout.strip().splitlines()[-1] == "[]"
