"""The validate stage's decision for one ingress record: pass it on, or refuse it.

:meth:`Gate.check` is the whole policy of the axis's gate, without Kafka: decode through
the registry (once), find the event type in the catalogue, apply the contract's rules,
check the topic and key fit the event, drop duplicates by ``event_id``, and check the
status change against the entity's last known status. A valid event passes with its
original bytes and trusted headers computed from the payload; anything else becomes a
:class:`~lienthong.schemas.deadletter.Refusal` — data, never an exception, so one bad
record cannot stop the stream. Only an unreachable registry raises (it is not the
record's fault: the caller waits and retries, nothing is refused for it).

**Canonical text is NFC, whatever the door.** The contracts promise NFC text; the
models normalise every string they validate, but the gate forwards the producer's bytes,
so text produced straight to Kafka in NFD (macOS input, some Vietnamese IMEs) would be
stored in NFD. A valid event whose text is not all NFC is re-encoded once, with its
strings normalised, under the same schema id; the rest keep their bytes. Chosen over
refusing such events (with a reason of their own) by measurement,
``bench/bench_nfc.py``: the check every event pays is the same either way (a scan of
the decoded strings, a small share of the gate's time per event), and re-encoding costs
only the rare NFD event a few tens of µs, while a refusal would dead-letter correct
Vietnamese text for a difference no reader can see.
"""

from __future__ import annotations

import io
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastavro import schemaless_writer
from pydantic import ValidationError

from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.dedup import DedupPolicy, EntityState
from lienthong.consumers.facets import (
    STATUS_TRACKS,
    UNIT_FIELDS,
    Facets,
    facets_of,
    legal_day,
    transition_problem_for,
)
from lienthong.consumers.ownership import NotOwner, judge_ownership
from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h
from lienthong.schemas.catalogue import EventType
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.errors import CodecError, RegistryError, UnknownSchemaId
from lienthong.schemas.event_decoder import EventDecoder, not_in_catalogue
from lienthong.schemas.framing import HEADER_SIZE, read_header
from lienthong.schemas.models import EventModel, violations
from lienthong.schemas.units import RetiredUnit, resolve_unit

# An unknown schema id costs a registry round trip; poison records repeat it, so the
# answer is remembered briefly (a schema registered meanwhile is seen after this).
UNKNOWN_ID_TTL_MS = 30_000


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


