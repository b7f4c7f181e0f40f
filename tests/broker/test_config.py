from pathlib import Path

from lienthong.broker._config import BrokerLayout, server_properties
from lienthong.broker._jars import _pom
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
