"""Avro logical types in the models: timestamps, UUIDs, enums, and rule errors."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from lienthong.schemas.models import Envelope, FeedbackCase, violations

VN = timezone(timedelta(hours=7))
EVENT_ID = "0f8b5c8e-3a49-4c1e-9a43-2b7d0b5e9c11"


def _envelope(**changes: Any) -> dict[str, Any]:
    return {
        "event_id": EVENT_ID,
        "event_type": "case.feedback",
        "occurred_at": datetime(2025, 3, 4, 9, 30, 1, 123456, tzinfo=VN),
        "source_agency": "SYT",
        "schema_ref": "vn.haugiang.lienthong.cases.FeedbackCase",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    } | changes


def _rules(record: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        Envelope.from_avro(record)
    return [(v["field"], v["rule"]) for v in violations(caught.value)]


def test_timestamps_become_utc_and_lose_what_avro_cannot_keep() -> None:
    moment = Envelope.from_avro(_envelope()).occurred_at
    assert moment == datetime(2025, 3, 4, 2, 30, 1, 123000, tzinfo=UTC)
    assert moment.tzinfo is UTC


def test_timestamps_accept_epoch_milliseconds() -> None:
    moment = Envelope.from_avro(_envelope(occurred_at=1741055401123)).occurred_at
    assert moment == datetime(2025, 3, 4, 2, 30, 1, 123000, tzinfo=UTC)
    assert _rules(_envelope(occurred_at=-1)) == [("occurred_at", "date_range")]  # 1969


def test_timestamps_refuse_naive_text_bool_and_impossible_values() -> None:
    assert _rules(_envelope(occurred_at=datetime(2025, 3, 4))) == [
        ("occurred_at", "timezone_aware")
    ]
    assert _rules(_envelope(occurred_at="2025-03-04T09:30:00Z")) == [
        ("occurred_at", "datetime_type")
    ]
    assert _rules(_envelope(occurred_at=True)) == [("occurred_at", "datetime_type")]
    assert _rules(_envelope(occurred_at=2**62)) == [("occurred_at", "date_range")]


NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("occurred_at", "plausible"),
    [
        (datetime(2000, 1, 1, tzinfo=UTC), True),
        (datetime(1999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), False),
        (NOW + timedelta(days=1), True),
        (NOW + timedelta(days=1, milliseconds=1), False),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), False),  # before year 1 in UTC
        (datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-2))), False),
        (-(2**62), False),
    ],
)
def test_occurred_at_lies_between_2000_and_a_day_after_the_injected_clock(
    occurred_at: datetime | int, plausible: bool
) -> None:
    record = _envelope(occurred_at=occurred_at)
    if plausible:
        assert Envelope.from_avro(record, now=NOW).occurred_at == occurred_at
        return
    with pytest.raises(ValidationError) as caught:
        Envelope.from_avro(record, now=NOW)
    assert [(v["field"], v["rule"]) for v in violations(caught.value)] == [
        ("occurred_at", "date_range")
    ]


def test_the_future_bound_follows_the_wall_clock_without_an_injected_one() -> None:
    Envelope.from_avro(_envelope(occurred_at=datetime.now(UTC) + timedelta(hours=23)))
    assert _rules(_envelope(occurred_at=datetime.now(UTC) + timedelta(days=2))) == [
        ("occurred_at", "date_range")
    ]


def test_json_input_takes_iso_text_or_epoch_milliseconds() -> None:
    record = _envelope(occurred_at="2025-03-04T09:30:01.123+07:00")
    from_text = Envelope.model_validate_json(json.dumps(record))
    from_millis = Envelope.model_validate_json(json.dumps(record | {"occurred_at": 1741055401123}))
    assert from_text == from_millis
    with pytest.raises(ValidationError, match="datetime_parsing"):
        Envelope.model_validate_json(json.dumps(record | {"occurred_at": "hôm qua"}))
    with pytest.raises(ValidationError, match="timezone_aware"):
        Envelope.model_validate_json(json.dumps(record | {"occurred_at": "2025-03-04T09:30"}))


def test_json_times_become_utc_milliseconds_whatever_their_offset() -> None:
    for text in ("2025-03-04T09:30:01.123456+07:00", "2025-03-04T02:30:01.123Z"):
        record = _envelope(occurred_at=text)
        moment = Envelope.model_validate_json(json.dumps(record)).occurred_at
        assert moment == datetime(2025, 3, 4, 2, 30, 1, 123000, tzinfo=UTC)
        assert moment.tzinfo is UTC


def test_uuids_accept_uuid_objects_and_canonical_text_only() -> None:
    assert Envelope.from_avro(_envelope()).event_id == uuid.UUID(EVENT_ID)
    assert Envelope.from_avro(_envelope(event_id=uuid.UUID(EVENT_ID))).event_id == uuid.UUID(
        EVENT_ID
    )
    assert Envelope.from_avro(_envelope(event_id=EVENT_ID.upper())).event_id == uuid.UUID(EVENT_ID)
    for text in (EVENT_ID.replace("-", ""), "{" + EVENT_ID + "}", "urn:uuid:" + EVENT_ID):
        assert _rules(_envelope(event_id=text)) == [("event_id", "uuid_format")]


def test_to_avro_gives_plain_values() -> None:
    record = Envelope.from_avro(_envelope()).to_avro()
    assert record["event_id"] == EVENT_ID
    assert isinstance(record["event_id"], str)
    assert record["correlation_id"] is None


def test_enums_take_their_symbols_as_text() -> None:
    record = {
        "envelope": _envelope(),
        "case_id": "PAKN-1",
        "stage": "RECEIVED",
        "channel": "HOTLINE",
        "title": "Ngập nước",
        "content": "Đường ngập sau mưa.",
        "received_at": datetime(2025, 3, 4, tzinfo=VN),
    }
    case = FeedbackCase.from_avro(record)
    assert case.stage == "RECEIVED"
    assert case.to_avro()["stage"] == "RECEIVED"
    assert type(case.to_avro()["stage"]) is str
    assert FeedbackCase.model_validate_json(case.model_dump_json()) == case


def test_rule_messages_keep_braces_literally() -> None:
    assert _rules(_envelope(source_agency="{x}")) == [("source_agency", "agency_code")]
    with pytest.raises(ValidationError, match=r"'\{x\}' is not an agency code"):
        Envelope.from_avro(_envelope(source_agency="{x}"))


@pytest.mark.parametrize(
    ("received_at", "plausible"),
    [
        (datetime(1990, 1, 1, tzinfo=UTC), True),
        (datetime(2099, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), True),
        (datetime(1989, 12, 31, 23, 59, tzinfo=UTC), False),
        (datetime(2100, 1, 1, tzinfo=UTC), False),
        (datetime(9999, 12, 31, tzinfo=UTC), False),
    ],
)
def test_legal_dates_lie_in_1990_to_2099(received_at: datetime, plausible: bool) -> None:
    record = {
        "envelope": _envelope(),
        "case_id": "PAKN-1",
        "stage": "RECEIVED",
        "channel": "HOTLINE",
        "title": "Ngập nước",
        "content": "Đường ngập sau mưa.",
        "received_at": received_at,
    }
    if plausible:
        assert FeedbackCase.from_avro(record).received_at == received_at
        return
    with pytest.raises(ValidationError) as caught:
        FeedbackCase.from_avro(record)
    assert ("received_at", "date_range") in [
        (v["field"], v["rule"]) for v in violations(caught.value)
    ]
