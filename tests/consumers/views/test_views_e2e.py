"""The views in a real worker subprocess on the real broker: a day, SLA, SIGKILL."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from lienthong.schemas.models import DossierLifecycle, EventModel
from tests.conftest import free_port
from tests.identities import QUERY_READER

from ..axis import Axis, WorkerProcess, publish, read, read_more
from ..day import CASE_AGENCIES, DOCUMENT_AGENCY, DOSSIER_AGENCY, FEEDBACK_AGENCY
from .oracle import Expected, expected, mixed_day

AGENCIES = (DOSSIER_AGENCY, *CASE_AGENCIES, FEEDBACK_AGENCY, DOCUMENT_AGENCY, "SYT")


@pytest.fixture(autouse=True)
def views_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_VIEWS_ENABLED", "true")
    monkeypatch.setenv("LIENTHONG_VIEWS_OVERDUE_SCAN_S", "0.3")


class Api:
    """The worker's query API over HTTP."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(self.base + path, params=params, timeout=5, auth=QUERY_READER)
        response.raise_for_status()
        return response.json()

    def items(self, path: str, **params: Any) -> list[Any]:
        """Every item of a paged list, following next_offset with small pages."""
        found: list[Any] = []
        offset: int | None = 0
        while offset is not None:
            body = self.get(path, limit=7, offset=offset, **params)
            found += body["items"]
            offset = body["next_offset"]
        return found

    def stats(self, by: str) -> dict[str, Any]:
        return {row["key"]: row for row in self.items("/ioc/stats", by=by)}

    def wait(self, done: Callable[[], bool], timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if done():
                    return
            except httpx.HTTPError:
                pass  # not up yet, or rebalancing
            time.sleep(0.3)
        raise AssertionError("the views did not reach the expected state in time")


def settled(api: Api, want: Expected) -> Callable[[], bool]:
    def done() -> bool:
        status = {k: r["dossiers"] for k, r in api.stats("status").items()}
        steps = sum(r["dossiers"] for r in api.stats("agency").values())
        docs = sum(len(v) for v in want.inbox.values())
        got_docs = sum(len(api.items(f"/inbox/{a}")) for a in want.inbox)
        return status == want.status and steps == sum(want.status.values()) and got_docs == docs

    return done


def check_views(api: Api, events: list[EventModel], want: Expected) -> None:
    """Every view against the oracle, and every dossier's look-up against its last status."""
    for by, counts in (
        ("agency", want.agency),
        ("procedure", want.procedure),
        ("unit", want.unit),
        ("day", want.day),
    ):
        assert {k: r["dossiers"] for k, r in api.stats(by).items()} == dict(counts), by
    rows = api.stats("agency").values()
    assert sum(r["early"] for r in rows) == want.outcome["early"]
    assert sum(r["on_time"] for r in rows) == want.outcome["on_time"]
    assert sum(r["overdue"] for r in rows) == 0
    assert sum(r["open_overdue"] for r in rows) == len(want.overdue)
    assert {r["MaHoSo"] for r in api.items("/ioc/overdue")} == want.overdue
    latest = {e.MaHoSo: e for e in events if isinstance(e, DossierLifecycle)}
    for number, last in latest.items():
        view = api.get(f"/portal/dossiers/{number}")
        assert view["status"] == last.TrangThaiHoSo
        assert len(view["steps"]) == want.steps.get(number, 0)  # none applied twice
        if last.MaDoiTuong:
            assert view["id_number"].endswith(last.MaDoiTuong[-4:])
            assert view["id_number"].startswith("*")
    cases = {f"{r['ward_code']}|{r['day']}": r["status"] for r in api.items("/ioc/cases")}
    assert cases == {k: dict(v) for k, v in want.cases.items()}
    assert [z["zone_id"] for z in api.items("/ioc/quarantine")] == want.zones
    for case_id, stage in want.feedback.items():
        assert api.get(f"/portal/feedback/{case_id}")["stage"] == stage
    for agency, docs in want.inbox.items():
        assert sorted(d["document_id"] for d in api.items(f"/inbox/{agency}")) == sorted(docs)


def overdue_records(axis: Axis, count: int) -> Counter[bytes]:
    topic = axis.layout.canonical("dossier.overdue")
    found = read(axis.kafka, [topic], until=lambda f: len(f) >= count, timeout_s=15)
    found = read_more(axis.kafka, [topic], found, 1.0)
    return Counter(r.key for r in found if r.key is not None)


@pytest.mark.kafka
def test_a_day_materializes_exactly_and_overdue_is_announced_once(
    axis: Axis, start_worker: Callable[..., WorkerProcess]
) -> None:
    port = free_port()
    events = mixed_day()
    want = expected(events)
    axis.create_topics(AGENCIES)
    worker = start_worker(axis, None, "--metrics-port", str(port))
    api = Api(port)
    publish(axis.kafka, [axis.record(e) for e in events])
    api.wait(settled(api, want))
    check_views(api, events, want)
    assert httpx.get(api.base + "/portal/dossiers/NO-SUCH", timeout=5).status_code == 404
    once = overdue_records(axis, len(want.overdue))
    # The day lies in the past, so a dossier may also be announced while still in flight
    # (before its result arrives): every announced dossier once, every late one announced.
    assert set(once.values()) == {1}
    assert {n.encode() for n in want.overdue} <= set(once)
    # A clean restart (memory store: tables rebuilt from their changelogs) announces nothing new.
    assert worker.stop() == 0
    start_worker(axis, None, "--metrics-port", str(port))
    api.wait(settled(api, want), timeout_s=25)
    time.sleep(1.5)  # several overdue scans
    assert overdue_records(axis, len(want.overdue)) == once
    check_views(api, events, want)


@pytest.mark.kafka
def test_sigkill_mid_stream_loses_nothing_and_counts_nothing_twice(
    axis: Axis, start_worker: Callable[..., WorkerProcess]
) -> None:
    port = free_port()
    events = mixed_day(seed=23, scale=2)
    want = expected(events)
    axis.create_topics(AGENCIES)
    first = start_worker(axis, None, "--metrics-port", str(port))
    api = Api(port)
    api.wait(lambda: api.get("/ioc/stats")["total"] == 0)
    records = [axis.record(e) for e in events]
    sender = threading.Thread(target=publish, args=(axis.kafka, records, 0.004))
    sender.start()
    api.wait(lambda: sum(r["dossiers"] for r in api.stats("agency").values()) >= 10)
    first.process.kill()  # SIGKILL: no flush, no commit
    first.process.wait()
    start_worker(axis, None, "--metrics-port", str(port))
    sender.join()
    api.wait(settled(api, want), timeout_s=90)
    check_views(api, events, want)
