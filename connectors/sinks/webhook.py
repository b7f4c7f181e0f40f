"""HTTP webhook sink: POST each event as JSON to a receiver, with retries and a breaker.

Each event is one ``POST`` of a JSON body (``event_id``, ``event_type``, ``occurred_at``,
``source_agency``, ``key``, where it was read, and the ``event`` itself) with headers
``Idempotency-Key`` and ``X-Lienthong-Event-Id`` (the event id: the receiver dedups on
it) and, when a secret is set, ``X-Lienthong-Signature: sha256=<HMAC of the body>``.

- 2xx: delivered. 408, 425, 429, 5xx, timeouts and connection errors: retried with
  exponential backoff (``Retry-After`` honoured) up to ``max_attempts`` attempts, then
  the event goes to the dead-letter topic (``delivery_failed``). Any other 4xx: the
  receiver refuses the event itself, so it is dead-lettered at once
  (``rejected_by_receiver``).
- A circuit breaker stops calling after ``breaker_failures`` failures in a row and
  tries again after ``breaker_cooldown_s``; while it is open events wait (they are not
  failed for it) — see :mod:`.resilience`.
- Events of a partition are delivered one after another, in order. The consumer
  group's offsets move (in Kafka) after each batch, once every event of it is
  delivered or dead-lettered; after a crash the events since the last commit are sent
  again — at least once; ``event_id`` dedups.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from kafka import TopicPartition
from pydantic import Field, SecretStr, field_validator

from lienthong.connectors.positions import DeadLetterWriter
from lienthong.connectors.resilience import (
    Backoff,
    CircuitBreaker,
    is_retryable_status,
    retry_after,
)
from lienthong.connectors.runtime import Connector, ConnectorSpec
from lienthong.connectors.stream import EventStream, InEvent
from lienthong.schemas.deadletter import DELIVERY_FAILED, REJECTED_BY_RECEIVER
from lienthong.schemas.registry_client import RegistryClient

log = logging.getLogger("lienthong.connectors")


class WebhookSpec(ConnectorSpec):
    """POST events to an HTTP receiver."""

    url: str = Field(description="The receiver, e.g. https://ioc.haugiang.gov.vn/hooks/dossier")
    topics: list[str] = Field(min_length=1, description="Topics to read.")
    secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 key: signs each body (X-Lienthong-Signature)."
    )
    bearer_token: SecretStr | None = Field(default=None, description="Sent as Authorization.")
    timeout_s: float = Field(default=10.0, gt=0, description="Per request.")
    max_attempts: int = Field(default=6, ge=1, description="Attempts before dead-lettering.")
    backoff_initial_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)
    backoff_multiplier: float = Field(default=2.0, ge=1)
    breaker_failures: int = Field(default=5, ge=1, description="Failures in a row that open it.")
    breaker_cooldown_s: float = Field(default=30.0, ge=0, description="How long it stays open.")
    batch_size: int = Field(default=200, ge=1, description="Events between offset commits.")
    deadletter_topic: str | None = None  # default: the topic layout's <prefix>.deadletter

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the receiver must be an http:// or https:// URL")
        return value


def json_value(value: Any) -> Any:
    """A decoded Avro value as JSON: times in ISO 8601 UTC, UUIDs as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


