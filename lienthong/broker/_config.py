"""The KRaft configuration of a local node (pure: values in, text out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lienthong.broker._security import BrokerSecurity, security_properties


@dataclass(frozen=True)
class BrokerLayout:
    """Where one local node keeps its files, all under one home folder."""

    home: Path

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def log4j_file(self) -> Path:
        return self.home / "log4j2.properties"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def tls_dir(self) -> Path:
        return self.home / "tls"

    @property
    def formatted(self) -> bool:
        """True once KRaft storage was formatted (the data survives restarts)."""
        return (self.data_dir / "meta.properties").exists()


@dataclass(frozen=True)
class Quorum:
    """The controller voters of a multi-node cluster: node id -> controller port.

    Static voters (``controller.quorum.voters``): every node is formatted alike and
    none has to be added to the quorum after it starts.
    """

    host: str
    voters: Mapping[int, int]

    def text(self) -> str:
        return ",".join(f"{node}@{self.host}:{port}" for node, port in sorted(self.voters.items()))


def server_properties(
    *,
    data_dir: Path,
    host: str,
    port: int,
    controller_port: int,
    partitions: int,
    node_id: int = 1,
    quorum: Quorum | None = None,
    security: BrokerSecurity | None = None,
) -> str:
    """A broker+controller in one process, sized for one small machine.

    Alone (no ``quorum``) replication factors are 1; in a local cluster of three they
    are 3 with min.insync.replicas 2, as on a production cluster. A real cluster is
    reached by setting LIENTHONG_BOOTSTRAP_SERVERS, never by editing this file.
    """
    replication = min(3, len(quorum.voters)) if quorum else 1
    min_isr = max(1, replication - 1)
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        **_quorum_settings(host, controller_port, quorum),
        **_listener_settings(host, port, controller_port, security),
        "log.dirs": str(data_dir),
        "num.partitions": str(partitions),
        # Topics are created explicitly by the code that owns them, never by accident.
        "auto.create.topics.enable": "false",
        "default.replication.factor": str(replication),
        "min.insync.replicas": str(min_isr),
        "offsets.topic.replication.factor": str(replication),
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": str(min_isr),
        "transaction.state.log.num.partitions": "4",
        "share.coordinator.state.topic.replication.factor": str(replication),
        "share.coordinator.state.topic.min.isr": str(min_isr),
        "group.initial.rebalance.delay.ms": "0",
        # faust changelogs are compacted; the default 128 MB dedupe buffer is wasted here.
        "log.cleaner.dedupe.buffer.size": str(8 * 1024 * 1024),
        "num.network.threads": "2",
        "num.io.threads": "4",
        "log.segment.bytes": str(64 * 1024 * 1024),
    }
    if quorum:
        # A killed node is noticed within seconds, not the default 18 s of a busy cluster.
        settings["broker.session.timeout.ms"] = "6000"
        settings["broker.heartbeat.interval.ms"] = "1000"
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _quorum_settings(host: str, controller_port: int, quorum: Quorum | None) -> dict[str, str]:
    if quorum is None:
        return {"controller.quorum.bootstrap.servers": f"{host}:{controller_port}"}
    return {"controller.quorum.voters": quorum.text()}


def _listener_settings(
    host: str, port: int, controller_port: int, security: BrokerSecurity | None
) -> dict[str, str]:
    if security is not None:
        return security_properties(security, host=host, port=port, controller_port=controller_port)
    return {
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    }


LOG4J2_PROPERTIES = """\
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRefs = stdout
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
"""
