"""The one row reader: files → rows → events, with one envelope policy for every reader."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lienthong.schemas.catalogue import event_type
from lienthong.schemas.models import DossierLifecycle
from lienthong.schemas.rows import (
    RowRejected,
    as_event_id,
    complete,
    content_event_id,
    event_of,
    exported_at,
    read_rows,
)
from tests.producers.events import AGENCY, dossier, dossier_json

ENTRY = event_type("dossier.lifecycle")
WHEN = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def _payload() -> dict[str, object]:
    data = dossier_json(dossier())
    del data["envelope"]
    return data


def test_envelopes_are_completed_deterministically() -> None:
    data = {"MaHoSo": "H30-1", "TenTTHC": "x"}
    first = complete(ENTRY, data, agency="000.00.00.H30", occurred_at=WHEN)
    assert first == complete(ENTRY, data, agency="000.00.00.H30", occurred_at=WHEN)
    envelope = first["envelope"]
    assert envelope["event_id"] == content_event_id("dossier.lifecycle", "000.00.00.H30", data)
    assert envelope["trace_id"] == uuid.UUID(envelope["event_id"]).hex
    assert envelope["schema_ref"] == ENTRY.full_name
    assert envelope["occurred_at"] == WHEN.isoformat()
    given = complete(
        ENTRY, {**data, "trace_id": "ab" * 16}, agency="SYT", occurred_at=None, event_id="x"
    )
    assert given["envelope"]["trace_id"] == "ab" * 16
    assert given["envelope"]["event_id"] == "x"
    assert "occurred_at" not in given["envelope"]
    assert (
        as_event_id("5f0c3c9e-7b1e-4a55-9d0e-9c1a6a0b2c3d", "s")
        == "5f0c3c9e-7b1e-4a55-9d0e-9c1a6a0b2c3d"
    )
    assert as_event_id(42, "s") == as_event_id("42", "s") != as_event_id(42, "t")


def test_json_rows_get_an_envelope_and_the_same_event_twice(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(_payload(), ensure_ascii=False) + "\n[1]\n", encoding="utf-8")
    os.utime(path, (WHEN.timestamp(), WHEN.timestamp()))
    rows = list(read_rows(path))
    when = exported_at(path)
    good = event_of(ENTRY, rows[0], agency=AGENCY, occurred_at=when, lax=False)
    again = event_of(ENTRY, rows[0], agency=AGENCY, occurred_at=when, lax=False)
    assert good == again  # same ids, same trace, same time: byte for byte
    assert good.envelope.source_agency == AGENCY
    assert good.envelope.occurred_at == WHEN
    with pytest.raises(RowRejected) as caught:
        event_of(ENTRY, rows[1], agency=AGENCY, occurred_at=when, lax=False)
    assert caught.value.reason == "bad_payload"
    assert caught.value.violations[0]["rule"] == "row"


def test_a_json_file_may_hold_an_array_or_an_events_object(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"events": [_payload(), 3]}), encoding="utf-8")
    rows = list(read_rows(path))
    assert [r.number for r in rows] == [1, 2]
    assert rows[1].data is None
    with pytest.raises(ValueError, match="use one of"):
        list(read_rows(tmp_path / "d.txt"))


def test_csv_rows_are_read_in_lax_mode_and_errors_name_fields(tmp_path: Path) -> None:
    payload = _payload()
    columns = [
        "MaHoSo",
        "TrangThaiHoSo",
        "TrangThaiTruoc",
        "TenTTHC",
        "ChuHoSo",
        "LoaiDoiTuong",
        "NgayTiepNhan",
        "DonViXuLy",
    ]
    lines = [",".join(columns), ",".join(str(payload[c]) for c in columns)]
    broken = dict(payload, LoaiDoiTuong="7", MaHoSo=" ")
    lines.append(",".join(str(broken[c]) for c in columns))
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ok_row, bad_row = read_rows(path)
    ok = event_of(ENTRY, ok_row, agency=AGENCY, occurred_at=WHEN, lax=True)
    assert isinstance(ok, DossierLifecycle)
    assert ok.TrangThaiHoSo == 2
    assert bad_row.number == 3
    with pytest.raises(RowRejected) as caught:
        event_of(ENTRY, bad_row, agency=AGENCY, occurred_at=WHEN, lax=True)
    assert {v["field"] for v in caught.value.violations} >= {"MaHoSo", "LoaiDoiTuong"}
