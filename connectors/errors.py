"""Errors of the connectors. Each message says what went wrong and what to do next.

    ConnectorError              base of every error raised by lienthong.connectors
    ├── ConfigError             a connector config (YAML or spec) is invalid; the message
    │                           names each offending key and, for a typo, the likely key
    ├── SourceUnavailable       the agency's database or folder cannot be read (retried)
    ├── SinkUnavailable         PostgreSQL, the webhook receiver or the national portal
    │                           cannot be reached or refused the batch (retried)
    ├── KafkaUnavailable        Kafka did not answer, or a transaction could not finish
    ├── PositionError           the stored position cannot be read or written
    └── ConnectorFenced         another instance of the same connector took over (this one
                                must stop: two writers would repeat events)

Errors of psycopg, sqlite3, httpx and kafka-python are translated into these at the
edge (``raise ... from exc`` keeps the original for debugging); code that runs
connectors never needs to import those libraries' exception types.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class of every error raised by :mod:`lienthong.connectors`."""


class ConfigError(ConnectorError):
    """A connector configuration is invalid."""


class SourceUnavailable(ConnectorError):
    """The source system (a database, a folder) cannot be read right now."""


class SinkUnavailable(ConnectorError):
    """The destination system cannot take the batch right now."""


class KafkaUnavailable(ConnectorError):
    """Kafka did not answer or a transaction did not complete."""


class PositionError(ConnectorError):
    """A connector's stored position could not be read or written."""


class ConnectorFenced(ConnectorError):
    """A newer instance of this connector is running; this one must stop."""
