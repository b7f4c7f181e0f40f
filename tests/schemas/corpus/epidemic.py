"""Epidemic case report and quarantine zone examples."""

from __future__ import annotations

from typing import Any

from tests.schemas.corpus._build import Corpus, Example, at, changed, envelope, removed

CASE = "vn.haugiang.lienthong.cases.EpidemicCaseReport"
ZONE = "vn.haugiang.lienthong.cases.QuarantineZone"

DENGUE_CASE: dict[str, Any] = {
    "envelope": envelope("case.epidemic", CASE, "CDC Hậu Giang"),
    "case_id": "HG-SXH-2025-000123",
    "disease_code": "A90",
    "disease_name": "Sốt xuất huyết Dengue",
    "status": "CONFIRMED",
    "ward_code": "31420",
    "location": {"lat": 9.79, "lon": 105.82},
    "reporting_facility": "Trung tâm Y tế huyện Phụng Hiệp",
    "onset_at": at(2025, 3, 1, 0, 0),
}


def _cases() -> list[Example]:
    c = Corpus("case.epidemic", DENGUE_CASE)
    b = c.base
    c.envelope_cases()
    c.valid("suspected, no location", changed(b, status="SUSPECTED", location=None))
    c.valid("location omitted", removed(b, "location"))
    c.valid("ICD-10 with subcode", changed(b, disease_code="U07.1", disease_name="COVID-19"))
    c.valid("integer coordinates", changed(b, location={"lat": 10, "lon": 106}))
    c.avro("status not a symbol", changed(b, status="ISOLATED"), "status", "enum")
    c.avro("status lower case", changed(b, status="confirmed"), "status", "enum")
    c.avro("ward_code missing", removed(b, "ward_code"), "ward_code", "missing")
    c.avro(
        "lat as text",
        changed(b, location={"lat": "9.79", "lon": 105.82}),
        "location.lat",
        "float_type",
    )
    c.avro("location without lon", changed(b, location={"lat": 9.79}), "location.lon", "missing")
    c.avro("case_id as number", changed(b, case_id=123), "case_id", "string_type")
    c.rule("UNKNOWN is for readers only", changed(b, status="UNKNOWN"), "status", "reserved_symbol")
    c.rule(
        "case id is an identity number",
        changed(b, case_id="093185000123"),
        "case_id",
        "pseudonymous_id",
    )
    c.rule(
        "case id is a phone number", changed(b, case_id="0912345678"), "case_id", "pseudonymous_id"
    )
    c.rule(
        "disease code not ICD-10", changed(b, disease_code="dengue"), "disease_code", "icd10_code"
    )
    c.rule("ward is a district", changed(b, ward_code="934"), "ward_code", "commune_code")
    c.rule(
        "latitude out of range",
        changed(b, location={"lat": 105.82, "lon": 9.79}),
        "location.lat",
        "coordinate_range",
    )
    c.rule(
        "longitude out of range",
        changed(b, location={"lat": 9.79, "lon": 190.0}),
        "location.lon",
        "coordinate_range",
    )
    c.rule(
        "onset after the report",
        changed(b, onset_at=at(2025, 3, 5, 0, 0)),
        "onset_at",
        "date_order",
    )
    c.rule("blank facility", changed(b, reporting_facility=""), "reporting_facility", "not_blank")
    return c.examples


OPENED_ZONE: dict[str, Any] = {
    "envelope": envelope("case.quarantine_zone", ZONE, "SYT"),
    "zone_id": "HG-KVPT-2025-007",
    "action": "OPENED",
    "name": "Khu vực ấp Mỹ Phú, xã Phụng Hiệp",
    "disease_code": "A90",
    "ward_codes": ["31420", "31426"],
    "center": {"lat": 9.79, "lon": 105.82},
    "radius_m": 500,
    "decision_number": "123/QĐ-UBND",
    "opened_at": at(2025, 3, 4, 8, 0),
    "lifted_at": None,
}


def _zones() -> list[Example]:
    c = Corpus("case.quarantine_zone", OPENED_ZONE)
    b = c.base
    c.envelope_cases()
    c.valid("lifted", changed(b, action="LIFTED", lifted_at=at(2025, 3, 18, 8, 0)))
    c.valid(
        "no centre, radius or decision",
        changed(b, center=None, radius_m=None, decision_number=None),
    )
    c.valid("legal decision number with year", changed(b, decision_number="05/2025/QĐ-UBND"))
    c.avro("action not a symbol", changed(b, action="EXTENDED"), "action", "enum")
    c.avro("ward_codes a string", changed(b, ward_codes="31420"), "ward_codes", "list_type")
    c.avro("ward code a number", changed(b, ward_codes=[31420]), "ward_codes.0", "string_type")
    c.avro("radius as float", changed(b, radius_m=500.5), "radius_m", "int_type")
    c.avro("opened_at missing", removed(b, "opened_at"), "opened_at", "missing")
    c.rule("UNKNOWN action", changed(b, action="UNKNOWN"), "action", "reserved_symbol")
    c.rule("no wards", changed(b, ward_codes=[]), "ward_codes", "not_empty")
    c.rule("a ward twice", changed(b, ward_codes=["31420", "31420"]), "ward_codes", "distinct")
    c.rule(
        "ward code unknown",
        changed(b, ward_codes=["31420", "99999"]),
        "ward_codes.1",
        "commune_code",
    )
    c.rule("radius zero", changed(b, radius_m=0), "radius_m", "positive")
    c.rule(
        "lifted without lifted_at", changed(b, action="LIFTED"), "lifted_at", "required_for_action"
    )
    c.rule(
        "opened with lifted_at",
        changed(b, lifted_at=at(2025, 3, 18, 8, 0)),
        "lifted_at",
        "forbidden_for_action",
    )
    c.rule(
        "lifted before opened",
        changed(b, action="LIFTED", lifted_at=at(2025, 3, 3, 8, 0)),
        "lifted_at",
        "date_order",
    )
    c.rule(
        "decision number malformed",
        changed(b, decision_number="QĐ 123"),
        "decision_number",
        "number_symbol",
    )
    return c.examples


EXAMPLES: tuple[Example, ...] = (*_cases(), *_zones())
