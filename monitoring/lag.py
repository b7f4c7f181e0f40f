"""Consumer lag per group and partition, read with the Kafka admin API.

The exporter asks the cluster, never the consumers, so it sees every group, including
one whose workers are all down (that is when lag matters most). One call of
:meth:`LagExporter.collect` lists the groups, their committed offsets and the
partitions' end offsets, and sets ``lienthong_consumer_lag`` and
``lienthong_broker_up``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaConfigurationError, KafkaError

from lienthong.connectors.kafka import KafkaSettings, admin
from lienthong.monitoring.metrics import AxisMetrics


@dataclass(frozen=True)
class PartitionLag:
    """How far one group is behind on one partition."""

    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - self.committed)


def compute_lag(
    group: str, committed: Mapping[TopicPartition, int], ends: Mapping[TopicPartition, int]
) -> list[PartitionLag]:
    """Lag of ``group`` on every partition it has committed (pure)."""
    return [
        PartitionLag(group, tp.topic, tp.partition, offset, ends.get(tp, offset))
        for tp, offset in sorted(committed.items())
    ]


def _group_id(group: object) -> str:
    # kafka-python 3 lists groups as dicts; older releases as (id, protocol) tuples.
    if isinstance(group, dict):
        return str(group["group_id"])
    return str(group[0])  # type: ignore[index]


class LagExporter:
    """Reads lag from the cluster into :class:`AxisMetrics` gauges."""

    def __init__(
        self, settings: KafkaSettings, metrics: AxisMetrics, groups: list[str] | None = None
    ) -> None:
        """``groups`` limits the exporter to those groups; by default it watches all."""
        self._settings = settings
        self._metrics = metrics
        self._groups = groups

    def collect(self) -> list[PartitionLag]:
        """Read every group's lag once; on a cluster error mark the broker down."""
        try:
            lags = self._read()
        except KafkaConfigurationError:
            raise  # our mistake, not the cluster's: never report it as "broker down"
        except KafkaError:
            self._metrics.broker_up.set(0)
            return []
        self._metrics.broker_up.set(1)
        for item in lags:
            self._metrics.consumer_lag.labels(item.group, item.topic, str(item.partition)).set(
                item.lag
            )
        return lags

    def _read(self) -> list[PartitionLag]:
        # Short timeouts: a scrape must answer "broker down" quickly, not hang.
        client = admin(self._settings, request_timeout_ms=5000, bootstrap_timeout_ms=5000)
        consumer = KafkaConsumer(**self._settings.as_kafka_python(), request_timeout_ms=5000)
        try:
            groups = self._groups or [_group_id(g) for g in client.list_groups()]
            lags: list[PartitionLag] = []
            for group in groups:
                offsets = client.list_group_offsets({group: None}).get(group, {})
                committed = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
                if committed:
                    ends = consumer.end_offsets(list(committed))
                    lags.extend(compute_lag(group, committed, ends))
            return lags
        finally:
            consumer.close()
            client.close()
