"""The secured listeners of a local node: SCRAM for clients, TLS beside it, ACLs on.

Clients reach SASL_PLAINTEXT (SCRAM-SHA-512) on the client port and SASL_SSL on the TLS
port; nodes speak SCRAM to each other as the admin principal. The controller listener
uses SASL PLAIN because KRaft controllers cannot check SCRAM (its credentials live in
the very metadata they serve). StandardAuthorizer denies whatever no ACL allows; only
the admin principal is a super user.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

ADMIN_USER = "svc.admin"
SCRAM_MECHANISM = "SCRAM-SHA-512"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


@dataclass(frozen=True)
class BrokerSecurity:
    """What a node needs to run secured: the admin secret and its TLS files."""

    admin_password: SecretStr
    tls_port: int
    keystore: Path  # PEM: the node's private key, then its certificate and the CA's
    truststore: Path  # PEM: the local CA certificate
    admin_user: str = ADMIN_USER


def security_properties(
    security: BrokerSecurity, *, host: str, port: int, controller_port: int
) -> dict[str, str]:
    """Listener, SASL, TLS and authorizer settings of one secured node."""
    user = security.admin_user
    secret = security.admin_password.get_secret_value()
    scram_login = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{user}" password="{secret}";'
    )
    plain_login = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="{user}" password="{secret}" user_{user}="{secret}";'
    )
    return {
        "listeners": (
            f"SASL_PLAINTEXT://{host}:{port},SASL_SSL://{host}:{security.tls_port},"
            f"CONTROLLER://{host}:{controller_port}"
        ),
        "advertised.listeners": (
            f"SASL_PLAINTEXT://{host}:{port},SASL_SSL://{host}:{security.tls_port}"
        ),
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "SASL_PLAINTEXT",
        "listener.security.protocol.map": (
            "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT"
        ),
        "sasl.enabled.mechanisms": SCRAM_MECHANISM,
        "sasl.mechanism.inter.broker.protocol": SCRAM_MECHANISM,
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": plain_login,
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": scram_login,
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": scram_login,
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(security.keystore),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(security.truststore),
        "authorizer.class.name": AUTHORIZER,
        "super.users": f"User:{user}",
        # Stated, not inherited: what no ACL allows is denied.
        "allow.everyone.if.no.acl.found": "false",
    }


def scram_format_argument(security: BrokerSecurity) -> str:
    """``kafka-storage format --add-scram`` value: the admin credential exists at boot."""
    return (
        f"{SCRAM_MECHANISM}=[name={security.admin_user},"
        f"password={security.admin_password.get_secret_value()}]"
    )
