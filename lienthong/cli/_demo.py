"""``lienthong demo``: the whole axis on this machine, fed by simulated agencies."""

from __future__ import annotations

import itertools
import secrets
import shutil
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from pydantic import SecretStr
from rich.console import Console

from lienthong.auth import Sessions
from lienthong.broker import LocalBroker
from lienthong.cli._schemas import register_all
from lienthong.connectors.kafka import KafkaSettings
from lienthong.demo import (
    INTRUDER_AGENCY,
    DemoIdentities,
    Feed,
    Intruder,
    Service,
    write_demo_identities,
)
from lienthong.demo.simulation import (
    CASE_AGENCIES,
    DOCUMENT_AGENCY,
    DOSSIER_AGENCY,
    FEEDBACK_AGENCY,
)
from lienthong.producers import Publisher, PublisherSettings
from lienthong.provision import kafka_env
from lienthong.schemas.access import load_access
from lienthong.schemas.registry_client import RegistryClient
from lienthong.settings import LocalBrokerSettings

console = Console()
AGENCIES = (DOSSIER_AGENCY, *CASE_AGENCIES, FEEDBACK_AGENCY, DOCUMENT_AGENCY, INTRUDER_AGENCY)
URLS = {
    "registry": "http://127.0.0.1:8081",
    "gateway": "http://127.0.0.1:8080",
    "worker": "http://127.0.0.1:6066",
    "console": "http://127.0.0.1:8090",
}
ROUTES = """\
# Demo routing: who downstream gets what (see `lienthong routes check`).
version: 1
rules:
  - name: ioc-sees-everything
    match: {}
    to: [ioc]
  - name: portal-follows-dossiers
    match: {event_type: [dossier.lifecycle, dossier.progress]}
    to: [citizen-portal]
  - name: disease-map
    match: {event_type: [case.epidemic, case.quarantine_zone]}
    to: [epidemic-map]
"""


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _services(
    home: Path, kafka: KafkaSettings, identities: DemoIdentities, session_secret: str
) -> list[Service]:
    env = {
        # The whole client setting, so the demo also runs on a secured broker.
        **kafka_env(kafka),
        "LIENTHONG_REGISTRY_URL": URLS["registry"],
        "LIENTHONG_AGENCIES_FILE": str(identities.path),
        "LIENTHONG_GATEWAY_IDEMPOTENCY_PATH": str(home / "idempotency.sqlite3"),
        "LIENTHONG_GATEWAY_SPOOL_PATH": str(home / "gateway-spool.sqlite3"),
    }
    rules = home / "routes.yaml"
    rules.write_text(ROUTES, encoding="utf-8")
    agencies = [arg for a in AGENCIES for arg in ("--agency", a)]
    return [
        Service("registry", ["registry"], f"{URLS['registry']}/readyz", home / "registry.log", env),
        Service(
            "worker",
            ["worker", "--rules", str(rules), "--store", "memory", "--metrics-port", "6066",
             "--app-id", "lienthong-demo", *agencies],
            f"{URLS['worker']}/metrics",
            home / "worker.log",
            env | {"LIENTHONG_VIEWS_ENABLED": "true"},
        ),
        Service("gateway", ["gateway"], f"{URLS['gateway']}/healthz", home / "gateway.log", env),
        Service("console", ["console"], f"{URLS['console']}/healthz", home / "console.log",
                env | {"LIENTHONG_CONSOLE_VIEWS_USERNAME": "console",
                       "LIENTHONG_CONSOLE_VIEWS_PASSWORD": identities.console_password,
                       "LIENTHONG_CONSOLE_SESSION_SECRET": session_secret}),
    ]  # fmt: skip


def demo(
    duration: Annotated[
        float | None,
        typer.Option(help="Stop by itself after this many seconds (default: until Ctrl-C)."),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(help="Logs, keys and spools, wiped first (default ~/.lienthong/demo)."),
    ] = None,
) -> None:
    """Run the whole axis with simulated agencies: broker, schema registry, worker,
    ingestion gateway and console, fed with realistic dossiers, case reports, feedback
    and documents from the reference data, including a small share of bad input.

    Open the console URL it prints; Ctrl-C stops every process it started.
    """
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    home = home or Path.home() / ".lienthong" / "demo"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    kafka = KafkaSettings()
    broker = LocalBroker(LocalBrokerSettings())
    started_broker = kafka.bootstrap_servers == broker.bootstrap and broker.pid() is None
    identities = write_demo_identities(home / "agencies.yaml")
    session_secret = secrets.token_urlsafe(32)
    services = _services(home, kafka, identities, session_secret)
    feed: Feed | None = None
    intruder: Intruder | None = None
    publisher: Publisher | None = None
    try:
        if started_broker:
            with console.status("Starting the Kafka broker..."):
                broker.start()
        with console.status("Starting registry, worker, gateway and console..."):
            for service in services:
                service.start()
            services[0].wait_ready()
            admin = ("admin", identities.admin_password)
            with RegistryClient(URLS["registry"], auth=admin) as registry:
                register_all(registry, load_access(identities.path))
            for service in services[1:]:
                service.wait_ready()
        publisher = Publisher(kafka, PublisherSettings(spool_path=home / "sdk-spool.sqlite3"))
        feed = Feed(kafka, publisher, URLS["gateway"], identities.gateway_key)
        intruder = Intruder(URLS, identities.intruder_key)
        _print_urls(identities, session_secret, home)
        _run(feed, intruder, duration)
    except KeyboardInterrupt:
        pass
    finally:
        console.print("Stopping...")
        if feed is not None:
            feed.close()
        if intruder is not None:
            intruder.close()
        if publisher is not None:
            publisher.close()
        for service in reversed(services):
            service.stop()
        if started_broker:
            broker.stop()
        if feed is not None:
            c = feed.counts
            console.print(
                f"Sent {c.gateway} events through the gateway, {c.sdk} with the SDK and "
                f"{c.broken} broken records; the intruder was refused "
                f"{intruder.refused if intruder else 0} times. Everything the demo started "
                "has stopped."
            )


def _print_urls(identities: DemoIdentities, session_secret: str, home: Path) -> None:
    link = Sessions(SecretStr(session_secret)).login_token("admin", lifetime_s=3600)
    console.print("[bold green]The axis is running.[/] Open:")
    console.print(
        f"  console (administrators)  {URLS['console']}/login?token={link}", soft_wrap=True
    )
    console.print(f"    (or sign in as admin / {identities.admin_password}; the link lasts 1 h)")
    console.print(f"  gateway API docs          {URLS['gateway']}/docs")
    console.print(f"  schema registry           {URLS['registry']}/subjects")
    console.print(f"  IOC statistics (views)    {URLS['worker']}/ioc/stats?by=status")
    console.print(f"  worker metrics            {URLS['worker']}/metrics")
    console.print(f"Logs in {home}. Ctrl-C stops everything.")


def _run(feed: Feed, intruder: Intruder, duration: float | None) -> None:
    ends = time.monotonic() + duration if duration is not None else None
    for second in itertools.count():
        if ends is not None and time.monotonic() >= ends:
            return
        began = time.monotonic()
        feed.step()
        if second % 3 == 2:  # the intruder tries something every few seconds
            intruder.step(feed.last_dossier)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))
