"""Official document (văn bản đi/đến) examples."""

from __future__ import annotations

from typing import Any

from tests.schemas.corpus._build import Corpus, Example, at, changed, envelope, removed

DOCUMENT = "vn.haugiang.lienthong.document.OfficialDocument"
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

ISSUED: dict[str, Any] = {
    "envelope": envelope("document.official", DOCUMENT, "000.00.00.H30"),
    "document_id": "VB-2025-001234",
    "direction": "ISSUED",
    "number_symbol": "123/QĐ-UBND",
    "document_type": "Quyết định",
    "issuing_agency": "000.00.00.H30",
    "issuing_agency_name": "Ủy ban nhân dân tỉnh Hậu Giang",
    "recipient_agencies": ["SYT", "CDC Hậu Giang"],
    "subject": "Về việc công bố dịch sốt xuất huyết trên địa bàn xã Phụng Hiệp",
    "signed_at": at(2025, 3, 4, 9, 12),
    "issued_at": at(2025, 3, 4, 0, 0),
    "received_at": None,
    "urgency": "URGENT",
    "confidentiality": "UNCLASSIFIED",
    "attachments": [{"file_name": "123-QD-UBND.pdf", "sha256": DIGEST, "size_bytes": 183211}],
    "signature_present": True,
}


def _documents() -> list[Example]:
    c = Corpus("document.official", ISSUED)
    b = c.base
    c.envelope_cases()
    c.valid(
        "received by a department",
        changed(b, direction="RECEIVED", received_at=at(2025, 3, 4, 14, 0)),
    )
    c.valid("no attachments", changed(b, attachments=[]))
    c.valid("attachments omitted (default [])", removed(b, "attachments"))
    c.valid("size unknown", changed(b, attachments=[{"file_name": "a.pdf", "sha256": DIGEST}]))
    c.valid("legal document number", changed(b, number_symbol="05/2025/NQ-HĐND"))
    c.avro("urgency not a symbol", changed(b, urgency="KHAN"), "urgency", "enum")
    c.avro(
        "confidentiality not a symbol",
        changed(b, confidentiality="INTERNAL"),
        "confidentiality",
        "enum",
    )
    c.avro(
        "signature_present as text",
        changed(b, signature_present="true"),
        "signature_present",
        "bool_type",
    )
    c.avro(
        "signature_present as int",
        changed(b, signature_present=1),
        "signature_present",
        "bool_type",
    )
    c.avro(
        "attachment without digest",
        changed(b, attachments=[{"file_name": "a.pdf"}]),
        "attachments.0.sha256",
        "missing",
    )
    c.avro("recipients missing", removed(b, "recipient_agencies"), "recipient_agencies", "missing")
    c.avro(
        "size as text",
        changed(b, attachments=[{"file_name": "a.pdf", "sha256": DIGEST, "size_bytes": "1"}]),
        "attachments.0.size_bytes",
        "int_type",
    )
    c.rule("UNKNOWN urgency", changed(b, urgency="UNKNOWN"), "urgency", "reserved_symbol")
    c.rule(
        "UNKNOWN confidentiality",
        changed(b, confidentiality="UNKNOWN"),
        "confidentiality",
        "reserved_symbol",
    )
    c.rule(
        "signed the day after issue",
        changed(b, signed_at=at(2025, 3, 5, 8, 0)),
        "signed_at",
        "date_order",
    )
    c.rule(
        "received without received_at",
        changed(b, direction="RECEIVED"),
        "received_at",
        "required_for_direction",
    )
    c.rule(
        "received the day before issue",
        changed(b, direction="RECEIVED", received_at=at(2025, 3, 3, 16, 0)),
        "received_at",
        "date_order",
    )
    c.rule("no recipients", changed(b, recipient_agencies=[]), "recipient_agencies", "not_empty")
    c.rule(
        "a recipient twice",
        changed(b, recipient_agencies=["SYT", "SYT"]),
        "recipient_agencies",
        "distinct",
    )
    c.rule(
        "recipient not an agency code",
        changed(b, recipient_agencies=["SYT", "Sở Y tế"]),
        "recipient_agencies.1",
        "agency_code",
    )
    c.rule(
        "issuing agency a ministry id not in the reference",
        changed(b, issuing_agency="000.00.00.G12"),
        "issuing_agency",
        "agency_code",
    )
    c.rule(
        "number without symbol", changed(b, number_symbol="123"), "number_symbol", "number_symbol"
    )
    c.rule(
        "digest upper case",
        changed(b, attachments=[{"file_name": "a.pdf", "sha256": DIGEST.upper()}]),
        "attachments.0.sha256",
        "sha256",
    )
    c.rule(
        "digest too short",
        changed(b, attachments=[{"file_name": "a.pdf", "sha256": DIGEST[:40]}]),
        "attachments.0.sha256",
        "sha256",
    )
    c.rule(
        "negative size",
        changed(b, attachments=[{"file_name": "a.pdf", "sha256": DIGEST, "size_bytes": -1}]),
        "attachments.0.size_bytes",
        "not_negative",
    )
    return c.examples


EXAMPLES: tuple[Example, ...] = tuple(_documents())
