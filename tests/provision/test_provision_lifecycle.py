"""Provisioning on a broker of its own: idempotent, and revoking takes effect at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaError, TopicAuthorizationFailedError
from typer.testing import CliRunner

from lienthong.broker import LocalBroker
from lienthong.cli import app
from lienthong.connectors.kafka import TopicSpec, ensure_topics, kafka_python_producer
from lienthong.connectors.topics import TopicLayout
from lienthong.provision import AxisNames, credential_path, provision, read_credential
from lienthong.schemas.access import AccessFile, Agency, save_access
from lienthong.settings import LocalBrokerSettings
from tests.conftest import REFUSED_CONNECTIONS, free_port

pytestmark = pytest.mark.kafka
EVENT = "dossier.lifecycle"


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    home = tmp_path_factory.mktemp("own-secure")
    own = LocalBroker(
        LocalBrokerSettings(
            home=home / "broker",
            port=free_port(),
            controller_port=free_port(),
            tls_port=free_port(),
            secure=True,
            start_timeout_s=180,
        ),
        credentials_dir=home / "credentials",
    )
    own.start()
    yield own
    own.stop()


@REFUSED_CONNECTIONS  # kafka-python leaks the sockets of a failed bootstrap
def test_provision_is_idempotent_and_revoking_ends_access_at_once(
    broker: LocalBroker, tmp_path: Path, refused_sockets_collected: None
) -> None:
    names = AxisNames(layout=TopicLayout(f"life{uuid.uuid4().hex[:6]}"))
    agency = Agency(code="SYT", publish=[EVENT])
    topic = names.layout.ingress("SYT", EVENT)
    folder = tmp_path / "credentials"
    access = AccessFile(agencies=[agency])

    first = provision(access, broker.client_settings(), folder, names)
    assert first.changed
    assert credential_path(folder, "agency.syt") in first.new_credentials
    assert oct(credential_path(folder, "agency.syt").stat().st_mode & 0o777) == "0o600"
    assert not provision(access, broker.client_settings(), folder, names).changed

    ensure_topics(broker.client_settings(), [TopicSpec(topic, partitions=1)])
    syt = read_credential(credential_path(folder, "agency.syt"))
    producer = KafkaProducer(**kafka_python_producer(syt, max_block_ms=10_000))
    try:
        producer.send(topic, b"allowed").get(timeout=30)
        # The grant is taken away while the producer stays connected.
        revoked = AccessFile(agencies=[agency.model_copy(update={"publish": []})])
        report = provision(revoked, broker.client_settings(), folder, names)
        assert {acl.name for acl in report.removed} == {topic}
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send(topic, b"refused").get(timeout=30)
    finally:
        producer.close()

    # Gone from the file: its credential is deleted on the broker and on disk.
    gone = provision(AccessFile(), broker.client_settings(), folder, names)
    assert "agency.syt" in gone.removed_users
    assert not credential_path(folder, "agency.syt").exists()
    # kafka-python cannot even bootstrap: SCRAM authentication fails.
    with pytest.raises(KafkaError):
        KafkaProducer(**kafka_python_producer(syt, max_block_ms=5_000))


def test_cli_provisions_from_the_agencies_file_and_explains(
    broker: LocalBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agencies = tmp_path / "agencies.yaml"
    save_access(agencies, AccessFile(agencies=[Agency(code="SYT", publish=[EVENT])]))
    monkeypatch.setenv("LIENTHONG_AGENCIES_FILE", str(agencies))
    monkeypatch.setenv("LIENTHONG_CREDENTIALS_DIR", str(broker.credentials_dir))
    runner = CliRunner()
    # No --admin: the svc.admin.env the secured broker wrote is found by itself.
    result = runner.invoke(app, ["agencies", "provision"])
    assert result.exit_code == 0, result.output
    output = result.output.replace("\n", "")  # rich wraps long paths
    assert "agency.syt.env" in output
    assert "svc.worker.env" in output
    again = runner.invoke(app, ["agencies", "provision"])
    assert again.exit_code == 0, again.output
    assert "already matched" in again.output.replace("\n", " ")
    explained = runner.invoke(app, ["agencies", "explain", "SYT"])
    assert explained.exit_code == 0, explained.output
    assert "User:agency.syt" in explained.output.replace("\n", "")
    assert "ingress.syt.dossier.lifecycle" in explained.output
    assert runner.invoke(app, ["agencies", "explain", "NOBODY"]).exit_code == 1
