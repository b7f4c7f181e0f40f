"""One generated event through every stage that may meet it; what each stage did.

Stages: the contracts (from Avro dicts, and from JSON as the gateway parses a body),
the codec (the SDK's encoder, or fastavro straight, as a system writing to Kafka
itself would), the gate (fresh entity state), and, for what the gate lets through,
the view's apply function (twice: the second is a redelivery) and the query
functions that read the state. Outcomes:

- ``accepted`` / ``refused``: each stage answered as it promises (a refusal is data:
  a ``ValidationError`` naming fields, a gate ``Refused`` with its reason);
- ``crash``: a stage raised something it does not promise, or the gate refused with
  ``internal_error`` (it caught its own bug);
- ``unexplained``: a stage refused what an earlier stage accepted with nothing to say
  why (the gate refusing an event the contracts accept, on a fresh entity).
"""

from __future__ import annotations

import json
import struct
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from fastavro import schemaless_writer
from pydantic import ValidationError

from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.dedup import EMPTY
from lienthong.consumers.gate import Gate, IngressRecord, Passed, Refused
from lienthong.consumers.state_json import dumps, loads
from lienthong.consumers.views import query
from lienthong.consumers.views.entities import APPLIERS
from lienthong.consumers.views.query import STAT_DIMENSIONS
from lienthong.producers import EventEncoder
from lienthong.producers.gateway._body import BodyInvalid, parse_single
from lienthong.schemas import deadletter as dl
from lienthong.schemas.catalogue import event_type as catalogue_entry
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.registry_client import InMemoryRegistry

# Refusals that depend on the entity's earlier events, not on the event itself.
# Refusals a contract-valid event may get at the gate: the entity's state, and the unit
# reference on the event's date (a code retired on 1 July 2025 is the gate's rule, since
# the contracts check that a code exists, not when).
_STATEFUL = frozenset({dl.ILLEGAL_TRANSITION, dl.DUPLICATE_EVENT, dl.RETIRED_UNIT})
LAYOUT = TopicLayout("lienthong")  # the prefix the SDK encoder writes to


@dataclass
class Tally:
    """Counts of a fuzzing run; every finding kept with what it was."""

    inputs: int = 0
    accepted: int = 0
    refused: int = 0
    crashes: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)

    def add(self, outcome: str, detail: str = "") -> None:
        self.inputs += 1
        if outcome == "accepted":
            self.accepted += 1
        elif outcome == "refused":
            self.refused += 1
        elif outcome == "crash":
            self.crashes.append(detail)
        elif outcome == "5xx":
            self.server_errors.append(detail)
        else:
            self.unexplained.append(detail)

    def merge(self, other: Tally) -> None:
        self.inputs += other.inputs
        self.accepted += other.accepted
        self.refused += other.refused
        self.crashes += other.crashes
        self.server_errors += other.server_errors
        self.unexplained += other.unexplained

    @property
    def clean(self) -> bool:
        return not (self.crashes or self.server_errors or self.unexplained)

    def line(self) -> str:
        return (
            f"{self.inputs} inputs, {len(self.crashes)} crashes, {len(self.server_errors)} 5xx, "
            f"{len(self.unexplained)} unexplained"
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, bytes)):
        return str(value)
    raise TypeError(type(value).__name__)


