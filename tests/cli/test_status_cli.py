from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.cli._status import Health, probe
from lienthong.connectors.kafka import KafkaSettings
from lienthong.provision import kafka_env
from tests.conftest import REFUSED_CONNECTIONS, free_port

runner = CliRunner()


def test_status_shows_services_and_kafka(
    kafka_settings: KafkaSettings,
    schema_registry_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for name, value in kafka_env(kafka_settings).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LIENTHONG_REGISTRY_URL", schema_registry_url)
    monkeypatch.setenv("LIENTHONG_BROKER_HOME", str(tmp_path))
    gone = f"http://127.0.0.1:{free_port()}"
    with recovering_service() as recovering:
        args = ["status", "--gateway", gone, "--worker", recovering, "--console", gone]
        result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 1, result.output  # gateway and console are down
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert "up" in lines["registry"]
    assert "down" in lines["gateway"]
    assert "not ready" in lines["worker"]
    assert "retry in 2s" in lines["worker"]
    assert "Dead letters kept in lienthong.deadletter" in result.output  # printed before exit
    assert "Down: gateway, console" in result.output


def test_a_service_answering_503_is_not_ready_and_404_is_down() -> None:
    with recovering_service() as url:
        assert probe(url, "/readyz") == Health("not ready", "recovering, retry in 2s")
        assert probe(url, "/missing").down
        assert "answered 404" in probe(url, "/missing").detail
    assert probe(f"http://127.0.0.1:{free_port()}", "/readyz").down


@contextmanager
def recovering_service() -> Iterator[str]:
    """A real HTTP server answering /readyz as a worker restoring its tables does."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/readyz":
                self.send_response(503)
                self.send_header("Retry-After", "2")
            else:
                self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@REFUSED_CONNECTIONS
@pytest.mark.usefixtures("refused_sockets_collected")
def test_status_exits_1_when_kafka_is_away(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    gone = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(app, ["status", "--gateway", gone, "--worker", gone, "--console", gone])
    assert result.exit_code == 1
    assert "does not answer" in result.output
