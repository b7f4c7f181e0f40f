"""The envelope every event carries, the base of event models, and shared records."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import ClassVar

from lienthong.schemas.models._base import AvroModel
from lienthong.schemas.models._partial import known
from lienthong.schemas.models._types import (
    AgencyCode,
    EventUuid,
    NonBlank,
    OccurredAt,
    TraceId,
)
from lienthong.schemas.rules import codes
from lienthong.schemas.rules.problem import Problem

COMMON_NAMESPACE = "vn.haugiang.lienthong.common"


class Envelope(AvroModel):
    """Identity, type, time, origin, schema and tracing (``common.Envelope.avsc``)."""

    AVRO_NAME: ClassVar[str] = f"{COMMON_NAMESPACE}.Envelope"

    event_id: EventUuid
    event_type: NonBlank
    occurred_at: OccurredAt
    source_agency: AgencyCode
    schema_ref: NonBlank
    trace_id: TraceId
    correlation_id: NonBlank | None = None


class GeoPoint(AvroModel):
    """A WGS 84 point (``common.GeoPoint.avsc``)."""

    AVRO_NAME: ClassVar[str] = f"{COMMON_NAMESPACE}.GeoPoint"

    lat: float
    lon: float

    def _problems(self) -> Iterable[Problem | None]:
        # Avro's double says nothing about range; NaN fails these comparisons too.
        if not -90 <= self.lat <= 90:
            yield Problem("lat", "coordinate_range", f"latitude {self.lat} is not in -90..90")
        if not -180 <= self.lon <= 180:
            yield Problem("lon", "coordinate_range", f"longitude {self.lon} is not in -180..180")


class EventModel(AvroModel):
    """An event of the catalogue: an ``envelope`` plus its payload fields.

    Subclasses set ``EVENT_TYPE`` (the envelope's ``event_type``), ``AVRO_NAME`` (the
    record's Avro full name; its ``.avsc`` file is ``avro/<AVRO_NAME>.avsc``) and
    ``KEY_FIELD`` (the field whose value is the Kafka key).
    """

    EVENT_TYPE: ClassVar[str]
    AVRO_NAME: ClassVar[str]
    KEY_FIELD: ClassVar[str]

    envelope: Envelope

    def _problems(self) -> Iterable[Problem | None]:
        if not known("envelope"):
            return
        if self.envelope.event_type != self.EVENT_TYPE:
            yield Problem(
                "envelope.event_type",
                "event_type",
                f"{self.envelope.event_type!r} travels in a {self.AVRO_NAME} record, "
                f"whose event type is {self.EVENT_TYPE!r}",
            )
        problem = codes.schema_ref_problem(self.envelope.schema_ref, self.AVRO_NAME)
        if problem:
            yield Problem("envelope.schema_ref", "schema_ref", problem)

    def key(self) -> str:
        """The Kafka key: the entity's id, so each entity's events keep their order."""
        return str(getattr(self, self.KEY_FIELD))

    @classmethod
    def new_envelope(
        cls,
        source_agency: str,
        *,
        version: int | None = None,
        occurred_at: datetime | None = None,
        trace_id: str | None = None,
        correlation_id: str | None = None,
    ) -> Envelope:
        """A fresh envelope for an event of this type (new event id; now; new trace)."""
        return Envelope(
            event_id=uuid.uuid4(),
            event_type=cls.EVENT_TYPE,
            occurred_at=occurred_at or datetime.now(UTC),
            source_agency=source_agency,
            schema_ref=cls.AVRO_NAME if version is None else f"{cls.AVRO_NAME}@{version}",
            trace_id=trace_id or secrets.token_hex(16),
            correlation_id=correlation_id,
        )
