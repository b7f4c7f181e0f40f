"""What travels: an encoded event (:class:`Record`) and what became of it (:class:`Delivery`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from lienthong.producers._errors import ProducerError
from lienthong.schemas import headers as h
from lienthong.schemas.headers import Headers

# Header names every event carries, so routing never needs to decode the payload (the
# SDK's public names for the wire vocabulary's, lienthong.schemas.headers).
H_EVENT_ID = h.EVENT_ID
H_EVENT_TYPE = h.EVENT_TYPE
H_SOURCE_AGENCY = h.AGENCY
H_TRACE_ID = h.TRACE_ID


# NamedTuples rather than dataclasses: one of each is made per event on the publish
# path, and a tuple is built several times faster than a frozen dataclass.
class Record(NamedTuple):
    """An encoded event, ready for Kafka: topic, key, framed Avro value, headers."""

    topic: str
    key: bytes
    value: bytes
    headers: Headers
    event_id: str

    @property
    def size(self) -> int:
        return len(self.key) + len(self.value) + sum(len(n) + len(v) for n, v in self.headers)


class Delivery(NamedTuple):
    """The outcome of one publish.

    ``spooled`` means Kafka was unreachable and the event is safe on disk; it will be
    delivered (in order for its key) once Kafka is back, so ``partition`` and
    ``offset`` are not known yet. ``error`` is set only for a permanent refusal.
    """

    event_id: str
    topic: str
    partition: int | None = None
    offset: int | None = None
    spooled: bool = False
    error: ProducerError | None = None

    @property
    def delivered(self) -> bool:
        return self.offset is not None


DeliveryCallback = Callable[[Delivery], None]
