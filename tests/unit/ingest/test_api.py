"""The ingest API over a producer double: status codes, ids only after the acknowledgement, 503 when down."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient

from services.ingest.api import create_app
from services.ingest.backpressure import DeliveryGate
from services.ingest.metrics import IngestMetrics
from services.ingest.publisher import Publisher
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings
from tests.unit.ingest.conftest import FakeProducer

AUTH = {"Authorization": "Bearer s3cret-token"}
ARTICLE = {"title": "Talks resume", "body": "TOKYO - Trade ministers met on Monday to resume talks."}


@pytest.fixture
def client(ingest_settings: IngestSettings, publisher: Publisher) -> Iterator[TestClient]:
    metrics = IngestMetrics()
    publisher._metrics = metrics
    gate = DeliveryGate(ingest_settings.ingest_buffer_limit, cooldown_s=5)
    service = IngestService(ingest_settings, publisher, gate, metrics)
    with TestClient(create_app(service, manage_service=False)) as test_client:
        yield test_client


def test_accepts_with_a_good_token_and_returns_the_ids(client: TestClient, producer: FakeProducer) -> None:
    response = client.post(
        "/articles", content=orjson.dumps([ARTICLE, ARTICLE, 7]), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 200
    body = response.json()
    assert [a["duplicate"] for a in body["accepted"]] == [False, True]
    assert body["rejected"] == [{"item": 2, "reason": "not_an_object", "detail": "a int"}]
    assert producer.topics() == ["unit.articles.raw"]
    assert producer.sent[0][1].decode() == body["accepted"][0]["id"]
    metrics = client.get("/metrics").text
    assert 'dateline_ingest_messages_out_total{topic="unit.articles.raw"} 1.0' in metrics
    assert 'dateline_ingest_rejections_total{reason="not_an_object"} 1.0' in metrics


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"Content-Type": "application/json"}, b"{}", 401),
        ({"Authorization": "Bearer nope", "Content-Type": "application/json"}, b"{}", 401),
        ({**AUTH, "Content-Type": "application/pdf"}, b"%PDF", 415),
        ({**AUTH, "Content-Type": "text/plain"}, b"x" * 5000, 413),
        ({**AUTH, "Content-Type": "application/json"}, b"{bad", 400),
        ({**AUTH, "Content-Type": "application/json"}, orjson.dumps({"title": "no text"}), 422),
    ],
)
def test_refusals(
    client: TestClient, producer: FakeProducer, headers: dict[str, str], body: bytes, status: int
) -> None:
    response = client.post("/articles", content=body, headers=headers)
    assert response.status_code == status, response.text
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert producer.sent == []


def test_chunked_body_past_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 1000

    response = client.post("/articles", content=chunks(), headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 413


def test_broker_down_is_503_with_retry_after_and_nothing_accepted(client: TestClient, producer: FakeProducer) -> None:
    producer.down = True
    response = client.post("/articles", json=ARTICLE, headers=AUTH)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["accepted"] == []
    assert client.get("/health").status_code == 503
    # Within the cool-down the API answers at once, without trying the broker again.
    producer.down = False
    assert client.post("/articles", json=ARTICLE, headers=AUTH).status_code == 503
    assert producer.sent == []


def test_rate_limit_is_429(ingest_settings: IngestSettings, publisher: Publisher) -> None:
    settings = ingest_settings.model_copy(update={"ingest_rate_burst": 1, "ingest_rate_per_s": 0.01})
    service = IngestService(settings, publisher, DeliveryGate(10, cooldown_s=5), IngestMetrics())
    with TestClient(create_app(service, manage_service=False)) as test_client:
        assert test_client.post("/articles", json=ARTICLE, headers=AUTH).status_code == 200
        refused = test_client.post("/articles", json=ARTICLE, headers=AUTH)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
