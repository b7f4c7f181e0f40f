"""``lienthong registry --help`` teaches how to run and use the registry."""

from __future__ import annotations

from typer.testing import CliRunner

from lienthong.cli import app


def test_registry_help_teaches() -> None:
    result = CliRunner().invoke(app, ["registry", "--help"], terminal_width=100)
    assert result.exit_code == 0
    for needle in (
        "Confluent",
        "8081",
        "_lienthong_schemas",
        "LIENTHONG_BOOTSTRAP_SERVERS",
        "--port",
        "curl",
    ):
        assert needle in result.output