def _what(stage: str, exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {where.filename.rsplit('/', 2)[-1]}:{where.lineno}" if where else ""
    return f"{stage}: {type(exc).__name__}: {str(exc)[:200]}{at}"


def _topic_of(record: Mapping[str, Any], name: str) -> str:
    """The ingress topic the record's agency writes to (any topic when it has none)."""
    envelope = record.get("envelope")
    agency = envelope.get("source_agency") if isinstance(envelope, Mapping) else None
    try:
        return LAYOUT.ingress(agency if isinstance(agency, str) else "X", name)
    except ValueError:  # no topic can be named after it: it would write elsewhere
        return LAYOUT.ingress("X", name)


class Found(Exception):
    """A crash or an unexplained refusal, with where it happened."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


class EventPipeline:
    """The stages with an in-memory registry and a fixed clock; ``check`` one input."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)
        now_ms = int(self.now.timestamp() * 1000)
        self.now_ms = now_ms
        self.registry = InMemoryRegistry()
        self.encoder = EventEncoder(self.registry)
        self.gate = Gate(AvroDeserializer(self.registry), layout=LAYOUT, clock=lambda: now_ms)
        self._frames: dict[str, bytes] = {}

    def check(self, name: str, record: dict[str, Any]) -> tuple[str, str]:
        """``(outcome, detail)`` for one generated Avro dict of event type ``name``."""
        try:
            return self._check(name, record)
        except Found as found:
            return found.outcome, found.detail

    def _check(self, name: str, record: dict[str, Any]) -> tuple[str, str]:
        entry = catalogue_entry(name)
        self._through_json(record)
        try:
            event = entry.model.from_avro(record, now=self.now)
        except ValidationError:
            event = None
        except Exception as exc:
            raise Found("crash", _what("contracts (Avro dict)", exc)) from exc
        if event is not None:
            try:
                encoded = self.encoder.encode(event)
            except Exception as exc:
                raise Found("crash", _what("codec (SDK encoder)", exc)) from exc
            verdict = self._gate(encoded.topic, encoded.key, encoded.value)
            if isinstance(verdict, Passed):
                self._views(name, verdict.record)
                return "accepted", ""
            refusal = verdict.letter.refusal
            if refusal.reason not in _STATEFUL or not (refusal.field or refusal.rule):
                raise Found("unexplained", f"gate refused a valid event: {refusal}")
            # Valid, only not as an entity's first event: the views still meet such
            # events after earlier ones, so they get it too.
            self._views(name, event.to_avro())
            return "refused", ""
        value = self._raw_avro(name, record)
        if value is None:
            return "refused", ""  # the schema itself refuses it: it cannot reach Kafka
        verdict = self._gate(_topic_of(record, name), b"k", value)
        if isinstance(verdict, Passed):  # fastavro's conversions made it valid
            self._views(name, verdict.record)
            return "accepted", ""
        return "refused", ""

    def _through_json(self, record: dict[str, Any]) -> None:
        """The gateway's body parser on the same event as JSON: a verdict, never a crash."""
        try:
            body = json.dumps(record, default=_json_default, ensure_ascii=False).encode(
                "utf-8", "surrogatepass"
            )
        except (TypeError, ValueError):
            return  # not expressible as JSON (bytes keys, ...): no client can send it
        try:
            parse_single(body)
        except BodyInvalid:
            return
        except Exception as exc:
            raise Found("crash", _what("gateway body parser (JSON)", exc)) from exc

    def _raw_avro(self, name: str, record: dict[str, Any]) -> bytes | None:
        """``record`` written by fastavro without the contracts (``None`` if it cannot be)."""
        entry = catalogue_entry(name)
        frame = self._frames.get(name)
        if frame is None:
            schema_id = self.registry.register(f"fuzz-{name}", entry.schema_str)
            frame = self._frames[name] = struct.pack(">bI", 0, schema_id)
        out = BytesIO()
        out.write(frame)
        try:
            schemaless_writer(out, entry.parsed_schema, record)
        except Exception:  # fastavro refuses it in any of its ways
            return None
        return out.getvalue()

    def _gate(self, topic: str, key: bytes, value: bytes) -> Passed | Refused:
        record = IngressRecord(topic, 0, 0, self.now_ms, key, value, ())
        try:
            verdict = self.gate.check(record, EMPTY)
        except Exception as exc:
            raise Found("crash", _what("gate", exc)) from exc
        if isinstance(verdict, Refused) and verdict.letter.refusal.reason == dl.INTERNAL_ERROR:
            raise Found("crash", f"gate internal_error: {verdict.letter.refusal.message[:300]}")
        return verdict

    def _views(self, name: str, record: Mapping[str, Any]) -> None:
        if name not in APPLIERS:
            return
        _, apply = APPLIERS[name]
        try:
            state = apply(None, record)
            if state is None:
                return
            stored = loads(dumps(state))  # as the table keeps it
            apply(stored, record)  # a redelivery
            self._queries(name, stored)
        except Exception as exc:
            raise Found("crash", _what(f"views ({name})", exc)) from exc

    def _queries(self, name: str, state: dict[str, Any]) -> None:
        now = self.now_ms
        if name.startswith("dossier."):
            query.portal_dossier(state, now)
            for by in STAT_DIMENSIONS:
                query.dossier_stats([state], by, now)
            query.overdue_list([state], now)
        elif name == "case.epidemic":
            query.case_stats([state])
            query.case_stats([state], ward=str(state.get("ward_code")), day=state.get("day"))
        elif name == "case.quarantine_zone":
            query.active_zones([state])
        elif name == "case.feedback":
            query.public_feedback(state)
        elif name == "document.official":
            for agency in [*state.get("recipients", []), "X"]:
                query.inbox([state], str(agency))
