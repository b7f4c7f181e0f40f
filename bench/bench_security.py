"""What SASL/SCRAM and TLS cost the SDK per event, against plaintext, in one run.

Run: .venv/bin/python bench/bench_security.py [--events 20000] [--rounds 5]

Starts two local brokers of its own (temp dir, free ports, the same JVM settings): one
plaintext, one secured (SCRAM-SHA-512 on SASL_PLAINTEXT, SASL_SSL with a local CA, ACLs
enforced). On the secured one it provisions one agency (``lienthong agencies
provision``'s code) and publishes as that agency, so every request is also authorized
against its ACLs. The same dossier.lifecycle events go through the SDK
(``publish_async``, the SDK's 128 KiB batches) over PLAINTEXT, SASL_PLAINTEXT and
SASL_SSL, on the kafka-python transport and, when confluent-kafka is installed, on
librdkafka. Rounds are interleaved (plaintext, SASL, TLS, then again); each figure is
the best of ``--rounds``: wall-clock events/s and this process's CPU µs per event. The
cost of security is the difference in CPU µs per event from plaintext in the same run.
The brokers' own share of TLS is in the wall clock only; on a shared 2-core machine the
wall clock also measures the neighbours, so read the CPU column first.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))

from bench._common import bench_registry, free_port, interpreter
from bench.bench_producers import SDK_BATCH, Run, Transport, bench_sdk, events
from lienthong.broker import LocalBroker
from lienthong.connectors.kafka import KafkaSettings, TopicSpec, ensure_topics
from lienthong.provision import (
    AxisNames,
    credential_path,
    provision,
    read_credential,
)
from lienthong.schemas.access import AccessFile, Agency, kafka_principal
from lienthong.schemas.models import DossierLifecycle
from lienthong.settings import LocalBrokerSettings

AGENCY = "000.00.00.H30"
EVENT = "dossier.lifecycle"


def _broker(home: Path, *, secure: bool) -> LocalBroker:
    return LocalBroker(
        LocalBrokerSettings(
            home=home / ("secure" if secure else "plain"),
            port=free_port(),
            controller_port=free_port(),
            tls_port=free_port(),
            secure=secure,
        ),
        credentials_dir=home / "credentials",
    )


def _agency_settings(broker: LocalBroker, home: Path) -> dict[str, KafkaSettings]:
    """The agency's SASL_PLAINTEXT and SASL_SSL settings, provisioned as the admin would."""
    access = AccessFile(agencies=[Agency(code=AGENCY, publish=[EVENT])])
    folder = home / "credentials"
    provision(access, broker.client_settings(), folder, AxisNames())
    sasl = read_credential(credential_path(folder, kafka_principal(AGENCY)))
    tls = sasl.model_copy(
        update={"bootstrap_servers": broker.tls_bootstrap, "security_protocol": "SASL_SSL"}
    )
    return {"SASL_PLAINTEXT": sasl, "SASL_SSL": tls}


def _transports() -> tuple[Transport, ...]:
    try:
        import confluent_kafka  # noqa: F401, PLC0415
    except ImportError:
        return ("kafka-python",)
    return ("kafka-python", "librdkafka")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5, help="best of N for every figure")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lienthong-bench-security-"))
    print(f"interpreter: {interpreter()}")
    print(f"machine: {os.cpu_count()} cores; starting two local brokers in {home} ...")
    plain, secure = _broker(home, secure=False), _broker(home, secure=True)
    try:
        plain.start()
        secure.start()
        clusters = {"PLAINTEXT": plain.client_settings(), **_agency_settings(secure, home)}
        with bench_registry(clusters["PLAINTEXT"], home) as registry_url:
            typed = events(AGENCY, args.events)
            topic = AxisNames().layout.ingress(AGENCY, EVENT)
            for admin in (plain.client_settings(), secure.client_settings()):
                ensure_topics(admin, [TopicSpec(topic, 3)])
            print(f"events: {args.events} {EVENT}, {len(clusters)} protocols, 100 keys\n")
            gc.freeze()
            _measure(clusters, registry_url, typed, home, args.rounds)
    finally:
        secure.stop()
        plain.stop()


def _measure(
    clusters: dict[str, KafkaSettings],
    registry_url: str,
    typed: list[DossierLifecycle],
    home: Path,
    rounds: int,
) -> None:
    for transport in _transports():
        best: dict[str, Run] = {}
        cpu: dict[str, list[float]] = {name: [] for name in clusters}
        for n in range(rounds):
            for name, kafka in clusters.items():
                spool = home / f"spool-{transport}-{name}-{n}"
                run = bench_sdk(kafka, registry_url, typed, spool, SDK_BATCH, transport)
                best[name] = best[name].best(run) if name in best else run
                cpu[name].append(run.cpu_us)
        base = best["PLAINTEXT"]
        print(f"SDK publish_async on {transport}, {SDK_BATCH // 1024} KiB batches:")
        for name, run in best.items():
            extra = run.cpu_us - base.cpu_us
            median = statistics.median(cpu[name])
            print(
                f"  {name:<15} {run.rate:9,.0f} events/s  {run.cpu_us:6.1f} CPU µs/event "
                f"(median {median:5.1f}; {extra:+5.1f} µs, {100 * extra / base.cpu_us:+4.0f} % "
                f"vs plaintext; {100 * run.rate / base.rate:4.0f} % of its events/s)"
            )
        print()


if __name__ == "__main__":
    main()
