from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli import app
from tests.conftest import free_port

runner = CliRunner()


def test_help_teaches_where_to_start() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "lienthong broker start" in result.output
    assert "LIENTHONG_BOOTSTRAP_SERVERS" in result.output


def test_status_of_a_stopped_broker_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIENTHONG_BROKER_HOME", str(tmp_path))
    monkeypatch.setenv("LIENTHONG_BROKER_PORT", str(free_port()))
    result = runner.invoke(app, ["broker", "status"])
    assert result.exit_code == 3
    assert "not running" in result.output
    assert str(tmp_path / "data") in result.output.replace("\n", "")


def test_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_BROKER_PORT", "not-a-port")
    result = runner.invoke(app, ["broker", "status"])
    assert result.exit_code != 0
