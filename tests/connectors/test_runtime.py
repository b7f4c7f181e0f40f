"""The runtime: config validation, specs as documentation, the CLI."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

import psycopg
import pytest
import yaml
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.connectors import runtime
from lienthong.connectors.errors import ConfigError, SourceUnavailable
from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.runtime import (
    KINDS,
    Connector,
    ConnectorConfig,
    ConnectorSpec,
    Plan,
    Runner,
    connector_class,
    load_config,
    parse_config,
    spec_fields,
)
from lienthong.connectors.sinks import pg_tables
from lienthong.connectors.sources.folder import FolderSource, FolderSpec
from lienthong.connectors.sources.outbox import OutboxSpec
from lienthong.local_postgres import LocalPostgres
from lienthong.schemas.catalogue import catalogue

OUTBOX = {
    "name": "motcua",
    "kind": "outbox",
    "dsn": "postgresql://motcua:mat-khau@db/motcua",
    "agency": "000.00.00.H30",
}


def test_a_valid_config_becomes_a_plan() -> None:
    plan = parse_config(
        {
            "kafka": {"bootstrap_servers": "k1:9092"},
            "registry_url": "http://r:8081",
            "connectors": [OUTBOX],
        }
    )
    assert plan.kafka.bootstrap_servers == "k1:9092"
    assert plan.registry_url == "http://r:8081"
    (config,) = plan.connectors
    assert config.kind == "outbox"
    assert isinstance(config.spec, OutboxSpec)
    assert config.spec.batch_size == 500
    assert "mat-khau" not in repr(config.spec)  # the DSN is a secret


def test_every_problem_is_reported_with_the_likely_key() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {
                "kafka": {"bootstrap_server": "x"},
                "conectors": [],
                "connectors": [
                    {**OUTBOX, "poll_interval": 1, "batch_size": 0},
                    {"name": "motcua", "kind": "outbx"},
                    {"name": "Bad Name", "kind": "webhook"},
                    {**OUTBOX, "name": "two", "dsn": "mysql://x"},
                ],
            }
        )
    message = str(caught.value)
    assert "unknown key 'conectors' (did you mean 'connectors'?)" in message
    assert "kafka: unknown key 'bootstrap_server' (did you mean 'bootstrap_servers'?)" in message
    assert "unknown key 'poll_interval' (did you mean 'poll_interval_s'?)" in message
    assert "connectors[0] (motcua).batch_size" in message
    assert "unknown connector kind 'outbx' (did you mean outbox?)" in message
    assert "connectors[2].name" in message
    assert "use postgresql://" in message


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"connectors": [OUTBOX, OUTBOX]}))
    with pytest.raises(ConfigError, match="used twice"):
        load_config(path)
    path.write_text("connectors: [")
    with pytest.raises(ConfigError, match="cannot read it as YAML"):
        load_config(path)


def test_specs_document_every_kind() -> None:
    for kind in KINDS:
        cls = connector_class(kind)
        assert kind == cls.KIND
        assert cls.__doc__
        fields = spec_fields(cls.SPEC)
        assert fields
        assert all(f.type for f in fields)
    outbox = {f.name: f for f in spec_fields(connector_class("outbox").SPEC)}
    assert outbox["dsn"].required
    assert outbox["dsn"].type == "secret"
    assert outbox["batch_size"].default == "500"


def test_cli_prints_specs_and_checks_configs(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["connect", "spec", "webhook"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "max_attempts" in result.output
    assert "breaker_cooldown_s" in result.output
    assert runner.invoke(app, ["connect", "spec", "nope"]).exit_code == 1
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"connectors": [OUTBOX]}))
    checked = runner.invoke(app, ["connect", "check", str(path)])
    assert checked.exit_code == 0
    assert "ok  motcua (outbox)" in checked.output
    path.write_text(yaml.safe_dump({"connectors": [{**OUTBOX, "tabel": "x"}]}))
    refused = runner.invoke(app, ["connect", "check", str(path)])
    assert refused.exit_code == 1
    assert "did you mean 'table'" in refused.output


class _Flaky(Connector[ConnectorSpec]):
    """A connector that fails twice, then runs until stopped."""

    KIND = "flaky"
    runs: ClassVar[list[str]] = []

    def run(self) -> None:
        self.runs.append("run")
        if len(self.runs) <= 2:
            raise SourceUnavailable("the agency database is away")
        self.context.stop.wait()


def test_the_supervisor_restarts_after_connector_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "connector_class", lambda kind: _Flaky)
    plan = Plan(KafkaSettings(), "http://r", (ConnectorConfig("f", "flaky", ConnectorSpec()),))
    registry = CollectorRegistry()
    runner = Runner(plan, registry, restart_initial_s=0.01)
    runner.start()
    deadline = threading.Event()
    while len(_Flaky.runs) < 3 and not deadline.wait(0.01):
        pass
    runner.stop()
    assert runner.join(5)
    assert len(_Flaky.runs) == 3
    assert not runner.failed
    errors = registry.get_sample_value(
        "lienthong_connector_errors_total",
        {"connector": "f", "kind": "flaky", "error": "SourceUnavailable"},
    )
    assert errors == 2


def test_contract_tables_are_valid_postgresql(postgres: LocalPostgres, pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn) as conn:
        for entry in catalogue().values():
            model = pg_tables.table_model(entry, "state", schema="ddl_check")
            for statement in pg_tables.create_sql(model) * 2:  # idempotent
                conn.execute(statement)
            conn.execute(pg_tables.stage_sql(model))
            conn.execute(pg_tables.merge_sql(model))


def test_a_connector_takes_its_spec_type_from_its_type_argument() -> None:
    assert FolderSource.SPEC is FolderSpec
    assert _Flaky.SPEC is ConnectorSpec
    assert {connector_class(kind).SPEC.__name__ for kind in KINDS} == {
        "OutboxSpec",
        "FolderSpec",
        "PostgresSinkSpec",
        "WebhookSpec",
        "PortalSpec",
    }
