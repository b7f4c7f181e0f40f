"""A local KRaft cluster: several nodes from the same jars on one machine.

Every node is broker and controller at once (combined mode): three JVMs instead of six
on a laptop or a 2-core CI runner, and killing one node still leaves two of three
voters, so the quorum and the partitions' leaders carry on. Each node has its own home
(data, log, pid) under the cluster's home; the cluster id, the admin secret and the TLS
files are shared.
"""

from __future__ import annotations

import time
from pathlib import Path

from lienthong.broker._config import Quorum
from lienthong.broker._process import BrokerStatus, LocalBroker
from lienthong.connectors.kafka import KafkaSettings
from lienthong.provision import write_credential
from lienthong.settings import LocalBrokerSettings

PORT_STRIDE = 10  # node n listens on the base ports + 10 * (n - 1)


class LocalCluster:
    """``nodes`` local brokers forming one cluster; node ids are 1..n."""

    def __init__(
        self,
        nodes: list[LocalBrokerSettings],
        *,
        home: Path,
        credentials_dir: Path | None = None,
    ) -> None:
        if len({(n.port, n.controller_port, n.tls_port) for n in nodes}) != len(nodes):
            raise ValueError("every node of a local cluster needs ports of its own")
        host = nodes[0].host
        quorum = Quorum(host, {i: node.controller_port for i, node in enumerate(nodes, 1)})
        self.home = home
        self.secure = nodes[0].secure
        self.brokers = {
            i: LocalBroker(
                node.model_copy(update={"home": home / f"node-{i}"}),
                node_id=i,
                quorum=quorum,
                shared_home=home,
                credentials_dir=credentials_dir,
            )
            for i, node in enumerate(nodes, 1)
        }

    @classmethod
    def from_settings(cls, settings: LocalBrokerSettings, nodes: int) -> LocalCluster:
        """Nodes on the base ports of ``settings`` plus 10 per node (9092, 9102, 9112...)."""
        return cls(
            [
                settings.model_copy(
                    update={
                        "port": settings.port + PORT_STRIDE * i,
                        "controller_port": settings.controller_port + PORT_STRIDE * i,
                        "tls_port": settings.tls_port + PORT_STRIDE * i,
                    }
                )
                for i in range(nodes)
            ],
            home=settings.home,
        )

    @property
    def bootstrap(self) -> str:
        return ",".join(broker.bootstrap for broker in self.brokers.values())

    def client_settings(self, *, tls: bool = False) -> KafkaSettings:
        """Settings that reach every node, as the admin when secure."""
        first = next(iter(self.brokers.values()))
        one = first.client_settings(tls=tls)
        every = ",".join(
            broker.tls_bootstrap if tls else broker.bootstrap for broker in self.brokers.values()
        )
        return one.model_copy(update={"bootstrap_servers": every})

    def start(self, *, fresh: bool = False) -> float:
        """Start the nodes not running; return seconds until all answered.

        All are launched before any is waited for: a node reports ready only once a
        majority of the controllers elected a leader.
        """
        began = time.monotonic()
        launched = [
            (broker, broker.launch(fresh=fresh))
            for broker in self.brokers.values()
            if fresh or broker.pid() is None
        ]
        try:
            for broker, process in launched:
                broker.wait_ready(process, began)
        except BaseException:
            self.stop()
            raise
        if self.secure:
            first = next(iter(self.brokers.values()))
            write_credential(first.credentials_dir, self.client_settings())
        return time.monotonic() - began

    def stop(self) -> bool:
        """Stop every node; True if any ran."""
        stopped = [broker.stop() for broker in self.brokers.values()]
        return any(stopped)

    def kill(self, node_id: int) -> None:
        """SIGKILL one node, as a crash would."""
        self.brokers[node_id].kill()

    def restart(self, node_id: int) -> float:
        """Start one node again (after :meth:`kill` or a stop); seconds until it answered."""
        return self.brokers[node_id].start()

    def status(self) -> list[BrokerStatus]:
        return [broker.status() for broker in self.brokers.values()]
