"""Fuzz every door of the axis with generated inputs; count crashes, 5xx, unexplained.

Run: .venv/bin/python bench/fuzz.py                 (10⁵ inputs, a few minutes per 10⁴)
     .venv/bin/python bench/fuzz.py --inputs 5000 --seed 7 --no-kafka

Target (issue 14): 10⁵ inputs, 0 crashes, 0 5xx, 0 unexplained rejections. The inputs:

- 70 % generated events (tests/fuzz/values.py) through the contracts (Avro dict and the
  gateway's JSON parser), the codec (SDK encoder, or fastavro straight as a system
  writing to Kafka itself), the gate, and each view's apply and query functions;
- 18 % generated events POSTed to the gateway (single and batch) in-process;
- 10 % raw HTTP requests with a mangled method, path, version, header or framing, on
  sockets to the gateway (7 %) and the console (3 %) under uvicorn, for the HTTP layer;
- 2 % requests drawn by schemathesis from the gateway's OpenAPI document (valid and
  invalid by the schema);
- with a broker (skip with --no-kafka): 5 % requests generated from the routes of a
  worker's query API (tests/fuzz/query_api.py), 2 % raw HTTP requests to the registry.

A crash is an exception a stage does not promise (or the gate's internal_error); an
unexplained rejection is a refusal that names no reason, or an error not in JSON. Each
is printed once with an example; the last line is the tally.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Appended, not first: `lienthong` must come from the install (its folders map there).
sys.path.append(str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Verbosity, given, settings
from starlette.testclient import TestClient

from bench._common import free_port, interpreter
from lienthong.connectors.kafka import KafkaSettings
from lienthong.console import ConsoleSettings
from lienthong.console import create_app as console_app
from tests.fuzz.http import exchange, gateway_body, judge, raw_request
from tests.fuzz.pipeline import EventPipeline, Tally
from tests.fuzz.query_api import get_request, query_path
from tests.fuzz.values import mutated_event
from tests.producers.events import AGENCY
from tests.producers.memory_gateway import MemoryGateway, memory_gateway
from tests.web.serving import served

SHARES = {"events": 0.64, "gateway": 0.18, "raw-gateway": 0.06, "raw-console": 0.03}
KAFKA_SHARES = {"query-api": 0.05, "raw-registry": 0.02}  # need a broker (--no-kafka: events)


def _progress(name: str, tally: Tally, every: int = 5000) -> None:
    if tally.inputs % every == 0:
        print(f"  {name}: {tally.line()}", file=sys.stderr, flush=True)


def fuzz_events(count: int, rng: random.Random) -> Tally:
    pipeline, tally = EventPipeline(), Tally()
    for _ in range(count):
        tally.add(*pipeline.check(*mutated_event(rng)))
        _progress("events", tally)
    return tally


def fuzz_gateway_bodies(gw: MemoryGateway, count: int, rng: random.Random) -> Tally:
    client, tally = TestClient(gw.app, raise_server_exceptions=False), Tally()
    auth = {"Authorization": f"Bearer {gw.key}", "Content-Type": "application/json"}
    for _ in range(count):
        path, body = gateway_body(rng, gw.agency)
        response = client.post(path, content=body, headers=auth)
        tally.add(
            *judge(
                response.status_code,
                response.headers.get("content-type", ""),
                response.content,
                f"POST {path}",
            )
        )
        _progress("gateway", tally)
    return tally


def fuzz_raw(port: int, token: str, count: int, rng: random.Random, name: str) -> Tally:
    tally = Tally()
    for _ in range(count):
        raw = raw_request(rng, token)
        what = raw.split(b"\r\n", 1)[0][:80].decode("latin-1")
        got = exchange(port, raw)
        if got is None:
            tally.add("unexplained", f"{name}: {what!r} → no answer (closed or hung)")
        else:
            tally.add(*judge(*got, what=f"{name}: {what!r}", head=raw.startswith(b"HEAD ")))
        _progress(name, tally)
    return tally


def _content_type(response: Any) -> str:
    value = response.headers.get("content-type", "")
    return str(value[0] if isinstance(value, list) and value else value)


def _openapi_plan(gw: MemoryGateway, op: Any, mode: Any, count: int, tally: Tally) -> None:
    """``count`` cases of one operation in one mode (valid or invalid by the schema)."""
    label = f"{op.label} ({mode.value})"

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @given(op.as_strategy(generation_mode=mode))
    def one(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {gw.key}"})
        head = case.method.upper() == "HEAD"
        tally.add(
            *judge(
                response.status_code, _content_type(response), response.content, label, head=head
            )
        )

    one()


def _operation(result: Any) -> Any:
    try:
        return result.ok()
    except Exception:  # an operation schemathesis cannot read: said below
        print(f"  schemathesis cannot read an operation: {result!r}", file=sys.stderr)
        return None


def fuzz_query_api(
    port: int, reader: tuple[str, str], routes: list[str], count: int, rng: random.Random
) -> Tally:
    tally = Tally()
    for _ in range(count):
        target = query_path(rng, routes)
        # Mostly as an IOC reader (the handlers behind the door), sometimes anonymous.
        got = exchange(port, get_request(target, reader if rng.random() < 0.9 else None))
        if got is None:
            tally.add("unexplained", f"query API: GET {target[:120]!r} → no answer")
        else:
            tally.add(*judge(*got, what=f"query API: GET {target[:120]!r}"))
        _progress("query-api", tally)
    return tally


@contextmanager
def query_api(folder: Path) -> Iterator[tuple[int, int, tuple[str, str], list[str]]]:
    """A broker, a registry and a worker with its views: (registry port, API port, an IOC
    reader's credentials, routes)."""
    from bench._common import bench_operator, local_kafka  # noqa: PLC0415
    from lienthong.registry import RegistryServer, RegistrySettings  # noqa: PLC0415
    from lienthong.schemas.access import Role  # noqa: PLC0415

    agencies, reader = bench_operator(folder, "fuzz-reader", Role.IOC_READER)

    with (
        local_kafka(folder) as kafka,
        RegistryServer(kafka, RegistrySettings(port=0, topic="fuzz._schemas")) as registry,
    ):
        port = free_port()
        env = os.environ | {
            "LIENTHONG_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "LIENTHONG_REGISTRY_URL": registry.url,
            "LIENTHONG_VIEWS_ENABLED": "true",
            "LIENTHONG_AGENCIES_FILE": str(agencies),
            "LIENTHONG_WORKER_DATA_DIR": str(folder / "worker-data"),
        }
        args = [sys.executable, "-P", "-c", "from lienthong.cli import main; main()", "worker",
                "--prefix", "fuzz", "--app-id", "fuzz-worker", "--store", "memory",
                "--metrics-port", str(port), "--log-level", "error",
                "--agency", AGENCY]  # fmt: skip
        with (folder / "worker.log").open("wb") as log:
            # cwd: not the repository, whose lienthong/ folder would shadow the install.
            worker = subprocess.Popen(
                args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder
            )
            try:
                _wait_answering(port, worker, reader)
                # After the worker: it made the axis's ingress topics the routes' app needs.
                yield registry.port, port, reader, worker_routes(kafka, registry.url)
            finally:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()


def worker_routes(kafka: KafkaSettings, registry_url: str) -> list[str]:
    """Every path the worker's web app serves (its views' pages and faust's own)."""
    from lienthong.consumers.worker import WorkerSettings, create_worker  # noqa: PLC0415
    from lienthong.schemas.registry_client import RegistryClient  # noqa: PLC0415

    os.environ["LIENTHONG_VIEWS_ENABLED"] = "true"
    worker = create_worker(
        WorkerSettings(topic_prefix="fuzz", app_id="fuzz-routes", agencies=[AGENCY]),
        kafka,
        registry=RegistryClient(registry_url),
    )
    return sorted(worker.app.web.views)


def _wait_answering(
    port: int, worker: subprocess.Popen[bytes], reader: tuple[str, str], timeout_s: float = 180
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited with {worker.returncode} before serving")
        try:
            answer = exchange(port, get_request("/ioc/stats", reader), timeout_s=5)
            if answer is not None and answer[0] == 200:  # settled: no 503 "recovering"
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the worker's query API did not answer in time")


def fuzz_openapi(gw: MemoryGateway, count: int) -> Tally:
    import schemathesis  # noqa: PLC0415
    from schemathesis import GenerationMode  # noqa: PLC0415

    schema = schemathesis.openapi.from_asgi("/openapi.json", gw.app)
    operations = [op for result in schema.get_all_operations() if (op := _operation(result))]
    plans = [(op, mode) for op in operations for mode in GenerationMode]
    tally = Tally()
    while plans and tally.inputs < count:
        op, mode = plans.pop(0)
        before = tally.inputs
        try:
            _openapi_plan(gw, op, mode, max(1, (count - tally.inputs) // (len(plans) + 1)), tally)
        except Exception as exc:  # e.g. no invalid request exists for it
            print(f"  schemathesis: {op.label} {mode.value}: {type(exc).__name__}", file=sys.stderr)
        if tally.inputs > before:
            plans.append((op, mode))  # it can give more, if the others fall short
    return tally


@contextmanager
def quiet() -> Iterator[None]:
    # Refusals before the app are logged as warnings, one per input: not news here.
    for name in ("lienthong.web", "uvicorn.error", "lienthong.audit"):
        logging.getLogger(name).setLevel(logging.ERROR)
    yield


def _kind(detail: str) -> str:
    """What a finding is, without the generated input: where and what came back."""
    where = detail.split(":", 1)[0]
    answer = detail.rsplit(" → ", 1)[-1] if " → " in detail else detail.split(":", 2)[-1]
    return f"{where}: {answer[:70]}"


def report(name: str, tally: Tally, seconds: float, examples: int = 8) -> None:
    print(
        f"{name:<12} {tally.line()}  ({tally.accepted} accepted, {tally.refused} refused, "
        f"{seconds:.0f} s)"
    )
    for kind, found in (
        ("crash", tally.crashes),
        ("5xx", tally.server_errors),
        ("unexplained", tally.unexplained),
    ):
        groups: dict[str, list[str]] = {}
        for detail in found:
            groups.setdefault(_kind(detail), []).append(detail)
        ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))
        for key, details in ranked[:examples]:
            print(f"  {kind} x{len(details)}: {key}\n      e.g. {details[0][:240]}")
        if len(ranked) > examples:
            rest = sum(len(d) for _, d in ranked[examples:])
            print(f"  {kind}: {rest} more in {len(ranked) - examples} other groups")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inputs", type=int, default=100_000, help="total inputs (10⁵)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generators")
    parser.add_argument(
        "--no-kafka",
        action="store_true",
        help="skip the query API and the registry (they need a broker: Java); events instead",
    )
    args = parser.parse_args()
    print(
        f"interpreter: {interpreter()}; seed {args.seed}; load is not controlled: "
        "the machine is shared, so the seconds below are indicative only"
    )
    rng = random.Random(args.seed)
    shares = SHARES if args.no_kafka else SHARES | KAFKA_SHARES
    counts = {name: int(args.inputs * share) for name, share in shares.items()}
    counts["openapi"] = (
        args.inputs
        - sum(counts.values())
        - (int(args.inputs * sum(KAFKA_SHARES.values())) if args.no_kafka else 0)
    )
    counts["events"] += args.inputs - sum(counts.values())  # --no-kafka: their share
    total = Tally()

    def run(name: str, work: Callable[[], Tally]) -> None:
        began = time.perf_counter()
        tally = work()
        report(name, tally, time.perf_counter() - began)
        total.merge(tally)

    with quiet(), tempfile.TemporaryDirectory() as home:
        folder = Path(home)
        console = console_app(KafkaSettings(), ConsoleSettings(port=0))
        with (
            memory_gateway(folder, rate_per_s=1e9, burst=10**9) as gw,
            served(gw.app) as gw_port,
            served(console) as console_port,
        ):
            run("events", lambda: fuzz_events(counts["events"], rng))
            run("gateway", lambda: fuzz_gateway_bodies(gw, counts["gateway"], rng))
            run(
                "raw-gateway",
                lambda: fuzz_raw(gw_port, gw.key, counts["raw-gateway"], rng, "gateway"),
            )
            run(
                "raw-console",
                lambda: fuzz_raw(console_port, "", counts["raw-console"], rng, "console"),
            )
            run("openapi", lambda: fuzz_openapi(gw, counts["openapi"]))
        if not args.no_kafka:
            with query_api(folder) as (registry_port, api_port, reader, routes):
                print(f"query API routes: {', '.join(routes)}")
                run(
                    "query-api",
                    lambda: fuzz_query_api(api_port, reader, routes, counts["query-api"], rng),
                )
                run(
                    "raw-registry",
                    lambda: fuzz_raw(registry_port, "", counts["raw-registry"], rng, "registry"),
                )
        if total.inputs < args.inputs:  # schemathesis gave fewer: more events instead
            run("events+", lambda: fuzz_events(args.inputs - total.inputs, rng))
    print(total.line())
    sys.exit(0 if total.clean else 1)


if __name__ == "__main__":
    main()
