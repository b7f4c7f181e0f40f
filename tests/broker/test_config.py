import ipaddress
from pathlib import Path

from cryptography import x509
from pydantic import SecretStr

from lienthong.broker import ensure_local_tls
from lienthong.broker._config import BrokerLayout, Quorum, server_properties
from lienthong.broker._jars import _pom
from lienthong.broker._security import BrokerSecurity, scram_format_argument
from lienthong.broker._versions import ARTIFACTS, KAFKA_VERSION


def _parse(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_single_node_kraft_listens_on_loopback_only() -> None:
    props = _parse(
        server_properties(
            data_dir=Path("/d"), host="127.0.0.1", port=19092, controller_port=19093, partitions=3
        )
    )
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert props["log.dirs"] == "/d"
    assert props["auto.create.topics.enable"] == "false"
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
    ):
        assert props[key] == "1", key


def test_pom_pins_every_artifact_and_a_logging_binding() -> None:
    pom = _pom()
    for group, artifact, version in ARTIFACTS:
        assert f"<groupId>{group}</groupId><artifactId>{artifact}</artifactId>" in pom
        assert f"<version>{version}</version>" in pom
    assert "log4j-slf4j-impl" in pom
    assert KAFKA_VERSION.startswith("4.")


def test_layout_is_under_one_home(tmp_path: Path) -> None:
    layout = BrokerLayout(tmp_path)
    for path in (layout.data_dir, layout.config_file, layout.log_file, layout.pid_file):
        assert path.parent == tmp_path
    assert not layout.formatted


def test_cluster_node_names_static_voters_and_replicates_3_2() -> None:
    quorum = Quorum("127.0.0.1", {1: 19093, 2: 19103, 3: 19113})
    props = _parse(
        server_properties(
            data_dir=Path("/d"),
            host="127.0.0.1",
            port=19102,
            controller_port=19103,
            partitions=3,
            node_id=2,
            quorum=quorum,
        )
    )
    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:19093,2@127.0.0.1:19103,3@127.0.0.1:19113"
    )
    assert "controller.quorum.bootstrap.servers" not in props
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["transaction.state.log.min.isr"] == "2"


def test_secure_node_denies_by_default_and_trusts_only_its_admin(tmp_path: Path) -> None:
    security = BrokerSecurity(
        admin_password=SecretStr("s3cret"),
        tls_port=19094,
        keystore=tmp_path / "broker.pem",
        truststore=tmp_path / "ca.pem",
    )
    props = _parse(
        server_properties(
            data_dir=Path("/d"),
            host="127.0.0.1",
            port=19092,
            controller_port=19093,
            partitions=3,
            security=security,
        )
    )
    assert props["listeners"] == (
        "SASL_PLAINTEXT://127.0.0.1:19092,SASL_SSL://127.0.0.1:19094,CONTROLLER://127.0.0.1:19093"
    )
    assert "PLAINTEXT:PLAINTEXT" not in props["listener.security.protocol.map"]
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["super.users"] == "User:svc.admin"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert scram_format_argument(security) == "SCRAM-SHA-512=[name=svc.admin,password=s3cret]"


def test_local_tls_names_loopback_and_is_made_once(tmp_path: Path) -> None:
    files = ensure_local_tls(tmp_path / "tls", "127.0.0.1")
    assert files.present
    assert oct(files.ca_key.stat().st_mode & 0o777) == "0o600"
    leaf = x509.load_pem_x509_certificates(files.keystore.read_bytes())[0]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    before = files.ca_cert.read_bytes()
    assert ensure_local_tls(tmp_path / "tls", "127.0.0.1").ca_cert.read_bytes() == before
