"""Background reading of Kafka for the console: offsets, lag and dead letters.

One thread refreshes a snapshot every few seconds; HTTP handlers only read the latest
snapshot, so a slow or absent cluster never blocks the page.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import TopicLayout
from lienthong.console._overview import OffsetSample, agency_health, throughput
from lienthong.console._series import Buckets, SeriesStore, latency_buckets, p99, snapshot_values
from lienthong.consumers.dlq import letters
from lienthong.monitoring.lag import LagExporter
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.schemas.catalogue import catalogue
from lienthong.schemas.deadletter import DeadRecord
from lienthong.schemas.reference import agencies


@dataclass
class Snapshot:
    """The latest picture of the axis."""

    at: float = 0.0
    broker_up: bool = False
    throughput: dict[str, float] = field(default_factory=dict)
    lag: list[dict[str, Any]] = field(default_factory=list)
    deadletters: list[DeadRecord] = field(default_factory=list)
    agencies: list[dict[str, Any]] = field(default_factory=list)
    agencies_unattributed: dict[str, int] = field(default_factory=dict)
    topics: dict[str, int] = field(default_factory=dict)


class Collector:
    """Refreshes a :class:`Snapshot` in a daemon thread until :meth:`stop`."""

    def __init__(
        self,
        kafka: KafkaSettings,
        layout: TopicLayout,
        metrics: AxisMetrics,
        interval_s: float = 2.0,
        worker_metrics_url: str | None = None,
    ) -> None:
        self.kafka, self.layout, self.interval_s = kafka, layout, interval_s
        self._lag = LagExporter(kafka, metrics)
        self._metrics = metrics
        self._previous: OffsetSample | None = None
        # Each ingress topic's agency, named forward by the layout from the reference
        # table and the catalogue (never parsed back from a topic name).
        self._agencies = agencies()
        self._ingress_owner = {
            layout.ingress(agency.code, event_type): agency.code
            for agency in self._agencies
            for event_type in catalogue()
        }
        self.snapshot = Snapshot()
        self.series = SeriesStore()
        self._worker_metrics_url = worker_metrics_url
        self._latency: Buckets = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="console-collector", daemon=True)

    def start(self) -> Collector:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.snapshot = snap = self.collect()
                reasons = (x.letter.reason for x in snap.deadletters)
                values = snapshot_values(snap.throughput, reasons, snap.lag)
                self.series.add(snap.at, values | self._latency_p99())
            except KafkaError:
                self.snapshot = Snapshot(at=time.time(), broker_up=False)
            self._stop.wait(self.interval_s)

    def _latency_p99(self) -> dict[str, float]:
        """The worker's latency p99 per stage since the last scrape (none if it is away)."""
        if self._worker_metrics_url is None:
            return {}
        try:
            text = httpx.get(self._worker_metrics_url, timeout=3.0).text
            now = latency_buckets(text)
        except (httpx.HTTPError, ValueError):
            return {}
        before, self._latency = self._latency, now
        found = {stage: p99(before.get(stage, {}), counts) for stage, counts in now.items()}
        return {f"e2e_p99:{stage}": value for stage, value in found.items() if value is not None}

    def collect(self) -> Snapshot:
        """Read the cluster once and build a snapshot."""
        sample = self._sample()
        rates = throughput(self._previous, sample, self.layout.prefix)
        self._previous = sample
        found = (
            letters(self.kafka, self.layout.deadletter)
            if self.layout.deadletter in (sample.ends)
            else []
        )
        health = agency_health(
            sample.ends,
            (x.letter.refusal.agency for x in found),
            self._ingress_owner,
            self._agencies,
            self.layout.prefix,
        )
        lags = [
            {"group": x.group, "topic": x.topic, "partition": x.partition, "lag": x.lag}
            for x in self._lag.collect()
        ]
        return Snapshot(
            at=time.time(),
            broker_up=True,
            throughput=rates,
            lag=lags,
            deadletters=found,
            agencies=health.rows,
            agencies_unattributed=health.unattributed,
            topics=dict(sample.ends),
        )

    def _sample(self) -> OffsetSample:
        consumer = KafkaConsumer(**self.kafka.as_kafka_python(), request_timeout_ms=5000)
        try:
            names = [t for t in consumer.topics() if t.startswith(f"{self.layout.prefix}.")]
            partitions = [
                TopicPartition(t, p) for t in names for p in consumer.partitions_for_topic(t) or ()
            ]
            ends = consumer.end_offsets(partitions) if partitions else {}
        finally:
            consumer.close()
        totals: dict[str, int] = {}
        for tp, end in ends.items():
            totals[tp.topic] = totals.get(tp.topic, 0) + int(end)
        return OffsetSample(at=time.monotonic(), ends=totals)
