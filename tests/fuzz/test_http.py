"""Generated requests at the gateway and the console: no 5xx, every error JSON (bounded).

``bench/fuzz.py`` runs the same on 10⁵ inputs; this is CI's sample.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from lienthong.audit import AuditTrail, MemoryAuditSink
from lienthong.connectors.kafka import KafkaSettings
from lienthong.console import ConsoleSettings
from lienthong.console import create_app as console_app
from tests.fuzz.http import exchange, gateway_body, judge, raw_request
from tests.producers.memory_gateway import MemoryGateway, memory_gateway
from tests.web.serving import served

RANDOMS = st.randoms(use_true_random=False)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MemoryGateway, int]]:
    folder = tmp_path_factory.mktemp("gateway")
    with memory_gateway(folder, rate_per_s=1e9, burst=10**9) as gw, served(gw.app) as port:
        yield gw, port


@pytest.fixture(scope="module")
def console_port() -> Iterator[int]:
    trail = AuditTrail("console", MemoryAuditSink())  # no Kafka here
    with served(console_app(KafkaSettings(), ConsoleSettings(port=0), trail=trail)) as port:
        yield port


def test_generated_events_posted_to_the_gateway(gateway: tuple[MemoryGateway, int]) -> None:
    gw, _ = gateway
    client = TestClient(gw.app, raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {gw.key}", "Content-Type": "application/json"}

    @given(RANDOMS)
    def post(rng: random.Random) -> None:
        path, body = gateway_body(rng, gw.agency)
        response = client.post(path, content=body, headers=auth)
        content_type = response.headers.get("content-type", "")
        outcome, detail = judge(response.status_code, content_type, response.content, path)
        assert outcome in ("accepted", "refused"), detail

    post()


@pytest.mark.parametrize("service", ["gateway", "console"])
def test_mangled_raw_requests_get_a_json_answer(
    service: str, gateway: tuple[MemoryGateway, int], console_port: int
) -> None:
    gw, gateway_port = gateway
    port = gateway_port if service == "gateway" else console_port

    @given(RANDOMS)
    def send(rng: random.Random) -> None:
        raw = raw_request(rng, gw.key)
        got = exchange(port, raw)
        assert got is not None, f"no answer to {raw[:200]!r}"
        outcome, detail = judge(*got, what=repr(raw[:80]), head=raw.startswith(b"HEAD "))
        assert outcome in ("accepted", "refused"), detail

    send()


def test_requests_from_the_gateways_openapi_document(tmp_path: Path) -> None:
    with memory_gateway(tmp_path, rate_per_s=1e9, burst=10**9) as gw:
        schema = schemathesis.openapi.from_asgi("/openapi.json", gw.app)
        operation = schema["/v1/events"]["POST"]
        for mode in schemathesis.GenerationMode:

            @settings(max_examples=15)  # each case draws a whole event schema: slow
            @given(operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                response = case.call(headers={"Authorization": f"Bearer {gw.key}"})
                content_type = str(response.headers.get("content-type", [""])[0])
                outcome, detail = judge(
                    response.status_code, content_type, response.content, "POST /v1/events"
                )
                assert outcome in ("accepted", "refused"), detail

            call()
