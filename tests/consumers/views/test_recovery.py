"""The views never lie while a worker recovers, and workers find each other by advertised
address (issues 14 and 17).

After a SIGKILL, every answer of the query API until it is right again is a 503 with
Retry-After: never a total of 0, a 404 for a dossier that exists, or a 500. Two workers
bound to their own loopback addresses reach each other through the addresses they
advertise (one of them behind a port-forwarding proxy, as behind NAT).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import free_port

from ..axis import Axis, WorkerProcess, publish
from .honest import Questions, poll_until_right
from .oracle import expected, mixed_day
from .test_views_e2e import AGENCIES, Api, check_views, settled


def _check_views_or_wait(api: Api, *rest: Any) -> None:
    """``check_views``, asked again while the API honestly answers 503: a rebalance may
    still move a partition after the statistics settled. Any other answer must be right."""
    deadline = time.monotonic() + 120
    while True:
        try:
            check_views(api, *rest)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(1)
        else:
            return


@pytest.fixture(autouse=True)
def views_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_VIEWS_ENABLED", "true")
    monkeypatch.setenv("LIENTHONG_WORKER_SESSION_TIMEOUT_S", "6")


class Proxy:
    """Forwards TCP connections from ``listen`` to ``target`` (a NAT in miniature)."""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self.target = target
        self.connections = 0
        self._server = socket.create_server(listen)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                s.close()

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def proxies() -> Iterator[list[Proxy]]:
    made: list[Proxy] = []
    yield made
    for proxy in made:
        proxy.close()


def start_at(
    start_worker: Callable[..., WorkerProcess],
    axis: Axis,
    monkeypatch: pytest.MonkeyPatch,
    bind: tuple[str, int],
    advertised: tuple[str, int],
) -> WorkerProcess:
    monkeypatch.setenv("LIENTHONG_WORKER_WEB_HOST", bind[0])
    monkeypatch.setenv("LIENTHONG_WORKER_WEB_ADVERTISED_HOST", advertised[0])
    monkeypatch.setenv("LIENTHONG_WORKER_WEB_ADVERTISED_PORT", str(advertised[1]))
    return start_worker(axis, None, "--metrics-port", str(bind[1]))


@pytest.mark.kafka
def test_after_a_sigkill_every_answer_is_right_or_503(
    axis: Axis, start_worker: Callable[..., WorkerProcess]
) -> None:
    port = free_port()
    events = mixed_day(seed=41)
    want = expected(events)
    axis.create_topics(AGENCIES)
    worker = start_worker(axis, None, "--metrics-port", str(port))
    api = Api(port)
    publish(axis.kafka, [axis.record(e) for e in events])
    api.wait(settled(api, want), timeout_s=120)
    questions = Questions(events, want)
    worker.process.kill()
    worker.process.wait()
    start_worker(axis, None, "--metrics-port", str(port))
    poll = poll_until_right(api.base, questions, timeout_s=180)
    print(f"after SIGKILL: right again after {poll.first_right_s}s; answers {dict(poll.kinds)}")
    assert poll.wrong == []
    assert poll.first_right_s is not None
    assert poll.kinds["unavailable"] > 0  # it did say it was recovering


@pytest.mark.kafka
def test_two_workers_by_advertised_address_and_a_dead_peer_gives_503_not_500(
    axis: Axis,
    start_worker: Callable[..., WorkerProcess],
    monkeypatch: pytest.MonkeyPatch,
    proxies: list[Proxy],
) -> None:
    events = mixed_day(seed=43)
    want = expected(events)
    axis.create_topics(AGENCIES)
    port_a, port_b, port_nat = free_port(), free_port(), free_port()
    # B binds 127.0.0.3 and is reached through a proxy at 127.0.0.4: only its advertised
    # address leads to it.
    proxies.append(Proxy(("127.0.0.4", port_nat), ("127.0.0.3", port_b)))
    a = start_at(start_worker, axis, monkeypatch, ("127.0.0.2", port_a), ("127.0.0.2", port_a))
    b = start_at(start_worker, axis, monkeypatch, ("127.0.0.3", port_b), ("127.0.0.4", port_nat))
    api_a, api_b = Api(port_a), Api(port_b)
    api_a.base, api_b.base = f"http://127.0.0.2:{port_a}", f"http://127.0.0.3:{port_b}"
    publish(axis.kafka, [axis.record(e) for e in events])
    api_a.wait(settled(api_a, want), timeout_s=180)
    _check_views_or_wait(api_a, events, want)  # half of it forwarded to B, through the proxy
    _check_views_or_wait(api_b, events, want)  # half of it asked of A, at its advertised address
    assert proxies[0].connections > 0

    questions = Questions(events, want)
    b.process.kill()  # the peer dies: A must say 503 until the group gives it B's part
    b.process.wait()
    poll = poll_until_right(api_a.base, questions, timeout_s=120)
    print(f"peer killed: right again after {poll.first_right_s}s; answers {dict(poll.kinds)}")
    assert poll.wrong == []
    assert poll.first_right_s is not None
    assert a.process.poll() is None


@pytest.mark.kafka
def test_a_worker_joining_later_takes_partitions_and_nothing_is_counted_twice(
    axis: Axis, start_worker: Callable[..., WorkerProcess]
) -> None:
    """The first worker materialized every partition; the one joining takes some away.
    faust's memory store kept the keys written live on the first (it forgets only what
    it recovered), so both counted them until the worker's writes recorded partitions."""
    events = mixed_day(seed=47)
    want = expected(events)
    axis.create_topics(AGENCIES)
    port_a, port_b = free_port(), free_port()
    start_worker(axis, None, "--metrics-port", str(port_a))
    api_a, api_b = Api(port_a), Api(port_b)
    publish(axis.kafka, [axis.record(e) for e in events])
    api_a.wait(settled(api_a, want), timeout_s=180)
    start_worker(axis, None, "--metrics-port", str(port_b))
    questions = Questions(events, want)
    api_b.wait(lambda: bool(api_b.get("/ioc/stats")), timeout_s=180)  # B is serving
    for base in (api_a.base, api_b.base):
        poll = poll_until_right(base, questions, timeout_s=120)
        assert poll.wrong == []
        assert poll.first_right_s is not None
    _check_views_or_wait(api_a, events, want)
    _check_views_or_wait(api_b, events, want)
