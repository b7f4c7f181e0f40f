"""Per-agency API keys for the gateway, stored hashed in a SQLite file.

A key reads ``lt.<key id>.<secret>``: the key id (public, 48 random bits) finds the row,
the secret (256 random bits) proves possession. Only ``sha256(secret)`` is stored.

Why sha256 and not a slow hash (scrypt, argon2): slow hashes protect *guessable*
passwords from offline brute force. A 256-bit random secret is not guessable, so one
fast hash already makes a stolen table useless, and the gateway can check a key on
every request in microseconds instead of spending ~50 ms of CPU on it. Comparison is
constant-time (``hmac.compare_digest``). Revocation takes effect on the next request:
the table is read on every check, never cached.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from lienthong.producers._errors import KeyStoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id     TEXT PRIMARY KEY,
    agency     TEXT NOT NULL,
    digest     TEXT NOT NULL,
    label      TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS api_keys_agency ON api_keys (agency);
"""
_PREFIX = "lt"


@dataclass(frozen=True)
class ApiKey:
    """What is known about a key, never its secret."""

    key_id: str
    agency: str
    label: str
    created_at: float
    revoked_at: float | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    """The gateway's API keys; several gateway processes on one host may share the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._mutex = threading.Lock()

    def add(self, agency: str, label: str = "") -> tuple[ApiKey, SecretStr]:
        """Create a key for ``agency``; the returned secret is shown once and never stored."""
        agency = agency.strip()
        if not agency:
            raise KeyStoreError("an agency code is needed (example: 000.00.00.H30 or SYT)")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)  # 256 bits; the alphabet has no '.'
        created = time.time()
        with self._mutex:
            self._db.execute(
                "INSERT INTO api_keys (key_id, agency, digest, label, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (key_id, agency, _digest(secret), label, created),
            )
        return (
            ApiKey(key_id, agency, label, created, None),
            SecretStr(f"{_PREFIX}.{key_id}.{secret}"),
        )

    def keys(self, agency: str | None = None) -> list[ApiKey]:
        """Every key (of one agency, if given), oldest first."""
        query = "SELECT key_id, agency, label, created_at, revoked_at FROM api_keys"
        args: tuple[str, ...] = ()
        if agency is not None:
            query, args = query + " WHERE agency = ?", (agency,)
        with self._mutex:
            rows = self._db.execute(query + " ORDER BY created_at", args).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key at once; revoking twice keeps the first time."""
        with self._mutex:
            self._db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (time.time(), key_id),
            )
            row = self._db.execute(
                "SELECT key_id, agency, label, created_at, revoked_at FROM api_keys "
                "WHERE key_id = ?",
                (key_id,),
            ).fetchone()
        if row is None:
            raise KeyStoreError(
                f"no API key with id {key_id!r}; `lienthong agencies list` shows the ids"
            )
        return ApiKey(*row)

    def authenticate(self, presented: str) -> str | None:
        """The agency of an active key, or None for a malformed, unknown or revoked one."""
        prefix, _, rest = presented.strip().partition(".")
        key_id, _, secret = rest.partition(".")
        if prefix != _PREFIX or not key_id or not secret:
            return None
        with self._mutex:
            row = self._db.execute(
                "SELECT agency, digest FROM api_keys WHERE key_id = ? AND revoked_at IS NULL",
                (key_id,),
            ).fetchone()
        if row is None:
            return None
        agency, digest = row
        return str(agency) if hmac.compare_digest(digest, _digest(secret)) else None

    def close(self) -> None:
        with self._mutex:
            self._db.close()
