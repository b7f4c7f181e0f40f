"""A local Apache Kafka broker (KRaft) for laptops, the demo and the tests.

The jars come from Maven Central (versions pinned in ``_versions``); the broker runs as
one Java process whose pid, configuration, data and log live under one home folder.
:class:`LocalCluster` runs several such nodes as one cluster. Secured
(``LIENTHONG_BROKER_SECURE``), a node speaks SCRAM-SHA-512 and TLS with a local CA and
enforces ACLs (``_security``, ``_tls``).
"""

from lienthong.broker._cluster import LocalCluster
from lienthong.broker._errors import (
    BrokerDidNotStart,
    BrokerDidNotStop,
    BrokerError,
    JarsUnavailable,
    PortTaken,
    ToolMissing,
)
from lienthong.broker._jars import fetch_jars, jar_dir, jars_present
from lienthong.broker._process import BrokerStatus, LocalBroker
from lienthong.broker._security import ADMIN_USER
from lienthong.broker._tls import TlsFiles, ensure_local_tls
from lienthong.broker._versions import KAFKA_VERSION

__all__ = [
    "ADMIN_USER",
    "KAFKA_VERSION",
    "BrokerDidNotStart",
    "BrokerDidNotStop",
    "BrokerError",
    "BrokerStatus",
    "JarsUnavailable",
    "LocalBroker",
    "LocalCluster",
    "PortTaken",
    "TlsFiles",
    "ToolMissing",
    "ensure_local_tls",
    "fetch_jars",
    "jar_dir",
    "jars_present",
]
