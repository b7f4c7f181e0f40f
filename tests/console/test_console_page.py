"""The console in headless Chromium: real figures, and the dead letters this test caused."""

from __future__ import annotations

import dataclasses
import html
import os
import random
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from lienthong.console import ConsoleSettings, create_app
from lienthong.schemas.access import Role
from lienthong.schemas.framing import header
from lienthong.schemas.reference import agencies
from tests.conftest import free_port
from tests.consumers.axis import Axis, Raw, WorkerProcess, publish
from tests.consumers.day import DOSSIER_AGENCY, dossier_events
from tests.identities import Identities

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("LIENTHONG_TEST_ARTIFACTS", "build/test-artifacts"))


@pytest.fixture
def views_port() -> int:
    return free_port()


OPERATOR = ("console-op", "console-operator-password")


@pytest.fixture
def console_url(axis: Axis, views_port: int, identities: Identities) -> Iterator[str]:
    port = free_port()
    reader, password = identities.query_reader()
    identities.operator(OPERATOR[0], Role.OPERATOR, password=OPERATOR[1])
    settings = ConsoleSettings(
        port=port,
        topic_prefix=axis.layout.prefix,
        refresh_s=0.5,
        views_url=f"http://127.0.0.1:{views_port}",
        views_username=reader,
        views_password=SecretStr(password),
        registry_url=axis.registry_url,
    )
    app = create_app(axis.kafka, settings, access=identities.watcher())
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    token = app.state.auth.sessions.login_token(OPERATOR[0])
    yield f"{url}/login?token={token}"  # what Chromium opens: signed in, then the page
    server.should_exit = True
    thread.join(timeout=15)


def _broken(axis: Axis, good: Raw) -> list[Raw]:
    return [
        dataclasses.replace(good, key=b"console-truncated", value=(good.value or b"")[:30]),
        dataclasses.replace(good, key=b"console-unknown", value=header(987_654) + b"\x00"),
    ]


def _chromium(url: str, *args: str, profile: Path) -> str:
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", "--window-size=1400,1000",
            "--virtual-time-budget=4000", *args, url,
        ],
        capture_output=True, text=True, timeout=90, check=True,
    )  # fmt: skip
    return result.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run does)")
def test_console_shows_throughput_and_our_dead_letters(
    axis: Axis,
    start_worker: Callable[..., WorkerProcess],
    console_url: str,
    views_port: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    axis.create_topics([DOSSIER_AGENCY])
    monkeypatch.setenv("LIENTHONG_VIEWS_ENABLED", "true")  # the IOC panel reads the views
    start_worker(axis, None, "--metrics-port", str(views_port))
    events = [axis.record(e) for e in dossier_events(random.Random(5), 240)]
    publish(axis.kafka, _broken(axis, events[0]))
    # Keep events flowing while the page is read, so the rates are live, not zero.
    feeder = threading.Thread(target=publish, args=(axis.kafka, events, 0.04), daemon=True)
    feeder.start()

    base = console_url.split("/login", maxsplit=1)[0]
    api = httpx.Client(base_url=base, auth=OPERATOR, timeout=30)
    # A request the console refuses, to be seen on the Security panel.
    assert httpx.post(f"{base}/api/deadletters/replay", json={"reason": "x"}).status_code == 401
    overview: dict[str, Any] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        overview = api.get("/api/overview").json()
        ioc = api.get("/api/ioc").json()
        live = overview["deadletter_total"] >= 2 and overview["throughput"].get("in", 0)
        if live and ioc["available"] and ioc["data"]["dossiers"]:
            break
        time.sleep(0.3)
    assert overview["deadletter_total"] >= 2, overview

    # The console keeps the last hour itself: a few refreshes make a non-zero "in" series.
    deadline = time.monotonic() + 30
    series: dict[str, Any] = {}
    while time.monotonic() < deadline:
        series = api.get("/api/series").json()["series"]
        latency = any(name.startswith("e2e_p99:") for name in series)
        if sum(1 for _, v in series.get("in", []) if v > 0) >= 2 and latency:
            break
        time.sleep(0.5)
    assert any(v > 0 for _, v in series["in"]), series
    assert any(name.startswith("reason:") for name in series), series
    assert any(name.startswith("e2e_p99:") for name in series), series  # from the worker

    dom = _chromium(console_url, "--dump-dom", profile=tmp_path / "profile")
    # The charts are drawn: a line for "in" with several points, and one per reason.
    line = re.search(r'<polyline data-series="in"[^>]* points="([^"]+)"', dom)
    assert line is not None, dom
    assert len(line.group(1).split()) >= 2
    assert 'data-series="reason:truncated_payload"' in dom
    rate_in = re.search(r'id="rate-in">([^<]+)<', dom)
    assert rate_in is not None
    assert rate_in.group(1) not in ("–", "0")
    assert "truncated_payload" in dom
    assert "unknown_schema_id" in dom
    # The IOC panel shows dossiers by status from the views (labels from the status table).
    assert re.search(r'<tbody id="ioc-status"><tr><td>\d+ [^<]+</td><td>[1-9]', dom), dom
    # The agency's health row counts the refusals this test caused against it, labelled
    # from the reference table; the rows are the reference's agencies, one to one.
    name = next(a.name for a in agencies() if a.code == DOSSIER_AGENCY)
    row = rf'<tr data-code="{DOSSIER_AGENCY}"><td>{re.escape(name)}</td><td>{DOSSIER_AGENCY}</td>'
    assert re.search(row + r"<td>[\d.]+</td><td>2</td>", dom), dom
    body = dom.split('<tbody id="agency-rows">', 1)[1].split("</tbody>", 1)[0]
    codes = [html.unescape(c) for c in re.findall(r'<tr data-code="([^"]+)">', body)]
    assert codes == [a.code for a in agencies()]

    # The Security panel lists the refused replay (from the audit topic).
    assert re.search(r'<tbody id="security-rows"><tr>.*REQUEST_REFUSED', dom), dom
    assert "no_credentials" in dom
    # Replay from the console: once, and never twice by accident (the ledger remembers).
    replay = "/api/deadletters/replay"
    first = api.post(replay, json={"reason": "truncated_payload"}).json()
    again = api.post(replay, json={"reason": "truncated_payload"}).json()
    assert first == {"replayed": 1, "already": 0}
    # The original letter is in the ledger; only the replayed copy's own refusal (a
    # truncated record stays truncated) is a new letter that may be replayed.
    assert again["already"] == 1
    assert again["replayed"] <= 1

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "console.png"
    _chromium(console_url, f"--screenshot={shot}", profile=tmp_path / "profile2")
    assert shot.stat().st_size > 10_000
    feeder.join(timeout=120)  # the feed outlasts the page reads; let it finish
    api.close()
