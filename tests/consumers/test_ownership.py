"""Ownership on the bus: an agency changes only the entities it owns (``not_owner``)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import TypeVar

from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.dedup import EMPTY, EntityState
from lienthong.consumers.gate import Gate, IngressRecord, Passed, Refused
from lienthong.consumers.ownership import NotOwner, Owned, judge_ownership
from lienthong.demo.simulation import document_events, dossier_events, feedback_events
from lienthong.producers import EventEncoder
from lienthong.schemas import deadletter as dl
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.models import EventModel, FeedbackCase, FeedbackStage, OfficialDocument
from lienthong.schemas.registry_client import InMemoryRegistry

LAYOUT = TopicLayout("t")
NOW_MS = int(datetime(2025, 3, 5, tzinfo=UTC).timestamp() * 1000)  # after the events
E = TypeVar("E", bound=EventModel)


def as_agency(event: E, agency: str, **changes: object) -> E:
    """The same entity's event, sent by ``agency`` (a fresh event id)."""
    envelope = event.envelope.model_copy(update={"source_agency": agency, "event_id": uuid.uuid4()})
    return event.model_copy(update={"envelope": envelope, **changes})


def test_the_creator_owns_and_others_are_refused() -> None:
    first = next(iter(dossier_events(random.Random(1), 1)))
    owned = judge_ownership(first, {})
    assert owned == Owned("dossier", (first.envelope.source_agency,))
    refused = judge_ownership(as_agency(first, "STP"), {"dossier": owned.owners})
    assert isinstance(refused, NotOwner)
    assert "STP may not change it" in refused.message
    assert judge_ownership(first, {"dossier": owned.owners}) == owned


def test_assigning_a_feedback_case_shares_it() -> None:
    received, assigned = list(feedback_events(random.Random(2), 1))
    assert isinstance(assigned, FeedbackCase)
    owners = judge_ownership(received, {})
    assert isinstance(owners, Owned)
    shared = judge_ownership(assigned, {"feedback case": owners.owners})
    assert isinstance(shared, Owned)
    assert shared.owners == (received.envelope.source_agency, "SXD")
    answer = as_agency(
        assigned,
        "SXD",
        stage=FeedbackStage.ANSWERED,
        answer="Đã sửa.",
        answered_at=assigned.assigned_at,
    )
    assert isinstance(judge_ownership(answer, {"feedback case": shared.owners}), Owned)
    intruder = as_agency(answer, "STP")
    assert isinstance(judge_ownership(intruder, {"feedback case": shared.owners}), NotOwner)


def test_a_document_belongs_to_its_issuer_and_recipients() -> None:
    document = next(iter(document_events(1)))
    assert isinstance(document, OfficialDocument)
    owned = judge_ownership(document, {})
    assert isinstance(owned, Owned)
    assert set(owned.owners) == {document.issuing_agency, *document.recipient_agencies}


def test_unowned_kinds_are_not_checked() -> None:
    class Zone:
        EVENT_TYPE = "case.quarantine_zone"

    assert judge_ownership(Zone(), {}) is None  # type: ignore[arg-type]


def test_owners_survive_the_table_round_trip() -> None:
    state = EntityState(owners={"dossier": ("TTHCC", "SYT")})
    assert EntityState.from_bytes(state.to_bytes()) == state
    assert EntityState.from_bytes(EntityState().to_bytes()).owners == {}


def _record(encoder: EventEncoder, event: EventModel) -> IngressRecord:
    rec = encoder.encode(event)
    topic = LAYOUT.ingress(event.envelope.source_agency, event.EVENT_TYPE)
    return IngressRecord(topic, 0, 0, 5, rec.key, rec.value, rec.headers)


def test_the_gate_refuses_another_agency_s_change_as_not_owner() -> None:
    registry = InMemoryRegistry()
    gate = Gate(AvroDeserializer(registry), layout=LAYOUT, clock=lambda: NOW_MS)
    encoder = EventEncoder(registry)
    events = list(dossier_events(random.Random(3), 1))
    first = gate.check(_record(encoder, events[0]), EMPTY)
    assert isinstance(first, Passed)
    assert first.state.owners == {"dossier": (events[0].envelope.source_agency,)}
    later = events[1]
    hijack = gate.check(_record(encoder, as_agency(later, "STP")), first.state)
    assert isinstance(hijack, Refused)
    assert hijack.letter.reason == dl.NOT_OWNER
    assert hijack.letter.refusal.field == "envelope.source_agency"
    assert hijack.letter.refusal.agency == "STP"
    own = gate.check(_record(encoder, later), first.state)
    assert isinstance(own, Passed)
