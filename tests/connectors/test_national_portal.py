"""Done-when: every payload is checked by a local stand-in of the national portal; what it
did not acknowledge is resubmitted until it is, and each acknowledgement is recorded.

The stand-in (127.0.0.1 only) holds its own expectation of every item, computed here
independently of the connector (UTC+7 by hand, not zoneinfo), and refuses anything
else. It fails on purpose: HTTP 500, ``error_code`` -1, and replies that come after the
client's timeout (processed, but the acknowledgement is lost).
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lienthong.connectors.kafka import KafkaSettings
from lienthong.schemas.models import DossierLifecycle, DossierProgress, EventModel
from tests.connectors.events import dossier_story, new_id, plan_of, publish, run_until
from tests.connectors.receivers import reply, serve
from tests.connectors.support import new_agency

TOKEN = "ma-truy-cap-thu"


def _vn(value: datetime | None) -> str | None:
    return None if value is None else (value + timedelta(hours=7)).strftime("%Y%m%d%H%M%S")


def _expected(event: EventModel) -> tuple[tuple[str, str, str], dict[str, Any]]:
    if isinstance(event, DossierLifecycle):
        item = {
            "MaHoSo": event.MaHoSo,
            "MaTTHC": event.MaTTHC,
            "TenTTHC": event.TenTTHC,
            "MaLinhVuc": event.MaLinhVuc,
            "TenLinhVuc": event.TenLinhVuc,
            "ChuHoSo": event.ChuHoSo,
            "LoaiDoiTuong": str(event.LoaiDoiTuong),
            "MaDoiTuong": event.MaDoiTuong,
            "TrichYeuHoSo": event.TrichYeuHoSo,
            "NgayTiepNhan": _vn(event.NgayTiepNhan),
            "NgayHenTra": _vn(event.NgayHenTra),
            "TrangThaiHoSo": str(event.TrangThaiHoSo),
            "NgayTra": _vn(event.NgayTra),
            "DonViXuLy": event.DonViXuLy,
        }
        key = ("DongBoHoSoMC", event.MaHoSo, str(event.TrichYeuHoSo))
    else:
        assert isinstance(event, DossierProgress)
        item = {
            "MaHoSo": event.MaHoSo,
            "NguoiXuLy": event.NguoiXuLy,
            "ChucDanh": event.ChucDanh,
            "ThoiDiemXuLy": _vn(event.ThoiDiemXuLy),
            "PhongBanXuLy": event.PhongBanXuLy,
            "NoiDungXuLy": event.NoiDungXuLy,
            "TrangThai": str(event.TrangThai),
            "NgayBatDau": _vn(event.NgayBatDau),
            "NgayKetThucTheoQuyDinh": _vn(event.NgayKetThucTheoQuyDinh),
        }
        key = ("CapNhatTienDoHoSoMC", event.MaHoSo, event.NoiDungXuLy)
    return key, {k: v for k, v in item.items() if v is not None}


class StandIn:
    """The national portal, as far as the sync can tell: strict, and unreliable."""

    def __init__(self, events: list[EventModel], seed: int) -> None:
        self.expected = dict(_expected(e) for e in events)
        self.order = {key: i for i, key in enumerate(_expected(e)[0] for e in events)}
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.stored: Counter[tuple[str, str, str]] = Counter()
        self.invalid: list[str] = []
        self.failures = Counter[str]()
        # Per (service, dossier): the two services come from two topics, whose relative
        # order Kafka does not define; within each, a dossier's steps keep their order.
        self.last_seen: dict[tuple[str, str], int] = defaultdict(lambda: -1)
        self.synced: set[str] = set()

    def _check(self, headers: dict[str, str], body: dict[str, Any]) -> list[tuple[str, str, str]]:
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            raise ValueError("wrong token")
        service = body.get("service")
        allowed = {"service", "data"} | ({"isUpdating"} if service == "DongBoHoSoMC" else set())
        if set(body) != allowed or not isinstance(body["data"], list) or not body["data"]:
            raise ValueError(f"bad request shape {sorted(body)}")
        keys = []
        for item in body["data"]:
            marker = (
                item.get("TrichYeuHoSo") if service == "DongBoHoSoMC" else item.get("NoiDungXuLy")
            )
            key = (str(service), item.get("MaHoSo"), marker)
            if self.expected.get(key) != item:
                raise ValueError(f"unexpected item {item} (wanted {self.expected.get(key)})")
            if service == "DongBoHoSoMC":
                updating = body["isUpdating"]
                if updating not in ("True", "False") or (updating == "True") > (
                    item["MaHoSo"] in self.synced
                ):
                    raise ValueError(f"isUpdating {updating} for {item['MaHoSo']}")
            if self.order[key] < self.last_seen[key[:2]]:
                raise ValueError(f"{key} arrived after a later step of its dossier")
            keys.append(key)
        return keys

    def __call__(self, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            try:
                keys = self._check(headers, json.loads(raw))
            except ValueError as exc:
                self.invalid.append(str(exc))
                return reply(400, {"error_code": "-2", "message": str(exc)})
            roll = self.rng.random()
            if roll < 0.15:
                self.failures["http_500"] += 1
                return reply(500, {"error": "internal"})
            if roll < 0.25:
                self.failures["not_acknowledged"] += 1
                return reply(200, {"error_code": "-1", "message": "Hệ thống đang bận"})
            for key in keys:
                self.stored[key] += 1
                self.last_seen[key[:2]] = max(self.last_seen[key[:2]], self.order[key])
                if key[0] == "DongBoHoSoMC":
                    self.synced.add(key[1])
            lose_ack = roll < 0.30
            if lose_ack:
                self.failures["ack_lost"] += 1
        if lose_ack:
            time.sleep(0.6)  # past the client's timeout: processed, but it never hears so
        return reply(200, {"error_code": "0", "message": "Thành công"})


def test_every_payload_is_checked_and_unacknowledged_ones_are_resubmitted(
    tmp_path: Path, kafka_settings: KafkaSettings, schema_registry_url: str
) -> None:
    events = dossier_story(new_agency(), 40)  # 280 events, 40 dossiers
    lifecycle_topic, progress_topic = f"test.portal.lc.{new_id()}", f"test.portal.pr.{new_id()}"
    publish(
        kafka_settings,
        schema_registry_url,
        lifecycle_topic,
        [e for e in events if isinstance(e, DossierLifecycle)],
    )
    publish(
        kafka_settings,
        schema_registry_url,
        progress_topic,
        [e for e in events if isinstance(e, DossierProgress)],
    )
    stand_in = StandIn(events, seed=11)
    ledger = tmp_path / "portal.sqlite3"

    def all_acked() -> bool:
        if not ledger.exists():
            return False
        with sqlite3.connect(ledger) as db:
            row = db.execute("SELECT count(*) FROM submissions WHERE state = 'acked'").fetchone()
        return int(row[0]) >= len(events)

    with serve(stand_in) as url:
        plan = plan_of(
            kafka_settings,
            schema_registry_url,
            {
                "name": f"portal-{new_id()}",
                "kind": "national-portal",
                "url": f"{url}/KetNoiMotCuaQuocGia",
                "topics": [lifecycle_topic, progress_topic],
                "token": TOKEN,
                "ledger_path": str(ledger),
                "items_per_request": 10,
                "timeout_s": 0.4,
                "backoff_initial_s": 0.01,
                "backoff_max_s": 0.05,
                "breaker_failures": 4,
                "breaker_cooldown_s": 0.05,
            },
        )
        run_until(plan, all_acked, timeout_s=120)

    assert stand_in.invalid == []
    assert set(stand_in.stored) == set(stand_in.expected)  # every event reached the portal
    assert all(stand_in.failures[kind] > 0 for kind in ("http_500", "not_acknowledged", "ack_lost"))
    with sqlite3.connect(ledger) as db:
        states = dict(
            db.execute("SELECT state, count(*) FROM submissions GROUP BY state").fetchall()
        )
        again = db.execute("SELECT count(*) FROM submissions WHERE attempts > 1").fetchone()
        acks = db.execute(
            "SELECT count(*) FROM submissions "
            "WHERE ack LIKE 'error_code 0:%' AND acked_at IS NOT NULL"
        ).fetchone()[0]
    assert states == {"acked": len(events)}
    assert again[0] > 0  # some items were resubmitted
    assert acks == len(events)
    # A lost acknowledgement means the portal got the item twice: it is told "isUpdating".
    assert sum(stand_in.stored.values()) > len(events)
