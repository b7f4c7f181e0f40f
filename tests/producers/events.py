"""Valid events for the producer tests, built from the reference data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from lienthong.schemas.models import DossierLifecycle

AGENCY = "000.00.00.H30"  # the provincial People's Committee (reference/agencies.csv)
OTHER_AGENCY = "SYT"  # Sở Y tế, by its provisional abbreviation
_BASE = datetime(2025, 3, 4, 1, 2, 3, tzinfo=UTC)


def dossier(
    number: str = "H30-250304-0001",
    *,
    agency: str = AGENCY,
    step: int = 0,
    event_id: uuid.UUID | None = None,
) -> DossierLifecycle:
    """A received dossier (status 2 after 1); ``step`` orders events of one dossier."""
    envelope = DossierLifecycle.new_envelope(agency, occurred_at=_BASE + timedelta(seconds=step))
    if event_id is not None:
        envelope = envelope.model_copy(update={"event_id": event_id})
    return DossierLifecycle(
        envelope=envelope,
        MaHoSo=number,
        TrangThaiHoSo=2,
        TrangThaiTruoc=1,
        TenTTHC="Đăng ký khai sinh",
        ChuHoSo="Nguyễn Văn A",
        LoaiDoiTuong=1,
        NgayTiepNhan=_BASE,
        DonViXuLy="UBND xã Hoả Lựu",
        TrichYeuHoSo=f"step {step}",
    )


def dossier_json(event: DossierLifecycle) -> dict[str, Any]:
    """The event as an agency system would POST it (JSON types, ISO times)."""
    data: dict[str, Any] = event.model_dump(mode="json", exclude_none=True)
    return data
