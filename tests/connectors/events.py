"""Dossier events for the sink tests, publishing them, and running connectors in-process."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from kafka import KafkaProducer
from prometheus_client import CollectorRegistry

from lienthong.connectors.events import Encoder
from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    ensure_topics,
    kafka_python_producer,
)
from lienthong.connectors.runtime import Plan, Runner, parse_config
from lienthong.schemas.catalogue import event_type
from lienthong.schemas.models import DossierLifecycle, DossierProgress, EventModel
from lienthong.schemas.registry_client import RegistryClient

BASE = datetime(2025, 3, 4, 1, 0, 0, tzinfo=UTC)
# A legal life: received → processing → processed → result returned.
LIFE = ((2, 1), (4, 2), (9, 4), (10, 9))


def lifecycle(number: str, step: int, agency: str) -> DossierLifecycle:
    """The ``step``-th status change (0-3) of dossier ``number``."""
    status, previous = LIFE[step]
    at = BASE + timedelta(hours=step, seconds=int(number[-4:]))
    return DossierLifecycle(
        envelope=DossierLifecycle.new_envelope(agency, occurred_at=at),
        MaHoSo=number,
        TrangThaiHoSo=status,
        TrangThaiTruoc=previous,
        MaTTHC="1.001193",
        TenTTHC="Đăng ký khai sinh",
        MaLinhVuc="HT",
        TenLinhVuc="Hộ tịch",
        ChuHoSo="Nguyễn Văn A",
        LoaiDoiTuong=1,
        MaDoiTuong="093201000123",
        TrichYeuHoSo=f"bước {step}",
        NgayTiepNhan=BASE,
        NgayHenTra=BASE + timedelta(days=7),
        NgayTra=BASE + timedelta(days=5) if status == 10 else None,
        DonViXuLy="UBND xã Hoả Lựu",
        MaDonViHanhChinh="31471",
    )


def progress(number: str, step: int, agency: str) -> DossierProgress:
    at = BASE + timedelta(hours=step, minutes=30)
    return DossierProgress(
        envelope=DossierProgress.new_envelope(agency, occurred_at=at),
        MaHoSo=number,
        NguoiXuLy="Trần Thị B",
        ChucDanh="Chuyên viên",
        ThoiDiemXuLy=at,
        PhongBanXuLy="Bộ phận một cửa",
        NoiDungXuLy=f"Xử lý bước {step}",
        TrangThai=4,
        NgayBatDau=BASE,
        NgayKetThucTheoQuyDinh=BASE + timedelta(days=7),
    )


def dossier_story(agency: str, dossiers: int, *, with_progress: bool = True) -> list[EventModel]:
    """Each dossier's lifecycle (and progress) events, interleaved across dossiers."""
    events: list[EventModel] = []
    for step in range(len(LIFE)):
        for i in range(dossiers):
            number = f"H30-250304-{i:04d}"
            events.append(lifecycle(number, step, agency))
            if with_progress and step < 3:
                events.append(progress(number, step, agency))
    return events


def publish(
    kafka: KafkaSettings, registry_url: str, topic: str, events: Sequence[EventModel]
) -> None:
    """Write ``events`` to ``topic`` as the worker would (framed Avro, key = entity id)."""
    ensure_topics(kafka, [TopicSpec(topic, 3)])
    with RegistryClient(registry_url) as registry:
        encoder = Encoder(registry)
        producer = KafkaProducer(**kafka_python_producer(kafka))
        try:
            for event in events:
                record = encoder.encode(event_type(event.envelope.event_type), event)
                producer.send(topic, key=record.key, value=record.value, headers=record.headers)
            producer.flush(30)
        finally:
            producer.close()


def kafka_section(kafka: KafkaSettings) -> dict[str, Any]:
    """The ``kafka:`` section of a connector config: the whole client setting, SASL too."""
    section = kafka.model_dump(mode="json", exclude_none=True)
    if kafka.sasl_password is not None:
        section["sasl_password"] = kafka.sasl_password.get_secret_value()
    return section


def plan_of(kafka: KafkaSettings, registry_url: str, connector: dict[str, Any]) -> Plan:
    return parse_config(
        {
            "kafka": kafka_section(kafka),
            "registry_url": registry_url,
            "connectors": [connector],
        }
    )


def run_until(
    plan: Plan,
    done: Callable[[], bool],
    *,
    timeout_s: float = 60.0,
    registry: CollectorRegistry | None = None,
) -> Runner:
    """Run ``plan`` in this process until ``done()`` (checked every 0.2 s), then stop it."""
    runner = Runner(plan, registry, restart_initial_s=0.2)
    runner.start()
    deadline = time.monotonic() + timeout_s
    try:
        while not done():
            assert not runner.failed, runner.failed
            assert time.monotonic() < deadline, "the connector did not finish in time"
            time.sleep(0.2)
    finally:
        runner.stop()
        assert runner.join(30), [t.name for t in threading.enumerate()]
    return runner


def new_id() -> str:
    return uuid.uuid4().hex[:8]
