"""The axis's one metric vocabulary, created on a registry the caller hands in.

Nothing here touches prometheus-client's global registry, so several services (or
tests) can live in one process. Hot paths bind label children once and keep them:
a bound ``inc()`` costs ~1 µs against ~4 µs for ``labels(...).inc()`` (DESIGN.md).

    lienthong_events_in_total{topic,agency,event_type}
    lienthong_events_out_total{topic,agency,event_type}
    lienthong_validation_failures_total{reason}
    lienthong_deadletter_total{topic,reason}
    lienthong_event_latency_seconds{stage}            occurred_at → stage (histogram)
    lienthong_http_request_duration_seconds{service,route,method,status}
    lienthong_registry_requests_total{method,status}
    lienthong_consumer_lag{group,topic,partition}
    lienthong_broker_up
    lienthong_overdue_dossiers_total{agency}          overdue events emitted by the SLA clock
    lienthong_security_events_total{service,action,outcome}   the audit feed, counted
    lienthong_auth_failures_total{service,identity}   401/403 by identity ("unknown" if unproven)
    lienthong_audit_dropped_total{service}            audit events that could not be delivered
    lienthong_processing_failures_total{stage,exception}  records a worker stage raised for
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class AxisMetrics:
    """Every metric family of the axis, on one registry."""

    registry: CollectorRegistry
    events_in: Counter
    events_out: Counter
    validation_failures: Counter
    deadletters: Counter
    event_latency: Histogram
    http_duration: Histogram
    registry_requests: Counter
    consumer_lag: Gauge
    broker_up: Gauge
    overdue_dossiers: Counter
    security_events: Counter
    auth_failures: Counter
    audit_dropped: Counter
    processing_failures: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> AxisMetrics:
        """Create the families on ``registry`` (a fresh private one by default)."""
        reg = registry if registry is not None else CollectorRegistry(auto_describe=True)
        by_event = ("topic", "agency", "event_type")
        return cls(
            registry=reg,
            events_in=Counter(
                "lienthong_events_in", "Events read or accepted.", by_event, registry=reg
            ),
            events_out=Counter(
                "lienthong_events_out", "Events written onward.", by_event, registry=reg
            ),
            validation_failures=Counter(
                "lienthong_validation_failures",
                "Events refused by the gate, by reason code.",
                ("reason",),
                registry=reg,
            ),
            deadletters=Counter(
                "lienthong_deadletter",
                "Events written to a dead-letter topic.",
                ("topic", "reason"),
                registry=reg,
            ),
            event_latency=Histogram(
                "lienthong_event_latency_seconds",
                "Seconds from an event's occurred_at to the end of a stage.",
                ("stage",),
                buckets=LATENCY_BUCKETS,
                registry=reg,
            ),
            http_duration=Histogram(
                "lienthong_http_request_duration_seconds",
                "HTTP request duration by service, route, method and status.",
                ("service", "route", "method", "status"),
                registry=reg,
            ),
            registry_requests=Counter(
                "lienthong_registry_requests",
                "Schema registry requests by method and status.",
                ("method", "status"),
                registry=reg,
            ),
            consumer_lag=Gauge(
                "lienthong_consumer_lag",
                "Records behind the end of the partition, per consumer group.",
                ("group", "topic", "partition"),
                registry=reg,
            ),
            broker_up=Gauge(
                "lienthong_broker_up", "1 when the Kafka cluster answers.", registry=reg
            ),
            overdue_dossiers=Counter(
                "lienthong_overdue_dossiers",
                "Dossiers that passed their legal due time without a result.",
                ("agency",),
                registry=reg,
            ),
            security_events=Counter(
                "lienthong_security_events",
                "Audit events: refusals and administrative actions, by service and action.",
                ("service", "action", "outcome"),
                registry=reg,
            ),
            auth_failures=Counter(
                "lienthong_auth_failures",
                "HTTP requests refused for identity (401/403), by the identity claimed.",
                ("service", "identity"),
                registry=reg,
            ),
            audit_dropped=Counter(
                "lienthong_audit_dropped",
                "Audit events lost (queue full or shutdown while Kafka was away).",
                ("service",),
                registry=reg,
            ),
            processing_failures=Counter(
                "lienthong_processing_failures",
                "Records a worker stage raised for (sent to the dead letters; a bug).",
                ("stage", "exception"),
                registry=reg,
            ),
        )

    def exposition(self) -> tuple[bytes, str]:
        """The Prometheus text exposition of this registry and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
