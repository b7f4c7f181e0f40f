"""Publishing into the axis: the agency SDK, the HTTP gateway, the publish CLI.

The SDK::

    from lienthong.producers import Publisher
    from lienthong.schemas.models import DossierLifecycle

    with Publisher() as publisher:
        delivery = publisher.publish(event)      # topic, partition, offset (or spooled)
        publisher.publish_many(backlog, on_delivery=report)  # a chunk at a time, cheaper

Delivery is at least once: when Kafka is unreachable or slow, events wait in a durable
on-disk spool and are delivered in order per key once it is back, so an event may
arrive twice. ``event_id`` is the idempotency key downstream. Errors are listed in
:mod:`lienthong.producers._errors` (all derive from :class:`ProducerError`).
"""

from lienthong.producers._encoding import EventEncoder, field_errors
from lienthong.producers._errors import (
    FieldError,
    InvalidEvent,
    KafkaUnavailable,
    ProducerError,
    PublisherClosed,
    PublishRefused,
    RegistryUnreachable,
    SpoolError,
    SpoolFull,
    SpoolLocked,
    UnknownEventType,
)
from lienthong.producers._link import KeyPartitioner
from lienthong.producers._publisher import Publisher
from lienthong.producers._record import (
    H_EVENT_ID,
    H_EVENT_TYPE,
    H_SOURCE_AGENCY,
    H_TRACE_ID,
    Delivery,
    DeliveryCallback,
    Record,
)
from lienthong.producers._settings import PublisherSettings

__all__ = [
    "H_EVENT_ID",
    "H_EVENT_TYPE",
    "H_SOURCE_AGENCY",
    "H_TRACE_ID",
    "Delivery",
    "DeliveryCallback",
    "EventEncoder",
    "FieldError",
    "InvalidEvent",
    "KafkaUnavailable",
    "KeyPartitioner",
    "ProducerError",
    "PublishRefused",
    "Publisher",
    "PublisherClosed",
    "PublisherSettings",
    "Record",
    "RegistryUnreachable",
    "SpoolError",
    "SpoolFull",
    "SpoolLocked",
    "UnknownEventType",
    "field_errors",
]
