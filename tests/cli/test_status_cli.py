from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli import app
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
    result = runner.invoke(app, ["status", "--gateway", gone, "--worker", gone])
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert "up" in lines["registry"]
    assert "down" in lines["gateway"]
    assert "Dead letters kept in lienthong.deadletter" in result.output


@REFUSED_CONNECTIONS
@pytest.mark.usefixtures("refused_sockets_collected")
def test_status_exits_1_when_kafka_is_away(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    gone = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(app, ["status", "--gateway", gone, "--worker", gone])
    assert result.exit_code == 1
    assert "does not answer" in result.output