# Built per event: slots, not frozen (frozen costs ~1 µs more per object); never mutated.
@dataclass(slots=True)
class IngressRecord:
    """One record as read from an ingress topic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = ()


# Built per event: slots, not frozen (frozen costs ~1 µs more per object); never mutated.
@dataclass(slots=True)
class Passed:
    """A valid event: where it goes, with which headers, and the entity's new state.

    ``record`` is the decoded Avro payload, so the stages after the gate (routing rules
    on payload fields, the views) need not decode the bytes again; ``value`` the bytes
    of the canonical record (the producer's, unless its text had to be made NFC).
    """

    topic: str
    headers: h.Headers
    facets: Facets
    event: EventModel
    state: EntityState
    record: Mapping[str, Any]
    value: bytes


@dataclass(frozen=True)
class Refused:
    """A refused record, with everything its dead letter needs.

    A duplicate of an event that passed keeps its ``facets`` and decoded ``record``: the
    views apply it again (a no-op unless a crash lost their first write; see
    :mod:`lienthong.consumers.worker.stages`).
    """

    letter: dl.DeadLetter
    facets: Facets | None = None
    record: Mapping[str, Any] | None = None


Verdict = Passed | Refused


class Gate:
    """Decides pass or refuse for ingress records; holds only caches, no Kafka."""

    def __init__(
        self,
        deserializer: AvroDeserializer,
        *,
        layout: TopicLayout,
        stage: str = "validate",
        validator: str = "lienthong-worker",
        policy: DedupPolicy | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._deserializer = deserializer
        self._decoder = EventDecoder(deserializer)
        self._layout = layout
        self._stage = stage
        self._validator = validator
        self._policy = policy or DedupPolicy()
        self._clock = clock
        self._unknown_ids: dict[int, int] = {}
        self._ingress: dict[tuple[str, str], str] = {}

    def check(self, record: IngressRecord, state: EntityState) -> Verdict:
        """The verdict on ``record`` given its entity's ``state``.

        Raises :class:`~lienthong.schemas.errors.RegistryError` (not UnknownSchemaId)
        when the registry cannot answer; every other failure is a refusal.
        """
        try:
            return self._check(record, state)
        except RegistryError:
            raise
        except Exception as exc:  # noqa: BLE001  # a bug must cost one record, not the stream
            kind = type(exc).__name__
            return self._refuse(
                record,
                dl.Refusal(dl.PROCESSING_FAILED, f"{kind}: {exc}"),
                exception_type=kind,
            )

    def _check(self, record: IngressRecord, state: EntityState) -> Verdict:
        value = record.value
        if not value:
            return self._refuse(record, dl.Refusal(dl.TRUNCATED_PAYLOAD, "empty value"))
        try:
            entry, decoded = self._decode(value)
        except CodecError as exc:
            return self._refuse(record, dl.Refusal(exc.reason, str(exc)))
        envelope = decoded.get("envelope")
        agency = _get(envelope, "source_agency")
        if entry is None:
            refusal = dl.Refusal(
                dl.UNKNOWN_EVENT_TYPE,
                not_in_catalogue(read_header(value)),
                agency=agency,
            )
            return self._refuse(record, refusal)
        try:
            event = entry.model.from_avro(decoded, now=_instant(self._clock()))
        except ValidationError as exc:
            refusal = dl.Refusal.broken_contract(
                violations(exc),
                agency=agency,
                event_id=_get(envelope, "event_id"),
                event_type=entry.event_type,
            )
            return self._refuse(record, refusal)
        return self._judge(record, state, entry, event, decoded)

    def _judge(
        self,
        record: IngressRecord,
        state: EntityState,
        entry: EventType,
        event: EventModel,
        decoded: Mapping[str, Any],
    ) -> Verdict:
        facets = facets_of(event)

        def refuse(reason: str, message: str, field: str = "", rule: str = "") -> Refused:
            refusal = dl.Refusal(
                reason, message, field, rule, facets.agency, facets.event_id, facets.event_type
            )
            return self._refuse(record, refusal)

        expected = self._ingress_topic(facets.agency, facets.event_type)
        if record.topic != expected:
            return refuse(
                dl.WRONG_TOPIC,
                f"a {facets.event_type} event of agency {facets.agency} belongs on "
                f"{expected}, not {record.topic}",
                "envelope.source_agency",
            )
        key = record.key.decode("utf-8", "replace") if record.key is not None else None
        if key != facets.key:
            return refuse(
                dl.KEY_MISMATCH,
                f"the Kafka key is {key!r} but the entity is {facets.key!r} "
                f"({entry.key_field}); per-entity order needs the entity's id as key",
                entry.key_field,
            )
        if state.has_passed(facets.event_id):
            duplicate = refuse(
                dl.DUPLICATE_EVENT,
                f"event {facets.event_id} already passed the gate; this copy is not passed on",
                "envelope.event_id",
            )
            return Refused(duplicate.letter, facets, decoded)
        ownership = judge_ownership(event, state.owners)
        if isinstance(ownership, NotOwner):
            return refuse(dl.NOT_OWNER, ownership.message, "envelope.source_agency", "ownership")
        problem = _content_problem(event, facets, state.status(facets.event_type))
        if problem is not None:
            return refuse(*problem)
        now = self._clock()
        tracked = STATUS_TRACKS.get(facets.event_type)
        new_state = state.passed(
            facets.event_id,
            now,
            self._policy,
            event_type=facets.event_type,
            status=facets.status if tracked is not None and tracked.check is not None else None,
            owned=(ownership.kind, ownership.owners) if ownership is not None else None,
        )
        headers = h.untrusted_removed(record.headers)
        headers += h.encode(
            [
                *facets.header_pairs(),
                (h.SCHEMA_ID, str(read_header(record.value or b""))),
                (h.VALIDATED_BY, self._validator),
                (h.VALIDATED_AT, str(now)),
            ]
        )
        topic = self._layout.canonical(facets.event_type)
        value = record.value or b""
        normalised = nfc_copy(decoded)
        if normalised is not None:
            decoded, value = normalised, self._encode(value, normalised)
        return Passed(topic, headers, facets, event, new_state, decoded, value)

    def _encode(self, original: bytes, record: Mapping[str, Any]) -> bytes:
        """``record`` in Avro under ``original``'s schema id (its framing kept)."""
        out = io.BytesIO()
        out.write(original[:HEADER_SIZE])
        schemaless_writer(out, self._deserializer.writer_schema(read_header(original)), record)
        return out.getvalue()

    def _decode(self, value: bytes) -> tuple[EventType | None, dict[str, object]]:
        schema_id = read_header(value)
        expiry = self._unknown_ids.get(schema_id)
        if expiry is not None and expiry > self._clock():
            raise UnknownSchemaId(
                f"schema id {schema_id} is not in the registry", schema_id=schema_id
            )
        try:
            decoded = self._decoder.decode(value)
        except UnknownSchemaId:
            self._unknown_ids[schema_id] = self._clock() + UNKNOWN_ID_TTL_MS
            raise
        return decoded.entry, decoded.value

    def _ingress_topic(self, agency: str, event_type: str) -> str:
        slot = (agency, event_type)
        topic = self._ingress.get(slot)
        if topic is None:
            topic = self._ingress[slot] = self._layout.ingress(agency, event_type)
        return topic

    def _refuse(
        self, record: IngressRecord, refusal: dl.Refusal, exception_type: str | None = None
    ) -> Refused:
        if refusal.agency is None:
            # Not decodable: the producer's header is all there is (marked as its claim).
            claimed = h.text(h.as_dict(record.headers), h.AGENCY)
            refusal = dl.Refusal(
                refusal.reason,
                refusal.message,
                refusal.field,
                refusal.rule,
                f"{claimed} (claimed)" if claimed else None,
                refusal.event_id,
                refusal.event_type,
            )
        letter = dl.DeadLetter(
            refusal=refusal,
            source=dl.Source(record.topic, record.partition, record.offset, record.timestamp_ms),
            stage=self._stage,
            first_seen_ms=dl.first_seen(h.as_dict(record.headers), self._clock()),
            exception_type=exception_type,
        )
        return Refused(letter)


def _content_problem(
    event: EventModel, facets: Facets, previous: str | None
) -> tuple[str, str, str, str] | None:
    """(reason, message, field, rule) if the status may not follow ``previous`` or a unit
    code is retired on the event's legal day; else None."""
    problem = transition_problem_for(facets.event_type, previous, facets.status)
    if problem is not None:
        track = STATUS_TRACKS[facets.event_type]
        return dl.ILLEGAL_TRANSITION, problem, track.field, "status_transition"
    if not facets.units:
        return None
    day = legal_day(event)
    for code in facets.units:
        found = resolve_unit(code, day)
        if isinstance(found, RetiredUnit):
            return dl.RETIRED_UNIT, found.message, UNIT_FIELDS[type(event)], "unit_valid_on_date"
    return None


def _instant(epoch_ms: int) -> datetime:
    """The clock's reading as the aware datetime the contracts' "future" rules compare."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def _get(envelope: object, name: str) -> str | None:
    if isinstance(envelope, dict):
        value = envelope.get(name)
        return None if value is None else str(value)
    return None


def is_nfc(value: object) -> bool:
    """Whether every string in ``value`` (a decoded Avro record) is in NFC."""
    if isinstance(value, str):
        return value.isascii() or unicodedata.is_normalized("NFC", value)
    if isinstance(value, dict):
        return all(is_nfc(v) for v in value.values())
    if isinstance(value, list):
        return all(is_nfc(v) for v in value)
    return True


def nfc_copy(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """A copy of ``record`` with every string in NFC; ``None`` when it is NFC already."""
    if is_nfc(record):
        return None
    return {k: _nfc(v) for k, v in record.items()}


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value
