"""What a request presents as proof of identity, read from its headers.

Agencies' systems send their API key (``Authorization: Bearer lt.…`` or ``X-API-Key``);
people and tools send ``Authorization: Basic`` (name and password, as Confluent's
registry clients do); the console's browser sends its session cookie.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

SESSION_COOKIE = "lt_session"


@dataclass(frozen=True)
class Credentials:
    """One way of proving identity found on a request (secrets kept as SecretStr)."""

    scheme: str  # "key", "basic", "session" or "malformed"
    secret: SecretStr
    username: str | None = None

    @property
    def claimed(self) -> str:
        """Who the request claims to be, for the audit feed (never the secret)."""
        if self.username is not None:
            return f"operator:{self.username} (claimed)"
        if self.scheme == "key":
            key_id = self.secret.get_secret_value().partition(".")[2].partition(".")[0]
            return f"key:{key_id[:32]} (claimed)" if key_id else "anonymous"
        return "anonymous"


def credentials_of(headers: Mapping[str, str], cookies: Mapping[str, str]) -> Credentials | None:
    """The credentials on a request (header names lower-case), or None for none."""
    presented = headers.get("x-api-key")
    if presented:
        return Credentials("key", SecretStr(presented.strip()))
    authorization = headers.get("authorization", "")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return Credentials("key", SecretStr(value.strip()))
        if scheme.lower() == "basic":
            return _basic(value.strip())
        return Credentials("malformed", SecretStr(""))
    session = cookies.get(SESSION_COOKIE)
    if session:
        return Credentials("session", SecretStr(session))
    return None


def _basic(value: str) -> Credentials:
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return Credentials("malformed", SecretStr(""))
    username, sep, password = text.partition(":")
    if not sep or not username:
        return Credentials("malformed", SecretStr(""))
    return Credentials("basic", SecretStr(password), username)
