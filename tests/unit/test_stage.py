"""The one stage contract, without a broker: dead letters keep their original exactly, every reason is
catalogued, and no source offset is committed before every output and dead letter is acknowledged."""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from schemas import ArticleRejected, decode, encode, schema_document
from services.common.bulk import BulkRetryPolicy, is_permanent
from services.common.stage import (
    ORIGINAL_MAX_BYTES,
    NotAcknowledged,
    Reason,
    SendRefused,
    SourceRecord,
    commit_after_acknowledged,
    dead_letter,
    gather_acknowledged,
    keep_original,
    original_bytes,
)

REPO = Path(__file__).resolve().parents[2]
BINARY_POISON = b"\x00\x01\x02\x7f\xc3\x28\xa0\xa1\xff binary"


def test_a_binary_original_comes_back_byte_for_byte() -> None:
    letter = dead_letter("enrich", Reason.INVALID_JSON, "not JSON", BINARY_POISON, source=SourceRecord("t", 0, 7))
    read = decode(encode(letter), ArticleRejected)
    assert read.original_encoding == "base64"
    assert original_bytes(read) == BINARY_POISON
    assert (read.original_truncated, read.original_size) == (False, len(BINARY_POISON))
    assert (read.source_topic, read.source_partition, read.source_offset) == ("t", 0, 7)


def test_utf8_text_stays_text() -> None:
    text = "Zürich — «Grüße» 東京".encode()
    letter = dead_letter("ingest", Reason.EMPTY, "x", text)
    assert (letter.original_encoding, letter.original) == ("utf-8", text.decode())
    assert original_bytes(letter) == text


def test_one_size_policy_states_its_cut() -> None:
    big = b"a" * (ORIGINAL_MAX_BYTES + 10)
    letter = dead_letter("index", Reason.ES_REJECTED, "e" * 5000, big)
    assert letter.original_truncated and letter.original_size == len(big)
    assert original_bytes(letter) == big[:ORIGINAL_MAX_BYTES]
    assert len(letter.error) == 2000


def test_a_cut_inside_a_character_keeps_text_as_text() -> None:
    data = "é".encode() * 10  # two bytes each
    kept = keep_original(data, max_bytes=5)
    assert (kept.encoding, kept.text, kept.truncated, kept.size) == ("utf-8", "éé", True, 20)
    binary = keep_original(BINARY_POISON * 3, max_bytes=8)
    assert binary.encoding == "base64" and base64.b64decode(binary.text) == (BINARY_POISON * 3)[:8]


def test_dead_letters_agree_with_the_schema_file() -> None:
    for original in (BINARY_POISON, b"plain", b""):
        letter = dead_letter("enrich", Reason.NO_ARTICLE, "none", original, article_id="a" * 32)
        validator = jsonschema.Draft202012Validator(schema_document("article_rejected.v1"))
        validator.validate(orjson.loads(encode(letter)))


def test_every_reason_has_a_one_line_description() -> None:
    for reason in Reason:
        assert reason.description and "\n" not in reason.description
    assert Reason.of("es_rejected") is Reason.ES_REJECTED
    with pytest.raises(ValueError):
        Reason.of("no_such_reason")


def test_every_reason_code_raised_below_the_services_is_catalogued() -> None:
    """The enrichment steps and schemas raise plain codes (they do not import services.common); each must be in
    the catalogue, or the worker's ``Reason.of`` would fail on it."""
    sources = [*(REPO / "services" / "enrich" / "steps").rglob("*.py"), REPO / "services" / "enrich" / "pipeline.py"]
    codes = set()
    for path in sources:
        codes |= set(re.findall(r'reason="([a-z_]+)"', path.read_text(encoding="utf-8")))
    codes |= set(re.findall(r'InvalidMessage\("([a-z_]+)"', (REPO / "schemas" / "__init__.py").read_text()))
    assert {"invalid_json", "schema_mismatch", "too_many_articles", "no_article"} <= codes
    assert codes <= {reason.value for reason in Reason}


class FakeAck:
    """What kafka-python's send() returns, without a broker: answers or fails when asked."""

    def __init__(self, error: Exception | None = None, offset: int = 0) -> None:
        self.error, self.offset, self.asked = error, offset, 0

    def get(self, timeout: float | None = None) -> Any:
        self.asked += 1
        if self.error:
            raise self.error
        return ("metadata", self.offset)


def test_the_commit_waits_for_every_acknowledgement() -> None:
    commits: list[list[Any]] = []
    acks = [FakeAck(offset=1), FakeAck(offset=2)]
    assert commit_after_acknowledged(acks, lambda answers: commits.append(answers) or "done", timeout_s=1) == "done"
    assert commits == [[("metadata", 1), ("metadata", 2)]]


@pytest.mark.parametrize("refused", [FakeAck(RuntimeError("MessageSizeTooLarge")), SendRefused(OSError("no"))])
def test_one_refused_dead_letter_stops_the_commit(refused: Any) -> None:
    commits: list[Any] = []
    others = [FakeAck(), FakeAck()]
    with pytest.raises(NotAcknowledged) as info:
        commit_after_acknowledged([others[0], refused, others[1]], commits.append, timeout_s=1)
    assert commits == []
    assert [position for position, _ in info.value.failures] == [1]
    assert all(ack.asked == 1 for ack in others)  # every send settled: none left in flight


def test_the_asyncio_rule_settles_every_send_before_raising() -> None:
    async def run() -> None:
        loop = asyncio.get_running_loop()
        ok, bad, late = loop.create_future(), loop.create_future(), loop.create_future()
        ok.set_result(1)
        bad.set_exception(RuntimeError("refused"))
        loop.call_later(0.05, late.set_result, 3)
        with pytest.raises(NotAcknowledged):
            await gather_acknowledged([ok, bad, late])
        assert late.done()
        both = [loop.create_future(), loop.create_future()]
        for position, future in enumerate(both):
            future.set_result(position)
        assert await gather_acknowledged(both) == [0, 1]

    asyncio.run(run())


def test_one_bulk_retry_policy() -> None:
    policy = BulkRetryPolicy(initial_backoff_s=0.5, max_backoff_s=3)
    waits = policy.backoffs()
    assert [next(waits) for _ in range(5)] == [0.5, 1, 2, 3, 3]
    assert is_permanent(400) and is_permanent(409) and not is_permanent(429) and not is_permanent(503)
