"""A mixed day around 1 July 2025 through the gate and the dossier view (no Kafka).

Old codes dated before the change pass and count under their successor; an old code dated
after it is refused with its successor named; statistics group by the unit today by
default and by the code the event carried on request. Replaying gives the same figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.dedup import EMPTY
from lienthong.consumers.gate import Gate, IngressRecord, Passed, Refused
from lienthong.consumers.views.dossiers import apply_lifecycle
from lienthong.consumers.views.query import dossier_stats
from lienthong.producers import EventEncoder
from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h
from lienthong.schemas.calendar import VN_TZ
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.models import DossierLifecycle
from lienthong.schemas.registry_client import InMemoryRegistry

LAYOUT = TopicLayout("u")
NOW_MS = int(datetime(2025, 7, 10, tzinfo=UTC).timestamp() * 1000)

# (dossier, unit code, received) — the codes' meaning from haugiang_old_to_new_2025.csv.
DAY = [
    ("D1", "31318", datetime(2025, 6, 30, 10, tzinfo=VN_TZ)),  # Phường I → 31321
    ("D2", "31321", datetime(2025, 6, 30, 11, tzinfo=VN_TZ)),  # Phường III → 31321
    ("D3", "31324", datetime(2025, 6, 30, 14, tzinfo=VN_TZ)),  # Phường IV → 31333
    ("D4", "31321", datetime(2025, 7, 1, 9, tzinfo=VN_TZ)),  # the new Phường Vị Thanh
    ("D5", "31333", datetime(2025, 7, 1, 10, tzinfo=VN_TZ)),  # the new Phường Vị Tân
    ("D6", "31318", datetime(2025, 7, 1, 11, tzinfo=VN_TZ)),  # retired: refused
    ("D7", "930", datetime(2025, 7, 2, 9, tzinfo=VN_TZ)),  # district level gone: refused
]


def event(number: str, unit: str, at: datetime) -> DossierLifecycle:
    return DossierLifecycle(
        envelope=DossierLifecycle.new_envelope("TTHCC", occurred_at=at),
        MaHoSo=f"H30-{number}",
        TrangThaiHoSo=2,
        TrangThaiTruoc=1,
        MaTTHC="1.004884",
        TenTTHC="Đăng ký lại khai sinh",
        ChuHoSo="Nguyễn Thị Bé Ba",
        LoaiDoiTuong=1,
        NgayTiepNhan=at,
        DonViXuLy="UBND",
        MaDonViHanhChinh=unit,
    )


def replay() -> Iterator[tuple[str, Passed | Refused]]:
    registry = InMemoryRegistry()
    gate = Gate(AvroDeserializer(registry), layout=LAYOUT, clock=lambda: NOW_MS)
    encoder = EventEncoder(registry)
    for offset, (number, unit, at) in enumerate(DAY):
        e = event(number, unit, at)
        rec = encoder.encode(e)
        topic = LAYOUT.ingress(e.envelope.source_agency, e.EVENT_TYPE)
        yield (
            number,
            gate.check(IngressRecord(topic, 0, offset, 5, rec.key, rec.value, rec.headers), EMPTY),
        )


def states_of(verdicts: list[tuple[str, Passed | Refused]]) -> list[dict[str, Any]]:
    states = []
    for _, verdict in verdicts:
        if isinstance(verdict, Passed):
            state = apply_lifecycle(None, verdict.record)
            assert state is not None
            states.append(state)
    return states


@pytest.fixture(scope="module")
def verdicts() -> list[tuple[str, Passed | Refused]]:
    return list(replay())


def test_retired_codes_after_the_change_are_refused_with_the_successor(
    verdicts: list[tuple[str, Passed | Refused]],
) -> None:
    refused = {n: v.letter.refusal for n, v in verdicts if isinstance(v, Refused)}
    assert set(refused) == {"D6", "D7"}
    assert refused["D6"].reason == dl.RETIRED_UNIT
    assert refused["D6"].field == "MaDonViHanhChinh"
    assert "31321 (Phường Vị Thanh)" in refused["D6"].message
    assert "no successor" in refused["D7"].message
    assert dl.RETIRED_UNIT in dl.REASONS


def test_the_gate_keeps_the_original_and_writes_the_current_unit(
    verdicts: list[tuple[str, Passed | Refused]],
) -> None:
    headers = {n: h.as_dict(v.headers) for n, v in verdicts if isinstance(v, Passed)}
    assert headers["D1"][h.UNIT] == b"31318"
    assert headers["D1"][h.UNIT_CURRENT] == b"31321"
    assert headers["D3"][h.UNIT_CURRENT] == b"31333"
    assert headers["D4"][h.UNIT] == headers["D4"][h.UNIT_CURRENT] == b"31321"


def test_statistics_by_current_and_by_historical_unit(
    verdicts: list[tuple[str, Passed | Refused]],
) -> None:
    states = states_of(verdicts)
    current = {k: r["dossiers"] for k, r in dossier_stats(states, "unit", NOW_MS).items()}
    # D1, D2 (old codes, before) and D4 (new code) are Phường Vị Thanh today; D3, D5 Vị Tân.
    assert current == {"31321": 3, "31333": 2}
    historical = {
        k: r["dossiers"] for k, r in dossier_stats(states, "unit_historical", NOW_MS).items()
    }
    assert historical == {"31318": 1, "31321": 2, "31324": 1, "31333": 1}
    # Replaying the same day gives the same mapped result.
    again = states_of(list(replay()))
    assert dossier_stats(again, "unit", NOW_MS) == dossier_stats(states, "unit", NOW_MS)
