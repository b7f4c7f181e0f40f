"""SCRAM credentials on disk: one ``<principal>.env`` file per identity, mode 0600.

The file is what a service or an agency's system is given: sourced by a shell or read by
:func:`read_credential`, it holds every ``LIENTHONG_*`` setting needed to connect as that
principal. Passwords are made here and never printed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from lienthong.connectors.kafka import KafkaSettings

SCRAM_MECHANISM = "SCRAM-SHA-512"
_KEYS = {
    "LIENTHONG_BOOTSTRAP_SERVERS": "bootstrap_servers",
    "LIENTHONG_SECURITY_PROTOCOL": "security_protocol",
    "LIENTHONG_SASL_MECHANISM": "sasl_mechanism",
    "LIENTHONG_SASL_USERNAME": "sasl_username",
    "LIENTHONG_SASL_PASSWORD": "sasl_password",
    "LIENTHONG_SSL_CAFILE": "ssl_cafile",
}


def new_password() -> SecretStr:
    """A SCRAM password: 256 random bits, URL-safe (no quoting in JAAS or .env)."""
    return SecretStr(secrets.token_urlsafe(32))


def credential_path(folder: Path, principal: str) -> Path:
    return folder / f"{principal}.env"


def credential_settings(
    principal: str, password: SecretStr, cluster: KafkaSettings
) -> KafkaSettings:
    """``cluster``'s address and transport, authenticated as ``principal``."""
    protocol = cluster.security_protocol
    if protocol not in ("SASL_PLAINTEXT", "SASL_SSL"):
        protocol = "SASL_SSL" if protocol == "SSL" else "SASL_PLAINTEXT"
    return KafkaSettings(
        bootstrap_servers=cluster.bootstrap_servers,
        client_id=principal,
        security_protocol=protocol,
        sasl_mechanism=SCRAM_MECHANISM,
        sasl_username=principal,
        sasl_password=password,
        ssl_cafile=cluster.ssl_cafile,
    )


def kafka_env(settings: KafkaSettings) -> dict[str, str]:
    """``settings`` as the ``LIENTHONG_*`` variables a child process reads (secrets too)."""
    env: dict[str, str] = {}
    for key, field in _KEYS.items():
        value = getattr(settings, field)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[key] = str(value)
    return env


def write_credential(folder: Path, settings: KafkaSettings) -> Path:
    """Write ``settings`` (with its SASL user) as an env file readable by its owner only."""
    if settings.sasl_username is None or settings.sasl_password is None:
        raise ValueError("a credential file needs a SASL username and password")
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    lines = [f"{key}={value}\n" for key, value in kafka_env(settings).items()]
    path = credential_path(folder, settings.sasl_username)
    temporary = path.with_suffix(".env.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.writelines(lines)
    temporary.replace(path)
    return path


def read_credential(path: Path) -> KafkaSettings:
    """The client settings a credential file holds (no environment variable overrides)."""
    values: dict[str, object] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() in _KEYS:
            values[_KEYS[key.strip()]] = value.strip()
    return KafkaSettings.model_validate(values)
