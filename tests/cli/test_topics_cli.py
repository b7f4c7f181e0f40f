"""``lienthong topics plan|apply`` against real brokers: one broker, and the 3-node cluster."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.connectors.kafka import Existing, KafkaSettings, TopicSpec, describe, ensure_topics

runner = CliRunner()
pytestmark = pytest.mark.kafka


@pytest.fixture
def prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """An axis of its own, and no agencies file (only --agency counts)."""
    monkeypatch.setenv("LIENTHONG_AGENCIES_FILE", str(tmp_path / "none.yaml"))
    monkeypatch.delenv("LIENTHONG_TOPIC_PARTITIONS", raising=False)
    monkeypatch.delenv("LIENTHONG_TOPIC_REPLICATION", raising=False)
    name = f"topics{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("LIENTHONG_REGISTRY_TOPIC", f"_{name}_schemas")
    return name


def _topics(prefix: str, *command: str) -> list[str]:
    return [
        *command, "--prefix", prefix, "--app-id", f"{prefix}-worker", "--agency", "SYT",
        "--subscriber", "ioc", "--views",
    ]  # fmt: skip


def _described(settings: KafkaSettings, names: list[str]) -> dict[str, Existing]:
    """Every topic of ``names`` once the cluster's metadata has them all (a moment)."""
    deadline = time.monotonic() + 30
    found = describe(settings, names)
    while len(found) < len(names) and time.monotonic() < deadline:
        time.sleep(0.5)
        found = describe(settings, names)
    return found


def test_plan_then_apply_makes_every_topic_once(
    kafka_settings: KafkaSettings, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIENTHONG_BOOTSTRAP_SERVERS", kafka_settings.bootstrap_servers)
    planned = runner.invoke(app, _topics(prefix, "topics", "plan"))
    assert planned.exit_code == 1, planned.output  # missing topics
    assert "missing" in planned.output
    assert f"{prefix}.ingress.syt.dossier.lifecycle" in planned.output

    applied = runner.invoke(app, _topics(prefix, "topics", "apply"))
    assert applied.exit_code == 0, applied.output
    assert "created" in applied.output

    # A broker describes a new topic a moment after creating it.
    deadline = time.monotonic() + 30
    again = runner.invoke(app, _topics(prefix, "topics", "plan"))
    while again.exit_code != 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        again = runner.invoke(app, _topics(prefix, "topics", "plan"))
    assert again.exit_code == 0, again.output
    assert "missing" not in again.output
    found = describe(kafka_settings, [f"{prefix}.deadletter", f"{prefix}.sub.ioc"])
    assert {e.partitions for e in found.values()} == {3}
    assert {e.config["min.insync.replicas"] for e in found.values()} == {"1"}


def test_apply_reports_a_topic_that_differs_and_leaves_it(
    kafka_settings: KafkaSettings, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIENTHONG_BOOTSTRAP_SERVERS", kafka_settings.bootstrap_servers)
    odd = f"{prefix}.events.dossier.lifecycle"
    ensure_topics(kafka_settings, [TopicSpec(odd, partitions=1)])
    applied = runner.invoke(app, _topics(prefix, "topics", "apply"))
    assert applied.exit_code == 1, applied.output
    assert "differs" in applied.output
    assert "1 partitions, the layout says 3" in applied.output
    assert describe(kafka_settings, [odd])[odd].partitions == 1  # never changed


def test_on_the_cluster_every_topic_gets_replication_3_and_min_insync_2(
    cluster_settings: KafkaSettings, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No setting but the bootstrap list: the layout's cluster defaults reach every topic."""
    monkeypatch.setenv("LIENTHONG_BOOTSTRAP_SERVERS", cluster_settings.bootstrap_servers)
    applied = runner.invoke(app, _topics(prefix, "topics", "apply"))
    assert applied.exit_code == 0, applied.output
    names = [
        line.split(": ")[0].split("] ")[1]
        for line in applied.output.splitlines()
        if line.startswith("[")
    ]
    assert len(names) > 20
    found = _described(cluster_settings, names)
    assert set(found) == set(names)
    assert {e.replication for e in found.values()} == {3}
    assert {e.config["min.insync.replicas"] for e in found.values()} == {"2"}
    # Keyed topics get the cluster's partitions; single-order ones keep one.
    assert found[f"{prefix}.ingress.syt.dossier.lifecycle"].partitions == 12
    assert found[f"{prefix}.audit"].partitions == 1
