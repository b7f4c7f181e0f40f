"""Code formats: agencies, procedures, administrative units, and a few standard formats.

Every check returns ``None`` for a good value or a message naming what is expected.
Inputs are assumed NFC-normalised (the models normalise before checking). Messages quote
codes but never personal data (identity and phone numbers, free-form case ids): they
end up in API answers, logs and dead-letter headers.

Code sets, and where they come from (nothing here is invented):

- **Agencies.** The electronic identifiers of QĐ 20/2020/QĐ-TTg (format of QCVN
  102:2016/BTTTT, ``V1V2V3.Z1Z2.Y1Y2.Hxx`` for units of a province) are the official
  codes, but ``reference/agencies.csv`` sources only one, the provincial People's
  Committee's ``000.00.00.H30``. Until the others are sourced, an agency code is accepted
  when it has that format (any province: documents arrive from other provinces too) or
  when it is an agency's Vietnamese abbreviation (``abbr_vi``) in ``agencies.csv``,
  e.g. ``SYT``. The abbreviations are a provisional code set: replace them with the
  electronic ids as those are sourced. Ministries' ids (another prefix than ``H``) are
  not in the reference and are rejected until they are.
- **Procedures.** ``MaTTHC`` must be a national procedure code listed in
  ``reference/procedures.csv``; extend that file (with its source) to admit more.
- **Administrative units.** GSO codes of Hậu Giang in ``haugiang_units_2024.csv``
  (districts 930–937 and 75 communes) or the 28 new commune codes of 1 Jul 2025 in
  ``haugiang_old_to_new_2025.csv`` (CV 1027/CTK-CSCL; they reuse old codes).
"""

from __future__ import annotations

import re
from functools import cache

from lienthong.schemas.reference import agencies, procedures, reform_2025, units_2024
from lienthong.schemas.rules.dossier_codes import BUSINESS, INDIVIDUAL

_ELECTRONIC_ID = re.compile(r"\d{3}\.\d{2}\.\d{2}\.H\d{2}")
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_ICD10 = re.compile(r"[A-Z]\d{2}(\.\d{1,2})?")
_PHONE = re.compile(r"(0\d{9,10}|\+84\d{9,10})")
_PERSONAL_ID = re.compile(r"\d{12}|\d{9}")
_TAX_CODE = re.compile(r"\d{10}(-\d{3})?")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_PSEUDONYM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
# Nghị định 30/2020/NĐ-CP, Phụ lục I: "Số: <number>/<symbol>", legal documents with the
# year between them; the symbol is the document type's and the agency's abbreviations
# joined by hyphens (e.g. QĐ-UBND, NĐ-CP, QĐ-TTg, TB-LĐTBXH, QH15).
_NUMBER_SYMBOL = re.compile(r"\d{1,7}(/\d{4})?/[0-9A-Za-zĐđ&]+(-[0-9A-Za-zĐđ&.]+)*")


@cache
def agency_abbreviations() -> frozenset[str]:
    """The provisional agency codes: ``abbr_vi`` of every agency in the reference."""
    return frozenset(a.abbr for a in agencies())


@cache
def procedure_codes() -> frozenset[str]:
    """National procedure codes (MaTTHC) in the reference."""
    return frozenset(p.code for p in procedures() if p.code)


@cache
def commune_codes() -> frozenset[str]:
    """Commune-level GSO codes: the 75 of 2021–2025 and the 28 from 1 Jul 2025."""
    old = {u.code for u in units_2024() if u.level == "commune"}
    return frozenset(old | {change.new_code for change in reform_2025()})


@cache
def unit_codes() -> frozenset[str]:
    """Every administrative unit code: districts (until 2025) and communes."""
    return commune_codes() | frozenset(u.code for u in units_2024())


def not_blank_problem(text: str) -> str | None:
    """Required text must say something."""
    return None if text.strip() else "must not be empty or only spaces"


