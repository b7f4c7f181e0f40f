"""A realistic day through the real worker (subprocess) on the real broker."""

from __future__ import annotations

import dataclasses
import struct
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from lienthong.audit import AuditAction, AuditRecord, read_audit
from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h
from lienthong.schemas.catalogue import event_type
from lienthong.schemas.codec import AvroDeserializer, AvroSerializer, SerializationContext
from lienthong.schemas.models import (
    DossierLifecycle,
    EpidemicCaseReport,
    EventModel,
    OfficialDocument,
)
from lienthong.schemas.registry_client import RegistryClient

from .axis import Axis, Out, Raw, WorkerProcess, publish, read, read_more
from .day import CASE_AGENCIES, DOCUMENT_AGENCY, DOSSIER_AGENCY, FEEDBACK_AGENCY, realistic_day

RULES = """
version: 1
rules:
  - name: ioc-sees-everything
    match: {}
    to: [ioc]
  - name: portal-dossier-results
    match: {event_type: dossier.lifecycle, status: [9, 10]}
    to: [portal]
  - name: cdc-confirmed-cases
    match: {event_type: "case.*", status: CONFIRMED}
    to: [cdc]
  - name: syt-documents
    match: {event_type: document.official, recipients: SYT}
    unless: {confidentiality: [CONFIDENTIAL, SECRET, TOP_SECRET]}
    to: [syt]
  - name: business-dossiers
    match: {event_type: dossier.lifecycle}
    payload: {LoaiDoiTuong: 2}
    to: [skhdt]
"""
SUBSCRIBERS = ("ioc", "portal", "cdc", "syt", "skhdt")
AGENCIES = (DOSSIER_AGENCY, *CASE_AGENCIES, FEEDBACK_AGENCY, DOCUMENT_AGENCY)


def expected_subscribers(event: EventModel) -> set[str]:
    """The oracle: where the rules above send ``event``, written out independently."""
    found = {"ioc"}
    if isinstance(event, DossierLifecycle):
        if event.TrangThaiHoSo in (9, 10):
            found.add("portal")
        if event.LoaiDoiTuong == 2:
            found.add("skhdt")
    if isinstance(event, EpidemicCaseReport) and event.status == "CONFIRMED":
        found.add("cdc")
    if (
        isinstance(event, OfficialDocument)
        and "SYT" in event.recipient_agencies
        and event.confidentiality == "UNCLASSIFIED"
    ):
        found.add("syt")
    return found


def _with_schema_id(value: bytes, schema_id: int) -> bytes:
    return value[:1] + struct.pack(">I", schema_id) + value[5:]


def broken_records(axis: Axis, day: list[EventModel]) -> tuple[list[Raw], dict[str, str]]:
    """Invalid records of every kind, and the dead-letter reason each must get.

    Returned as (records, {marker: reason}) where the marker is the record's key.
    """
    records: list[Raw] = []
    reasons: dict[str, str] = {}

    def add(raw: Raw, reason: str) -> None:
        marker = f"broken-{len(records)}"
        records.append(dataclasses.replace(raw, key=raw.key or marker.encode()))
        reasons[(raw.key or marker.encode()).decode()] = reason

    dossiers = [e for e in day if isinstance(e, DossierLifecycle)]
    for n in range(3):  # unknown schema id
        raw = axis.record(dossiers[n])
        add(
            dataclasses.replace(
                raw,
                key=f"unknown-id-{n}".encode(),
                value=_with_schema_id(raw.value or b"", 987_654 + n),
            ),
            dl.UNKNOWN_SCHEMA_ID,
        )
    for n in range(3):  # truncated bytes
        raw = axis.record(dossiers[10 + n])
        add(
            dataclasses.replace(raw, key=f"truncated-{n}".encode(), value=(raw.value or b"")[:40]),
            dl.TRUNCATED_PAYLOAD,
        )
    # A bad code: a procedure code that is not in the reference, encoded past the model.
    entry = event_type("dossier.lifecycle")
    serializer = AvroSerializer(axis.registry, entry.schema_str)
    for n in range(2):
        record = dossiers[20 + n].to_avro()
        record["envelope"]["event_id"] = str(uuid.uuid4())
        record["MaHoSo"] = f"bad-code-{n}"
        record["MaDonViHanhChinh"] = "99999"
        topic = axis.layout.ingress(DOSSIER_AGENCY, "dossier.lifecycle")
        value = serializer(record, SerializationContext(topic))
        add(Raw(topic, f"bad-code-{n}".encode(), value), dl.INVALID_EVENT)
    # An illegal status jump: dossiers that ended "not received" (3) come back as received.
    ended = [e for e in dossiers if e.TrangThaiHoSo == 3][:3]
    for n, last in enumerate(ended):
        jump = last.model_copy(
            update={
                "envelope": DossierLifecycle.new_envelope(DOSSIER_AGENCY),
                "TrangThaiHoSo": 2,
                "TrangThaiTruoc": 1,
                "NgayTiepNhan": last.envelope.occurred_at,
            }
        )
        raw = axis.record(jump)
        records.append(raw)
        reasons[f"jump-{n}"] = dl.ILLEGAL_TRANSITION
        records[-1] = dataclasses.replace(
            raw, headers=(*raw.headers, ("test.marker", f"jump-{n}".encode()))
        )
    # Duplicates: the same bytes (same event id) published again later.
    for n, event in enumerate(day[5:9]):
        raw = axis.record(event)
        records.append(
            dataclasses.replace(raw, headers=(*raw.headers, ("test.marker", f"dup-{n}".encode())))
        )
        reasons[f"dup-{n}"] = dl.DUPLICATE_EVENT
    # Published on another agency's topic.
    case = next(e for e in day if isinstance(e, EpidemicCaseReport))
    raw = axis.record(case)
    other = axis.layout.ingress(FEEDBACK_AGENCY, "case.epidemic")
    records.append(
        dataclasses.replace(raw, topic=other, headers=(*raw.headers, ("test.marker", b"topic-0")))
    )
    reasons["topic-0"] = dl.WRONG_TOPIC
    return records, reasons


