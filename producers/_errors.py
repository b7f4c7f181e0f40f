"""Errors of the producers. Each message says what went wrong and what to do next.

    ProducerError                base of every error raised by lienthong.producers
    ├── InvalidEvent             the event breaks its contract; ``errors`` names each field
    │                            and rule. Nothing of it was sent.
    ├── UnknownEventType         no contract in the catalogue has this event_type
    ├── RegistryUnreachable      the schema registry did not answer, so the event could not
    │                            be encoded (needed once per topic and process)
    ├── KafkaUnavailable         Kafka did not answer or acknowledge in time (the SDK
    │                            spools instead; the gateway answers 503)
    ├── PublishRefused           Kafka refused the event for a reason retrying cannot fix
    │                            (too large, not authorised); it was not spooled
    ├── SpoolError               the on-disk spool cannot take the event
    │   ├── SpoolFull            Kafka is unreachable and the spool reached its bound
    │   └── SpoolLocked          another process is publishing through the same spool file
    └── PublisherClosed          publish after close()

Kafka and schema-registry errors are translated into these at the edge (``from exc``
keeps the original for debugging); callers never need to import kafka-python's errors.
"""

from __future__ import annotations

from dataclasses import dataclass


class ProducerError(Exception):
    """Base class of every error raised by :mod:`lienthong.producers`."""


@dataclass(frozen=True)
class FieldError:
    """One broken rule: where (a dotted path), which rule (a stable code), and why."""

    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.field or '(event)'}: {self.message} [{self.rule}]"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


class InvalidEvent(ProducerError):
    """The event breaks its contract; nothing of it was sent.

    ``index`` is its position among the events given to ``publish_many`` (None for
    a single event); none of those was sent either.
    """

    def __init__(
        self, event_type: str, errors: list[FieldError], *, index: int | None = None
    ) -> None:
        self.event_type = event_type
        self.errors = errors
        self.index = index
        listed = "; ".join(str(e) for e in errors)
        where = "" if index is None else f"item {index}: "
        super().__init__(f"{where}{event_type} event is invalid: {listed}")


class UnknownEventType(ProducerError):
    """The catalogue has no contract for this event type."""


class RegistryUnreachable(ProducerError):
    """The schema registry did not answer; the event could not be encoded."""


class KafkaUnavailable(ProducerError):
    """Kafka did not answer or acknowledge in time; retrying later may succeed."""


class PublishRefused(ProducerError):
    """Kafka refused the event for a reason retrying cannot fix."""


class SpoolError(ProducerError):
    """The durable spool cannot take the event."""


class SpoolFull(SpoolError):
    """Kafka is unreachable and the spool reached its configured bound."""


class SpoolLocked(SpoolError):
    """Another process already publishes through this spool file."""


class PublisherClosed(ProducerError):
    """The publisher was closed; create a new one."""