def agency_code_problem(code: str) -> str | None:
    """An agency code: a QĐ 20/2020 electronic id, or a provisional abbreviation."""
    if _ELECTRONIC_ID.fullmatch(code) or code in agency_abbreviations():
        return None
    return (
        f"{code!r} is not an agency code: expected a QĐ 20/2020/QĐ-TTg electronic id "
        "such as 000.00.00.H30, or an agency abbreviation from reference/agencies.csv "
        "such as SYT"
    )


def procedure_code_problem(code: str) -> str | None:
    """A national procedure code present in the reference list."""
    if code in procedure_codes():
        return None
    return f"{code!r} is not a national procedure code in reference/procedures.csv"


def unit_code_problem(code: str) -> str | None:
    """A GSO code of a Hậu Giang district (until 2025) or commune (2024 or 2025 code)."""
    if code in unit_codes():
        return None
    return f"{code!r} is not a GSO administrative unit code of Hậu Giang (2024 or 2025 list)"


def commune_code_problem(code: str) -> str | None:
    """A GSO code of a commune-level unit (xã, phường, thị trấn), 2024 or 2025 list."""
    if code in commune_codes():
        return None
    return f"{code!r} is not a GSO commune-level unit code of Hậu Giang (2024 or 2025 list)"


def trace_id_problem(trace_id: str) -> str | None:
    """A W3C Trace Context trace-id: 32 lower-case hex digits, not all zero."""
    if _TRACE_ID.fullmatch(trace_id) and trace_id.strip("0"):
        return None
    return f"{trace_id!r} is not a W3C trace-id (32 lower-case hex digits, not all zero)"


def icd10_problem(code: str) -> str | None:
    """An ICD-10 code: a letter, two digits, optionally a point and one or two digits."""
    if _ICD10.fullmatch(code):
        return None
    return f"{code!r} is not an ICD-10 code (e.g. A90, U07.1)"


def phone_problem(phone: str) -> str | None:
    """A Vietnamese phone number, digits only: 0 + 9–10 digits or +84 + 9–10 digits."""
    if _PHONE.fullmatch(phone):
        return None
    return "is not a phone number (digits only: 0xxxxxxxxx or +84xxxxxxxxx)"


def identity_number_problem(number: str, applicant_type: int) -> str | None:
    """An applicant's id: personal id (12 digits; legacy 9) or tax code (10, or 10-3)."""
    if applicant_type == INDIVIDUAL and not _PERSONAL_ID.fullmatch(number):
        return "is not a personal identification number (12 digits, or 9 legacy)"
    if applicant_type == BUSINESS and not _TAX_CODE.fullmatch(number):
        return "is not a tax code (10 digits, or 10 digits-3 digits for a branch)"
    return None


def pseudonym_problem(case_id: str) -> str | None:
    """A pseudonymous id: 1–64 letters, digits and ``._:-``, not shaped like a person's id."""
    if not _PSEUDONYM.fullmatch(case_id):
        return "is not an id (1-64 letters, digits, '.', '_', ':' or '-')"
    if _PERSONAL_ID.fullmatch(case_id) or _PHONE.fullmatch(case_id):
        return "must be pseudonymous, not an identity number or phone number"
    return None


def sha256_problem(digest: str) -> str | None:
    """A SHA-256 digest in lower-case hex."""
    if _SHA256.fullmatch(digest):
        return None
    return f"{digest!r} is not a SHA-256 digest (64 lower-case hex digits)"


def number_symbol_problem(text: str) -> str | None:
    """A document's number and symbol as Nghị định 30/2020/NĐ-CP writes it."""
    if _NUMBER_SYMBOL.fullmatch(text):
        return None
    return f"{text!r} is not a number and symbol such as 123/QĐ-UBND or 20/2020/QĐ-TTg"


def schema_ref_problem(ref: str, full_name: str) -> str | None:
    """``ref`` names ``full_name``, optionally with ``@<registry version>``."""
    name, at, version = ref.partition("@")
    # Registry versions count from 1.
    version_ok = not at or (version.isascii() and version.isdigit() and version[0] != "0")
    if name == full_name and version_ok:
        return None
    return f"{ref!r} does not name this record: expected {full_name!r} or '{full_name}@<version>'"
