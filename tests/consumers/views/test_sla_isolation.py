"""A dossier whose SLA clock raises costs that dossier, not the overdue timer (issue 14)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import pytest

from lienthong.consumers.state_json import dumps
from lienthong.consumers.views import overdue
from lienthong.consumers.views.registry import Views
from lienthong.consumers.views.settings import ViewsSettings
from lienthong.monitoring.metrics import AxisMetrics


def test_the_timer_announces_the_other_dossiers_and_counts_the_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = SimpleNamespace(
        rebalancing=False,
        tables=SimpleNamespace(recovery=SimpleNamespace(completed=asyncio.Event())),
    )
    app.tables.recovery.completed.set()
    table = {f"HS-{n}".encode(): dumps({"ma_ho_so": f"HS-{n}"}) for n in range(3)}
    views = Views(app=app, tables={"dossiers": table}, settings=ViewsSettings())  # type: ignore[arg-type]
    views.due._due = dict.fromkeys(table, 0)
    views.due.stale = False

    def becomes_overdue(state: Mapping[str, Any], now_ms: int) -> bool:
        if state["ma_ho_so"] == "HS-1":
            raise OverflowError("date value out of range")
        return True

    def overdue_event(state: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
        return {"event_id": f"e-{state['ma_ho_so']}", "agency": "TTHCC"}

    monkeypatch.setattr(overdue, "becomes_overdue", becomes_overdue)
    monkeypatch.setattr(overdue, "overdue_event", overdue_event)
    sent: list[bytes | None] = []

    async def send(topic: str, key: bytes | None, value: bytes | None, headers: Any) -> Any:
        sent.append(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    metrics = AxisMetrics.create()
    scanner = overdue.OverdueScanner(views, send, "overdue", lambda: 1.0, metrics)
    assert asyncio.run(scanner.scan()) == 2
    assert asyncio.run(scanner.scan()) == 0  # the failed one is not retried every scan
    assert sorted(k or b"" for k in sent) == [b"HS-0", b"HS-2"]
    failures = metrics.registry.get_sample_value(
        "lienthong_processing_failures_total", {"stage": "sla_clock", "exception": "OverflowError"}
    )
    assert failures == 1
