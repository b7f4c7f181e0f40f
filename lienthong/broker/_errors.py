"""Errors of the local broker manager. Every message says what to do next.

BrokerError
├── ToolMissing        java or mvn is not installed
├── JarsUnavailable    Maven could not fetch the broker jars
├── PortTaken          another process listens on a port the broker needs
├── BrokerDidNotStart  the process exited or never answered; carries its log tail
└── BrokerDidNotStop   the process survived SIGTERM and SIGKILL
"""

from __future__ import annotations


class BrokerError(Exception):
    """Base class of every local-broker failure."""


class ToolMissing(BrokerError):
    """A program the broker needs (java, mvn) is not on PATH."""


class JarsUnavailable(BrokerError):
    """The Kafka jars could not be fetched from Maven Central."""


class PortTaken(BrokerError):
    """A port the broker needs is already in use by another process."""


class BrokerDidNotStart(BrokerError):
    """The broker process died or did not answer in time."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(f"{message}\n--- last lines of the broker log ---\n{log_tail}")
        self.log_tail = log_tail


class BrokerDidNotStop(BrokerError):
    """The broker process could not be ended."""
