"""The one dead-letter model: its headers, the record it keeps, the reason registry."""

from __future__ import annotations

from lienthong.schemas import deadletter as dl
from lienthong.schemas import errors
from lienthong.schemas import headers as h
from lienthong.schemas.models import Violation


def _letter() -> dl.DeadLetter:
    return dl.DeadLetter(
        refusal=dl.Refusal(
            dl.INVALID_EVENT,
            "x" * 5000,
            "MaTTHC",
            "procedure_code",
            "TTHCC",
            "id-1",
            "dossier.lifecycle",
        ),
        source=dl.Source("t.ingress.tthcc.dossier.lifecycle", 2, 41, 7),
        stage="validate",
        first_seen_ms=123,
    )


def test_dead_letter_headers_round_trip() -> None:
    letter = _letter()
    headers = dict(letter.headers())
    assert headers[h.DLQ_REASON] == b"invalid_event"
    assert len(headers[h.DLQ_MESSAGE]) == h.MAX_MESSAGE
    back = dl.DeadLetter.from_headers(headers)
    assert back is not None
    assert back.source == letter.source
    assert back.refusal.rule == "procedure_code"
    assert back.first_seen_ms == 123
    assert dl.DeadLetter.from_headers({}) is None
    assert dl.first_seen({h.REPLAY_FIRST_SEEN: b"99"}, 1_000) == 99


def test_stage_exception_and_extra_headers_round_trip() -> None:
    letter = dl.DeadLetter(
        dl.Refusal(dl.PROCESSING_FAILED, "boom"),
        dl.Source("in", 0, 9),
        stage="materialize",
        first_seen_ms=1,
        exception_type="KeyError",
        extra={"output_topic": "out"},
    )
    back = dl.DeadLetter.from_headers(dict(letter.headers()))
    assert back == letter
    assert dict(letter.headers())["lt.dlq.exception_type"] == b"KeyError"


def test_a_dead_record_keeps_the_original_and_says_why_once() -> None:
    original = [("lt.event_id", b"e"), ("lt.dlq.reason", b"old")]
    record = dl.DeadRecord.refused(
        dl.Refusal(dl.DELIVERY_FAILED, "x" * 5000),
        dl.Source("t", 2, 7),
        "connect.webhook.w",
        b"k",
        b"v",
        original,
        attempts=3,
        now_ms=1,
    )
    headers = record.headers()
    as_dict = dict(headers)
    assert as_dict["lt.event_id"] == b"e"
    assert as_dict["lt.dlq.reason"] == b"delivery_failed"
    assert len(as_dict["lt.dlq.message"]) == h.MAX_MESSAGE
    assert [k for k, _ in headers].count("lt.dlq.reason") == 1
    back = dl.DeadRecord.read(b"k", b"v", headers, "0:5")
    assert back is not None
    assert back.ref == "0:5"
    assert back.letter.source == record.letter.source
    assert (back.reason, back.letter.attempts, back.letter.first_seen_ms) == (
        dl.DELIVERY_FAILED,
        3,
        1,
    )
    assert back.original_headers == [("lt.event_id", b"e")]
    assert dl.DeadRecord.read(None, b"v", original[:1], "0:6") is None


def test_a_replayed_record_keeps_its_first_seen() -> None:
    replayed = [(h.REPLAY_FIRST_SEEN, b"42")]
    record = dl.DeadRecord.refused(
        dl.Refusal(dl.SINK_REJECTED, "no"), dl.Source("t", 0, 0), "s", None, b"", replayed
    )
    assert record.letter.first_seen_ms == 42


def test_a_broken_contract_names_the_first_field_and_every_message() -> None:
    items = [
        Violation(field="MaTTHC", rule="procedure_code", message="unknown"),
        Violation(field="", rule="date_order", message="late"),
    ]
    refusal = dl.Refusal.broken_contract(items, agency="TTHCC")
    assert (refusal.reason, refusal.field, refusal.rule) == (
        dl.INVALID_EVENT,
        "MaTTHC",
        "procedure_code",
    )
    assert refusal.message == "MaTTHC: unknown [procedure_code]\n(event): late [date_order]"
    assert dl.Refusal.broken_contract([]).message == "the event breaks its contract"


def test_every_codec_reason_is_registered() -> None:
    codec = {cls.reason for cls in errors.CodecError.__subclasses__()}
    assert codec <= set(dl.REASONS)
    assert {dl.PROCESSING_FAILED, dl.OUTPUT_TOO_LARGE} <= set(dl.REASONS)
    documented = dl.__doc__ or ""
    assert all(reason in documented or reason in codec for reason in dl.REASONS)
