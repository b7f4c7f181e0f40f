"""The one place where the local broker's versions are pinned."""

from __future__ import annotations

KAFKA_VERSION = "4.3.1"
SCALA_VERSION = "2.13"
# Kafka's POM brings slf4j-api 1.7 and log4j-core but no binding between them; without
# one the broker prints nothing and can fail to start (DESIGN.md).
LOG4J_VERSION = "2.25.3"

ARTIFACTS: tuple[tuple[str, str, str], ...] = (
    ("org.apache.kafka", f"kafka_{SCALA_VERSION}", KAFKA_VERSION),
    ("org.apache.logging.log4j", "log4j-core", LOG4J_VERSION),
    ("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION),
)


def cache_key() -> str:
    """A folder name that changes whenever a pinned version changes."""
    return f"kafka-{SCALA_VERSION}-{KAFKA_VERSION}-log4j-{LOG4J_VERSION}"
