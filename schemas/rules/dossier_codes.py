"""The national portal's dossier codes: one table, read everywhere (no literals in code).

Source: ``reference/dossier_status_codes.md`` §1 (the 1–10 ``TrangThaiHoSo`` list found
identically in three independent one-stop code bases, used by DongBoHoSoMC and, as
``TrangThai``, by CapNhatTienDoHoSoMC) and §4 (which codes end a dossier and which pause
the legal clock). ``LoaiDoiTuong`` comes from §2 (OpenCPS: 1 individual, 2 business).

Why the status stays an Avro ``int`` rather than an enum with a default:

- it *is* an integer on the portal and in every one-stop system that syncs to it, so
  agency systems in .NET, Java and PHP send the number they already have, and the
  portal-sync connector forwards it without a translation table;
- the code set is not closed: one DVCQG channel sends 11 for a rejection (§3.1) and later
  guide versions may add codes. An Avro enum would either reject such an event at the
  codec, or (with a default) turn 11 into the default symbol for older readers and lose
  the value; an int passes unchanged and this table decides, with a clear message;
- Avro enum symbols must be names, not digits, so an enum would need a second mapping
  (symbol ↔ portal code) at every edge.

The price is that Avro alone accepts 0 or 42: rejecting them is a business rule here
(``dossier_status``), tested as such in the contract corpus.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType


class StatusCode(IntEnum):
    """Names for the portal's ``TrangThaiHoSo`` values, so code says which one it means."""

    REGISTERED = 1
    RECEIVED = 2
    NOT_RECEIVED = 3
    PROCESSING = 4
    SUPPLEMENT_REQUESTED = 5
    FINANCIAL_OBLIGATION = 6
    WITHDRAWN = 7
    STOPPED = 8
    PROCESSED = 9
    RESULT_RETURNED = 10


@dataclass(frozen=True)
class DossierStatus:
    """One row of the status table.

    ``received``: the one-stop desk has accepted the dossier, so NgayTiepNhan is known.
    ``terminal``: nothing may follow (§4: 3, 7, 8 and 10).
    ``pauses_clock``: the legal processing time stops while in this state (§4: 5 and 6).
    """

    code: StatusCode
    label_vi: str
    meaning_en: str
    received: bool
    terminal: bool
    pauses_clock: bool


def _row(
    code: StatusCode,
    label_vi: str,
    meaning_en: str,
    *,
    received: bool,
    terminal: bool = False,
    pauses_clock: bool = False,
) -> tuple[int, DossierStatus]:
    return code.value, DossierStatus(code, label_vi, meaning_en, received, terminal, pauses_clock)


_S = StatusCode
STATUSES: Mapping[int, DossierStatus] = MappingProxyType(
    dict(
        [
            _row(
                _S.REGISTERED, "Mới đăng ký", "submitted online, not yet accepted", received=False
            ),
            _row(_S.RECEIVED, "Được tiếp nhận", "accepted by the one-stop desk", received=True),
            _row(
                _S.NOT_RECEIVED,
                "Không được tiếp nhận",
                "rejected at reception",
                received=False,
                terminal=True,
            ),
            _row(_S.PROCESSING, "Đang xử lý", "with the specialist unit", received=True),
            _row(
                _S.SUPPLEMENT_REQUESTED,
                "Yêu cầu bổ sung giấy tờ",
                "additional documents requested",
                received=True,
                pauses_clock=True,
            ),
            _row(
                _S.FINANCIAL_OBLIGATION,
                "Yêu cầu thực hiện nghĩa vụ tài chính",
                "fees, charges or taxes to be paid",
                received=True,
                pauses_clock=True,
            ),
            # Withdrawal and stop can happen before reception (from 1), so neither
            # implies that the desk received the dossier.
            _row(
                _S.WITHDRAWN,
                "Công dân yêu cầu rút hồ sơ",
                "withdrawn at the applicant's request",
                received=False,
                terminal=True,
            ),
            _row(_S.STOPPED, "Dừng xử lý", "processing stopped", received=False, terminal=True),
            _row(_S.PROCESSED, "Đã xử lý xong", "result ready to return", received=True),
            _row(
                _S.RESULT_RETURNED,
                "Đã trả kết quả",
                "result delivered to the applicant",
                received=True,
                terminal=True,
            ),
        ]
    )
)
"""Every portal status code, keyed by its integer value."""

APPLICANT_TYPES: Mapping[int, str] = MappingProxyType({1: "Cá nhân", 2: "Doanh nghiệp"})
"""``LoaiDoiTuong``: 1 individual (cá nhân), 2 business (doanh nghiệp)."""

INDIVIDUAL = 1
BUSINESS = 2


def status_label(code: int) -> str:
    """The Vietnamese label of a status code, or ``"không rõ (<code>)"`` if unknown."""
    row = STATUSES.get(code)
    return row.label_vi if row else f"không rõ ({code})"


def status_problem(code: int) -> str | None:
    """Why ``code`` is not a portal status code, or ``None`` if it is one."""
    if code in STATUSES:
        return None
    known = ", ".join(str(c) for c in STATUSES)
    return f"{code} is not a portal dossier status code (TrangThaiHoSo is one of {known})"


def applicant_type_problem(code: int) -> str | None:
    """Why ``code`` is not a ``LoaiDoiTuong`` value, or ``None`` if it is one."""
    if code in APPLICANT_TYPES:
        return None
    return f"{code} is not an applicant type (LoaiDoiTuong is 1 individual or 2 business)"
