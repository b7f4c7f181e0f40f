"""Envelopes made by the models, and keys."""

from __future__ import annotations

from datetime import UTC, datetime

from lienthong.schemas.models import DossierProgress, Envelope, QuarantineZone
from lienthong.schemas.rules.codes import trace_id_problem
from tests.schemas.corpus.dossier import STEP


def test_new_envelope_fills_type_schema_and_tracing() -> None:
    envelope = QuarantineZone.new_envelope("SYT", version=2)
    assert envelope.event_type == "case.quarantine_zone"
    assert envelope.schema_ref == "vn.haugiang.lienthong.cases.QuarantineZone@2"
    assert trace_id_problem(envelope.trace_id) is None
    assert envelope.event_id.version == 4
    assert envelope.occurred_at.tzinfo is UTC
    assert Envelope.from_avro(envelope.to_avro()) == envelope


def test_new_envelope_keeps_what_it_is_given() -> None:
    moment = datetime(2025, 3, 4, 2, 30, tzinfo=UTC)
    envelope = DossierProgress.new_envelope(
        "000.00.00.H30", occurred_at=moment, trace_id="a" * 32, correlation_id="req-1"
    )
    assert (envelope.occurred_at, envelope.trace_id, envelope.correlation_id) == (
        moment,
        "a" * 32,
        "req-1",
    )
    assert envelope.schema_ref == DossierProgress.AVRO_NAME


def test_an_events_key_is_its_entity_id() -> None:
    step = DossierProgress.from_avro(STEP)
    assert step.key() == STEP["MaHoSo"]
    rebuilt = step.model_copy(update={"envelope": DossierProgress.new_envelope("TTHCC")})
    assert rebuilt.key() == step.key()
