"""The gate's decisions and entity memory, without Kafka."""

from __future__ import annotations

import dataclasses
import random
import unicodedata
from datetime import UTC, datetime

import pytest

from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.dedup import EMPTY, DedupPolicy, EntityState, RecentIds
from lienthong.consumers.gate import Gate, IngressRecord, Passed, Refused, is_nfc
from lienthong.producers import EventEncoder
from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h
from lienthong.schemas.catalogue import event_type
from lienthong.schemas.codec import AvroDeserializer, AvroSerializer, SerializationContext
from lienthong.schemas.models import DossierLifecycle
from lienthong.schemas.registry_client import InMemoryRegistry

from .day import DOSSIER_AGENCY, dossier_events

LAYOUT = TopicLayout("t")
# The gate's clock: a day after the test events happened ("not in the future" needs one).
NOW_MS = int(datetime(2025, 3, 5, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def setup() -> tuple[Gate, EventEncoder]:
    registry = InMemoryRegistry()
    return Gate(AvroDeserializer(registry), layout=LAYOUT, clock=lambda: NOW_MS), EventEncoder(
        registry
    )


def _record(encoder: EventEncoder, event: DossierLifecycle, offset: int = 0) -> IngressRecord:
    rec = encoder.encode(event)
    topic = LAYOUT.ingress(event.envelope.source_agency, event.EVENT_TYPE)
    return IngressRecord(
        topic, 0, offset, 5, rec.key, rec.value, [*rec.headers, ("traceparent", b"00-x")]
    )


def _dossier(n: int = 0) -> list[DossierLifecycle]:
    return [e for e in dossier_events(random.Random(n), 1) if isinstance(e, DossierLifecycle)]


def test_valid_event_passes_with_same_bytes_and_trusted_headers(
    setup: tuple[Gate, EventEncoder],
) -> None:
    gate, encoder = setup
    first = _dossier()[0]
    record = _record(encoder, first)
    forged = dataclasses.replace(
        record, headers=[(h.AGENCY, b"UBND tinh"), ("traceparent", b"00-x")]
    )
    verdict = gate.check(forged, EMPTY)
    assert isinstance(verdict, Passed)
    assert verdict.topic == "t.events.dossier.lifecycle"
    got = h.as_dict(verdict.headers)
    assert got[h.AGENCY] == DOSSIER_AGENCY.encode()  # from the payload, not the producer
    assert got[h.STATUS] == str(first.TrangThaiHoSo).encode()
    assert got["traceparent"] == b"00-x"
    assert verdict.state.status("dossier.lifecycle") == str(first.TrangThaiHoSo)


def test_duplicate_and_illegal_jump_are_refused(setup: tuple[Gate, EventEncoder]) -> None:
    gate, encoder = setup
    events = _dossier()
    passed = gate.check(_record(encoder, events[0]), EMPTY)
    assert isinstance(passed, Passed)
    again = gate.check(_record(encoder, events[0], 1), passed.state)
    assert isinstance(again, Refused)
    assert again.letter.reason == dl.DUPLICATE_EVENT
    # A duplicate keeps what the views need to re-apply it (a no-op unless a crash lost it).
    assert again.facets == passed.facets
    assert again.record == passed.record
    assert passed.record["MaHoSo"] == events[0].MaHoSo
    last = events[-1]  # the path's last status cannot follow its first
    jump = gate.check(_record(encoder, last, 2), passed.state)
    assert isinstance(jump, Refused)
    assert jump.letter.reason == dl.ILLEGAL_TRANSITION
    assert jump.letter.refusal.field == "TrangThaiHoSo"
    assert jump.facets is None  # other refusals never reach the views


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda v: v[:30], dl.TRUNCATED_PAYLOAD),
        (lambda v: b"\x01" + v[1:], dl.BAD_MAGIC_BYTE),
        (lambda v: v[:1] + b"\x00\x00\x09\x99" + v[5:], dl.UNKNOWN_SCHEMA_ID),
        (lambda v: b"", dl.TRUNCATED_PAYLOAD),
    ],
)
def test_poison_bytes_become_refusals(
    setup: tuple[Gate, EventEncoder], mangle: object, reason: str
) -> None:
    gate, encoder = setup
    record = _record(encoder, _dossier()[0])
    broken = dataclasses.replace(record, value=mangle(record.value))  # type: ignore[operator]
    verdict = gate.check(broken, EMPTY)
    assert isinstance(verdict, Refused)
    assert verdict.letter.reason == reason
    assert verdict.letter.refusal.agency == f"{DOSSIER_AGENCY} (claimed)"


def test_wrong_topic_and_key(setup: tuple[Gate, EventEncoder]) -> None:
    gate, encoder = setup
    record = _record(encoder, _dossier()[0])
    other = dataclasses.replace(record, topic=LAYOUT.ingress("SYT", "dossier.lifecycle"))
    assert gate.check(other, EMPTY).letter.reason == dl.WRONG_TOPIC  # type: ignore[union-attr]
    rekeyed = dataclasses.replace(record, key=b"another")
    assert gate.check(rekeyed, EMPTY).letter.reason == dl.KEY_MISMATCH  # type: ignore[union-attr]


def test_entity_memory_is_bounded_and_round_trips() -> None:
    policy = DedupPolicy(max_ids=3, max_age_ms=100)
    state = EMPTY
    for n in range(5):
        state = state.passed(
            f"id-{n}", 1_000 + n, policy, event_type="dossier.lifecycle", status=str(n)
        )
    assert [i for i, _ in state.recent] == ["id-2", "id-3", "id-4"]
    assert not state.has_passed("id-0")
    later = state.passed("id-9", 1_200, policy)
    assert [i for i, _ in later.recent] == ["id-9"]  # older than max_age are forgotten
    assert EntityState.from_bytes(state.to_bytes()) == state
    assert EntityState.from_bytes(None) == EMPTY


def test_recent_ids_forget_the_oldest() -> None:
    recent = RecentIds(2)
    assert recent.add("a")
    assert not recent.add("a")
    recent.add("b")
    recent.add("c")
    assert "a" not in recent
    assert len(recent) == 2


def _nfd(value: object) -> object:
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, dict):
        return {k: _nfd(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfd(v) for v in value]
    return value


def test_text_sent_in_nfd_is_canonical_in_nfc_and_nfc_keeps_its_bytes() -> None:
    registry = InMemoryRegistry()
    gate = Gate(AvroDeserializer(registry), layout=LAYOUT, clock=lambda: NOW_MS)
    encoder = EventEncoder(registry)
    event = _dossier()[0]
    nfc = _record(encoder, event)
    entry = event_type("dossier.lifecycle")
    serializer = AvroSerializer(registry, entry.schema_str)
    nfd_value = serializer(_nfd(event.to_avro()), SerializationContext(nfc.topic))  # type: ignore[arg-type]
    assert nfd_value != nfc.value  # the event has Vietnamese text
    nfd = dataclasses.replace(nfc, value=nfd_value)

    kept = gate.check(nfc, EMPTY)
    assert isinstance(kept, Passed)
    assert kept.value is nfc.value  # NFC already: the producer's bytes, untouched

    made = gate.check(nfd, EMPTY)
    assert isinstance(made, Passed)
    assert made.value == nfc.value  # re-encoded once, under the same schema id
    assert made.record == kept.record
    assert is_nfc(made.record)
    assert not is_nfc(_nfd(kept.record))
