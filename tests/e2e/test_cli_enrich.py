"""`dateline enrich` needs no Kafka or Elasticsearch and prints what the worker would produce."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from schemas import ArticleEnriched

DATELINE = str(Path(sys.executable).parent / "dateline")


def test_enrich_prints_one_json_line_per_article(seeds_dir: Path) -> None:
    seed = next(seeds_dir.glob("000_*.txt"))
    result = subprocess.run([DATELINE, "enrich", str(seed)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    articles = [ArticleEnriched.model_validate(json.loads(line)) for line in result.stdout.splitlines()]
    assert len(articles) == 4
    assert len({article.id for article in articles}) == 4
    assert all(article.body and article.language for article in articles)


def test_enrich_reads_stdin() -> None:
    text = "TOKYO\nJapanese Prime Minister Shigeru Ishiba met South Korean President Lee Jae-myung in Tokyo."
    result = subprocess.run([DATELINE, "enrich"], input=text, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    article = json.loads(line)
    assert "Shigeru Ishiba" in article["persons"]
    assert {"JP", "KR"} <= set(article["countries"])
