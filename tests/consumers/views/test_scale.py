"""A worker holding 10^5 open dossiers keeps running through restarts (issue 17).

The open dossiers are written straight to the dossiers table's changelog, as a worker
that materialized them would have left it; the worker recovers them at every start and
rebuilds its due index while a day of events goes through its pipeline. The rebuild used
to iterate the memory store while the pipeline wrote it: every start crashed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from aiokafka.partitioner import murmur2

from lienthong.connectors.kafka import ensure_topics
from lienthong.connectors.topics import faust_changelog
from lienthong.consumers.state_json import dumps
from lienthong.consumers.views import table_name, view_topics
from lienthong.schemas.models import DossierLifecycle
from tests.conftest import free_port

from ..axis import PARTITIONS, Axis, Raw, WorkerProcess, publish
from ..day import DOSSIER_AGENCY
from .oracle import mixed_day
from .test_views_e2e import AGENCIES, Api

OPEN_DOSSIERS = 100_000
SEEDED = "SCALE"


@pytest.fixture(autouse=True)
def views_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_VIEWS_ENABLED", "true")
    monkeypatch.setenv("LIENTHONG_VIEWS_OVERDUE_SCAN_S", "0.2")


def open_dossiers(axis: Axis, count: int) -> list[Raw]:
    """``count`` received dossiers, due in a month, as changelog records of the table."""
    topic = faust_changelog(axis.app_id, table_name("dossiers"))
    now = int(time.time() * 1000)
    records = []
    for n in range(count):
        key = f"{SEEDED}-{n:07d}"
        state = {
            "ma_ho_so": key,
            "status": 2,
            "status_label": "Đã tiếp nhận",
            "agency": SEEDED,
            "procedure": None,
            "unit_code": None,
            "received_at": now,
            "appointment_at": now + 30 * 86_400_000,
            "returned_at": None,
            "steps": [],
            "sla": {
                "due": now + 30 * 86_400_000,
                "paused_since": None,
                "outcome": None,
                "overdue_emitted": False,
            },
            "applied": [f"seed-{n}"],
            "updated_at": now,
        }
        partition = (murmur2(key.encode()) & 0x7FFFFFFF) % PARTITIONS
        records.append(Raw(topic, key.encode(), dumps(state), (), partition))
    return records


def by_agency(api: Api) -> dict[str, int]:
    return {row["key"]: row["dossiers"] for row in api.items("/ioc/stats", by="agency")}


@pytest.mark.kafka
def test_a_worker_with_1e5_open_dossiers_survives_restarts_under_load(
    axis: Axis, start_worker: Callable[..., WorkerProcess]
) -> None:
    port = free_port()
    axis.create_topics(AGENCIES)
    ensure_topics(axis.kafka, view_topics(axis.layout, axis.app_id))
    publish(axis.kafka, open_dossiers(axis, OPEN_DOSSIERS))
    events = mixed_day(seed=31, scale=2)
    dossiers = {e.MaHoSo for e in events if isinstance(e, DossierLifecycle)}
    api = Api(port)
    workers = [start_worker(axis, None, "--metrics-port", str(port))]
    # The day goes through the pipeline while the worker recovers and rebuilds.
    sender = threading.Thread(target=publish, args=(axis.kafka, [axis.record(e) for e in events]))
    sender.start()
    api.wait(lambda: by_agency(api).get(SEEDED) == OPEN_DOSSIERS, timeout_s=300)
    # Killed mid-stream and restarted: it recovers and rebuilds again, under writes.
    workers[-1].process.kill()
    workers[-1].process.wait()
    workers.append(start_worker(axis, None, "--metrics-port", str(port)))
    api.wait(lambda: by_agency(api).get(SEEDED) == OPEN_DOSSIERS, timeout_s=300)
    sender.join()
    api.wait(lambda: by_agency(api).get(DOSSIER_AGENCY) == len(dossiers), timeout_s=300)
    time.sleep(1.0)  # several overdue scans after the rebuild
    assert workers[-1].process.poll() is None, workers[-1].output()[-3000:]
    assert "changed size during iteration" not in workers[-1].output()
    assert by_agency(api)[SEEDED] == OPEN_DOSSIERS
