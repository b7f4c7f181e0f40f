"""How to reach Kafka: one settings model, rendered for each client library we use.

Every Kafka client in lienthong (kafka-python, aiokafka, faust-streaming, librdkafka) is
configured from :class:`KafkaSettings` through one of its ``as_*`` methods, so a secured
cluster (TLS, SASL/SCRAM) is reached by settings alone and every client reaches it the
same way. The rules live here once:

- TLS (a CA bundle, a client certificate, host-name checking) applies exactly when the
  protocol is ``SSL`` or ``SASL_SSL``; under another protocol the TLS files are unused
  (a credential file may carry the CA for both listeners of one cluster).
- SASL (mechanism, user name, password) applies exactly when the protocol is
  ``SASL_PLAINTEXT`` or ``SASL_SSL``, and then all three are needed: rendering a client's
  options refuses incomplete settings with what to set.
- Secrets are :class:`~pydantic.SecretStr`: never in ``repr``, logs or errors; they are
  unwrapped only into a client's configuration.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

_TLS = frozenset({"SSL", "SASL_SSL"})
_SASL = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _path(value: Path | None) -> str | None:
    return str(value) if value is not None else None


class KafkaSettings(BaseSettings):
    """How to reach Kafka: the local broker by default, any cluster by setting."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_", env_file=".env", extra="ignore")

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        description="Comma-separated host:port list of Kafka brokers.",
    )
    client_id: str = Field(default="lienthong", description="Client id sent to the brokers.")
    security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT",
        description="PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL (SASL over TLS).",
    )
    sasl_mechanism: SaslMechanism | None = Field(
        default=None, description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (SASL_* protocols)."
    )
    sasl_username: str | None = Field(default=None, description="SASL user name.")
    sasl_password: SecretStr | None = Field(default=None, description="SASL password.")
    ssl_cafile: Path | None = Field(
        default=None, description="CA bundle (PEM) that signed the brokers' certificates."
    )
    ssl_certfile: Path | None = Field(
        default=None, description="Client certificate (PEM), for brokers that require one."
    )
    ssl_keyfile: Path | None = Field(default=None, description="The client certificate's key.")
    ssl_key_password: SecretStr | None = Field(
        default=None, description="Password of the client key, if it is encrypted."
    )
    ssl_check_hostname: bool = Field(
        default=True, description="Check that a broker's certificate names the host reached."
    )

    @field_validator("bootstrap_servers")
    @classmethod
    def _check_servers(cls, value: str) -> str:
        servers = [s.strip() for s in value.split(",") if s.strip()]
        for server in servers:
            host, sep, port = server.rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"{server!r} is not host:port (example: 127.0.0.1:9092)")
        if not servers:
            raise ValueError("at least one host:port is needed (example: 127.0.0.1:9092)")
        return ",".join(servers)

    @property
    def bootstrap_list(self) -> list[str]:
        """The bootstrap servers as a list, the form Python Kafka clients take."""
        return self.bootstrap_servers.split(",")

    @property
    def is_cluster(self) -> bool:
        """Whether the bootstrap list names several brokers (a cluster, not one broker).

        Counted by ``host:port``, so a 3-node cluster on one machine is a cluster too.
        """
        return len(self.bootstrap_list) > 1

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in _TLS

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in _SASL

    def check_complete(self) -> None:
        """Refuse, with what to set, settings no client could connect with.

        Called by every ``as_*`` rendering, not at construction: a settings object may be
        a step towards another (a cluster's address, then a principal's credentials).
        """
        if self.uses_sasl and None in (self.sasl_mechanism, self.sasl_username):
            raise ValueError(
                f"{self.security_protocol} needs LIENTHONG_SASL_MECHANISM, "
                "LIENTHONG_SASL_USERNAME and LIENTHONG_SASL_PASSWORD"
            )
        if self.uses_sasl and self.sasl_password is None:
            raise ValueError(f"{self.security_protocol} needs LIENTHONG_SASL_PASSWORD")
        if self.uses_tls and (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("LIENTHONG_SSL_CERTFILE and LIENTHONG_SSL_KEYFILE go together")

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for SSL/SASL_SSL (``None`` otherwise): the one TLS rule."""
        if not self.uses_tls:
            return None
        self.check_complete()
        context = ssl.create_default_context(cafile=_path(self.ssl_cafile))
        context.check_hostname = self.ssl_check_hostname
        if self.ssl_certfile is not None:
            context.load_cert_chain(
                str(self.ssl_certfile), _path(self.ssl_keyfile), _secret(self.ssl_key_password)
            )
        return context

    def as_kafka_python(self) -> dict[str, Any]:
        """Options every kafka-python client (producer, consumer, admin) accepts."""
        self.check_complete()
        config: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_list,
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
        }
        if self.uses_sasl:
            config |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": _secret(self.sasl_password),
            }
        if self.uses_tls:
            config |= {
                "ssl_cafile": _path(self.ssl_cafile),
                "ssl_certfile": _path(self.ssl_certfile),
                "ssl_keyfile": _path(self.ssl_keyfile),
                "ssl_password": _secret(self.ssl_key_password),
                "ssl_check_hostname": self.ssl_check_hostname,
            }
        return config

    def as_aiokafka(self) -> dict[str, Any]:
        """Options aiokafka's producer and consumer accept (TLS as an ``SSLContext``)."""
        self.check_complete()
        config: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_list,
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
        }
        if self.uses_sasl:
            config |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": _secret(self.sasl_password),
            }
        if self.uses_tls:
            config["ssl_context"] = self.ssl_context()
        return config

    def as_librdkafka(self) -> dict[str, Any]:
        """librdkafka's (confluent-kafka's) dotted option names."""
        self.check_complete()
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "client.id": self.client_id,
            "security.protocol": self.security_protocol,
        }
        if self.uses_sasl:
            config |= {
                "sasl.mechanism": self.sasl_mechanism,
                "sasl.username": self.sasl_username,
                "sasl.password": _secret(self.sasl_password),
            }
        if self.uses_tls:
            config["ssl.endpoint.identification.algorithm"] = (
                "https" if self.ssl_check_hostname else "none"
            )
            optional = {
                "ssl.ca.location": _path(self.ssl_cafile),
                "ssl.certificate.location": _path(self.ssl_certfile),
                "ssl.key.location": _path(self.ssl_keyfile),
                "ssl.key.password": _secret(self.ssl_key_password),
            }
            config |= {k: v for k, v in optional.items() if v is not None}
        return config

    def as_faust(self) -> dict[str, Any]:
        """``faust.App`` keyword arguments: ``broker`` and ``broker_credentials``."""
        import faust  # noqa: PLC0415 (heavy; only the worker needs it)

        self.check_complete()
        credentials: faust.SASLCredentials | faust.SSLCredentials | None = None
        context = self.ssl_context()
        if self.uses_sasl:
            credentials = faust.SASLCredentials(
                username=self.sasl_username,
                password=_secret(self.sasl_password),
                ssl_context=context,
                mechanism=self.sasl_mechanism,
            )
        elif context is not None:
            credentials = faust.SSLCredentials(context)
        broker = ";".join(f"kafka://{server}" for server in self.bootstrap_list)
        return {"broker": broker, "broker_credentials": credentials}
