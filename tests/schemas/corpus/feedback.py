"""Citizen feedback (phản ánh, kiến nghị) examples."""

from __future__ import annotations

from typing import Any

from tests.schemas.corpus._build import Corpus, Example, at, changed, envelope, removed

FEEDBACK = "vn.haugiang.lienthong.cases.FeedbackCase"

ANSWERED: dict[str, Any] = {
    "envelope": envelope("case.feedback", FEEDBACK, "VP UBND tỉnh"),
    "case_id": "PAKN-2025-0042",
    "stage": "ANSWERED",
    "channel": "WEB_PORTAL",
    "title": "Đèn đường hư trên tuyến đường ấp 3",
    "content": "Đoạn đường dài khoảng 200 m không có đèn chiếu sáng vào ban đêm.",
    "ward_code": "31338",
    "received_at": at(2025, 3, 1, 8, 0),
    "assigned_agency": "SXD",
    "assigned_at": at(2025, 3, 1, 14, 0),
    "due_at": at(2025, 3, 11, 17, 0),
    "answer": "Đã sửa chữa, thay mới 4 bóng đèn.",
    "answered_at": at(2025, 3, 4, 9, 30),
    "published_at": None,
}


def _received() -> dict[str, Any]:
    return changed(
        ANSWERED,
        stage="RECEIVED",
        assigned_agency=None,
        assigned_at=None,
        answer=None,
        answered_at=None,
    )


def _feedback() -> list[Example]:
    c = Corpus("case.feedback", ANSWERED)
    b = c.base
    c.envelope_cases()
    c.valid("received", _received())
    c.valid("published", changed(b, stage="PUBLISHED", published_at=at(2025, 3, 4, 10, 0)))
    c.valid("channel OTHER is a real value", changed(b, channel="OTHER"))
    c.valid(
        "assigned to an electronic id",
        changed(
            b, stage="ASSIGNED", answer=None, answered_at=None, assigned_agency="000.00.00.H30"
        ),
    )
    c.avro("stage not a symbol", changed(b, stage="CLOSED"), "stage", "enum")
    c.avro("channel not a symbol", changed(b, channel="ZALO"), "channel", "enum")
    c.avro("title missing", removed(b, "title"), "title", "missing")
    c.avro(
        "received_at as float",
        changed(b, received_at=1740790800000.0),
        "received_at",
        "datetime_type",
    )
    c.rule("UNKNOWN stage", changed(b, stage="UNKNOWN"), "stage", "reserved_symbol")
    c.rule("answered without answer", changed(b, answer=None), "answer", "required_for_stage")
    c.rule(
        "answered without assignment",
        changed(b, assigned_agency=None),
        "assigned_agency",
        "required_for_stage",
    )
    c.rule(
        "published without published_at",
        changed(b, stage="PUBLISHED"),
        "published_at",
        "required_for_stage",
    )
    c.rule(
        "assigned before received",
        changed(b, assigned_at=at(2025, 2, 28, 8, 0)),
        "assigned_at",
        "date_order",
    )
    c.rule(
        "answered before assigned",
        changed(b, answered_at=at(2025, 3, 1, 13, 0)),
        "answered_at",
        "date_order",
    )
    c.rule("due before received", changed(b, due_at=at(2025, 2, 1, 8, 0)), "due_at", "date_order")
    c.rule(
        "published before answered",
        changed(b, stage="PUBLISHED", published_at=at(2025, 3, 4, 9, 0)),
        "published_at",
        "date_order",
    )
    c.rule(
        "assigned to an invented agency",
        changed(b, assigned_agency="Sở Xây dựng"),
        "assigned_agency",
        "agency_code",
    )
    c.rule("ward code unknown", changed(b, ward_code="31999"), "ward_code", "commune_code")
    return c.examples


EXAMPLES: tuple[Example, ...] = tuple(_feedback())