def _marker(out: Out) -> str:
    marker = out.headers.get("test.marker")
    return marker.decode() if marker else (out.key or b"").decode()


def test_a_realistic_day_is_validated_and_routed(
    axis: Axis, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    rules = tmp_path / "routes.yaml"
    rules.write_text(RULES)
    axis.create_topics(AGENCIES, SUBSCRIBERS)
    day = realistic_day()
    valid = [axis.record(e) for e in day]
    broken, reasons = broken_records(axis, day)
    assert len(broken) / (len(valid) + len(broken)) >= 0.05
    worker = start_worker(axis, rules)
    publish(axis.kafka, valid)
    publish(axis.kafka, broken)

    expected: dict[str, set[str]] = {str(e.envelope.event_id): expected_subscribers(e) for e in day}
    wanted_routed = sum(len(s) for s in expected.values())
    sub_topics = {axis.layout.subscriber(s): s for s in SUBSCRIBERS}
    outputs = read(
        axis.kafka,
        [*sub_topics, axis.layout.deadletter],
        until=lambda found: len(found) >= wanted_routed + len(broken),
        timeout_s=90,
    )
    # A little longer, to see anything sent twice or sent wrongly.
    outputs = read_more(axis.kafka, [*sub_topics, axis.layout.deadletter], outputs, 1.5)
    assert worker.process.poll() is None, worker.output()

    routed: dict[str, Counter[str]] = defaultdict(Counter)
    letters = [o for o in outputs if o.topic == axis.layout.deadletter]
    for out in outputs:
        if out.topic in sub_topics:
            routed[(out.headers[h.EVENT_ID]).decode()][sub_topics[out.topic]] += 1
    for event_id, subscribers in expected.items():
        assert routed[event_id] == Counter(subscribers), event_id
    assert set(routed) == set(expected)

    got = {_marker(letter): letter for letter in letters}
    assert len(letters) == len(broken), worker.output()
    for marker, reason in reasons.items():
        letter = dl.DeadLetter.from_headers(got[marker].headers)
        assert letter is not None
        assert letter.reason == reason, (marker, letter)
        assert letter.source.topic.startswith(axis.layout.prefix)
        assert letter.first_seen_ms > 0
    bad_code = dl.DeadLetter.from_headers(got["bad-code-0"].headers)
    assert bad_code is not None
    assert bad_code.refusal.field == "MaDonViHanhChinh"
    assert bad_code.refusal.agency == DOSSIER_AGENCY
    # Valid events keep their bytes: no re-encoding on the way.
    originals = {r.value for r in valid}
    assert all(o.value in originals for o in outputs if o.topic in sub_topics)
    assert worker.stop() == 0, worker.output()


def test_another_agency_s_change_is_refused_as_not_owner_and_audited(
    axis: Axis, start_worker: Callable[..., WorkerProcess]
) -> None:
    axis.create_topics([DOSSIER_AGENCY, "STP"])
    dossiers = [e for e in realistic_day() if isinstance(e, DossierLifecycle)]
    first = dossiers[0]
    later = next(e for e in dossiers[1:] if e.MaHoSo == first.MaHoSo)
    envelope = DossierLifecycle.new_envelope("STP", occurred_at=later.envelope.occurred_at)
    hijack = later.model_copy(update={"envelope": envelope})
    worker = start_worker(axis, None)
    publish(axis.kafka, [axis.record(first)])
    read(axis.kafka, [axis.layout.canonical("dossier.lifecycle")], until=lambda f: len(f) >= 1)
    publish(axis.kafka, [axis.record(hijack)])
    letters = read(axis.kafka, [axis.layout.deadletter], until=lambda f: len(f) >= 1)
    letter = dl.DeadLetter.from_headers(letters[0].headers)
    assert letter is not None, worker.output()
    assert letter.reason == dl.NOT_OWNER, letter
    with RegistryClient(axis.registry_url) as registry:
        deadline = time.monotonic() + 30
        audited: list[AuditRecord] = []
        while not audited and time.monotonic() < deadline:
            try:
                audited = list(
                    read_audit(axis.kafka, AvroDeserializer(registry), layout=axis.layout)
                )
            except LookupError:
                time.sleep(0.5)
    assert [r.event.action for r in audited if r.event] == [AuditAction.NOT_OWNER]
    event = audited[0].event
    assert event is not None
    assert event.actor == "agency:STP"
    assert event.target == f"dossier.lifecycle {first.MaHoSo}"
