"""How long the query API is not right after a worker is SIGKILLed, by session timeout.

Starts its own Kafka broker and schema registry. For each session timeout (faust's
default of 60 s first: the baseline, same run) it starts a worker subprocess (memory
store, views on), publishes a realistic day (~1,000 events), waits until the API shows
it exactly, then:

- restart: SIGKILLs the worker and starts a new one on the same port;
- peer: with two workers, SIGKILLs one and asks the survivor;

and polls ``/ioc/stats`` and a sample of dossiers every ~0.2 s until three rounds in a
row are right. It prints the seconds until right again, and what was answered meanwhile:
``right``, ``unavailable`` (503 with Retry-After), ``no_connection`` (the new process is
not listening yet) and ``wrong`` (a wrong 0, 404 or 500: must be 0).

    .venv/bin/python -m bench.bench_recovery [--timeouts 60,10,6]
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

from bench._common import free_port, interpreter, run_on_local_axis
from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import TopicLayout
from lienthong.producers import EventEncoder
from lienthong.schemas.registry_client import RegistryClient
from tests.consumers.axis import Axis, WorkerProcess, publish
from tests.consumers.views.honest import Poll, Questions, poll_until_right
from tests.consumers.views.oracle import expected, mixed_day
from tests.consumers.views.test_views_e2e import AGENCIES, Api, settled


def _timeouts() -> list[float]:
    if "--timeouts" in sys.argv:
        return [float(s) for s in sys.argv[sys.argv.index("--timeouts") + 1].split(",")]
    return [60.0, 10.0, 6.0]


def _axis(kafka: KafkaSettings, registry_url: str) -> Axis:
    prefix = "bench" + uuid.uuid4().hex[:6]
    registry = RegistryClient(registry_url)
    return Axis(
        kafka=kafka,
        layout=TopicLayout(prefix),
        registry_url=registry_url,
        registry=registry,
        encoder=EventEncoder(registry),
        app_id=f"{prefix}.worker",
    )


def _case(
    kafka: KafkaSettings, registry_url: str, logs: Path, session_s: float, workers: int
) -> Poll:
    os.environ["LIENTHONG_VIEWS_ENABLED"] = "true"
    os.environ["LIENTHONG_WORKER_SESSION_TIMEOUT_S"] = str(session_s)
    axis = _axis(kafka, registry_url)
    axis.create_topics(AGENCIES)
    ports = [free_port() for _ in range(workers)]
    started: list[WorkerProcess] = []

    def start(port: int) -> WorkerProcess:
        log = logs / f"{axis.layout.prefix}-{len(started)}.log"
        worker = WorkerProcess(axis, None, log, "--metrics-port", str(port))
        started.append(worker)
        return worker

    try:
        for port in ports:
            start(port)
        events = mixed_day(seed=51)
        want = expected(events)
        api = Api(ports[0])
        publish(kafka, [axis.record(e) for e in events])
        api.wait(settled(api, want), timeout_s=300)
        for port in ports[1:]:  # every worker has joined and holds its partitions
            peer = Api(port)
            peer.wait(settled(peer, want), timeout_s=300)
        questions = Questions(events, want)
        victim = started[-1]
        victim.process.kill()
        victim.process.wait()
        if workers == 1:
            start(ports[0])
        return poll_until_right(api.base, questions, timeout_s=300)
    except AssertionError:
        for worker in started:
            print(f"--- {worker.log.name}:\n{worker.output()[-2000:]}", file=sys.stderr)
        raise
    finally:
        for worker in started:
            worker.stop()
        axis.registry.close()


def run(kafka: KafkaSettings, registry_url: str, _home: Path, _wanted: int) -> None:
    print(f"interpreter: {interpreter()}; {os.cpu_count()} CPUs (shared; figures are noisy)")
    print(f"{'case':34} {'right again':>12}  answers meanwhile")
    cases = [
        (f"{name}, session {session_s:g} s", session_s, workers)
        for session_s in _timeouts()
        for workers, name in ((1, "SIGKILL + restart"), (2, "SIGKILL one of two"))
    ]
    with tempfile.TemporaryDirectory() as logs:
        for label, session_s, workers in cases:
            poll = _case(kafka, registry_url, Path(logs), session_s, workers)
            took = "never" if poll.first_right_s is None else f"{poll.first_right_s:.1f} s"
            print(f"{label:34} {took:>12}  {dict(poll.kinds)}", flush=True)
            for wrong in poll.wrong[:3]:
                print(f"    wrong: {wrong}")


def main() -> None:
    run_on_local_axis(run)


if __name__ == "__main__":
    main()
