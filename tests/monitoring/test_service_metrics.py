"""Scrape /metrics of the worker and the registry before and after a burst of events."""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from lienthong.schemas.framing import header
from tests.conftest import free_port
from tests.consumers.axis import Axis, WorkerProcess, publish
from tests.consumers.day import DOSSIER_AGENCY, dossier_events


def _sum(url: str, sample: str, **labels: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


def _wait_for(check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.3)


def test_counters_move_by_the_burst(
    axis: Axis, start_worker: Callable[..., WorkerProcess], schema_registry_url: str
) -> None:
    axis.create_topics([DOSSIER_AGENCY])
    port = free_port()
    start_worker(axis, None, "--metrics-port", str(port))
    worker = f"http://127.0.0.1:{port}"
    _wait_for(lambda: _reachable(worker))
    events = [axis.record(e) for e in dossier_events(random.Random(11), 8)]
    registry_before = _sum(schema_registry_url, "lienthong_registry_requests_total")
    before = {
        "in": _sum(worker, "lienthong_events_in_total"),
        "out": _sum(worker, "lienthong_events_out_total"),
        "refused": _sum(worker, "lienthong_validation_failures_total"),
        "dead": _sum(worker, "lienthong_deadletter_total"),
    }
    broken = [
        dataclasses.replace(events[0], key=b"m-trunc", value=(events[0].value or b"")[:20]),
        dataclasses.replace(events[0], key=b"m-unknown", value=header(876_543) + b"\x02"),
    ]
    publish(axis.kafka, [*events, *broken])
    burst = len(events) + len(broken)
    _wait_for(lambda: _sum(worker, "lienthong_events_in_total") - before["in"] >= burst)

    assert _sum(worker, "lienthong_events_in_total") - before["in"] == burst
    assert _sum(worker, "lienthong_events_out_total") - before["out"] == len(events)
    assert _sum(worker, "lienthong_validation_failures_total") - before["refused"] == 2
    assert _sum(worker, "lienthong_deadletter_total") - before["dead"] == 2
    assert _sum(worker, "lienthong_validation_failures_total", reason="unknown_schema_id") >= 1
    # The worker looked the writer's schema up in the registry at least once.
    assert _sum(schema_registry_url, "lienthong_registry_requests_total") > registry_before


def _reachable(url: str) -> bool:
    try:
        return httpx.get(f"{url}/metrics", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
