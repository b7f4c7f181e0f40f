"""`lienthong demo` comes up, shows live figures on the console, and stops cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from lienthong.connectors.kafka import KafkaSettings
from lienthong.provision import kafka_env

CONSOLE = "http://127.0.0.1:8090"


def _admin(log: Path) -> tuple[str, str] | None:
    """The admin's credentials, as the demo prints them."""
    found = re.search(r"sign in as admin / (\S+);", log.read_text(errors="replace"))
    return ("admin", found.group(1)) if found else None


def _live_figures(admin: tuple[str, str] | None) -> dict[str, object] | None:
    if admin is None:
        return None
    try:
        overview = httpx.get(f"{CONSOLE}/api/overview", timeout=2, auth=admin).json()
    except httpx.HTTPError:
        return None
    rates = overview.get("throughput", {})
    live = rates.get("in", 0) > 0 and rates.get("out", 0) > 0 and overview["deadletter_total"] > 0
    return overview if live else None


def test_demo_serves_live_figures_within_a_minute_and_stops_cleanly(
    kafka_settings: KafkaSettings, schema_registry_url: str, tmp_path: Path
) -> None:
    env = os.environ | kafka_env(kafka_settings)
    log = (tmp_path / "demo.log").open("wb")
    demo = subprocess.Popen(
        [sys.executable, "-P", "-c", "from lienthong.cli import main; main()", "demo",
         "--home", str(tmp_path / "home"), "--duration", "300"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    began = time.monotonic()
    try:
        overview = None
        while overview is None and time.monotonic() - began < 60 and demo.poll() is None:
            overview = _live_figures(_admin(tmp_path / "demo.log"))
            time.sleep(1)
        assert overview is not None, (tmp_path / "demo.log").read_text()
        # The Security panel shows the deliberate bad actor's refusals.
        admin = _admin(tmp_path / "demo.log")
        seen: set[tuple[str, str]] = set()
        wanted = {("REQUEST_REFUSED", "agency:STP"), ("AUTH_FAILED", "key:000000000000 (claimed)")}
        while time.monotonic() - began < 120 and not wanted <= seen:
            events = httpx.get(f"{CONSOLE}/api/security", timeout=5, auth=admin).json()["events"]
            seen = {(e["action"], e["actor"]) for e in events}
            time.sleep(1)
        assert wanted <= seen, seen
    finally:
        demo.send_signal(signal.SIGINT)
        code = demo.wait(timeout=60)
        log.close()
    output = (tmp_path / "demo.log").read_text()
    assert code == 0, output
    assert "Everything the demo started has stopped" in output
    left = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "home")], capture_output=True, text=True, check=False
    )
    assert left.stdout == "", left.stdout
    for url in ("http://127.0.0.1:8080/healthz", f"{CONSOLE}/healthz"):
        try:
            httpx.get(url, timeout=1)
        except httpx.HTTPError:
            continue
        raise AssertionError(f"{url} still answers after the demo stopped")
