"""A local Apache Kafka broker (KRaft) for laptops, the demo and the tests.

The jars come from Maven Central (versions pinned in ``_versions``); the broker runs as
one Java process whose pid, configuration, data and log live under one home folder.
"""

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
from lienthong.broker._versions import KAFKA_VERSION

__all__ = [
    "KAFKA_VERSION",
    "BrokerDidNotStart",
    "BrokerDidNotStop",
    "BrokerError",
    "BrokerStatus",
    "JarsUnavailable",
    "LocalBroker",
    "PortTaken",
    "ToolMissing",
    "fetch_jars",
    "jar_dir",
    "jars_present",
]
