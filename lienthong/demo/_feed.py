"""The simulated agencies of the demo, publishing a little every second.

- the one-stop centre (TTHCC) posts its dossier events in batches to the HTTP gateway;
- CDC, Sở Y tế, the People's Committee office and the People's Committee publish with
  the SDK;
- now and then a broken agency system writes bytes the gate must refuse (truncated
  records, an unknown schema id), and the one-stop centre skips a legal status step:
  the console shows them as dead letters with their reasons.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from kafka import KafkaProducer

from lienthong.connectors.kafka import KafkaSettings, kafka_python_producer
from lienthong.demo.simulation import DOSSIER_AGENCY, realistic_day
from lienthong.producers import Publisher
from lienthong.schemas.framing import header
from lienthong.schemas.models import DossierLifecycle, EventModel


@dataclass
class FeedCounts:
    """What the feed sent, for the demo's summary line."""

    gateway: int = 0
    sdk: int = 0
    broken: int = 0
    refused_at_gateway: int = 0


@dataclass
class Feed:
    """Plays one round of a realistic day per call of :meth:`step`, spread over time."""

    kafka: KafkaSettings
    publisher: Publisher
    gateway_url: str
    gateway_key: str
    per_step: int = 12
    counts: FeedCounts = field(default_factory=FeedCounts)
    _round: int = 0
    _pending: Iterator[EventModel] = field(default_factory=lambda: iter(()))
    _rng: random.Random = field(default_factory=lambda: random.Random(2025))
    last_dossier: DossierLifecycle | None = None
    """The newest dossier event posted (the demo's intruder tries to change it)."""

    def __post_init__(self) -> None:
        self._raw = KafkaProducer(**kafka_python_producer(self.kafka))
        self._http = httpx.Client(
            base_url=self.gateway_url,
            headers={"Authorization": f"Bearer {self.gateway_key}"},
            timeout=30,
        )

    def close(self) -> None:
        self._http.close()
        self._raw.close()

    def _next_events(self) -> list[EventModel]:
        chosen: list[EventModel] = []
        while len(chosen) < self.per_step:
            event = next(self._pending, None)
            if event is None:
                self._round += 1
                day = realistic_day(seed=self._round, start=datetime.now(UTC))
                self._pending = iter(day)
                continue
            chosen.append(event)
        return chosen

    def step(self) -> None:
        """Publish one second's worth of events, and sometimes something broken."""
        events = self._next_events()
        dossiers = [e for e in events if e.envelope.source_agency == DOSSIER_AGENCY]
        others = [e for e in events if e.envelope.source_agency != DOSSIER_AGENCY]
        if dossiers:
            self._post(dossiers)
        for event in others:
            self.publisher.publish_async(event)
            self.counts.sdk += 1
        if self._rng.random() < 0.25 and others:
            self._send_broken(others[0])

    def _post(self, dossiers: list[EventModel]) -> None:
        body = {"events": [e.model_dump(mode="json") for e in dossiers]}
        answer = self._http.post("/v1/events/batch", json=body)
        if answer.status_code == 200:
            self.counts.gateway += len(dossiers)
            posted = [d for d in dossiers if isinstance(d, DossierLifecycle)]
            self.last_dossier = posted[-1] if posted else self.last_dossier
        else:
            self.counts.refused_at_gateway += len(dossiers)
        if self._rng.random() < 0.2:
            # A status jump the portal's table forbids (registered → result returned):
            # valid on its own, so only the gate, which knows the dossier, can refuse it.
            first = next((d for d in dossiers if isinstance(d, DossierLifecycle)), None)
            if first is not None:
                jump = first.model_copy(
                    update={
                        "envelope": DossierLifecycle.new_envelope(DOSSIER_AGENCY),
                        "TrangThaiHoSo": 10,
                        "TrangThaiTruoc": None,
                        "NgayTra": datetime.now(UTC),
                    }
                )
                self.publisher.publish_async(jump)
                self.counts.sdk += 1

    def _send_broken(self, model: EventModel) -> None:
        record = self.publisher.encoder.encode(model)
        if self._rng.random() < 0.5:
            value = record.value[: len(record.value) // 2]  # cut off mid-record
        else:
            value = header(999_999) + record.value[5:]  # a schema id nobody registered
        self._raw.send(record.topic, key=record.key, value=value, headers=list(record.headers))
        self.counts.broken += 1