def body_of(event: InEvent) -> bytes:
    """The JSON body POSTed for ``event``."""
    envelope = event.record["envelope"]
    body = {
        "event_id": event.event_id,
        "event_type": event.entry.event_type,
        "occurred_at": json_value(envelope["occurred_at"]),
        "source_agency": envelope["source_agency"],
        "key": event.key.decode("utf-8", "replace") if event.key else None,
        "topic": event.topic,
        "partition": event.partition,
        "offset": event.offset,
        "event": json_value(event.record),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of the body under the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _Stopped(Exception):
    """The runtime asked to stop while an event was still being retried."""


class WebhookSink(Connector[WebhookSpec]):
    """POSTs each event to an HTTP receiver (see the module docstring)."""

    KIND = "webhook"

    def run(self) -> None:
        spec = self.spec
        ctx = self.context
        self.backoff = Backoff(spec.backoff_initial_s, spec.backoff_multiplier, spec.backoff_max_s)
        self.breaker = CircuitBreaker(spec.breaker_failures, spec.breaker_cooldown_s)
        headers = {"Content-Type": "application/json", "User-Agent": "lienthong-connect"}
        if spec.bearer_token is not None:
            headers["Authorization"] = f"Bearer {spec.bearer_token.get_secret_value()}"
        self.http = httpx.Client(timeout=spec.timeout_s, headers=headers)
        registry = RegistryClient(ctx.registry_url)
        self.letters = DeadLetterWriter(
            ctx.kafka, spec.deadletter_topic or ctx.layout.deadletter, ctx.layout
        )
        stream: EventStream | None = None
        try:
            stream = EventStream.of(self, spec.topics, registry)
            while not ctx.stop.is_set():
                batch = stream.poll(spec.batch_size, 500)
                if not batch.next_offsets:
                    continue
                self.letters.send_all(batch.letters)
                ctx.metrics.count("deadlettered", len(batch.letters))
                done: dict[TopicPartition, int] = {}
                try:
                    for event in batch.events:
                        self._deliver(event)
                        done[TopicPartition(event.topic, event.partition)] = event.offset + 1
                except _Stopped:
                    self.letters.flush()
                    stream.commit(done)
                    return
                self.letters.flush()
                stream.commit(batch.next_offsets)
                ctx.metrics.batches.inc()
        finally:
            if stream is not None:
                stream.close()
            self.letters.close()
            self.http.close()
            registry.close()

    def _deliver(self, event: InEvent) -> None:
        """Deliver one event, or dead-letter it; raise _Stopped when asked to stop."""
        spec = self.spec
        ctx = self.context
        body = body_of(event)
        headers = {"Idempotency-Key": event.event_id, "X-Lienthong-Event-Id": event.event_id}
        headers["X-Lienthong-Event-Type"] = event.entry.event_type
        if spec.secret is not None:
            headers["X-Lienthong-Signature"] = signature(spec.secret.get_secret_value(), body)
        attempts = 0
        while True:
            if ctx.stop.is_set():
                raise _Stopped
            if not self.breaker.allow(time.monotonic()):
                ctx.metrics.circuit_open.set(1)
                ctx.stop.wait(min(1.0, self.breaker.wait_s(time.monotonic())) or 0.01)
                continue
            ctx.metrics.circuit_open.set(0)
            attempts += 1
            status, why, wait = self._post(body, headers, attempts)
            if status is not None and 200 <= status < 300:
                self.breaker.success()
                ctx.metrics.count("delivered")
                return
            if status is not None and not is_retryable_status(status):
                # The receiver is up and answered: its refusal is about this event.
                self.breaker.success()
                self._dead(event, REJECTED_BY_RECEIVER, why, attempts)
                return
            self.breaker.failure(time.monotonic())
            if attempts >= spec.max_attempts:
                self._dead(event, DELIVERY_FAILED, why, attempts)
                return
            ctx.metrics.retries.inc()
            ctx.stop.wait(wait)

    def _post(
        self, body: bytes, headers: dict[str, str], attempt: int
    ) -> tuple[int | None, str, float]:
        """(status or None, why it failed, how long to wait before the next attempt)."""
        spec = self.spec
        try:
            response = self.http.post(spec.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}", self.backoff.delay(attempt)
        why = f"HTTP {response.status_code}: {response.text[:300]}"
        wait = self.backoff.after(attempt, retry_after(response.headers.get("Retry-After")))
        return response.status_code, why, wait

    def _dead(self, event: InEvent, reason: str, why: str, attempts: int) -> None:
        spec = self.spec
        log.warning(
            "webhook %s: event %s dead-lettered: %s", self.context.name, event.event_id, why
        )
        self.letters.send(
            event.letter(
                reason,
                f"{spec.url} after {attempts} attempt(s): {why}",
                self.stage,
                attempts=attempts,
            )
        )
        self.context.metrics.count("deadlettered")
