"""Publisher settings and the publish CLI's file reading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from lienthong.producers import PublisherSettings
from lienthong.producers._rows import parse_row, read_rows
from lienthong.schemas.models import DossierLifecycle
from tests.producers.events import AGENCY, dossier, dossier_json


def test_a_misspelt_setting_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_PUBLISHER_SPOOL_PATHH", "/tmp/x")
    with pytest.raises(ValidationError, match="did you mean LIENTHONG_PUBLISHER_SPOOL_PATH"):
        PublisherSettings()


def test_the_registry_url_is_the_axis_wide_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_REGISTRY_URL", "http://registry:8081")
    monkeypatch.setenv("LIENTHONG_PUBLISHER_SPOOL_MAX_BYTES", "4096")
    settings = PublisherSettings()
    assert settings.registry_url == "http://registry:8081"
    assert settings.spool_max_bytes == 4096


def _payload() -> dict[str, object]:
    data = dossier_json(dossier())
    del data["envelope"]
    return data


def test_json_rows_get_an_envelope_and_stable_ids(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(_payload(), ensure_ascii=False) + "\n[1]\n", encoding="utf-8")
    rows = list(read_rows(path))
    good = parse_row(DossierLifecycle, rows[0], agency=AGENCY, lax=False)
    again = parse_row(DossierLifecycle, rows[0], agency=AGENCY, lax=False)
    assert good.event is not None
    assert again.event is not None
    assert good.event.envelope.source_agency == AGENCY
    assert good.event.envelope.event_id == again.event.envelope.event_id
    bad = parse_row(DossierLifecycle, rows[1], agency=AGENCY, lax=False)
    assert bad.event is None
    assert bad.errors[0].rule == "row"


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
    ok, bad = (parse_row(DossierLifecycle, r, agency=AGENCY, lax=True) for r in read_rows(path))
    assert ok.event is not None
    assert isinstance(ok.event, DossierLifecycle)
    assert ok.event.TrangThaiHoSo == 2
    assert bad.row.number == 3
    assert {e.field for e in bad.errors} >= {"MaHoSo", "LoaiDoiTuong"}
